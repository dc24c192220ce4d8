//! Session storage behind one trait, so handlers never know which backend runs.
//!
//! Uploads are staged by the API layer (streamed to a temp file, parsed, summarised); a
//! store then *commits* them all at once or not at all, checking quotas atomically.

pub mod fs;
pub mod redis;

use std::path::PathBuf;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::model::{ProfileId, ProfileSummary, SessionId};

/// A session's timestamps (milliseconds since the Unix epoch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionMeta {
    pub id: SessionId,
    pub created_ms: i64,
    pub last_used_ms: i64,
}

impl SessionMeta {
    /// When the session expires unless used again (milliseconds since the epoch).
    pub fn expires_ms(&self, ttl_hours: f64) -> i64 {
        self.last_used_ms + (ttl_hours * 3_600_000.0) as i64
    }
}

/// A parsed upload waiting to be committed: its summary and the temp file with its bytes.
#[derive(Debug)]
pub struct Staged {
    pub meta: ProfileSummary,
    pub path: PathBuf,
}

/// Limits checked when committing uploads.
#[derive(Clone, Copy, Debug)]
pub struct Quotas {
    pub max_profiles: usize,
    pub max_session_bytes: u64,
}

impl Quotas {
    /// The limits the configuration sets.
    pub fn of(config: &crate::server::Config) -> Quotas {
        Quotas {
            max_profiles: config.max_profiles_per_session as usize,
            max_session_bytes: config.max_session_mb << 20,
        }
    }

    /// The error for a session that already holds `count` profiles.
    pub fn too_many_profiles(&self, count: impl std::fmt::Display) -> StoreError {
        StoreError::Quota(format!(
            "this session holds {count} profiles; the limit is {} (delete some or clear the session)",
            self.max_profiles
        ))
    }

    /// The error for a session that would hold `total` bytes.
    pub fn too_many_bytes(&self, total: u64) -> StoreError {
        StoreError::Quota(format!(
            "this session would hold {} MB; the limit is {} MB (delete some or clear the session)",
            total.div_ceil(1 << 20),
            self.max_session_bytes >> 20
        ))
    }
}

/// One session in the debug listing.
#[derive(Clone, Debug, Serialize)]
pub struct SessionStats {
    /// The first 8 characters of the id.
    pub session: String,
    pub profiles: usize,
    pub bytes: u64,
    pub age_seconds: i64,
    pub idle_seconds: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("session not found or expired")]
    SessionNotFound,
    #[error("profile not found")]
    ProfileNotFound,
    /// A quota would be exceeded; the message says which.
    #[error("{0}")]
    Quota(String),
    /// Storage takes no writes (disk full or read-only, Redis at `maxmemory`); the
    /// message says which.
    #[error("{0}")]
    NoSpace(String),
    /// `max-sessions` sessions are alive.
    #[error("the server holds its maximum of {0} sessions")]
    TooManySessions(u64),
    /// Storage failed; the detail is logged, not shown.
    #[error("storage error")]
    Io(String),
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        if crate::server::error::is_full_or_read_only(&e) {
            StoreError::NoSpace(crate::server::error::NO_WRITES.into())
        } else {
            StoreError::Io(e.to_string())
        }
    }
}

/// What the store says when free disk space is under `min-free-disk-mb`.
pub const LOW_DISK: &str =
    "the server's disk is full or nearly full (min-free-disk-mb); try again later";

#[async_trait]
pub trait Store: Send + Sync {
    /// `"filesystem"` or `"redis"` (what `/api/health` reports).
    fn kind(&self) -> &'static str;
    /// Whether storage takes writes now.
    async fn healthy(&self) -> bool;
    /// A directory where the API layer may stage uploads before `commit`.
    fn staging_dir(&self) -> PathBuf;
    /// A new session, unless `max_sessions` are alive (`TooManySessions`).
    async fn create_session(&self, max_sessions: u64) -> Result<SessionMeta, StoreError>;
    /// The session, its last use moved to now; `SessionNotFound` when unknown or expired.
    /// When storage takes no writes the session is still returned (reads keep working);
    /// only its expiry does not move.
    async fn touch(&self, id: SessionId) -> Result<SessionMeta, StoreError>;
    /// Refuses early (before an upload is received) when `incoming` more bytes could not
    /// be written: free disk under `min-free-disk-mb`. The commit checks again.
    async fn check_space(&self, incoming: u64) -> Result<(), StoreError>;
    /// Adds all `staged` profiles or none (quota errors leave the session as it was).
    async fn commit(
        &self,
        id: SessionId,
        staged: Vec<Staged>,
        quotas: Quotas,
    ) -> Result<Vec<ProfileSummary>, StoreError>;
    /// Profiles in upload order (newest last).
    async fn list(&self, id: SessionId) -> Result<Vec<ProfileSummary>, StoreError>;
    async fn meta(&self, id: SessionId, profile: ProfileId) -> Result<ProfileSummary, StoreError>;
    async fn bytes(&self, id: SessionId, profile: ProfileId) -> Result<Vec<u8>, StoreError>;
    async fn delete(&self, id: SessionId, profile: ProfileId) -> Result<(), StoreError>;
    /// Deletes every profile; the session stays. Returns how many were deleted.
    async fn clear(&self, id: SessionId) -> Result<usize, StoreError>;
    /// Removes sessions unused for longer than the TTL; returns how many.
    async fn sweep(&self) -> Result<usize, StoreError>;
    async fn all_sessions(&self) -> Result<Vec<SessionStats>, StoreError>;
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
