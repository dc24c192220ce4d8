//! The Redis store: several profdiff instances behind a load balancer share sessions.
//!
//! Keys (all under one prefix, all with the session TTL, refreshed on every use, so Redis'
//! own expiry does the cleanup):
//!
//! ```text
//! profdiff:s:<session>              hash: created_ms, last_used_ms, bytes
//! profdiff:s:<session>:p            hash: <profile id> -> summary (JSON)
//! profdiff:s:<session>:b:<profile>  the uploaded bytes
//! ```
//!
//! Every change that touches more than one key, and every quota check with its insert, is
//! one Lua script, which Redis runs atomically: two instances never lose or mix updates.
//! The connection manager reconnects by itself; while Redis is away, calls fail with
//! `Unavailable` (503) and recover when it returns.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::{ProfileMeta, Quotas, SessionMeta, SessionStats, Staged, Store, StoreError, now_ms};
use crate::server::ids::{ProfileId, SessionId};

const PREFIX: &str = "profdiff:s:";

pub struct RedisStore {
    conn: ConnectionManager,
    ttl_ms: i64,
    staging: tempfile::TempDir,
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(format!("redis: {e}"))
}

fn session_key(id: SessionId) -> String {
    format!("{PREFIX}{id}")
}

/// Refreshes the TTL of a session's keys and marks it used; returns nil when the session
/// does not exist (expired or never created).
const TOUCH: &str = r#"
local s = KEYS[1]
if redis.call('EXISTS', s) == 0 then return false end
local ttl = tonumber(ARGV[1])
redis.call('HSET', s, 'last_used_ms', ARGV[2])
redis.call('PEXPIRE', s, ttl)
local p = s .. ':p'
if redis.call('EXISTS', p) == 1 then
  redis.call('PEXPIRE', p, ttl)
  for _, id in ipairs(redis.call('HKEYS', p)) do
    redis.call('PEXPIRE', s .. ':b:' .. id, ttl)
  end
end
return redis.call('HMGET', s, 'created_ms', 'last_used_ms')
"#;

