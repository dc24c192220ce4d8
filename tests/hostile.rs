//! Hostile requests against the real server binary on loopback: each attack of the
//! resource-bounds issue, with the status and message it must get, in bounded time, with the
//! server's memory (peak RSS from /proc/<pid>/status) bounded, a normal client served
//! meanwhile, and what was stored before left intact. Both storage backends where storage
//! matters. Peak RSS and timings are printed (`HOSTILE:` lines) for docs/BENCHMARKS.md.
#![cfg(feature = "ssr")]

#[macro_use]
mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Api, Backend, RedisServer, Server, crafted, fixture};
use serde_json::{Value, json};

/// A field of /proc/<pid>/status in MB (`VmRSS` now, `VmHWM` the peak so far).
fn proc_mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// A session holding one known profile, to check that attacks damage nothing stored.
struct Canary {
    sid: String,
    id: String,
    bytes: Vec<u8>,
}

impl Canary {
    fn plant(api: &Api) -> Canary {
        let sid = api.new_session();
        let bytes = fixture("cprofile_3.11.prof");
        let (status, body) = api.upload(&sid, &[("canary.prof", bytes.clone())]);
        assert_eq!(status, 201, "{body}");
        let id = body["profiles"][0]["id"].as_str().unwrap().to_string();
        Canary { sid, id, bytes }
    }

    /// Still listed, same bytes, still parses.
    fn check(&self, api: &Api) {
        let list = api.list(&self.sid);
        assert_eq!(list.len(), 1, "the canary is listed");
        assert_eq!(
            api.get_bytes(&self.sid, &format!("/profiles/{}/raw", self.id)),
            (200, self.bytes.clone())
        );
        let (status, body) = api.get(&self.sid, &format!("/profiles/{}?limit=1", self.id));
        assert_eq!(status, 200, "{body}");
    }
}

/// Runs `attack` while a normal client keeps asking for health and the canary's list;
/// returns the attack's result and the slowest normal answer.
fn while_served<T: Send>(
    api: &Api,
    canary: &Canary,
    attack: impl FnOnce() -> T + Send,
) -> (T, Duration) {
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let normal = s.spawn(|| {
            let client = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap();
            let mut slowest = Duration::ZERO;
            let mut served = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) || served < 2 {
                let t = Instant::now();
                let r = client
                    .get(format!("{}/profiles", api.base))
                    .header("X-Session-Id", &canary.sid)
                    .send()
                    .expect("a normal client is served during the attack");
                assert_eq!(r.status().as_u16(), 200);
                slowest = slowest.max(t.elapsed());
                served += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            slowest
        });
        let result = attack();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (result, normal.join().unwrap())
    })
}

fn assert_error(reply: &(u16, Value), status: u16, needle: &str) {
    assert_eq!(reply.0, status, "{}", reply.1);
    let msg = reply.1["error"].as_str().unwrap_or_default();
    assert!(msg.contains(needle), "{msg:?} should mention {needle:?}");
}

on_both_backends!(
    crafted_dumps_are_refused_in_bounded_memory,
    odd_numbers_are_refused_and_nothing_is_invisible,
    session_cap,
);

