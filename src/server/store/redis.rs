//! The Redis store: several profdiff instances behind a load balancer share sessions.
//!
//! Keys (all under one prefix, all with the session TTL, refreshed on every use, so Redis'
//! own expiry does the cleanup):
//!
//! ```text
//! profdiff:s:<session>              hash: created_ms, last_used_ms, bytes
//! profdiff:s:<session>:p            hash: <profile id> -> summary (JSON)
//! profdiff:s:<session>:b:<profile>  the uploaded bytes
//! profdiff:sessions                 sorted set: session id -> expiry (ms), to count live
//!                                   sessions for `max-sessions` without scanning keys;
//!                                   expires with the most recently used session
//! profdiff:s:<session>:sh           hash: <share id> -> share record (JSON): the session's
//!                                   shares, to list, revoke and count against its quotas
//! profdiff:sh:<share>               a share's record (JSON), expiring with the share
//! profdiff:b:<profile>              a shared profile's bytes: one copy (made inside Redis by
//!                                   COPY) for every share of that profile, expiring with
//!                                   the last of them
//! profdiff:b:<profile>:r            set: the shares holding it (the last revoke deletes it)
//! ```
//!
//! Redis has no shared values, so the first share of a profile copies its bytes once
//! (server-side); later shares of it reuse that copy.
//!
//! At `maxmemory` (run Redis with `maxmemory-policy noeviction`, so that it refuses writes
//! rather than evicting sessions), writes answer 507 and reads keep working: a touch that
//! cannot be written falls back to reading the session.
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

use super::{
    ProfileSummary, Quotas, SessionMeta, SessionStats, ShareRecord, Staged, Store, StoreError,
    now_ms,
};
use crate::model::{ProfileId, SessionId, ShareId};

const PREFIX: &str = "profdiff:s:";
const SHARE_PREFIX: &str = "profdiff:sh:";
const BLOB_PREFIX: &str = "profdiff:b:";
const SESSIONS: &str = "profdiff:sessions";

pub struct RedisStore {
    conn: ConnectionManager,
    ttl_ms: i64,
    staging: tempfile::TempDir,
}

const FULL: &str = "the server's storage (Redis) is full; uploads are refused until it has room \
                    (reads still work)";

/// Whether Redis refused a write for want of memory.
fn out_of_memory(e: &redis::RedisError) -> bool {
    // Pipelines report their commands' errors inside one error: look at the text too.
    e.code() == Some("OOM") || e.to_string().contains("OOM")
}

fn unavailable(e: redis::RedisError) -> StoreError {
    if out_of_memory(&e) {
        return StoreError::NoSpace(FULL.into());
    }
    StoreError::Unavailable(format!("redis: {e}"))
}

fn session_key(id: SessionId) -> String {
    format!("{PREFIX}{id}")
}

/// Creates a session unless `max` are alive. KEYS: session hash, sessions set; ARGV: ttl,
/// now, max, id. Returns 1, or 0 when full. Its first write is the HSET: Redis checks
/// `maxmemory` at a script's first write only, and one that frees memory (the cleanup of
/// expired ids) would let every later write through.
const CREATE: &str = r#"
local now = tonumber(ARGV[2])
if redis.call('ZCOUNT', KEYS[2], now, '+inf') >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'created_ms', ARGV[2], 'last_used_ms', ARGV[2], 'bytes', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
"#;

/// Refreshes the TTL of a session's keys and marks it used; returns nil when the session
/// does not exist (expired or never created). KEYS: session hash, sessions set; ARGV: ttl,
/// now, id.
const TOUCH: &str = r#"
local s = KEYS[1]
if redis.call('EXISTS', s) == 0 then return false end
local ttl = tonumber(ARGV[1])
redis.call('HSET', s, 'last_used_ms', ARGV[2])
redis.call('PEXPIRE', s, ttl)
redis.call('ZADD', KEYS[2], tonumber(ARGV[2]) + ttl, ARGV[3])
-- The index outlives no session: it expires when the most recently used one does.
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', s .. ':sh', ttl)
local p = s .. ':p'
if redis.call('EXISTS', p) == 1 then
  redis.call('PEXPIRE', p, ttl)
  for _, id in ipairs(redis.call('HKEYS', p)) do
    redis.call('PEXPIRE', s .. ':b:' .. id, ttl)
  end
