//! Runtime configuration: `Leptos.toml` at the project root, each key overridable by an
//! environment variable `PROFDIFF_<KEY>` (upper snake case, e.g. `PROFDIFF_DATA_DIR`).
//!
//! Why strict: a typo in a key (`max-upload-md`) silently falling back to a default is the
//! kind of mistake that costs an afternoon, so unknown keys and bad values stop the server
//! with one line naming the key. cargo-leptos' build settings live in Cargo.toml's
//! `[package.metadata.leptos]`; nothing here repeats them.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the configuration file is looked for when neither `--config` nor
/// `PROFDIFF_CONFIG` names one.
pub const DEFAULT_PATH: &str = "Leptos.toml";

/// Which storage backend keeps sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageKind {
    Filesystem,
    Redis,
}

impl fmt::Display for StorageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StorageKind::Filesystem => "filesystem",
            StorageKind::Redis => "redis",
        })
    }
}

/// The server's settings. Every field has a key of the same name in kebab case.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Address and port the server binds (`site-addr`).
    pub site_addr: SocketAddr,
    /// Directory for session files (`data-dir`), relative to the working directory.
    pub data_dir: PathBuf,
    /// A session expires this long after its last use (fractions allowed).
    pub session_ttl_hours: f64,
    /// How often expired sessions are swept (fractions allowed).
    pub cleanup_interval_minutes: f64,
    /// Largest accepted upload (one file).
    pub max_upload_mb: u64,
    /// Most profiles one session may hold.
    pub max_profiles_per_session: u64,
    /// Most bytes of uploads one session may hold.
    pub max_session_mb: u64,
    /// Uploads are refused (507) when free disk space would fall under this.
    pub min_free_disk_mb: u64,
    /// Memory for parsed profiles kept between requests (LRU).
    pub cache_mb: u64,
    pub storage: StorageKind,
    pub redis_url: String,
    /// Enables `/api/debug/*` (which then also needs `PROFDIFF_ADMIN_TOKEN`).
    pub debug_endpoints: bool,
    /// Memory for computed comparisons kept between requests (LRU): the diff table's
    /// edges and exports reuse them.
    pub comparison_cache_mb: u64,
    /// Most sessions alive at once (503 beyond).
    pub max_sessions: u64,
    /// Most profiles one runs comparison may name per side, or a matrix in all.
    pub max_profiles_per_compare: u64,
    /// Longest filter pattern (regular expression) a request may send, in bytes.
    pub max_pattern_bytes: u64,
    /// Threads for CPU-heavy work (parsing, comparing, exports); 0: one per core.
    pub cpu_workers: u64,
    /// Jobs that may wait for a worker; beyond, requests get 503 with `Retry-After`.
    pub max_queued_jobs: u64,
    /// Most open connections; beyond, new ones get 503 and are closed.
    pub max_connections: u64,
    /// A client must send its request head within this many seconds.
    pub header_timeout_seconds: f64,
    /// An upload body may pause this long between chunks.
    pub body_idle_timeout_seconds: f64,
    /// Any request but an upload must be answered within this many seconds.
    pub request_timeout_seconds: f64,
    /// On SIGTERM, in-flight requests get this long to finish.
    pub shutdown_grace_seconds: f64,
    /// Largest multipart preamble or part header block, in KiB.
    pub max_multipart_header_kb: u64,
    /// A share link works this long after it is made (fractions allowed).
    pub share_ttl_days: f64,
    /// Most live share links one session may have.
    pub max_shares_per_session: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            site_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("data"),
            session_ttl_hours: 24.0,
            cleanup_interval_minutes: 10.0,
            max_upload_mb: 32,
            max_profiles_per_session: 100,
            max_session_mb: 512,
            min_free_disk_mb: 256,
            cache_mb: 256,
            storage: StorageKind::Filesystem,
            redis_url: "redis://127.0.0.1:6379".into(),
            debug_endpoints: false,
            comparison_cache_mb: 128,
            max_sessions: 10_000,
            max_profiles_per_compare: 20,
            max_pattern_bytes: 1000,
            cpu_workers: 0,
            max_queued_jobs: 64,
            max_connections: 4096,
            header_timeout_seconds: 30.0,
            body_idle_timeout_seconds: 30.0,
            request_timeout_seconds: 120.0,
            shutdown_grace_seconds: 30.0,
            max_multipart_header_kb: 16,
            share_ttl_days: 7.0,
            max_shares_per_session: 20,
        }
    }
}