fn crafted_dumps_are_refused_in_bounded_memory(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let running = backend.start(&dir.path().join("data"), "");
    let server = &running.server;
    let api = server.api();
    let canary = Canary::plant(&api);
    let pid = server.child.id();
    let before = proc_mb(pid, "VmRSS");
    let sid = api.new_session();
    let attacks: [(&str, Vec<u8>, &str); 3] = [
        // 206 KB describing 10 million caller edges (the 773 MB).
        (
            "shared_callers_2000x5000.prof",
            crafted::shared_callers(2000, 5000),
            "caller edges",
        ),
        // 2 MB describing a billion edges (the server killer).
        (
            "shared_callers_20000x50000.prof",
            crafted::shared_callers(20_000, 50_000),
            "too large to read",
        ),
        // 1,000 keys naming one code object with a 1 MiB file name.
        (
            "shared_code_name.prof",
            crafted::shared_code_name(1000, 1 << 20),
            "function names add up",
        ),
    ];
    for (name, bytes, needle) in attacks {
        let t = Instant::now();
        let (reply, slowest) = while_served(&api, &canary, || api.upload(&sid, &[(name, bytes)]));
        let took = t.elapsed();
        assert_error(&reply, 422, needle);
        assert!(
            reply.1["error"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{name}: profile too large to read")),
            "{}",
            reply.1
        );
        let peak = proc_mb(pid, "VmHWM");
        println!(
            "HOSTILE: {} upload {name}: 422 in {took:?}; server RSS {before:.0} MB before, peak {peak:.0} MB; slowest normal request {slowest:?}",
            backend.name()
        );
        assert!(took < Duration::from_secs(10), "bounded time: {took:?}");
        assert!(
            peak < before + 160.0,
            "bounded memory: peak {peak:.0} MB from {before:.0} MB"
        );
    }
    assert!(api.list(&sid).is_empty(), "nothing refused was stored");
    canary.check(&api);
}

fn odd_numbers_are_refused_and_nothing_is_invisible(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let running = backend.start(&dir.path().join("data"), "");
    let api = running.server.api();
    let canary = Canary::plant(&api);
    let sid = api.new_session();
    let reply = api.upload(&sid, &[("nan.prof", crafted::non_finite_times())]);
    assert_error(
        &reply,
        422,
        "app.py:1(nan_fn): its times are not finite numbers",
    );
    let reply = api.upload(&sid, &[("huge.prof", crafted::huge_counts())]);
    assert_error(&reply, 422, "beyond 2^53");
    // In one upload with a good file: all or nothing.
    let reply = api.upload(
        &sid,
        &[
            ("good.prof", fixture("cprofile_3.11.prof")),
            ("nan.prof", crafted::non_finite_times()),
        ],
    );
    assert_error(&reply, 422, "nan.prof");
    assert!(api.list(&sid).is_empty());
    let (status, body) = api.post_json(&sid, "/clear", &json!({}));
    assert_eq!((status, &body["deleted"]), (200, &json!(0)));
    canary.check(&api);
}

fn session_cap(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let running = backend.start(&dir.path().join("data"), "max-sessions = 3\n");
    let api = running.server.api();
    for _ in 0..3 {
        api.new_session();
    }
    let r = api
        .client
        .post(format!("{}/session", api.base))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.headers().get("retry-after").is_some());
    let body: Value = r.json().unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("max-sessions"),
        "{body}"
    );
}

#[test]
fn request_limits_name_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), "max-profiles-per-compare = 5\n");
    let api = server.api();
    let canary = Canary::plant(&api);
    let sid = &canary.sid;
    let id = canary.id.as_str();
    // 20,000 baseline and candidate ids of one profile: refused before anything is loaded.
    let many: Vec<&str> = vec![id; 20_000];
    let t = Instant::now();
    let reply = api.post_json(
        sid,
        "/compare",
        &json!({"baselines": many, "candidates": many}),
    );
    assert_error(
        &reply,
        400,
        "at most 5 per comparison (max-profiles-per-compare)",
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    let reply = api.post_json(sid, "/compare", &json!({"series": [id, id]}));
    assert_error(&reply, 400, "given twice");
    let reply = api.post_json(
        sid,
        "/compare",
        &json!({"baseline": id, "candidate": id, "min_ms": 1e300}),
    );
    assert_error(&reply, 400, "min_ms must be a number from 0 to");
    // Sort keys: each at most once, so a query cannot name a thousand.
    let keys = vec!["tottime"; 1000].join(",");
    let reply = api.get(sid, &format!("/profiles/{id}?sort={keys}"));
    assert_error(&reply, 400, "given twice");
    let reply = api.get(sid, &format!("/profiles/{id}?filter={}", "a".repeat(5000)));
    assert_error(&reply, 400, "max-pattern-bytes");
    // A short pattern that compiles to a huge automaton.
    let reply = api.get(
        sid,
        &format!("/profiles/{id}?filter=%5Cw%7B1000%7D%7B1000%7D"),
    );
    assert_error(&reply, 400, "invalid filter");
    let reply = api.get(
        sid,
        &format!("/profiles/{id}?limit=99999999999999999999999"),
    );
    assert_error(&reply, 400, "invalid query");
    let reply = api.get(sid, &format!("/profiles/{id}?limit=-1"));
    assert_error(&reply, 400, "limit must be 0 or more");
    let reply = api.get(sid, "/profiles/not-an-id");
    assert_error(&reply, 400, "invalid profile id");
    canary.check(&api);
}