end
return redis.call('HMGET', s, 'created_ms', 'last_used_ms')
"#;

/// Bytes the live shares of session `s` hold that the session no longer lists, each
/// profile once (see `store::held_bytes`). Lua shared by the scripts that check quotas.
const SHARE_ONLY_BYTES: &str = r#"
local function share_only_bytes(s, now)
  local seen, total = {}, 0
  for _, rec in ipairs(redis.call('HVALS', s .. ':sh')) do
    local r = cjson.decode(rec)
    if r.expires_ms > now then
      for _, p in ipairs(r.profiles) do
        if not seen[p.id] and redis.call('HEXISTS', s .. ':p', p.id) == 0 then
          seen[p.id] = true
          total = total + p.size_bytes
        end
      end
    end
  end
  return total
end
"#;

/// ARGV: ttl, max_profiles, max_bytes, now, then (id, meta, size, bytes) per profile.
/// Returns {'ok'} or {'err', kind, count, bytes}.
const COMMIT: &str = r#"
local s = KEYS[1]
if redis.call('EXISTS', s) == 0 then return {'err', 'session'} end
local ttl = tonumber(ARGV[1])
local max_profiles = tonumber(ARGV[2])
local max_bytes = tonumber(ARGV[3])
local p = s .. ':p'
local count = redis.call('HLEN', p)
local used = tonumber(redis.call('HGET', s, 'bytes') or '0') + share_only_bytes(s, tonumber(ARGV[4]))
local n = (#ARGV - 4) / 4
local incoming = 0
for i = 0, n - 1 do incoming = incoming + tonumber(ARGV[5 + i * 4 + 2]) end
if count + n > max_profiles then return {'err', 'profiles', tostring(count), tostring(used)} end
if used + incoming > max_bytes then return {'err', 'bytes', tostring(count), tostring(used + incoming)} end
for i = 0, n - 1 do
  local id = ARGV[5 + i * 4]
  redis.call('SET', s .. ':b:' .. id, ARGV[5 + i * 4 + 3], 'PX', ttl)
  redis.call('HSET', p, id, ARGV[5 + i * 4 + 1])
end
redis.call('HINCRBY', s, 'bytes', incoming)
redis.call('PEXPIRE', p, ttl)
redis.call('PEXPIRE', s, ttl)
return {'ok'}
"#;

/// Creates a share. KEYS: session hash; ARGV: now, expires, max shares, share id, record,
/// then the profile ids. Returns {'ok'}, or {'err', 'session' | 'profile' | 'shares', n}.
/// The first write is the SET (see `CREATE` on `maxmemory`); expired entries of the
/// session's list are dropped last.
const CREATE_SHARE: &str = r#"
local s = KEYS[1]
if redis.call('EXISTS', s) == 0 then return {'err', 'session'} end
local now, expires, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local id, record = ARGV[4], ARGV[5]
local index = s .. ':sh'
local live, dead = 0, {}
local all = redis.call('HGETALL', index)
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1]).expires_ms > now then live = live + 1 else table.insert(dead, all[i]) end
end
if live >= max then return {'err', 'shares', tostring(live)} end
for i = 6, #ARGV do
  if redis.call('EXISTS', s .. ':b:' .. ARGV[i]) == 0 then return {'err', 'profile'} end
end
redis.call('SET', 'profdiff:sh:' .. id, record, 'PXAT', expires)
for i = 6, #ARGV do
  local blob = 'profdiff:b:' .. ARGV[i]
  if redis.call('EXISTS', blob) == 0 then redis.call('COPY', s .. ':b:' .. ARGV[i], blob) end
  redis.call('SADD', blob .. ':r', id)
  if redis.call('PEXPIRETIME', blob) < expires then
    redis.call('PEXPIREAT', blob, expires)
    redis.call('PEXPIREAT', blob .. ':r', expires)
  end
end
redis.call('HSET', index, id, record)
redis.call('PEXPIRE', index, redis.call('PTTL', s))
for _, d in ipairs(dead) do redis.call('HDEL', index, d) end
return {'ok'}
"#;