impl Config {
    /// The CPU worker count in effect (`cpu-workers`, or one per core).
    pub fn workers(&self) -> usize {
        match self.cpu_workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n as usize,
        }
    }
}

/// A configuration problem, always naming the key (or file) at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("config file {path} is not valid TOML: {reason}")]
    Syntax { path: String, reason: String },
    #[error("unknown key `{key}` in {source_name} (known keys: {})", KEYS.join(", "))]
    UnknownKey { key: String, source_name: String },
    #[error("bad value for `{key}` in {source_name}: {reason}")]
    BadValue {
        key: String,
        source_name: String,
        reason: String,
    },
}

/// Every key, in the order the README documents them.
pub const KEYS: &[&str] = &[
    "site-addr",
    "data-dir",
    "session-ttl-hours",
    "cleanup-interval-minutes",
    "max-upload-mb",
    "max-profiles-per-session",
    "max-session-mb",
    "min-free-disk-mb",
    "cache-mb",
    "storage",
    "redis-url",
    "debug-endpoints",
    "comparison-cache-mb",
    "max-sessions",
    "max-profiles-per-compare",
    "max-pattern-bytes",
    "cpu-workers",
    "max-queued-jobs",
    "max-connections",
    "header-timeout-seconds",
    "body-idle-timeout-seconds",
    "request-timeout-seconds",
    "shutdown-grace-seconds",
    "max-multipart-header-kb",
    "share-ttl-days",
    "max-shares-per-session",
];

/// The environment variable that overrides `key`.
pub fn env_name(key: &str) -> String {
    format!("PROFDIFF_{}", key.to_ascii_uppercase().replace('-', "_"))
}

/// A value as it came: from TOML (typed) or from the environment (always text).
enum Raw<'a> {
    Toml(&'a toml::Value),
    Env(&'a str),
}

impl Raw<'_> {
    fn text(&self) -> Result<String, String> {
        match self {
            Raw::Toml(toml::Value::String(s)) => Ok(s.clone()),
            Raw::Env(s) => Ok(s.to_string()),
            Raw::Toml(other) => Err(format!("expected a string, got {other}")),
        }
    }

    fn positive(&self) -> Result<u64, String> {
        let n = match self {
            Raw::Toml(toml::Value::Integer(i)) => *i,
            Raw::Env(s) => s
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("expected a positive integer, got {s:?}"))?,
            Raw::Toml(other) => return Err(format!("expected a positive integer, got {other}")),
        };
        u64::try_from(n)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("expected a positive integer, got {n}"))
    }

    fn positive_number(&self) -> Result<f64, String> {
        let x = match self {
            Raw::Toml(toml::Value::Integer(i)) => *i as f64,
            Raw::Toml(toml::Value::Float(f)) => *f,
            Raw::Env(s) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("expected a positive number, got {s:?}"))?,
            Raw::Toml(other) => return Err(format!("expected a positive number, got {other}")),
        };
        if x.is_finite() && x > 0.0 {
            Ok(x)
        } else {
            Err(format!("expected a positive number, got {x}"))
        }
    }

    fn non_negative(&self) -> Result<u64, String> {
        let n = match self {
            Raw::Toml(toml::Value::Integer(i)) => *i,
            Raw::Env(s) => s
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("expected an integer of 0 or more, got {s:?}"))?,
            Raw::Toml(other) => {
                return Err(format!("expected an integer of 0 or more, got {other}"));
            }
        };
        u64::try_from(n).map_err(|_| format!("expected an integer of 0 or more, got {n}"))
    }

    fn boolean(&self) -> Result<bool, String> {
        match self {
            Raw::Toml(toml::Value::Boolean(b)) => Ok(*b),
            Raw::Env(s) => match s.trim() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                other => Err(format!("expected true or false, got {other:?}")),
            },
            Raw::Toml(other) => Err(format!("expected true or false, got {other}")),
        }
    }
}

