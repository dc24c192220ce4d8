//! The REST API end to end: the real binary on a loopback port with a temp data dir, on
//! each storage backend (the Redis runs start their own redis-server on a free port).
#![cfg(feature = "ssr")]

#[macro_use]
mod common;

use std::time::Duration;

use common::{Backend, SMALL, Server, fixture};
use serde_json::json;

const CONFIG: &str = "";

on_both_backends!(
    sessions_are_isolated,
    fifty_concurrent_uploads_into_one_session,
    upload_list_rows_raw_compare_delete_clear,
    bad_input_gets_clear_errors_and_stored_data_survives,
    quotas,
    debug_endpoint_lists_sessions,
    security_headers_and_health,
    merge_runs_stores_one_profile,
);

/// `POST /api/merge`: the pstats sum of three runs is a new profile of the session (listed,
/// downloadable, comparable, counted toward quotas); bad requests change nothing.
fn merge_runs_stores_one_profile(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let running = backend.start(&dir.path().join("data"), "max-profiles-per-session = 5\n");
    let server = &running.server;
    let api = server.api();
    let sid = api.new_session();
    let run = |i: u32| std::fs::read(format!("tests/fixtures/runs/a_{i}.prof")).unwrap();
    let (status, body) = api.upload(
        &sid,
        &[
            ("a_1.prof", run(1)),
            ("a_2.prof", run(2)),
            ("a_3.prof", run(3)),
        ],
    );
    assert_eq!(status, 201, "{body}");
    let ids: Vec<String> = body["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let (status, body) = api.post_json(&sid, "/merge", &json!({"profiles": ids}));
    assert_eq!(status, 201, "{body}");
    let merged = &body["profile"];
    assert_eq!(merged["name"], "merged-3-runs-a_1.prof");
    let mid = merged["id"].as_str().unwrap().to_string();
    assert_eq!(api.list(&sid).len(), 4);
    // The stored bytes are the pstats sum CPython writes (numbers to the bit).
    let (status, raw) = api.get_bytes(&sid, &format!("/profiles/{mid}/raw"));
    assert_eq!(status, 200);
    let oracle = std::fs::read("tests/fixtures/runs/merged_a_1_2_3.prof").unwrap();
    assert_eq!(
        profdiff::engine::Profile::parse(&raw).unwrap().functions(),
        profdiff::engine::Profile::parse(&oracle)
            .unwrap()
            .functions()
    );
    let (status, c) = api.post_json(
        &sid,
        "/compare",
        &json!({"baseline": ids[0], "candidate": mid}),
    );
    assert_eq!(status, 200, "{c}");
    let (status, body) = api.post_json(
        &sid,
        "/merge",
        &json!({"profiles": [ids[0], ids[1]], "name": "two.prof"}),
    );
    assert_eq!(
        (status, &body["profile"]["name"]),
        (201, &json!("two.prof")),
        "{body}"
    );
    // Bad requests: too few, twice, unknown, mixed producers, and past the quota.
    let sampled = std::fs::read("tests/fixtures/sampled/pyspy_before.txt").unwrap();
    let (status, body) = api.upload(&sid, &[("s.txt", sampled)]);
    assert_eq!(status, 409, "the session is full: {body}");
    assert_eq!(api.delete(&sid, &format!("/profiles/{mid}")).0, 204);
    let sampled = std::fs::read("tests/fixtures/sampled/pyspy_before.txt").unwrap();
    let (status, body) = api.upload(&sid, &[("s.txt", sampled)]);
    assert_eq!(status, 201, "{body}");
    let sid_sampled = body["profiles"][0]["id"].as_str().unwrap().to_string();
    for (bad, want) in [
        (json!({"profiles": [ids[0]]}), 400),
        (json!({"profiles": [ids[0], ids[0]]}), 400),
        (json!({"profiles": [ids[0], "nope"]}), 400),
        (
            json!({"profiles": [ids[0], uuid::Uuid::new_v4().to_string()]}),
            404,
        ),
        (json!({"profiles": [ids[0], sid_sampled]}), 422),
        (json!({"profiles": [ids[0], ids[1]], "extra": 1}), 400),
        (json!({"profiles": [ids[0], ids[1], ids[2]]}), 409),
    ] {
        let (status, body) = api.post_json(&sid, "/merge", &bad);
        assert_eq!(status, want, "{bad}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    assert_eq!(api.list(&sid).len(), 5, "nothing stored by a refused merge");
}

fn sessions_are_isolated(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let running = backend.start(&dir.path().join("data"), CONFIG);
    let server = &running.server;
    let api = server.api();
    let sessions: Vec<(String, &str)> = (0..20)
        .map(|i| (api.new_session(), SMALL[i % SMALL.len()]))
        .collect();
    std::thread::scope(|s| {
        for (sid, name) in &sessions {
            let api = api.clone();
            s.spawn(move || {
                let (status, body) = api.upload_fixture(sid, name);
                assert_eq!(status, 201, "{body}");
            });
        }
    });
    let mut ids = Vec::new();
    for (sid, name) in &sessions {
        let list = api.list(sid);
        assert_eq!(list.len(), 1, "each session lists exactly its own");
        assert_eq!(list[0]["name"], *name);
        ids.push(list[0]["id"].as_str().unwrap().to_string());
    }
    // Another session's profile id is a 404 everywhere.
    let (a, b) = (&sessions[0].0, &ids[1]);
    for path in [format!("/profiles/{b}"), format!("/profiles/{b}/raw")] {
        let (status, body) = api.get(a, &path);
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("profile not found")),
            "{path}"
        );
    }
    assert_eq!(api.delete(a, &format!("/profiles/{b}")).0, 404);
    let (status, _) = api.post_json(a, "/compare", &json!({"baseline": ids[0], "candidate": b}));
    assert_eq!(status, 404);
    assert_eq!(
        api.list(&sessions[1].0).len(),
        1,
        "nothing of session 1 was touched"
    );
}

fn fifty_concurrent_uploads_into_one_session(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let running = backend.start(&dir.path().join("data"), CONFIG);
    let server = &running.server;
    let api = server.api();
    let sid = api.new_session();
    std::thread::scope(|s| {
        for i in 0..50 {
            let (api, sid) = (api.clone(), sid.clone());
            s.spawn(move || {
                let name = SMALL[i % SMALL.len()];
                let (status, body) = api.upload(&sid, &[(&format!("{i}-{name}"), fixture(name))]);
                assert_eq!(status, 201, "{body}");
            });
        }
    });
    let list = api.list(&sid);
    assert_eq!(list.len(), 50);
    for p in &list {
        let (status, body) = api.get(
            &sid,
            &format!("/profiles/{}?limit=3", p["id"].as_str().unwrap()),
        );
        assert_eq!(status, 200, "{body}");
        assert!(body["rows"].as_array().unwrap().len() <= 3);
    }
    let (_, info) = api.get(&sid, "/session-info");
    assert_eq!(info["profiles"], 50);
}

fn upload_list_rows_raw_compare_delete_clear(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let running = backend.start(&dir.path().join("data"), CONFIG);
    let server = &running.server;
    let api = server.api();
    let sid = api.new_session();
    let before = std::fs::read("tests/fixtures/compare/before_3.11.prof").unwrap();
    let after = std::fs::read("tests/fixtures/compare/after_3.11.prof").unwrap();
    let (status, body) = api.upload(
        &sid,
        &[("before.prof", before.clone()), ("after.prof", after)],
    );
    assert_eq!(status, 201, "{body}");
    let profiles = body["profiles"].as_array().unwrap();
    assert_eq!(profiles[0]["producer"], "cProfile");
    assert_eq!(profiles[0]["functions"], 11);
    let (b, a) = (
        profiles[0]["id"].as_str().unwrap(),
        profiles[1]["id"].as_str().unwrap(),
    );
    // Rows: pstats sort keys, filter, limit.
    let (status, rows) = api.get(&sid, &format!("/profiles/{b}?sort=tottime&limit=2"));
    assert_eq!(status, 200);
    assert_eq!(rows["rows"][0]["name"], "improve");
    assert_eq!(rows["rows"].as_array().unwrap().len(), 2);
    let (_, rows) = api.get(&sid, &format!("/profiles/{b}?filter=shop.py.*re"));
    assert!(
        rows["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["display"].as_str().unwrap().contains("re"))
    );
    assert_eq!(
        api.get(&sid, &format!("/profiles/{b}?sort=cum")).0,
        400,
        "ambiguous key, as in pstats"
    );
    // Raw bytes as uploaded.
    assert_eq!(
        api.get_bytes(&sid, &format!("/profiles/{b}/raw")),
        (200, before)
    );
    // Compare: the JSON contract, and the runs and series forms.
    let (status, c) = api.post_json(&sid, "/compare", &json!({"baseline": b, "candidate": a}));
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["summary"]["counts"]["slower"], 1);
    assert_eq!(c["rows"][0]["function"]["name"], "regress");
    let (status, c) = api.post_json(
        &sid,
        "/compare",
        &json!({"baseline": b, "candidate": a, "metric": "cumtime", "normalize": true}),
    );
    assert_eq!(
        (status, &c["summary"]["normalized"], &c["summary"]["metric"]),
        (200, &json!(true), &json!("cumtime"))
    );
    // A third profile, so that runs and series have distinct profiles (one profile given
    // twice is refused: it would count as two runs).
    let after2 = std::fs::read("tests/fixtures/compare/runs_after_2.prof").unwrap();
    let (status, body) = api.upload(&sid, &[("after2.prof", after2)]);
    assert_eq!(status, 201, "{body}");
    let a2 = body["profiles"][0]["id"].as_str().unwrap().to_string();
    let (status, r) = api.post_json(
        &sid,
        "/compare",
        &json!({"baselines": [b], "candidates": [a, a2]}),
    );
    assert_eq!((status, &r["summary"]["candidate_runs"]), (200, &json!(2)));
    assert_eq!(r["summary"]["test"]["alpha"], json!(0.05));
    assert!(r["rows"][0]["q_value"].is_number() && r["rows"][0]["p_value"].is_number());
    let (status, r) = api.post_json(
        &sid,
        "/compare",
        &json!({"baselines": [b], "candidates": [a, a2], "alpha": 0.5}),
    );
    assert_eq!((status, &r["summary"]["test"]["alpha"]), (200, &json!(0.5)));
    let (status, m) = api.post_json(&sid, "/compare", &json!({"series": [b, a, a2]}));
    assert_eq!((status, m["profiles"].as_array().unwrap().len()), (200, 3));
    let (status, body) = api.post_json(
        &sid,
        "/compare",
        &json!({"baselines": [b], "candidates": [a, a]}),
    );
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("given twice"),
        "{body}"
    );
    assert_eq!(api.delete(&sid, &format!("/profiles/{a2}")).0, 204);
    for bad in [
        json!({"baseline": b}),
        json!({"series": [b]}),
        json!({"baseline": b, "candidate": a, "metric": "wall"}),
        json!({"baseline": b, "candidate": "nope"}),
        json!({"baseline": b, "candidate": a, "extra": 1}),
        json!({"baselines": [b], "candidates": [a], "alpha": 0}),
        json!({"baselines": [b], "candidates": [a], "alpha": 1}),
        json!({"baselines": [b], "candidates": [a], "alpha": -0.5}),
        json!({"baselines": [b], "candidates": [a], "alpha": "0.05"}),
    ] {
        let (status, body) = api.post_json(&sid, "/compare", &bad);
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"].is_string());
    }
    // Delete one, then clear.
    assert_eq!(api.delete(&sid, &format!("/profiles/{b}")).0, 204);
    assert_eq!(api.delete(&sid, &format!("/profiles/{b}")).0, 404);
    assert_eq!(api.list(&sid).len(), 1);
    let (status, body) = api.post_json(&sid, "/clear", &json!({}));
    assert_eq!((status, &body["deleted"]), (200, &json!(1)));
    assert!(api.list(&sid).is_empty());
    let (status, info) = api.get(&sid, "/session-info");
    assert_eq!(
        (status, &info["profiles"], &info["storage"]),
        (200, &json!(0), &json!(backend.name())),
        "the session stays"
    );
}