#[test]
fn one_name_at_many_lines_compares_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), "");
    let api = server.api();
    let sid = api.new_session();
    let (status, body) = api.upload(
        &sid,
        &[
            ("a.prof", crafted::one_name_many_lines(20_000, 0)),
            ("b.prof", crafted::one_name_many_lines(20_000, 1)),
        ],
    );
    assert_eq!(status, 201, "{body}");
    let (a, b) = (
        body["profiles"][0]["id"].as_str().unwrap(),
        body["profiles"][1]["id"].as_str().unwrap(),
    );
    let t = Instant::now();
    let (status, c) = api.post_json(&sid, "/compare", &json!({"baseline": a, "candidate": b}));
    let took = t.elapsed();
    assert_eq!(status, 200);
    assert_eq!(c["rows"].as_array().unwrap().len(), 20_000);
    assert_eq!(c["summary"]["counts"]["new"], 0);
    println!("HOSTILE: compare of two 20,000-function one-name profiles: {took:?} (debug build)");
    // Quadratic matching took minutes here; a generous bound for a debug build.
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// A raw connection that sends `bytes` and stops.
fn stalled(addr: &str, bytes: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(bytes).unwrap();
    s
}

/// Whether the server closed `s` (read returns end of stream or a reset).
fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // an error answer, then the close
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
}

#[test]
fn stalled_connections_are_closed_and_do_not_block_others() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), "header-timeout-seconds = 2\n");
    let api = server.api();
    let canary = Canary::plant(&api);
    let addr = server.base.trim_start_matches("http://").to_string();
    let pid = server.child.id();
    // 1,000 connections that send half a request head and wait.
    let mut conns: Vec<TcpStream> = (0..1000)
        .map(|_| stalled(&addr, b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: "))
        .collect();
    let ((), slowest) = while_served(&api, &canary, || {
        std::thread::sleep(Duration::from_millis(500));
    });
    println!(
        "HOSTILE: 1,000 stalled connections: slowest normal request {slowest:?}; server RSS {:.0} MB",
        proc_mb(pid, "VmRSS")
    );
    assert!(slowest < Duration::from_secs(2), "{slowest:?}");
    std::thread::sleep(Duration::from_millis(3000));
    let open = conns
        .iter_mut()
        .map(closed_by_server)
        .filter(|closed| !closed)
        .count();
    assert_eq!(open, 0, "the server closed every stalled connection");
    canary.check(&api);
}

#[test]
fn connections_past_the_cap_get_503_and_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), "max-connections = 20\n");
    let addr = server.base.trim_start_matches("http://").to_string();
    // Fill the cap with idle keep-alive connections (each sent one full request).
    let mut held = Vec::new();
    for _ in 0..20 {
        let mut s = stalled(&addr, b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 2048];
        let n = s.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        held.push(s);
    }
    let mut extra = TcpStream::connect(&addr).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = String::new();
    let _ = extra.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("max-connections"), "{answer}");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let r = reqwest::blocking::get(format!("{}/api/health", server.base)).unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "served again once connections closed"
    );
}

#[test]
fn stalled_upload_bodies_time_out_and_huge_part_headers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        "body-idle-timeout-seconds = 1\nmax-multipart-header-kb = 4\n",
    );
    let api = server.api();
    let canary = Canary::plant(&api);
    let addr = server.base.trim_start_matches("http://").to_string();
    let sid = api.new_session();
    // Half a file, then silence.
    let head = format!(
        "POST /api/upload HTTP/1.1\r\nHost: x\r\nX-Session-Id: {sid}\r\n\
         Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 100000\r\n\r\n\
         --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.prof\"\r\n\r\n{}",
        "x".repeat(1000)
    );
    let mut s = stalled(&addr, head.as_bytes());
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let t = Instant::now();
    let mut answer = vec![0u8; 4096];
    let n = s.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body-idle-timeout-seconds"), "{answer}");
    assert!(t.elapsed() < Duration::from_secs(5));
    // A part header of 100 KB: refused at 4 KiB, not buffered.
    let part = format!(
        "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.prof\"\r\nX-Pad: {}\r\n\r\ndata\r\n--B--\r\n",
        "p".repeat(100_000)
    );
    let r = api
        .client
        .post(format!("{}/upload", api.base))
        .header("X-Session-Id", &sid)
        .header("content-type", "multipart/form-data; boundary=B")
        .body(part)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().unwrap_or_default();
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("max-multipart-header-kb"),
        "{body}"
    );
    assert!(api.list(&sid).is_empty());
    canary.check(&api);
}