/// ARGV: ttl, max_profiles, max_bytes, then (id, meta, size, bytes) per profile.
/// Returns {'ok'} or {'err', kind, count, bytes}.
const COMMIT: &str = r#"
local s = KEYS[1]
if redis.call('EXISTS', s) == 0 then return {'err', 'session'} end
local ttl = tonumber(ARGV[1])
local max_profiles = tonumber(ARGV[2])
local max_bytes = tonumber(ARGV[3])
local p = s .. ':p'
local count = redis.call('HLEN', p)
local used = tonumber(redis.call('HGET', s, 'bytes') or '0')
local n = (#ARGV - 3) / 4
local incoming = 0
for i = 0, n - 1 do incoming = incoming + tonumber(ARGV[4 + i * 4 + 2]) end
if count + n > max_profiles then return {'err', 'profiles', tostring(count), tostring(used)} end
if used + incoming > max_bytes then return {'err', 'bytes', tostring(count), tostring(used + incoming)} end
for i = 0, n - 1 do
  local id = ARGV[4 + i * 4]
  redis.call('SET', s .. ':b:' .. id, ARGV[4 + i * 4 + 3], 'PX', ttl)
  redis.call('HSET', p, id, ARGV[4 + i * 4 + 1])
end
redis.call('HINCRBY', s, 'bytes', incoming)
redis.call('PEXPIRE', p, ttl)
redis.call('PEXPIRE', s, ttl)
return {'ok'}
"#;

/// ARGV: profile id, its size. Returns 1 deleted, 0 no such profile, -1 no session.
const DELETE: &str = r#"
local s = KEYS[1]
if redis.call('EXISTS', s) == 0 then return -1 end
if redis.call('HDEL', s .. ':p', ARGV[1]) == 0 then return 0 end
redis.call('DEL', s .. ':b:' .. ARGV[1])
redis.call('HINCRBY', s, 'bytes', -tonumber(ARGV[2]))
return 1
"#;

/// Returns how many profiles were deleted, or -1 when there is no session.
const CLEAR: &str = r#"
local s = KEYS[1]
if redis.call('EXISTS', s) == 0 then return -1 end
local ids = redis.call('HKEYS', s .. ':p')
for _, id in ipairs(ids) do redis.call('DEL', s .. ':b:' .. id) end
redis.call('DEL', s .. ':p')
redis.call('HSET', s, 'bytes', 0)
return #ids
"#;

impl RedisStore {
    /// Connects, failing (rather than falling back to files) when Redis does not answer.
    pub async fn connect(url: &str, ttl_hours: f64) -> Result<RedisStore, String> {
        let client =
            redis::Client::open(url).map_err(|e| format!("invalid redis-url {url:?}: {e}"))?;
        let conn = tokio::time::timeout(Duration::from_secs(5), ConnectionManager::new(client))
            .await
            .map_err(|_| format!("cannot reach Redis at {url} (timed out)"))?
            .map_err(|e| format!("cannot reach Redis at {url}: {e}"))?;
        let mut c = conn.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut c)
            .await
            .map_err(|e| format!("Redis at {url}: {e}"))?;
        let staging = tempfile::Builder::new()
            .prefix("profdiff-staging-")
            .tempdir()
            .map_err(|e| format!("cannot create a staging directory: {e}"))?;
        Ok(RedisStore {
            conn,
            ttl_ms: (ttl_hours * 3_600_000.0).max(1.0) as i64,
            staging,
        })
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

#[async_trait]
impl Store for RedisStore {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn healthy(&self) -> bool {
        let mut c = self.conn();
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut c);
        matches!(
            tokio::time::timeout(Duration::from_secs(2), ping).await,
            Ok(Ok(_))
        )
    }

    fn staging_dir(&self) -> PathBuf {
        self.staging.path().to_path_buf()
    }

    async fn create_session(&self) -> Result<SessionMeta, StoreError> {
        let now = now_ms();
        let meta = SessionMeta {
            id: SessionId::new(),
            created_ms: now,
            last_used_ms: now,
        };
        let key = session_key(meta.id);
        let mut c = self.conn();
        redis::pipe()
            .atomic()
            .hset_multiple(
                &key,
                &[("created_ms", now), ("last_used_ms", now), ("bytes", 0)],
            )
            .pexpire(&key, self.ttl_ms)
            .query_async::<()>(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(meta)
    }

    async fn touch(&self, id: SessionId) -> Result<SessionMeta, StoreError> {
        let mut c = self.conn();
        let got: Option<(i64, i64)> = redis::Script::new(TOUCH)
            .key(session_key(id))
            .arg(self.ttl_ms)
            .arg(now_ms())
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)?;
        let (created_ms, last_used_ms) = got.ok_or(StoreError::SessionNotFound)?;
        Ok(SessionMeta {
            id,
            created_ms,
            last_used_ms,
        })
    }

    async fn commit(
        &self,
        id: SessionId,
        staged: Vec<Staged>,
        quotas: Quotas,
    ) -> Result<Vec<ProfileMeta>, StoreError> {
        let script = redis::Script::new(COMMIT);
        let mut invocation = script.prepare_invoke();
        invocation
            .key(session_key(id))
            .arg(self.ttl_ms)
            .arg(quotas.max_profiles)
            .arg(quotas.max_session_bytes);
        for st in &staged {
            let bytes = tokio::fs::read(&st.path).await?;
            let meta = serde_json::to_string(&st.meta).expect("serialisable");
            invocation
                .arg(st.meta.id.to_string())
                .arg(meta)
                .arg(st.meta.size_bytes)
                .arg(bytes);
        }
        let mut c = self.conn();
        let reply: Vec<String> = invocation.invoke_async(&mut c).await.map_err(unavailable)?;
        for st in &staged {
            let _ = tokio::fs::remove_file(&st.path).await;
        }
        match reply.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["ok"] => Ok(staged.into_iter().map(|s| s.meta).collect()),
            ["err", "session"] => Err(StoreError::SessionNotFound),
            ["err", "profiles", count, _] => Err(quotas.too_many_profiles(count)),
            ["err", "bytes", _, total] => Err(quotas.too_many_bytes(total.parse().unwrap_or(0))),
            _ => Err(StoreError::Io(format!(
                "unexpected reply from the commit script: {reply:?}"
            ))),
        }
    }

    async fn list(&self, id: SessionId) -> Result<Vec<ProfileMeta>, StoreError> {
        let mut c = self.conn();
        let key = session_key(id);
        let (exists, metas): (bool, Vec<String>) = redis::pipe()
            .atomic()
            .exists(&key)
            .hvals(format!("{key}:p"))
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        if !exists {
            return Err(StoreError::SessionNotFound);
        }
        let mut out: Vec<ProfileMeta> = metas
            .iter()
            .filter_map(|m| serde_json::from_str(m).ok())
            .collect();
        out.sort_by_key(|m| (m.uploaded_ms, m.id));
        Ok(out)
    }

    async fn meta(&self, id: SessionId, profile: ProfileId) -> Result<ProfileMeta, StoreError> {
        let mut c = self.conn();
        let key = session_key(id);
        let (exists, meta): (bool, Option<String>) = redis::pipe()
            .atomic()
            .exists(&key)
            .hget(format!("{key}:p"), profile.to_string())
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        if !exists {
            return Err(StoreError::SessionNotFound);
        }
        let meta = meta.ok_or(StoreError::ProfileNotFound)?;
        serde_json::from_str(&meta).map_err(|e| StoreError::Io(e.to_string()))
    }

    async fn bytes(&self, id: SessionId, profile: ProfileId) -> Result<Vec<u8>, StoreError> {
        self.meta(id, profile).await?;
        let mut c = self.conn();
        let bytes: Option<Vec<u8>> = c
            .get(format!("{}:b:{profile}", session_key(id)))
            .await
            .map_err(unavailable)?;
        bytes.ok_or(StoreError::ProfileNotFound)
    }

    async fn delete(&self, id: SessionId, profile: ProfileId) -> Result<(), StoreError> {
        let size = self.meta(id, profile).await?.size_bytes;
        let mut c = self.conn();
        let done: i64 = redis::Script::new(DELETE)
            .key(session_key(id))
            .arg(profile.to_string())
            .arg(size)
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)?;
        match done {
            1 => Ok(()),
            0 => Err(StoreError::ProfileNotFound),
            _ => Err(StoreError::SessionNotFound),
        }
    }

    async fn clear(&self, id: SessionId) -> Result<usize, StoreError> {
        let mut c = self.conn();
        let n: i64 = redis::Script::new(CLEAR)
            .key(session_key(id))
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)?;
        usize::try_from(n).map_err(|_| StoreError::SessionNotFound)
    }

    /// Redis expires keys itself.
    async fn sweep(&self) -> Result<usize, StoreError> {
        Ok(0)
    }

    async fn all_sessions(&self) -> Result<Vec<SessionStats>, StoreError> {
        let mut c = self.conn();
        let mut keys: Vec<String> = Vec::new();
        {
            let mut iter: redis::AsyncIter<String> = c
                .scan_match(format!("{PREFIX}*"))
                .await
                .map_err(unavailable)?;
            while let Some(k) = iter.next_item().await {
                keys.push(k.map_err(unavailable)?);
            }
        }
        let now = now_ms();
        let mut out = Vec::new();
        for key in keys {
            let Some(id) = key
                .strip_prefix(PREFIX)
                .and_then(|s| SessionId::parse(s).ok())
            else {
                continue;
            };
            let ((created, last, bytes), profiles): (
                (Option<i64>, Option<i64>, Option<u64>),
                usize,
            ) = redis::pipe()
                .cmd("HMGET")
                .arg(&key)
                .arg("created_ms")
                .arg("last_used_ms")
                .arg("bytes")
                .hlen(format!("{key}:p"))
                .query_async(&mut c)
                .await
                .map_err(unavailable)?;
            let (Some(created), Some(last)) = (created, last) else {
                continue;
            };
            out.push(SessionStats {
                session: id.short(),
                profiles,
                bytes: bytes.unwrap_or(0),
                age_seconds: (now - created) / 1000,
                idle_seconds: (now - last) / 1000,
            });
        }
        out.sort_by_key(|s| s.age_seconds);
        Ok(out)
    }
}