fn bad_input_gets_clear_errors_and_stored_data_survives(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let running = backend.start(&dir.path().join("data"), "max-upload-mb = 1\n");
    let server = &running.server;
    let api = server.api();
    let sid = api.new_session();
    assert_eq!(api.upload_fixture(&sid, "cprofile_3.11.prof").0, 201);
    let good = fixture("cprofile_3.11.prof");
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "empty.prof",
            vec![],
            422,
            "empty.prof: not a Python profile dump: empty file",
        ),
        (
            "random.prof",
            vec![0x47, 0x13, 0x99, 0x01, 0xff],
            422,
            "random.prof: not a Python profile dump: unknown marshal type 0x47 at byte 0",
        ),
        (
            "gnu1.gprof.txt",
            std::fs::read("tests/fixtures/gprof2dot_gnu1.gprof.txt").unwrap(),
            422,
            "text file",
        ),
        ("truncated.prof", truncated, 422, "truncated at byte"),
        (
            "list.prof",
            b"[\x00\x00\x00\x00".to_vec(),
            422,
            "marshal data is a list, expected a dict of functions",
        ),
        (
            "big.prof",
            vec![b'{'; (1 << 20) + 10],
            413,
            "larger than the 1 MB upload limit",
        ),
    ];
    for (name, bytes, status, message) in cases {
        let (got, body) = api.upload(&sid, &[(name, bytes)]);
        assert_eq!(got, status, "{name}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(message),
            "{name}: {body}"
        );
    }
    // All or nothing: a good file and a bad one store nothing.
    let (status, _) = api.upload(
        &sid,
        &[("ok.prof", good.clone()), ("bad.prof", b"nope".to_vec())],
    );
    assert_eq!(status, 422);
    // Headers and ids.
    let no_header = api
        .client
        .get(format!("{}/profiles", api.base))
        .send()
        .unwrap();
    assert_eq!(no_header.status().as_u16(), 400);
    for (header, status) in [
        ("not-a-uuid", 400),
        ("../../etc/passwd", 400),
        ("0F8FAD5B-D9CB-469F-A165-70867728950E", 400),
        ("0f8fad5b-d9cb-469f-a165-70867728950e", 404),
    ] {
        let (got, body) = api.get(header, "/profiles");
        assert_eq!(got, status, "{header}: {body}");
        assert!(body["error"].is_string());
    }
    let (got, body) = api.get("0f8fad5b-d9cb-469f-a165-70867728950e", "/session-info");
    assert_eq!(
        (got, body["error"].as_str()),
        (404, Some("session not found or expired"))
    );
    for path in [
        "/profiles/..%2F..%2Fetc",
        "/profiles/x",
        "/profiles/..",
        "/profiles/%2e%2e/raw",
    ] {
        let (got, _) = api.get(&sid, path);
        assert!(got == 400 || got == 404, "{path}: {got}");
    }
    let (got, body) = api.upload(&sid, &[]);
    assert_eq!(got, 400, "{body}");
    // No error body leaks paths.
    let (_, body) = api.get(&sid, "/profiles/0f8fad5b-d9cb-469f-a165-70867728950e");
    assert!(!body.to_string().contains(server.data_dir.to_str().unwrap()));
    // What was stored before is untouched and still parses.
    let list = api.list(&sid);
    assert_eq!(list.len(), 1);
    let (status, _) = api.get(
        &sid,
        &format!("/profiles/{}", list[0]["id"].as_str().unwrap()),
    );
    assert_eq!(status, 200);
}

