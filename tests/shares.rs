//! Share links end to end on each backend: a snapshot another session (or no session)
//! reads, read-only; revocation and expiry answer 404 everywhere; per-session limits; the
//! snapshot outlives the profile's deletion and, on the filesystem, reuses its bytes.
#![cfg(feature = "ssr")]

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use common::{Api, Backend};
use serde_json::{Value, json};

on_both_backends!(
    shares_are_read_only_snapshots_with_limits,
    revoked_and_expired_shares_answer_404,
);

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/fixtures/compare/{name}")).unwrap()
}

/// A session holding the two-way fixtures; returns (session, baseline id, candidate id).
fn owner(api: &Api) -> (String, String, String) {
    let sid = api.new_session();
    let (status, body) = api.upload(
        &sid,
        &[
            ("before.prof", read("before_3.11.prof")),
            ("after.prof", read("after_3.11.prof")),
        ],
    );
    assert_eq!(status, 201, "{body}");
    let id = |i: usize| body["profiles"][i]["id"].as_str().unwrap().to_string();
    (sid, id(0), id(1))
}

/// An HTTP GET with no session at all: what a stranger with the link does.
fn get(url: &str) -> (u16, String, Option<String>) {
    let r = reqwest::blocking::get(url).unwrap();
    let cache = r
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string());
    (r.status().as_u16(), r.text().unwrap(), cache)
}

fn share_id(body: &Value) -> String {
    body["share"]["id"].as_str().unwrap().to_string()
}

