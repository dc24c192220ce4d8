//! Runs the real `profdiff` binary on a free loopback port with a temporary data directory,
//! and talks to it over HTTP.
#![allow(dead_code)]

pub mod cli;
pub mod crafted;

/// Each listed test runs once per backend: `filesystem::name` and `redis::name` (the test
/// file declares `#[macro_use] mod common;` and imports `common::Backend`).
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod filesystem {
            $( #[test] fn $name() { super::$name(super::Backend::Filesystem) } )*
        }
        mod redis {
            $( #[test] fn $name() { super::$name(super::Backend::Redis) } )*
        }
    };
}

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, multipart};
use serde_json::Value;

pub const FIXTURES: &str = "tests/fixtures/pstats/dumps";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub data_dir: PathBuf,
    config: PathBuf,
    port: u16,
    env: Vec<(String, String)>,
}

impl Server {
    /// Starts a server; `config` is Leptos.toml text (data-dir and site-addr are set here).
    pub fn start(data_dir: &Path, config: &str) -> Server {
        Self::start_with_env(data_dir, config, &[])
    }

    pub fn start_with_env(data_dir: &Path, config: &str, env: &[(&str, &str)]) -> Server {
        let config_path = data_dir.with_extension(format!("{}.toml", free_port()));
        std::fs::write(&config_path, config).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let port = free_port();
        let mut s = Server {
            child: spawn(data_dir, &config_path, port, &env),
            base: format!("http://127.0.0.1:{port}"),
            data_dir: data_dir.to_path_buf(),
            config: config_path,
            port,
            env,
        };
        s.wait_healthy();
        s
    }

    fn wait_healthy(&mut self) {
        let client = Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/api/health", self.base)).send()
                && r.status().is_success()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("server exited early: {status}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server at {} did not become healthy", self.base);
    }

    /// SIGTERM (graceful) and wait.
    pub fn stop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }

    /// SIGKILL: a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts again on the same port, data dir and configuration.
    pub fn restart(&mut self) {
        self.child = spawn(&self.data_dir, &self.config, self.port, &self.env);
        self.wait_healthy();
    }

    pub fn api(&self) -> Api {
        Api {
            base: format!("{}/api", self.base),
            client: Client::new(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.config);
    }
}