fn quotas(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let running = backend.start(&dir.path().join("data"), "max-profiles-per-session = 3\n");
    let server = &running.server;
    let api = server.api();
    let sid = api.new_session();
    let small = fixture("gprof2dot_print1.pstats");
    assert_eq!(
        api.upload(&sid, &[("a", small.clone()), ("b", small.clone())])
            .0,
        201
    );
    let (status, body) = api.upload(&sid, &[("c", small.clone()), ("d", small.clone())]);
    assert_eq!(status, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("limit is 3"));
    assert_eq!(api.list(&sid).len(), 2, "all or nothing");
    assert_eq!(api.upload(&sid, &[("c", small)]).0, 201);
}

#[test]
fn persistence_across_restart_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Server::start(&data, CONFIG);
    let api = server.api();
    let sid = api.new_session();
    assert_eq!(api.upload_fixture(&sid, "yappi.prof").0, 201);
    server.stop();
    server.restart();
    let list = server.api().list(&sid);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["producer"], "yappi");
    drop(server);

    // A 2-second TTL, swept every 0.3 s: the session and its files go.
    let server = Server::start(
        &data,
        "session-ttl-hours = 0.00055\ncleanup-interval-minutes = 0.005\n",
    );
    let api = server.api();
    let short = api.new_session();
    assert_eq!(api.upload_fixture(&short, "cprofile_3.11.prof").0, 201);
    let session_dir = data.join("sessions").join(&short);
    assert!(session_dir.exists());
    std::thread::sleep(Duration::from_millis(3500));
    let (status, body) = api.get(&short, "/profiles");
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("session not found or expired"))
    );
    assert!(!session_dir.exists(), "expired session files are deleted");
}