#[test]
fn queued_work_is_bounded_and_health_stays_fast() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        "cpu-workers = 1\nmax-queued-jobs = 4\ncache-mb = 1\ncomparison-cache-mb = 1\n",
    );
    let api = server.api();
    let sid = api.new_session();
    let (status, body) = api.upload(
        &sid,
        &[
            ("a.prof", crafted::one_name_many_lines(20_000, 0)),
            ("b.prof", crafted::one_name_many_lines(20_000, 1)),
        ],
    );
    assert_eq!(status, 201, "{body}");
    let (a, b) = (
        body["profiles"][0]["id"].as_str().unwrap().to_string(),
        body["profiles"][1]["id"].as_str().unwrap().to_string(),
    );
    // 40 compares at once (the caches are too small to keep the profiles: each re-parses).
    let (statuses, slowest_health) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..40)
            .map(|i| {
                let (api, sid, a, b) = (api.clone(), sid.clone(), a.clone(), b.clone());
                s.spawn(move || {
                    let r = api
                        .client
                        .post(format!("{}/compare", api.base))
                        .header("X-Session-Id", &sid)
                        .json(&json!({"baseline": a, "candidate": b, "min_ms": i as f64 / 100.0}))
                        .send()
                        .unwrap();
                    let status = r.status().as_u16();
                    if status == 503 {
                        assert!(r.headers().get("retry-after").is_some());
                        let body: Value = r.json().unwrap();
                        assert!(
                            body["error"].as_str().unwrap().contains("max-queued-jobs"),
                            "{body}"
                        );
                    }
                    status
                })
            })
            .collect();
        let mut slowest = Duration::ZERO;
        for _ in 0..20 {
            let t = Instant::now();
            let r = reqwest::blocking::get(format!("{}/api/health", server.base)).unwrap();
            assert_eq!(r.status().as_u16(), 200);
            slowest = slowest.max(t.elapsed());
            std::thread::sleep(Duration::from_millis(25));
        }
        let statuses: Vec<u16> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        (statuses, slowest)
    });
    let busy = statuses.iter().filter(|&&s| s == 503).count();
    let ok = statuses.iter().filter(|&&s| s == 200).count();
    println!(
        "HOSTILE: 40 concurrent compares on 1 worker, queue 4: {ok} answered, {busy} got 503; slowest health {slowest_health:?}"
    );
    assert_eq!(ok + busy, 40, "{statuses:?}");
    assert!(busy > 0 && ok > 0, "{statuses:?}");
    assert!(
        slowest_health < Duration::from_millis(500),
        "{slowest_health:?}"
    );
}

