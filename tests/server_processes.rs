//! Several server processes on one data directory, and crashes: the failures file
//! sessions are known for (lost updates, stale reads, data in the wrong session, partial
//! files) must not happen.
#![cfg(feature = "ssr")]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Api, SMALL, Server, assert_sessions_hold, check_listed, fixture};
use serde_json::Value;

#[test]
fn three_processes_share_one_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let servers: Vec<Server> = (0..3).map(|_| Server::start(&data, "")).collect();
    let apis: Vec<Api> = servers.iter().map(Server::api).collect();
    let sessions: Vec<String> = (0..30).map(|i| apis[i % 3].new_session()).collect();
    // What each session should hold at the end: uploads that got 201, minus deletes that
    // got 204, minus everything before a clear that got 200.
    let expected: Mutex<HashMap<String, HashSet<String>>> = Mutex::new(
        sessions
            .iter()
            .map(|s| (s.clone(), HashSet::new()))
            .collect(),
    );
    std::thread::scope(|scope| {
        for (i, sid) in sessions.iter().enumerate() {
            let apis = &apis;
            let expected = &expected;
            scope.spawn(move || {
                for round in 0..12 {
                    // Spread the operations of one session over all three processes.
                    let api = &apis[(i + round) % 3];
                    match round % 6 {
                        0..=2 => {
                            let f = SMALL[(i + round) % SMALL.len()];
                            let name = format!("{sid}:{f}");
                            let (status, body) = api.upload(sid, &[(&name, fixture(f))]);
                            assert_eq!(status, 201, "{body}");
                            let id = body["profiles"][0]["id"].as_str().unwrap().to_string();
                            expected.lock().unwrap().get_mut(sid).unwrap().insert(id);
                        }
                        3 => {
                            let list = api.list(sid);
                            for p in &list {
                                assert!(
                                    p["name"].as_str().unwrap().starts_with(sid.as_str()),
                                    "a profile in the wrong session"
                                );
                            }
                            check_listed(api, sid, &list, false);
                        }
                        4 => {
                            let list = api.list(sid);
                            if let Some(p) = list.first() {
                                let id = p["id"].as_str().unwrap();
                                let (status, _) = api.delete(sid, &format!("/profiles/{id}"));
                                assert_eq!(status, 204);
                                expected.lock().unwrap().get_mut(sid).unwrap().remove(id);
                            }
                        }
                        _ => {
                            if round == 11 && i % 4 == 0 {
                                let (status, _) =
                                    api.post_json(sid, "/clear", &serde_json::json!({}));
                                assert_eq!(status, 200);
                                expected.lock().unwrap().get_mut(sid).unwrap().clear();
                            }
                        }
                    }
                }
            });
        }
    });
    assert_sessions_hold(&apis, &expected.into_inner().unwrap());
}

#[test]
fn kill_9_during_uploads_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Server::start(&data, "");
    let api = server.api();
    let sid = api.new_session();
    let acknowledged: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (api, sid, acknowledged, stop) = (api.clone(), &sid, &acknowledged, &stop);
            scope.spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let f = SMALL[(t + i) % SMALL.len()];
                    i += 1;
                    let mut form = reqwest::blocking::multipart::Form::new();
                    let name = format!("{sid}:{f}");
                    form = form.part(
                        "file",
                        reqwest::blocking::multipart::Part::bytes(fixture(f)).file_name(name),
                    );
                    let Ok(r) = api
                        .client
                        .post(format!("{}/upload", api.base))
                        .header("X-Session-Id", sid)
                        .multipart(form)
                        .send()
                    else {
                        continue;
                    };
                    if r.status().as_u16() == 201 {
                        let body: Value = r.json().unwrap();
                        acknowledged
                            .lock()
                            .unwrap()
                            .push(body["profiles"][0]["id"].as_str().unwrap().to_string());
                    }
                }
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(700));
        server.kill();
        stop.store(true, Ordering::Relaxed);
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(
        acknowledged.len() > 5,
        "uploads were running when the server died"
    );
    server.restart();
    let api = server.api();
    let list = api.list(&sid);
    let listed: HashSet<&str> = list.iter().map(|p| p["id"].as_str().unwrap()).collect();
    for id in &acknowledged {
        assert!(
            listed.contains(id.as_str()),
            "acknowledged upload {id} lost"
        );
    }
    check_listed(&api, &sid, &list, true);
    for p in &list {
        let (status, _) = api.get(&sid, &format!("/profiles/{}", p["id"].as_str().unwrap()));
        assert_eq!(status, 200, "every listed profile parses");
    }
    // The dead process' staging files were removed at start-up; only the new one's remain.
    // (`staging/.lock` is the set-up lock, not a staging directory.)
    let staging: Vec<_> = std::fs::read_dir(data.join("staging"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_type().unwrap().is_dir())
        .collect();
    assert_eq!(staging.len(), 1);
}