#[test]
fn debug_endpoint_is_off_by_default_and_needs_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let off = Server::start(&dir.path().join("a"), CONFIG);
    let r = reqwest::blocking::get(format!("{}/api/debug/all-sessions", off.base)).unwrap();
    assert_eq!(r.status().as_u16(), 404);
    drop(off);

    // Debug on without a token refuses to start.
    let config = dir.path().join("debug.toml");
    std::fs::write(&config, "debug-endpoints = true\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("PROFDIFF_DATA_DIR", dir.path().join("b"))
        .env(
            "PROFDIFF_SITE_ADDR",
            format!("127.0.0.1:{}", common::free_port()),
        )
        .env_remove("PROFDIFF_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PROFDIFF_ADMIN_TOKEN"));
}

fn debug_endpoint_lists_sessions(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let running = backend.start_with_env(
        &dir.path().join("c"),
        "debug-endpoints = true\n",
        &[("PROFDIFF_ADMIN_TOKEN", "s3cret")],
    );
    let on = &running.server;
    let api = on.api();
    let sid = api.new_session();
    assert_eq!(api.upload_fixture(&sid, "yappi.prof").0, 201);
    let url = format!("{}/api/debug/all-sessions", on.base);
    let client = reqwest::blocking::Client::new();
    assert_eq!(client.get(&url).send().unwrap().status().as_u16(), 401);
    assert_eq!(
        client
            .get(&url)
            .bearer_auth("wrong")
            .send()
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let body: serde_json::Value = client
        .get(&url)
        .bearer_auth("s3cret")
        .send()
        .unwrap()
        .json()
        .unwrap();
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        sessions[0]["session"].as_str().unwrap(),
        &sid[..8],
        "ids shortened to 8 characters"
    );
    assert_eq!(sessions[0]["profiles"], 1);
    assert!(sessions[0]["bytes"].as_u64().unwrap() > 0);
    assert!(!body.to_string().contains(&sid), "full ids never shown");
}