#[test]
fn work_for_a_client_that_left_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        "cpu-workers = 1\ncache-mb = 1\ncomparison-cache-mb = 1\n",
    );
    let api = server.api();
    let sid = api.new_session();
    let (status, body) = api.upload(
        &sid,
        &[
            ("a.prof", crafted::one_name_many_lines(40_000, 0)),
            ("b.prof", crafted::one_name_many_lines(40_000, 1)),
        ],
    );
    assert_eq!(status, 201, "{body}");
    let (a, b) = (
        body["profiles"][0]["id"].as_str().unwrap().to_string(),
        body["profiles"][1]["id"].as_str().unwrap().to_string(),
    );
    let addr = server.base.trim_start_matches("http://").to_string();
    let request = |min_ms: f64| {
        let body = json!({"baseline": a, "candidate": b, "min_ms": min_ms}).to_string();
        format!(
            "POST /api/compare HTTP/1.1\r\nHost: x\r\nX-Session-Id: {sid}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let jobs = |field: &str| -> u64 {
        let h: Value = reqwest::blocking::get(format!("{}/api/health", server.base))
            .unwrap()
            .json()
            .unwrap();
        h["jobs"][field].as_u64().unwrap()
    };
    // Five clients ask for expensive comparisons and hang up at once.
    for i in 0..5 {
        let s = stalled(&addr, request(i as f64).as_bytes());
        drop(s);
    }
    // Within a moment nothing is running or waiting: the queued work was dropped with its
    // clients (each would take seconds: two 40,000-function parses and a compare).
    let deadline = Instant::now() + Duration::from_secs(10);
    while (jobs("running") > 0 || jobs("waiting") > 0) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!((jobs("running"), jobs("waiting")), (0, 0));
    // And the server still works.
    let (status, _) = api.post_json(&sid, "/compare", &json!({"baseline": a, "candidate": b}));
    assert_eq!(status, 200);
}

/// A small tmpfs as data dir (needs root to mount; skipped with a note otherwise).
struct SmallDisk {
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(mb: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("cannot mount a tmpfs here (not root?): skipping the full-disk test");
            return None;
        }
        Some(SmallDisk { path, _dir: dir })
    }

    fn remount(&self, opts: &str) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.path)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

#[test]
fn a_full_or_read_only_disk_refuses_writes_with_507_and_keeps_reads() {
    let Some(disk) = SmallDisk::mount(3) else {
        return;
    };
    let server = Server::start(&disk.path.join("data"), "min-free-disk-mb = 0\n");
    let api = server.api();
    let canary = Canary::plant(&api);
    let sid = api.new_session();
    // Fill the disk.
    let big = fixture("dataviewer_before.prof");
    let mut last = (0, Value::Null);
    for i in 0..10 {
        last = api.upload(&sid, &[(&format!("{i}.prof"), big.clone())]);
        if last.0 != 201 {
            break;
        }
    }
    assert_error(&last, 507, "disk is full");
    canary.check(&api);
    let (status, _) = api.post_json(
        &canary.sid,
        "/compare",
        &json!({"baseline": canary.id, "candidate": canary.id}),
    );
    assert_eq!(status, 200, "reads and comparisons still work");
    // Read-only: reads (and the session touch they make) still work; writes answer 507.
    disk.remount("ro");
    canary.check(&api);
    let reply = api.upload(&canary.sid, &[("x.prof", fixture("yappi.prof"))]);
    assert_eq!(reply.0, 507, "{}", reply.1);
    let r = api
        .client
        .post(format!("{}/session", api.base))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 507);
    disk.remount("rw");
    assert_eq!(api.upload_fixture(&canary.sid, "yappi.prof").0, 201);
}

#[test]
fn redis_at_maxmemory_refuses_writes_with_507_and_keeps_reads() {
    let redis = RedisServer::start(false);
    redis.cli(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        &format!("storage = \"redis\"\nredis-url = \"{}\"\n", redis.url()),
    );
    let api = server.api();
    let canary = Canary::plant(&api);
    // Redis over its maxmemory: it refuses every write.
    redis.cli(&["CONFIG", "SET", "maxmemory", "1"]);
    let big = fixture("dataviewer_before.prof");
    let reply = api.upload(&canary.sid, &[("big.prof", big)]);
    assert_error(&reply, 507, "Redis");
    let r = api
        .client
        .post(format!("{}/session", api.base))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 507, "a new session is a write too");
    // Reads (each refreshes the session: a write Redis now refuses) keep working.
    canary.check(&api);
    let (status, _) = api.post_json(
        &canary.sid,
        "/compare",
        &json!({"baseline": canary.id, "candidate": canary.id}),
    );
    assert_eq!(status, 200);
    redis.cli(&["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(api.upload_fixture(&canary.sid, "yappi.prof").0, 201);
}

/// Every directory under `root` is 0700 and every file 0600.
fn assert_private(root: &Path) {
    for entry in std::fs::read_dir(root).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        if entry.file_type().unwrap().is_dir() {
            assert_eq!(mode, 0o700, "{}", entry.path().display());
            assert_private(&entry.path());
        } else {
            assert_eq!(mode, 0o600, "{}", entry.path().display());
        }
    }
}

