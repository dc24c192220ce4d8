//! Session storage behind one trait, so handlers never know which backend runs.
//!
//! Uploads are staged by the API layer (streamed to a temp file, parsed, summarised); a
//! store then *commits* them all at once or not at all, checking quotas atomically.

pub mod fs;
pub mod redis;

use std::path::PathBuf;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::model::{ProfileId, ProfileSummary, SessionId, ShareId, ShareInfo, ShareView};

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

/// Limits checked when committing uploads and creating shares.
#[derive(Clone, Copy, Debug)]
pub struct Quotas {
    pub max_profiles: usize,
    /// Bytes of profiles a session holds, its live shares' included (see [`held_bytes`]).
    pub max_session_bytes: u64,
    pub max_shares: usize,
}

impl Quotas {
    /// The limits the configuration sets.
    pub fn of(config: &crate::server::Config) -> Quotas {
        Quotas {
            max_profiles: config.max_profiles_per_session as usize,
            max_session_bytes: config.max_session_mb << 20,
            max_shares: config.max_shares_per_session as usize,
        }
    }

    /// The error for a session that already has `count` live shares.
    pub fn too_many_shares(&self, count: impl std::fmt::Display) -> StoreError {
        StoreError::Quota(format!(
            "this session has {count} live share links; the limit is {} (revoke some on the profile list)",
            self.max_shares
        ))
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

/// A share as stored: a snapshot of some of `owner`'s profiles (their summaries here, their
/// bytes beside it), readable by its id until `expires_ms` or until the owner revokes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShareRecord {
    pub id: ShareId,
    pub owner: SessionId,
    pub view: ShareView,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub profiles: Vec<ProfileSummary>,
}

impl ShareRecord {
    pub fn live(&self, now: i64) -> bool {
        now < self.expires_ms
    }

    pub fn bytes(&self) -> u64 {
        self.profiles.iter().map(|p| p.size_bytes).sum()
    }

    /// What the owner's list and the share page show (no owner: readers must not learn
    /// the owner's session, which is a bearer token too).
    pub fn info(&self) -> ShareInfo {
        ShareInfo {
            id: self.id,
            path: ShareInfo::path_of(&self.id, &self.view),
            view: self.view.clone(),
            created_ms: self.created_ms,
            expires_ms: self.expires_ms,
            profiles: self.profiles.clone(),
            bytes: self.bytes(),
        }
    }
}

/// The bytes a session holds against `max-session-mb`: its profiles, plus those its live
/// shares keep that it no longer lists (each profile counted once, however many shares
/// hold it). Sharing what a session holds adds nothing; deleting a shared profile frees
/// nothing until its shares end.
pub fn held_bytes(list: &[ProfileSummary], shares: &[ShareRecord], now: i64) -> u64 {
    let mut seen: Vec<ProfileId> = list.iter().map(|m| m.id).collect();
    let mut total: u64 = list.iter().map(|m| m.size_bytes).sum();
    for p in shares
        .iter()
        .filter(|s| s.live(now))
        .flat_map(|s| &s.profiles)
    {
        if !seen.contains(&p.id) {
            seen.push(p.id);
            total += p.size_bytes;
        }
    }
    total
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
    #[error("this share link is unknown, was revoked by its owner, or has expired")]
    ShareNotFound,
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
    /// Snapshots `record.profiles` (which must all be `record.owner`'s) as a share, unless
    /// the owner already has `quotas.max_shares` live ones. The bytes are not copied where
    /// the backend can avoid it (hard links on the filesystem).
    async fn create_share(&self, record: ShareRecord, quotas: Quotas) -> Result<(), StoreError>;
    /// A live share; `ShareNotFound` when unknown, revoked or expired.
    async fn share(&self, id: ShareId) -> Result<ShareRecord, StoreError>;
    /// The bytes of one of a live share's profiles.
    async fn share_bytes(&self, id: ShareId, profile: ProfileId) -> Result<Vec<u8>, StoreError>;
    /// The session's live shares, oldest first.
    async fn shares(&self, owner: SessionId) -> Result<Vec<ShareRecord>, StoreError>;
    /// Ends one of the session's shares at once (`ShareNotFound` when it has no such
    /// live share).
    async fn revoke_share(&self, owner: SessionId, id: ShareId) -> Result<(), StoreError>;
    /// Removes sessions unused for longer than the TTL and expired shares; returns how
    /// many of both.
    async fn sweep(&self) -> Result<usize, StoreError>;
    async fn all_sessions(&self) -> Result<Vec<SessionStats>, StoreError>;
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(size: u64) -> ProfileSummary {
        let p = crate::engine::Profile::parse(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/compare/before_3.11.prof"
            ))
            .unwrap(),
        )
        .unwrap();
        ProfileSummary::of(ProfileId::new(), "p.prof".into(), 0, size, &p)
    }

    fn share(profiles: Vec<ProfileSummary>, expires_ms: i64) -> ShareRecord {
        ShareRecord {
            id: ShareId::random(),
            owner: SessionId::new(),
            view: ShareView::Profile { id: profiles[0].id },
            created_ms: 0,
            expires_ms,
            profiles,
        }
    }

    #[test]
    fn held_bytes_counts_each_profile_once_and_only_live_shares() {
        let (a, b, c) = (summary(100), summary(20), summary(3));
        let list = vec![a.clone(), b.clone()];
        // Sharing what the session holds adds nothing.
        let shares = vec![share(vec![a.clone(), b.clone()], 10)];
        assert_eq!(held_bytes(&list, &shares, 5), 120);
        // A deleted profile still held by two shares counts once; expired shares not.
        let shares = vec![
            share(vec![c.clone()], 10),
            share(vec![c.clone(), a.clone()], 10),
            share(vec![summary(1000)], 5),
        ];
        assert_eq!(held_bytes(&list, &shares, 5), 123);
        assert_eq!(held_bytes(&[], &shares, 11), 0);
    }
}