fn security_headers_and_health(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let running = backend.start(&dir.path().join("data"), CONFIG);
    let server = &running.server;
    for path in ["/", "/api/health"] {
        let r = reqwest::blocking::get(format!("{}{path}", server.base)).unwrap();
        let h = r.headers();
        assert!(
            h.get("content-security-policy")
                .unwrap()
                .to_str()
                .unwrap()
                .contains("default-src 'self'")
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
    }
    let health: serde_json::Value = reqwest::blocking::get(format!("{}/api/health", server.base))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["storage"], backend.name());

    // Responses are gzipped for clients that ask (browsers do), and only for them.
    let client = reqwest::blocking::Client::new();
    let api = server.api();
    let sid = api.new_session();
    api.upload_fixture(&sid, SMALL[0]);
    let url = format!("{}/api/profiles", server.base);
    let plain = client
        .get(&url)
        .header("x-session-id", &sid)
        .send()
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().unwrap();
    let gzipped = client
        .get(&url)
        .header("x-session-id", &sid)
        .header("accept-encoding", "gzip")
        .send()
        .unwrap();
    assert_eq!(gzipped.headers().get("content-encoding").unwrap(), "gzip");
    let gzipped = gzipped.bytes().unwrap();
    assert_eq!(&gzipped[..2], &[0x1f, 0x8b], "a gzip stream");
    assert_ne!(gzipped, plain);
}