#[test]
fn data_is_private_to_the_server_user() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    // An existing world-readable data dir is tightened at start.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = Server::start(&data, "");
    let api = server.api();
    let sid = api.new_session();
    assert_eq!(api.upload_fixture(&sid, "yappi.prof").0, 201);
    assert_eq!(api.post_json(&sid, "/clear", &json!({})).0, 200);
    assert_eq!(api.upload_fixture(&sid, "cprofile_3.8.prof").0, 201);
    assert_private(&data);
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn multi_file_uploads_are_all_or_nothing_across_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Server::start(
        &data,
        "max-profiles-per-session = 100000\nmax-session-mb = 100000\n",
    );
    let sid = server.api().new_session();
    let files: Vec<&str> = vec![
        "cprofile_3.11.prof",
        "yappi.prof",
        "cprofile_3.8.prof",
        "profile_3.11.prof",
        "pyinstrument.prof",
    ];
    for round in 0..6 {
        let api = server.api();
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            for t in 0..4 {
                let (api, sid, stop, files) = (api.clone(), sid.clone(), &stop, &files);
                s.spawn(move || {
                    let mut i = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let batch = format!("r{round}t{t}i{i}");
                        i += 1;
                        let parts: Vec<(String, Vec<u8>)> = files
                            .iter()
                            .map(|f| (format!("{batch}:{f}"), fixture(f)))
                            .collect();
                        let parts: Vec<(&str, Vec<u8>)> =
                            parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
                        // The server dies under some of these: no answer is fine.
                        let _ = api.try_upload(&sid, &parts);
                    }
                });
            }
            std::thread::sleep(Duration::from_millis(300 + 97 * round));
            server.kill();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        server.restart();
        let list = server.api().list(&sid);
        let mut per_batch: std::collections::HashMap<String, usize> = Default::default();
        for p in list.iter().filter(|p| p["name"] != "yappi.prof") {
            let name = p["name"].as_str().unwrap();
            *per_batch
                .entry(name.split(':').next().unwrap().to_string())
                .or_default() += 1;
        }
        for (batch, n) in &per_batch {
            assert_eq!(*n, files.len(), "upload {batch}: all files or none");
        }
        // Bytes a killed commit moved in but never listed are removed at the next change.
        let (status, body) = server.api().upload_fixture(&sid, "yappi.prof");
        assert_eq!(status, 201, "{body}");
        let listed = server.api().list(&sid).len();
        let dir = data.join("sessions").join(&sid);
        let profs = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_str()
                    .unwrap()
                    .ends_with(".prof")
            })
            .count();
        assert_eq!(profs, listed, "no unlisted bytes stay");
    }
}

#[test]
fn processes_starting_together_keep_their_staging() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // Start six at once on one data dir; every one must then take uploads.
    let servers: Vec<Server> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let data = data.clone();
                s.spawn(move || Server::start(&data, ""))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for server in &servers {
        let api = server.api();
        let sid = api.new_session();
        let (status, body) = api.upload_fixture(&sid, "yappi.prof");
        assert_eq!(status, 201, "{body}");
    }
}

#[test]
fn sigterm_finishes_in_flight_work_within_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&dir.path().join("data"), "shutdown-grace-seconds = 2\n");
    let api = server.api();
    let canary = Canary::plant(&api);
    let addr = server.base.trim_start_matches("http://").to_string();
    // An upload that never finishes sending: it holds the shutdown up to the deadline.
    let head = format!(
        "POST /api/upload HTTP/1.1\r\nHost: x\r\nX-Session-Id: {}\r\n\
         Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 100000\r\n\r\n--B\r\n",
        canary.sid
    );
    let _slow = stalled(&addr, head.as_bytes());
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    let status = server.child.wait().unwrap();
    let took = t.elapsed();
    println!("HOSTILE: SIGTERM with a stalled upload: exited in {took:?} (grace 2 s)");
    assert!(status.success(), "{status}");
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(6),
        "{took:?}"
    );
    server.restart();
    canary.check(&server.api());
}