impl Config {
    /// Loads `path` (or the default file; a missing *default* file means all defaults),
    /// then applies `PROFDIFF_*` overrides from `env`.
    pub fn load(
        path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let explicit = path
            .map(Path::to_path_buf)
            .or_else(|| env("PROFDIFF_CONFIG").map(PathBuf::from));
        let path = explicit
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_PATH));
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                String::new()
            }
            Err(e) => {
                return Err(ConfigError::Read {
                    path: shown,
                    reason: e.to_string(),
                });
            }
        };
        Config::from_toml(&text, &shown, env)
    }

    /// Parses configuration text (`source_name` is used in messages).
    pub fn from_toml(
        text: &str,
        source_name: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path: source_name.to_string(),
                    reason: e.message().to_string(),
                })?;
        let mut config = Config::default();
        for (key, value) in &table {
            if !KEYS.contains(&key.as_str()) {
                return Err(ConfigError::UnknownKey {
                    key: key.clone(),
                    source_name: source_name.to_string(),
                });
            }
            config.set(key, Raw::Toml(value), source_name)?;
        }
        for key in KEYS {
            let name = env_name(key);
            if let Some(value) = env(&name) {
                config.set(
                    key,
                    Raw::Env(&value),
                    &format!("environment variable {name}"),
                )?;
            }
        }
        Ok(config)
    }

    fn set(&mut self, key: &str, raw: Raw<'_>, source_name: &str) -> Result<(), ConfigError> {
        let bad = |reason: String| ConfigError::BadValue {
            key: key.to_string(),
            source_name: source_name.to_string(),
            reason,
        };
        match key {
            "site-addr" => {
                let text = raw.text().map_err(bad)?;
                self.site_addr = text.parse().map_err(|_| {
                    bad(format!(
                        "expected an address like \"127.0.0.1:3000\", got {text:?}"
                    ))
                })?;
            }
            "data-dir" => {
                let text = raw.text().map_err(bad)?;
                if text.trim().is_empty() {
                    return Err(bad("expected a directory path, got an empty string".into()));
                }
                self.data_dir = PathBuf::from(text);
            }
            "session-ttl-hours" => self.session_ttl_hours = raw.positive_number().map_err(bad)?,
            "cleanup-interval-minutes" => {
                self.cleanup_interval_minutes = raw.positive_number().map_err(bad)?
            }
            "max-upload-mb" => self.max_upload_mb = raw.positive().map_err(bad)?,
            "max-profiles-per-session" => {
                self.max_profiles_per_session = raw.positive().map_err(bad)?
            }
            "max-session-mb" => self.max_session_mb = raw.positive().map_err(bad)?,
            "min-free-disk-mb" => self.min_free_disk_mb = raw.non_negative().map_err(bad)?,
            "cache-mb" => self.cache_mb = raw.positive().map_err(bad)?,
            "storage" => {
                self.storage = match raw.text().map_err(bad)?.as_str() {
                    "filesystem" => StorageKind::Filesystem,
                    "redis" => StorageKind::Redis,
                    other => {
                        return Err(bad(format!(
                            "expected \"filesystem\" or \"redis\", got {other:?}"
                        )));
                    }
                }
            }
            "redis-url" => {
                let text = raw.text().map_err(bad)?;
                if !(text.starts_with("redis://") || text.starts_with("rediss://")) {
                    return Err(bad(format!("expected a redis:// URL, got {text:?}")));
                }
                self.redis_url = text;
            }
            "debug-endpoints" => self.debug_endpoints = raw.boolean().map_err(bad)?,
            "comparison-cache-mb" => self.comparison_cache_mb = raw.positive().map_err(bad)?,
            "max-sessions" => self.max_sessions = raw.positive().map_err(bad)?,
            "max-profiles-per-compare" => {
                self.max_profiles_per_compare = raw.positive().map_err(bad)?;
                if self.max_profiles_per_compare < 2 {
                    return Err(bad("expected 2 or more (a matrix needs two)".into()));
                }
            }
            "max-pattern-bytes" => self.max_pattern_bytes = raw.positive().map_err(bad)?,
            "cpu-workers" => self.cpu_workers = raw.non_negative().map_err(bad)?,
            "max-queued-jobs" => self.max_queued_jobs = raw.non_negative().map_err(bad)?,
            "max-connections" => self.max_connections = raw.positive().map_err(bad)?,
            "header-timeout-seconds" => {
                self.header_timeout_seconds = raw.positive_number().map_err(bad)?
            }
            "body-idle-timeout-seconds" => {
                self.body_idle_timeout_seconds = raw.positive_number().map_err(bad)?
            }
            "request-timeout-seconds" => {
                self.request_timeout_seconds = raw.positive_number().map_err(bad)?
            }
            "shutdown-grace-seconds" => {
                self.shutdown_grace_seconds = raw.positive_number().map_err(bad)?
            }
            "share-ttl-days" => self.share_ttl_days = raw.positive_number().map_err(bad)?,
            "max-shares-per-session" => {
                self.max_shares_per_session = raw.positive().map_err(bad)?
            }
            "max-multipart-header-kb" => {
                self.max_multipart_header_kb = raw.positive().map_err(bad)?
            }
            _ => unreachable!("keys are checked against KEYS before set() is called"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_shipped_file_is_valid_and_matches_the_defaults() {
        let text = std::fs::read_to_string("Leptos.toml").unwrap();
        assert_eq!(
            Config::from_toml(&text, "Leptos.toml", no_env).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn file_values_then_environment_overrides() {
        let text = "site-addr = \"0.0.0.0:8080\"\ndata-dir = \"/srv/pd\"\nsession-ttl-hours = 0.5\nstorage = \"redis\"\ndebug-endpoints = true\n";
        let env = |k: &str| match k {
            "PROFDIFF_DATA_DIR" => Some("/tmp/override".to_string()),
            "PROFDIFF_MAX_UPLOAD_MB" => Some("7".to_string()),
            "PROFDIFF_DEBUG_ENDPOINTS" => Some("false".to_string()),
            _ => None,
        };
        let c = Config::from_toml(text, "test.toml", env).unwrap();
        assert_eq!(c.site_addr, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(c.data_dir, PathBuf::from("/tmp/override"));
        assert_eq!(c.max_upload_mb, 7);
        assert_eq!(c.session_ttl_hours, 0.5);
        assert_eq!(c.storage, StorageKind::Redis);
        assert!(!c.debug_endpoints, "the environment wins");
    }

    #[test]
    fn errors_name_the_key() {
        let err = |text: &str, env: &dyn Fn(&str) -> Option<String>| {
            Config::from_toml(text, "Leptos.toml", env)
                .unwrap_err()
                .to_string()
        };
        let e = err("max-upload-md = 3", &no_env);
        assert!(
            e.starts_with("unknown key `max-upload-md` in Leptos.toml"),
            "{e}"
        );
        let e = err("max-upload-mb = \"big\"", &no_env);
        assert!(
            e.starts_with(
                "bad value for `max-upload-mb` in Leptos.toml: expected a positive integer"
            ),
            "{e}"
        );
        let e = err("max-upload-mb = 0", &no_env);
        assert!(e.contains("`max-upload-mb`"), "{e}");
        let e = err("storage = \"s3\"", &no_env);
        assert!(
            e.contains("`storage`") && e.contains("\"filesystem\" or \"redis\""),
            "{e}"
        );
        let e = err("site-addr = \"localhost\"", &no_env);
        assert!(e.contains("`site-addr`"), "{e}");
        let e = err("", &|k| {
            (k == "PROFDIFF_SESSION_TTL_HOURS").then(|| "soon".to_string())
        });
        assert!(e.starts_with("bad value for `session-ttl-hours` in environment variable PROFDIFF_SESSION_TTL_HOURS"), "{e}");
        let e = err("[section]\nx = 1", &no_env);
        assert!(e.contains("unknown key `section`"), "{e}");
        assert!(
            err("site-addr = ", &no_env).starts_with("config file Leptos.toml is not valid TOML")
        );
        for e in [
            err("max-upload-md = 3", &no_env),
            err("site-addr = ", &no_env),
        ] {
            assert_eq!(e.lines().count(), 1, "one line: {e}");
        }
    }

    #[test]
    fn missing_files() {
        // The default file may be absent (all defaults); a named one must exist.
        let named =
            Config::load(Some(Path::new("/nonexistent/profdiff.toml")), no_env).unwrap_err();
        assert!(
            named
                .to_string()
                .starts_with("cannot read config file /nonexistent/profdiff.toml")
        );
        let via_env = Config::load(None, |k| {
            (k == "PROFDIFF_CONFIG").then(|| "/nonexistent/x.toml".into())
        });
        assert!(via_env.is_err());
    }
}