fn spawn(data_dir: &Path, config: &Path, port: u16, env: &[(String, String)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_profdiff"));
    cmd.arg("serve")
        .arg("--config")
        .arg(config)
        .env("PROFDIFF_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("PROFDIFF_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// A thin client: every call returns (status, JSON body or Null).
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: Client,
}

pub type Reply = (u16, Value);

fn reply(r: reqwest::Result<reqwest::blocking::Response>) -> Reply {
    let r = r.expect("request sent");
    let status = r.status().as_u16();
    let text = r.text().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

impl Api {
    pub fn new_session(&self) -> String {
        let (status, body) = reply(self.client.post(format!("{}/session", self.base)).send());
        assert_eq!(status, 201, "{body}");
        body["session_id"].as_str().unwrap().to_string()
    }

    pub fn get(&self, session: &str, path: &str) -> Reply {
        reply(
            self.client
                .get(format!("{}{path}", self.base))
                .header("X-Session-Id", session)
                .send(),
        )
    }

    pub fn get_bytes(&self, session: &str, path: &str) -> (u16, Vec<u8>) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("X-Session-Id", session)
            .send()
            .unwrap();
        (r.status().as_u16(), r.bytes().unwrap().to_vec())
    }

    pub fn post_json(&self, session: &str, path: &str, body: &Value) -> Reply {
        reply(
            self.client
                .post(format!("{}{path}", self.base))
                .header("X-Session-Id", session)
                .json(body)
                .send(),
        )
    }

    pub fn delete(&self, session: &str, path: &str) -> Reply {
        reply(
            self.client
                .delete(format!("{}{path}", self.base))
                .header("X-Session-Id", session)
                .send(),
        )
    }

    /// Uploads files given as (name, bytes).
    pub fn upload(&self, session: &str, files: &[(&str, Vec<u8>)]) -> Reply {
        let mut form = multipart::Form::new();
        for (name, bytes) in files {
            form = form.part(
                "file",
                multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        reply(
            self.client
                .post(format!("{}/upload", self.base))
                .header("X-Session-Id", session)
                .multipart(form)
                .send(),
        )
    }

    /// As [`Api::upload`], but `None` when no answer came (the server died).
    pub fn try_upload(&self, session: &str, files: &[(&str, Vec<u8>)]) -> Option<Reply> {
        let mut form = multipart::Form::new();
        for (name, bytes) in files {
            form = form.part(
                "file",
                multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        let r = self
            .client
            .post(format!("{}/upload", self.base))
            .header("X-Session-Id", session)
            .multipart(form)
            .send()
            .ok()?;
        let status = r.status().as_u16();
        Some((status, r.json().unwrap_or(Value::Null)))
    }

    pub fn upload_fixture(&self, session: &str, name: &str) -> Reply {
        self.upload(session, &[(name, fixture(name))])
    }

    /// Profile ids listed for the session.
    pub fn list(&self, session: &str) -> Vec<Value> {
        let (status, body) = self.get(session, "/profiles");
        assert_eq!(status, 200, "{body}");
        body["profiles"].as_array().unwrap().clone()
    }
}

/// Every listed profile must be complete: its rows load and its raw bytes are exactly one
/// of the fixtures that was uploaded under that name.
/// With `strict`, nothing may vanish between listing and reading (no concurrent deletes).
pub fn check_listed(api: &Api, sid: &str, list: &[Value], strict: bool) {
    for p in list {
        let id = p["id"].as_str().unwrap();
        let name = p["name"].as_str().unwrap();
        let fixture_name = name.split_once(':').map_or(name, |(_, f)| f);
        let (status, bytes) = api.get_bytes(sid, &format!("/profiles/{id}/raw"));
        // A concurrent delete or clear may remove it after the listing.
        if status == 404 && !strict {
            continue;
        }
        assert_eq!(status, 200);
        assert_eq!(bytes, fixture(fixture_name), "{name}: complete bytes");
    }
}

/// After concurrent traffic has stopped: every session lists exactly the expected profile
/// ids, seen from every instance, each named after its session (uploads are named
/// `<session>:<fixture>`) and complete. Catches lost updates and cross-session mix-ups.
pub fn assert_sessions_hold(
    apis: &[Api],
    expected: &std::collections::HashMap<String, std::collections::HashSet<String>>,
) {
    for (sid, ids) in expected {
        for api in apis {
            let list = api.list(sid);
            let listed: std::collections::HashSet<String> = list
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(
                &listed, ids,
                "session {sid}: no lost and no extra profiles, seen from every instance"
            );
            for p in &list {
                assert!(
                    p["name"].as_str().unwrap().starts_with(sid.as_str()),
                    "a profile in the wrong session"
                );
            }
            check_listed(api, sid, &list, true);
        }
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURES).join(name)).unwrap()
}

/// Small dumps of different producers, for uploads.
pub const SMALL: &[&str] = &[
    "cprofile_3.11.prof",
    "cprofile_3.8.prof",
    "cprofile_2.7.prof",
    "profile_3.11.prof",
    "yappi.prof",
    "pyinstrument.prof",
    "unicode_3.12.prof",
    "gprof2dot_print1.pstats",
    "pstatsview_fast.stats",
    "merged_3.11.prof",
];

/// A real `redis-server` on a free loopback port, in its own directory.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
    persist: bool,
}

impl RedisServer {
    /// With `persist`, every write is appended to an fsync'ed log, so a restart loses nothing.
    pub fn start(persist: bool) -> RedisServer {
        let mut r = RedisServer {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            persist,
        };
        r.spawn();
        r
    }

    fn spawn(&mut self) {
        let bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("redis-server is not installed (make test installs it: apt-get install redis-server)");
        let child = Command::new(bin)
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args([
                "--appendonly",
                if self.persist { "yes" } else { "no" },
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.cli(&["PING"]).trim() == "PONG" {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `redis-cli` output for one command.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output();
        out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// SIGTERM: Redis flushes its log and exits.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let _ = c.wait();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Which storage a test server uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Filesystem,
    Redis,
}

/// A server, and the Redis it uses (if any).
pub struct Running {
    pub server: Server,
    pub redis: Option<RedisServer>,
}

impl Backend {
    /// Starts a server on this backend; `config` is extra Leptos.toml text.
    pub fn start(self, dir: &Path, config: &str) -> Running {
        self.start_with_env(dir, config, &[])
    }

    pub fn start_with_env(self, dir: &Path, config: &str, env: &[(&str, &str)]) -> Running {
        match self {
            Backend::Filesystem => Running {
                server: Server::start_with_env(dir, config, env),
                redis: None,
            },
            Backend::Redis => {
                let redis = RedisServer::start(false);
                let config = format!(
                    "{config}\nstorage = \"redis\"\nredis-url = \"{}\"\n",
                    redis.url()
                );
                Running {
                    server: Server::start_with_env(dir, &config, env),
                    redis: Some(redis),
                }
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Filesystem => "filesystem",
            Backend::Redis => "redis",
        }
    }
}