fn shares_are_read_only_snapshots_with_limits(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let running = backend.start(&data, "max-shares-per-session = 2\n");
    let server = &running.server;
    let api = server.api();
    let (sid, a, b) = owner(&api);

    let query = format!("mode=two&a={a}&b={b}&sort=a.tottime");
    let (status, body) = api.post_json(
        &sid,
        "/shares",
        &json!({"baseline": a, "candidate": b, "query": query}),
    );
    assert_eq!(status, 201, "{body}");
    let id = share_id(&body);
    assert_eq!(id.len(), 32, "192 bits, base64url");
    assert!(
        id.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );
    assert_eq!(body["share"]["path"], format!("/s/{id}?{query}"));
    let expires = body["share"]["expires_ms"].as_i64().unwrap();
    let created = body["share"]["created_ms"].as_i64().unwrap();
    let week = expires - created;
    assert!(
        (7 * 86_400_000 - 1000..=7 * 86_400_000).contains(&week),
        "{week}"
    );

    // A stranger (no session) reads what it holds; the owner's session is not in it.
    let (status, text, _) = get(&format!("{}/shares/{id}", api.base));
    assert_eq!(status, 200, "{text}");
    assert!(!text.contains(&sid), "the share must not reveal its owner");
    let info: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(info["profiles"].as_array().unwrap().len(), 2);
    let (status, bytes) = api.get_bytes("", &format!("/shares/{id}/profiles/{a}/raw"));
    assert_eq!((status, bytes), (200, read("before_3.11.prof")));
    // The page opens (the app renders it), and no cache keeps it.
    let (status, html, cache) = get(&format!("{}/s/{id}?{query}", server.base));
    assert_eq!(status, 200);
    assert!(html.contains("<html"), "{html}");
    assert_eq!(cache.as_deref(), Some("no-store"));

    // A profile share opens the profile view.
    let (status, body) = api.post_json(&sid, "/shares", &json!({"profile": a}));
    assert_eq!(status, 201, "{body}");
    let profile_share = share_id(&body);
    assert_eq!(body["share"]["path"], format!("/s/{profile_share}"));
    assert_eq!(body["share"]["view"], json!({"kind": "profile", "id": a}));
    let (status, _) = api.get_bytes("", &format!("/shares/{profile_share}/profiles/{b}/raw"));
    assert_eq!(status, 404, "only the shared profile is readable");

    // Per-session limit, and bad requests change nothing.
    let (status, body) = api.post_json(&sid, "/shares", &json!({"profile": b}));
    assert_eq!(status, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("limit is 2"));
    let unknown = uuid::Uuid::new_v4().to_string();
    for (bad, want) in [
        (json!({}), 400),
        (json!({"profile": "nope"}), 400),
        (json!({"profile": unknown}), 404),
        (json!({"profile": a, "baseline": b}), 400),
        (json!({"baseline": a}), 400),
        (
            json!({"baseline": a, "candidate": b, "query": "a=1#x"}),
            400,
        ),
        (json!({"baseline": a, "candidate": b, "query": "a=\n"}), 400),
        (
            json!({"baseline": a, "candidate": b, "query": "q=".to_string() + &"x".repeat(4095)}),
            400,
        ),
        (json!({"baseline": a, "candidate": b, "colour": 1}), 400),
        (json!({"baseline": a, "candidate": unknown}), 404),
    ] {
        let (status, body) = api.post_json(&sid, "/shares", &bad);
        assert_eq!(status, want, "{bad}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }

    // Only the owner lists and revokes.
    let (status, mine) = api.get(&sid, "/shares");
    assert_eq!(status, 200);
    assert_eq!(mine["shares"].as_array().unwrap().len(), 2);
    let other = api.new_session();
    let (_, theirs) = api.get(&other, "/shares");
    assert_eq!(theirs["shares"], json!([]));
    assert_eq!(api.delete(&other, &format!("/shares/{id}")).0, 404);
    assert_eq!(get(&format!("{}/shares/{id}", api.base)).0, 200);

    // On the filesystem the snapshot is a hard link to the session's bytes.
    if backend == Backend::Filesystem {
        use std::os::unix::fs::MetadataExt;
        let shared = data.join("shares").join(&id).join(format!("{a}.prof"));
        let own = data.join("sessions").join(&sid).join(format!("{a}.prof"));
        assert_eq!(
            std::fs::metadata(&shared).unwrap().ino(),
            std::fs::metadata(&own).unwrap().ino()
        );
    }
    // The snapshot outlives the profile's deletion, and the owner's clear.
    assert_eq!(api.delete(&sid, &format!("/profiles/{a}")).0, 204);
    assert_eq!(api.post_json(&sid, "/clear", &json!({})).0, 200);
    let (status, bytes) = api.get_bytes("", &format!("/shares/{id}/profiles/{a}/raw"));
    assert_eq!((status, bytes), (200, read("before_3.11.prof")));
    assert_eq!(get(&format!("{}/shares/{profile_share}", api.base)).0, 200);
}

fn revoked_and_expired_shares_answer_404(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Shares live 2.6 s; the sweep runs every 0.6 s.
    let running = backend.start(
        &data,
        "share-ttl-days = 0.00003\ncleanup-interval-minutes = 0.01\n",
    );
    let server = &running.server;
    let api = server.api();
    let (sid, a, b) = owner(&api);
    let make = || {
        let (status, body) =
            api.post_json(&sid, "/shares", &json!({"baseline": a, "candidate": b}));
        assert_eq!(status, 201, "{body}");
        // Without a query the link carries the request.
        assert_eq!(
            body["share"]["path"],
            format!("/s/{}?mode=two&a={a}&b={b}", share_id(&body))
        );
        share_id(&body)
    };
    let gone = |id: &str| {
        let (status, text, _) = get(&format!("{}/shares/{id}", api.base));
        assert_eq!(status, 404, "{text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("revoked"),
            "{body}"
        );
        assert_eq!(get(&format!("{}/s/{id}", server.base)).0, 404);
        assert_eq!(
            api.get_bytes("", &format!("/shares/{id}/profiles/{a}/raw"))
                .0,
            404
        );
    };

    // Revoked: gone at once, everywhere; a second revoke is a 404.
    let revoked = make();
    let kept = make();
    assert_eq!(api.delete(&sid, &format!("/shares/{revoked}")).0, 204);
    gone(&revoked);
    assert_eq!(api.delete(&sid, &format!("/shares/{revoked}")).0, 404);
    assert_eq!(get(&format!("{}/shares/{kept}", api.base)).0, 200);
    let (_, mine) = api.get(&sid, "/shares");
    assert_eq!(mine["shares"].as_array().unwrap().len(), 1);

    // Malformed and unknown ids look the same as revoked ones.
    for bad in [
        "short",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "..%2F..%2Fsessions",
    ] {
        assert_eq!(get(&format!("{}/shares/{bad}", api.base)).0, 404, "{bad}");
        assert_eq!(get(&format!("{}/s/{bad}", server.base)).0, 404, "{bad}");
    }

    // Expired: 404 once its time is up, off the owner's list, and swept from storage.
    std::thread::sleep(Duration::from_millis(2800));
    gone(&kept);
    let (_, mine) = api.get(&sid, "/shares");
    assert_eq!(mine["shares"], json!([]));
    assert_eq!(api.delete(&sid, &format!("/shares/{kept}")).0, 404);
    if backend == Backend::Filesystem {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_dir(data.join("shares")).unwrap().count() > 0 {
            assert!(Instant::now() < deadline, "expired shares were not swept");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // The session itself is untouched by its shares' end.
    assert_eq!(api.list(&sid).len(), 2);
}
