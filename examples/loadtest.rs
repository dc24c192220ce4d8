//! Load test of a running profdiff server: N concurrent clients (default 16), one phase
//! each for upload, list and compare, reporting requests/s and p50/p99 latency.
//! Not a test (it asserts nothing about speed); `make loadtest` starts a release server
//! and runs this against it. Record the numbers in docs/BENCHMARKS.md.
//!
//!     cargo run --release --example loadtest -- http://127.0.0.1:3000 [CLIENTS] [SECONDS]

use std::time::{Duration, Instant};

use reqwest::blocking::{Client, multipart};
use serde_json::{Value, json};

fn session(client: &Client, api: &str) -> String {
    let body: Value = client
        .post(format!("{api}/session"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    body["session_id"].as_str().unwrap().to_string()
}

fn upload(client: &Client, api: &str, sid: &str, name: &str, bytes: &[u8]) -> (u16, Value) {
    let form = multipart::Form::new().part(
        "file",
        multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
    );
    let r = client
        .post(format!("{api}/upload"))
        .header("X-Session-Id", sid)
        .multipart(form)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

/// Runs `op` from `clients` threads for `secs` seconds; prints throughput and latency.
fn phase(label: &str, clients: usize, secs: f64, op: impl Fn(usize, &Client) -> bool + Sync) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let results: Vec<(Vec<Duration>, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let op = &op;
                s.spawn(move || {
                    let client = Client::builder()
                        .timeout(Duration::from_secs(60))
                        .build()
                        .unwrap();
                    let (mut lat, mut errors) = (Vec::new(), 0);
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        if op(c, &client) {
                            lat.push(t.elapsed());
                        } else {
                            errors += 1;
                        }
                    }
                    (lat, errors)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let errors: usize = results.iter().map(|r| r.1).sum();
    let mut all: Vec<Duration> = results.into_iter().flat_map(|r| r.0).collect();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{label:<28} {:>8.1} req/s   p50 {:>8.2} ms   p99 {:>8.2} ms   ({} requests, {errors} errors)",
        all.len() as f64 / secs,
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        all.len()
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let clients: usize = args
        .next()
        .map_or(16, |n| n.parse().expect("CLIENTS is a number"));
    let secs: f64 = args
        .next()
        .map_or(10.0, |n| n.parse().expect("SECONDS is a number"));
    let api = format!("{base}/api");
    let client = Client::new();
    let small = std::fs::read("tests/fixtures/pstats/dumps/cprofile_3.11.prof").unwrap();
    let before = std::fs::read("tests/fixtures/pstats/dumps/dataviewer_before.prof").unwrap();
    let after = std::fs::read("tests/fixtures/pstats/dumps/dataviewer_after.prof").unwrap();
    let health: Value = client
        .get(format!("{api}/health"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    println!(
        "profdiff load test: {clients} clients, {secs} s per phase, storage {}",
        health["storage"]
    );

    // One session per client for uploads, and one per client with a compare pair and a
    // few more profiles for list and compare.
    let upload_sessions: Vec<String> = (0..clients).map(|_| session(&client, &api)).collect();
    let work: Vec<(String, String, String)> = (0..clients)
        .map(|_| {
            let sid = session(&client, &api);
            let (_, b) = upload(&client, &api, &sid, "before.prof", &before);
            let (_, a) = upload(&client, &api, &sid, "after.prof", &after);
            for i in 0..8 {
                upload(&client, &api, &sid, &format!("extra{i}.prof"), &small);
            }
            let id = |v: &Value| {
                v["profiles"][0]["id"]
                    .as_str()
                    .expect("setup upload stored")
                    .to_string()
            };
            (sid, id(&b), id(&a))
        })
        .collect();

    phase(
        &format!("upload ({} KB dump)", small.len() / 1024),
        clients,
        secs,
        |c, cl| upload(cl, &api, &upload_sessions[c], "load.prof", &small).0 == 201,
    );
    phase("list (10 profiles)", clients, secs, |c, cl| {
        cl.get(format!("{api}/profiles"))
            .header("X-Session-Id", &work[c].0)
            .send()
            .is_ok_and(|r| r.status().is_success())
    });
    phase("compare (5,635 functions)", clients, secs, |c, cl| {
        let (sid, b, a) = &work[c];
        cl.post(format!("{api}/compare"))
            .header("X-Session-Id", sid)
            .json(&json!({"baseline": b, "candidate": a}))
            .send()
            .is_ok_and(|r| r.status().is_success() && r.bytes().is_ok())
    });
}