/// Revokes a share. KEYS: session hash; ARGV: share id. Returns 1, 0 (no such share of
/// this session) or -1 (no session).
const REVOKE_SHARE: &str = r#"
local s = KEYS[1]
if redis.call('EXISTS', s) == 0 then return -1 end
local id = ARGV[1]
local rec = redis.call('HGET', s .. ':sh', id)
if not rec then return 0 end
redis.call('HDEL', s .. ':sh', id)
local live = redis.call('DEL', 'profdiff:sh:' .. id)
for _, p in ipairs(cjson.decode(rec).profiles) do
  local blob = 'profdiff:b:' .. p.id
  redis.call('SREM', blob .. ':r', id)
  if redis.call('SCARD', blob .. ':r') == 0 then redis.call('DEL', blob, blob .. ':r') end
end
return live
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

    /// The values of the session's hash `<session>:<suffix>` (`p`: profiles, `sh`:
    /// shares); `SessionNotFound` when the session does not exist.
    async fn session_hash_values(
        &self,
        id: SessionId,
        suffix: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut c = self.conn();
        let key = session_key(id);
        // Not a MULTI transaction: at maxmemory Redis refuses to queue even reads in one.
        let (exists, values): (bool, Vec<String>) = redis::pipe()
            .exists(&key)
            .hvals(format!("{key}:{suffix}"))
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        if !exists {
            return Err(StoreError::SessionNotFound);
        }
        Ok(values)
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

    async fn create_session(&self, max_sessions: u64) -> Result<SessionMeta, StoreError> {
        let now = now_ms();
        let meta = SessionMeta {
            id: SessionId::new(),
            created_ms: now,
            last_used_ms: now,
        };
        let mut c = self.conn();
        let created: i64 = redis::Script::new(CREATE)
            .key(session_key(meta.id))
            .key(SESSIONS)
            .arg(self.ttl_ms)
            .arg(now)
            .arg(max_sessions)
            .arg(meta.id.to_string())
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)?;
        if created == 0 {
            return Err(StoreError::TooManySessions(max_sessions));
        }
        Ok(meta)
    }

    async fn touch(&self, id: SessionId) -> Result<SessionMeta, StoreError> {
        let mut c = self.conn();
        let touched: Result<Option<(i64, i64)>, _> = redis::Script::new(TOUCH)
            .key(session_key(id))
            .key(SESSIONS)
            .arg(self.ttl_ms)
            .arg(now_ms())
            .arg(id.to_string())
            .invoke_async(&mut c)
            .await;
        let got = match touched {
            Ok(got) => got,
            // At maxmemory the refresh (a write) is refused; the session is still there to
            // be read, so reads go on, only its expiry does not move.
            Err(e) if out_of_memory(&e) => {
                tracing::warn!(session = %id.short(), "cannot record the session's use: Redis is at maxmemory");
                let (created, last): (Option<i64>, Option<i64>) = redis::cmd("HMGET")
                    .arg(session_key(id))
                    .arg("created_ms")
                    .arg("last_used_ms")
                    .query_async(&mut c)
                    .await
                    .map_err(unavailable)?;
                created.zip(last)
            }
            Err(e) => return Err(unavailable(e)),
        };
        let (created_ms, last_used_ms) = got.ok_or(StoreError::SessionNotFound)?;
        Ok(SessionMeta {
            id,
            created_ms,
            last_used_ms,
        })
    }

    /// Refuses early when Redis reports that `incoming` more bytes would pass its
    /// `maxmemory` (0: no limit).
    async fn check_space(&self, incoming: u64) -> Result<(), StoreError> {
        let mut c = self.conn();
        let info: String = redis::cmd("INFO")
            .arg("memory")
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        let field = |name: &str| -> Option<u64> {
            info.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|v| v.trim().parse().ok())
        };
        match (field("used_memory"), field("maxmemory")) {
            (Some(used), Some(max)) if max > 0 && used.saturating_add(incoming) > max => {
                Err(StoreError::NoSpace(FULL.into()))
            }
            _ => Ok(()),
        }
    }

    async fn commit(
        &self,
        id: SessionId,
        staged: Vec<Staged>,
        quotas: Quotas,
    ) -> Result<Vec<ProfileSummary>, StoreError> {
        let script = redis::Script::new(&format!("{SHARE_ONLY_BYTES}{COMMIT}"));
        let mut invocation = script.prepare_invoke();
        invocation
            .key(session_key(id))
            .arg(self.ttl_ms)
            .arg(quotas.max_profiles)
            .arg(quotas.max_session_bytes)
            .arg(now_ms());
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

    async fn list(&self, id: SessionId) -> Result<Vec<ProfileSummary>, StoreError> {
        let metas = self.session_hash_values(id, "p").await?;
        let mut out: Vec<ProfileSummary> = metas
            .iter()
            .filter_map(|m| serde_json::from_str(m).ok())
            .collect();
        out.sort_by_key(|m| (m.uploaded_ms, m.id));
        Ok(out)
    }

    async fn meta(&self, id: SessionId, profile: ProfileId) -> Result<ProfileSummary, StoreError> {
        let mut c = self.conn();
        let key = session_key(id);
        let (exists, meta): (bool, Option<String>) = redis::pipe()
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

    async fn create_share(&self, record: ShareRecord, quotas: Quotas) -> Result<(), StoreError> {
        // The first share of a profile copies its bytes (inside Redis).
        self.check_space(record.bytes()).await?;
        let mut c = self.conn();
        let script = redis::Script::new(CREATE_SHARE);
        let mut invocation = script.prepare_invoke();
        invocation
            .key(session_key(record.owner))
            .arg(now_ms())
            .arg(record.expires_ms)
            .arg(quotas.max_shares)
            .arg(record.id.as_str())
            .arg(serde_json::to_string(&record).expect("serialisable"));
        for p in &record.profiles {
            invocation.arg(p.id.to_string());
        }
        let reply: Vec<String> = invocation.invoke_async(&mut c).await.map_err(unavailable)?;
        match reply.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["ok"] => Ok(()),
            ["err", "session"] => Err(StoreError::SessionNotFound),
            ["err", "profile"] => Err(StoreError::ProfileNotFound),
            ["err", "shares", n] => Err(quotas.too_many_shares(n)),
            _ => Err(StoreError::Io(format!(
                "unexpected reply from the share script: {reply:?}"
            ))),
        }
    }

    async fn share(&self, id: ShareId) -> Result<ShareRecord, StoreError> {
        let mut c = self.conn();
        let text: Option<String> = c
            .get(format!("{SHARE_PREFIX}{id}"))
            .await
            .map_err(unavailable)?;
        let record: ShareRecord = serde_json::from_str(&text.ok_or(StoreError::ShareNotFound)?)
            .map_err(|e| StoreError::Io(format!("a share's record: {e}")))?;
        if !record.live(now_ms()) {
            return Err(StoreError::ShareNotFound);
        }
        Ok(record)
    }

    async fn share_bytes(&self, id: ShareId, profile: ProfileId) -> Result<Vec<u8>, StoreError> {
        let record = self.share(id).await?;
        if !record.profiles.iter().any(|p| p.id == profile) {
            return Err(StoreError::ProfileNotFound);
        }
        let mut c = self.conn();
        let bytes: Option<Vec<u8>> = c
            .get(format!("{BLOB_PREFIX}{profile}"))
            .await
            .map_err(unavailable)?;
        bytes.ok_or(StoreError::ShareNotFound)
    }

    async fn shares(&self, owner: SessionId) -> Result<Vec<ShareRecord>, StoreError> {
        let records = self.session_hash_values(owner, "sh").await?;
        let now = now_ms();
        let mut out: Vec<ShareRecord> = records
            .iter()
            .filter_map(|r| serde_json::from_str::<ShareRecord>(r).ok())
            .filter(|r| r.live(now))
            .collect();
        out.sort_by_key(|r| r.created_ms);
        Ok(out)
    }

    async fn revoke_share(&self, owner: SessionId, id: ShareId) -> Result<(), StoreError> {
        let mut c = self.conn();
        let done: i64 = redis::Script::new(REVOKE_SHARE)
            .key(session_key(owner))
            .arg(id.as_str())
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)?;
        match done {
            1 => Ok(()),
            0 => Err(StoreError::ShareNotFound),
            _ => Err(StoreError::SessionNotFound),
        }
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
