//! The Redis backend: several instances on one Redis, keys with TTLs, Redis going away.
//! (The general API suite runs against Redis too: tests/server_api.rs.)
#![cfg(feature = "ssr")]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use common::{Api, RedisServer, SMALL, Server, assert_sessions_hold, fixture};

fn redis_config(redis: &RedisServer, extra: &str) -> String {
    format!(
        "storage = \"redis\"\nredis-url = \"{}\"\n{extra}",
        redis.url()
    )
}

#[test]
fn two_instances_share_every_session() {
    let redis = RedisServer::start(false);
    let dir = tempfile::tempdir().unwrap();
    let a = Server::start(&dir.path().join("a"), &redis_config(&redis, ""));
    let b = Server::start(&dir.path().join("b"), &redis_config(&redis, ""));
    let apis: [Api; 2] = [a.api(), b.api()];
    // A session created on A is used on B.
    let sid = apis[0].new_session();
    assert_eq!(apis[1].upload_fixture(&sid, "yappi.prof").0, 201);
    assert_eq!(apis[0].list(&sid).len(), 1);

    let sessions: Vec<String> = (0..30).map(|i| apis[i % 2].new_session()).collect();
    let stored: Mutex<HashMap<String, HashSet<String>>> = Mutex::new(HashMap::new());
    std::thread::scope(|s| {
        for (i, sid) in sessions.iter().enumerate() {
            let (apis, stored) = (&apis, &stored);
            s.spawn(move || {
                for round in 0..4 {
                    let f = SMALL[(i + round) % SMALL.len()];
                    let (status, body) =
                        apis[(i + round) % 2].upload(sid, &[(&format!("{sid}:{f}"), fixture(f))]);
                    assert_eq!(status, 201, "{body}");
                    let id = body["profiles"][0]["id"].as_str().unwrap().to_string();
                    stored
                        .lock()
                        .unwrap()
                        .entry(sid.clone())
                        .or_default()
                        .insert(id);
                }
            });
        }
    });
    assert_sessions_hold(&apis, &stored.into_inner().unwrap());
}

#[test]
fn keys_carry_the_session_ttl_and_expire() {
    let redis = RedisServer::start(false);
    let dir = tempfile::tempdir().unwrap();
    // A 2-second TTL.
    let server = Server::start(
        &dir.path().join("a"),
        &redis_config(&redis, "session-ttl-hours = 0.00055\n"),
    );
    let api = server.api();
    let sid = api.new_session();
    assert_eq!(api.upload_fixture(&sid, "cprofile_3.11.prof").0, 201);
    let keys: Vec<String> = redis
        .cli(&["--scan", "--pattern", "profdiff:*"])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        keys.len(),
        4,
        "session, profile list, bytes and the sessions index: {keys:?}"
    );
    assert!(keys.contains(&"profdiff:sessions".to_string()));
    for key in &keys {
        let ttl: i64 = redis.cli(&["PTTL", key]).trim().parse().unwrap();
        assert!(ttl > 0 && ttl <= 1980, "{key} has TTL {ttl} ms");
    }
    // Use refreshes them; idleness expires them.
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(api.list(&sid).len(), 1);
    let ttl: i64 = redis
        .cli(&["PTTL", &format!("profdiff:s:{sid}")])
        .trim()
        .parse()
        .unwrap();
    assert!(ttl > 1000, "refreshed on use: {ttl}");
    std::thread::sleep(Duration::from_millis(2500));
    let (status, body) = api.get(&sid, "/profiles");
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("session not found or expired"))
    );
    assert_eq!(
        redis.cli(&["DBSIZE"]).trim(),
        "0",
        "Redis removed every key"
    );
}

#[test]
fn redis_restart_fails_cleanly_then_recovers_without_loss() {
    let mut redis = RedisServer::start(true);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("a"), &redis_config(&redis, ""));
    let api = server.api();
    let sid = api.new_session();
    assert_eq!(api.upload_fixture(&sid, "yappi.prof").0, 201);
    redis.stop();
    let (status, body) = api.get(&sid, "/profiles");
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("storage is unavailable"),
        "{body}"
    );
    let health = reqwest::blocking::get(format!("{}/api/health", server.base)).unwrap();
    assert_eq!(health.status().as_u16(), 503);
    redis.restart();
    // The connection manager reconnects by itself.
    let mut recovered = false;
    for _ in 0..50 {
        if api.get(&sid, "/profiles").0 == 200 {
            recovered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(recovered, "requests succeed again once Redis is back");
    let list = api.list(&sid);
    assert_eq!(
        list.len(),
        1,
        "no stored profile lost (Redis persistence on)"
    );
    let (status, _) = api.get(
        &sid,
        &format!("/profiles/{}", list[0]["id"].as_str().unwrap()),
    );
    assert_eq!(status, 200);
    let health: serde_json::Value = reqwest::blocking::get(format!("{}/api/health", server.base))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        (health["status"].as_str(), health["storage"].as_str()),
        (Some("ok"), Some("redis"))
    );
}

#[test]
fn unreachable_redis_stops_the_server_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    let port = common::free_port();
    std::fs::write(
        &config,
        format!("storage = \"redis\"\nredis-url = \"redis://127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(["serve", "--config"])
        .arg(&config)
        .env(
            "PROFDIFF_SITE_ADDR",
            format!("127.0.0.1:{}", common::free_port()),
        )
        .env("PROFDIFF_DATA_DIR", dir.path().join("d"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach Redis at redis://127.0.0.1:"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
