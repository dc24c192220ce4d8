//! The filesystem store (the embedded default). Layout under `data-dir` (directories 0700,
//! files 0600: session ids are bearer tokens, and they name the directories):
//!
//! ```text
//! sessions/<session>/session.json    created / last used (replaced atomically)
//! sessions/<session>/lock            flock target: every change holds it
//! sessions/<session>/profiles.json   the session's profiles, in upload order (replaced atomically)
//! sessions/<session>/<profile>.prof  uploaded bytes, immutable
//! sessions/<session>/shares.json     the session's shares (records), to list, revoke and
//!                                    count them against its quotas
//! shares/<share>/share.json          a share's record (owner, view, expiry, profiles)
//! shares/<share>/<profile>.prof      hard links to the owner's bytes: a snapshot costs no
//!                                    space, and outlives the profile's deletion
//! staging/.lock                      held while a process sets up its staging or sweeps others'
//! staging/<instance>/                uploads being received by one server process
//! trash/                             expired sessions being deleted
//! ```
//!
//! Why this is immune to the classic file-session failures, with several threads *and*
//! several processes on one directory:
//! - A profile is listed when `profiles.json` names it, and that file is only ever replaced
//!   whole (temp file, fsync, rename, directory fsync). An upload of several files renames
//!   their bytes into place first, then publishes all of them with one rename of the list:
//!   a crash at any point leaves all of them listed or none (unlisted bytes are removed the
//!   next time the session is changed or swept).
//! - Every change to a session happens under an exclusive `flock` on its `lock` file, which
//!   the kernel holds across processes; quota checks read the list under the same lock, so
//!   two writers cannot both squeeze past a limit.
//! - Session ids are parsed UUIDs, so a path is never built from unchecked input.
//! - Expired sessions are renamed into `trash/` while holding their lock (a request in a
//!   locked section keeps them alive), then deleted.
//! - Each process stages uploads in its own `staging/<instance>/`, held by a lock for the
//!   process' life. It is created, and dead ones are removed, under `staging/.lock`, so two
//!   processes starting together never remove each other's.
//! - When the disk is full or read-only, writes fail with a 507 and reads keep working
//!   (a touch that cannot be written is skipped).
//! - A share directory is built in staging and renamed into `shares/` whole; revoking
//!   renames it into `trash/` (the moment it stops answering) before the owner's list is
//!   rewritten. Share ids are parsed (32 base64url characters) before they name a path.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use super::{
    LOW_DISK, ProfileSummary, Quotas, SessionMeta, SessionStats, ShareRecord, Staged, Store,
    StoreError, held_bytes, now_ms,
};
use crate::model::{ProfileId, SessionId, ShareId};

/// Sessions are not rewritten for a touch more often than this.
const TOUCH_EVERY_MS: i64 = 30_000;

const MANIFEST: &str = "profiles.json";
const SHARES: &str = "shares.json";
const SHARE: &str = "share.json";

pub struct FsStore {
    root: PathBuf,
    ttl_ms: i64,
    /// Refuse uploads when free space falls under this many bytes.
    min_free: u64,
    staging: PathBuf,
    /// Held for the process' life: marks `staging` as in use.
    _staging_lock: File,
    /// Sessions on disk, counted at start and by each sweep, plus those created since by
    /// this process (other processes' show up at the next sweep).
    live: AtomicU64,
}

/// Creates `dir` and its missing parents, readable by this user only.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Creates (or truncates) `path`, readable by this user only.
pub fn private_file(path: &Path) -> io::Result<File> {
    File::options()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

/// Opens `path` (created if missing, 0600) read-only, to hold a `flock` on it: a lock held
/// for long must not be a file open for writing, or the filesystem could not be remounted
/// read-only under a running server.
fn lock_file(path: &Path) -> io::Result<File> {
    if !path.exists() {
        private_file(path)?;
    }
    File::open(path)
}

impl FsStore {
    /// Opens (creating) the store and removes what crashed processes left behind.
    pub fn open(root: &Path, ttl_hours: f64, min_free_mb: u64) -> io::Result<FsStore> {
        private_dir(root)?;
        // An existing data dir from an older version may be world-readable.
        fs::set_permissions(root, fs::Permissions::from_mode(0o700))?;
        for dir in ["sessions", "shares", "staging", "trash"] {
            private_dir(&root.join(dir))?;
        }
        let staging_root = root.join("staging");
        let (staging, lock) = {
            // One process at a time sets up its staging directory or sweeps dead ones: a
            // directory is never seen before its owner holds its lock.
            let guard = lock_file(&staging_root.join(".lock"))?;
            guard.lock()?;
            sweep_dead_staging(&staging_root)?;
            let staging = staging_root.join(ProfileId::new().to_string());
            private_dir(&staging)?;
            let lock = lock_file(&staging.join(".lock"))?;
            lock.lock()?;
            (staging, lock)
        };
        for entry in fs::read_dir(root.join("trash"))? {
            let _ = fs::remove_dir_all(entry?.path());
        }
        let live = id_dirs(&root.join("sessions"), SessionId::parse)?
            .filter_map(Result::ok)
            .count() as u64;
        Ok(FsStore {
            root: root.to_path_buf(),
            ttl_ms: (ttl_hours * 3_600_000.0) as i64,
            min_free: min_free_mb.saturating_mul(1 << 20),
            staging,
            _staging_lock: lock,
            live: AtomicU64::new(live),
        })
    }

    fn session_dir(&self, id: SessionId) -> PathBuf {
        self.root.join("sessions").join(id.to_string())
    }

    fn expired(&self, meta: &SessionMeta, now: i64) -> bool {
        now - meta.last_used_ms > self.ttl_ms
    }

    /// Runs `f` holding the session's lock; `SessionNotFound` if the session is missing or
    /// expired.
    fn locked<T>(
        &self,
        id: SessionId,
        f: impl FnOnce(&Path, SessionMeta) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let dir = self.session_dir(id);
        let lock = match File::open(dir.join("lock")) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::SessionNotFound);
            }
            Err(e) => return Err(e.into()),
        };
        lock.lock()?;
        // The directory may have been moved to trash while we waited for the lock.
        let meta = read_session(&dir)?;
        if self.expired(&meta, now_ms()) {
            return Err(StoreError::SessionNotFound);
        }
        f(&dir, meta)
    }

    fn session_meta(&self, id: SessionId) -> Result<SessionMeta, StoreError> {
        let meta = read_session(&self.session_dir(id))?;
        if self.expired(&meta, now_ms()) {
            return Err(StoreError::SessionNotFound);
        }
        Ok(meta)
    }

    fn share_dir(&self, id: ShareId) -> PathBuf {
        self.root.join("shares").join(id.as_str())
    }

    /// A live share's record.
    fn share_record(&self, id: ShareId) -> Result<ShareRecord, StoreError> {
        let record: ShareRecord = match fs::read(self.share_dir(id).join(SHARE)) {
            Ok(text) => serde_json::from_slice(&text)
                .map_err(|e| StoreError::Io(format!("{SHARE} of a share: {e}")))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(StoreError::ShareNotFound),
            Err(e) => return Err(e.into()),
        };
        if !record.live(now_ms()) || !record.id.ct_eq(&id) {
            return Err(StoreError::ShareNotFound);
        }
        Ok(record)
    }

    /// Moves a directory into `trash/` (atomic: from then on it is gone), then deletes it.
    fn discard(&self, dir: &Path, name: &str) -> io::Result<()> {
        let trash = self
            .root
            .join("trash")
            .join(format!("{name}-{}", ProfileId::new()));
        fs::rename(dir, &trash)?;
        let _ = fs::remove_dir_all(&trash);
        Ok(())
    }

    /// Whether `incoming` bytes would leave less than `min-free-disk-mb` free (or not fit).
    fn low_on_disk(&self, incoming: u64) -> bool {
        fs4::available_space(&self.root)
            .is_ok_and(|free| free < incoming.saturating_add(self.min_free))
    }
}

/// The entries of `dir` whose names parse as ids (sessions and shares live in directories
/// named by theirs), with their paths; any other name is skipped, entry errors are passed on.
fn id_dirs<T, E>(
    dir: &Path,
    parse: impl Fn(&str) -> Result<T, E>,
) -> io::Result<impl Iterator<Item = io::Result<(PathBuf, T)>>> {
    Ok(fs::read_dir(dir)?.filter_map(move |entry| match entry {
        Err(e) => Some(Err(e)),
        Ok(entry) => {
            let id = parse(entry.file_name().to_str()?).ok()?;
            Some(Ok((entry.path(), id)))
        }
    }))
}

fn read_session(dir: &Path) -> Result<SessionMeta, StoreError> {
    match fs::read(dir.join("session.json")) {
        Ok(text) => {
            serde_json::from_slice(&text).map_err(|e| StoreError::Io(format!("session.json: {e}")))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::SessionNotFound),
        Err(e) => Err(e.into()),
    }
}

/// The session's profiles. A directory written before `profiles.json` existed lists one
/// `<profile>.json` per profile; those are read the same way (and converted at the next
/// change).
fn read_manifest(dir: &Path) -> Result<Vec<ProfileSummary>, StoreError> {
    match fs::read(dir.join(MANIFEST)) {
        Ok(text) => serde_json::from_slice(&text)
            .map_err(|e| StoreError::Io(format!("{}: {e}", dir.join(MANIFEST).display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => legacy_list(dir),
        Err(e) => Err(e.into()),
    }
}

fn legacy_list(dir: &Path) -> Result<Vec<ProfileSummary>, StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(StoreError::SessionNotFound),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        if ProfileId::parse(stem).is_err() {
            continue;
        }
        let text = fs::read(&path)?;
        let meta: ProfileSummary = serde_json::from_slice(&text)
            .map_err(|e| StoreError::Io(format!("{}: {e}", path.display())))?;
        out.push(meta);
    }
    out.sort_by_key(|m| (m.uploaded_ms, m.id));
    Ok(out)
}

/// The session's shares, live or not (none before its first share).
fn read_shares(dir: &Path) -> Result<Vec<ShareRecord>, StoreError> {
    match fs::read(dir.join(SHARES)) {
        Ok(text) => serde_json::from_slice(&text)
            .map_err(|e| StoreError::Io(format!("{}: {e}", dir.join(SHARES).display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

fn write_shares(dir: &Path, shares: &[ShareRecord]) -> Result<(), StoreError> {
    write_atomic(
        &dir.join(SHARES),
        &serde_json::to_vec(shares).expect("serialisable"),
    )?;
    Ok(())
}

/// Replaces the session's list (the commit point of every change), then removes bytes and
/// legacy summaries it does not name.
fn write_manifest(dir: &Path, list: &[ProfileSummary]) -> Result<(), StoreError> {
    write_atomic(
        &dir.join(MANIFEST),
        &serde_json::to_vec(list).expect("serialisable"),
    )?;
    sync_dir(dir);
    remove_unlisted(dir, list);
    Ok(())
}

/// Removes `<profile>.prof` files the list does not name (a crash between moving an
/// upload's bytes in and publishing the list), legacy `<profile>.json` summaries and
/// temporary files. Only called holding the session's lock.
fn remove_unlisted(dir: &Path, list: &[ProfileSummary]) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stale = match name.rsplit_once('.') {
            Some((stem, "prof")) => {
                ProfileId::parse(stem).is_ok_and(|id| !list.iter().any(|m| m.id == id))
            }
            Some((stem, "json")) => ProfileId::parse(stem).is_ok(),
            _ => name.starts_with(".tmp"),
        };
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to `path` atomically: a temp file beside it (0600), fsync, rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().expect("paths here have a parent");
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes staging directories whose process is gone (their lock is free). The caller
/// holds `staging/.lock`.
fn sweep_dead_staging(staging: &Path) -> io::Result<()> {
    for entry in fs::read_dir(staging)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let dir = entry.path();
        let alive = match File::open(dir.join(".lock")) {
            Ok(f) => match f.try_lock() {
                Ok(()) => false,
                Err(fs::TryLockError::WouldBlock) => true,
                Err(fs::TryLockError::Error(_)) => false,
            },
            Err(_) => false,
        };
        if !alive {
            let _ = fs::remove_dir_all(&dir);
        }
    }
    Ok(())
}

/// Runs blocking filesystem work off the async runtime.
async fn blocking<T: Send + 'static>(
    store: &Arc<FsStore>,
    f: impl FnOnce(&FsStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| StoreError::Io(format!("storage task failed: {e}")))?
}

/// `Arc<FsStore>` is what the server holds; the trait is implemented on it so each call
/// can move a handle into a blocking task.
#[async_trait]
impl Store for Arc<FsStore> {
    fn kind(&self) -> &'static str {
        "filesystem"
    }

    async fn healthy(&self) -> bool {
        blocking(self, |s| Ok(tempfile::tempfile_in(&s.staging).is_ok()))
            .await
            .unwrap_or(false)
    }

    fn staging_dir(&self) -> PathBuf {
        self.staging.clone()
    }

    async fn create_session(&self, max_sessions: u64) -> Result<SessionMeta, StoreError> {
        blocking(self, move |s| {
            if s.live.load(Ordering::Relaxed) >= max_sessions {
                return Err(StoreError::TooManySessions(max_sessions));
            }
            let now = now_ms();
            let meta = SessionMeta {
                id: SessionId::new(),
                created_ms: now,
                last_used_ms: now,
            };
            // Build it in staging, then rename: a session directory is complete or absent.
            let tmp = s.staging.join(format!("session-{}", meta.id));
            let built = (|| -> io::Result<()> {
                private_dir(&tmp)?;
                private_file(&tmp.join("lock"))?;
                write_atomic(
                    &tmp.join("session.json"),
                    &serde_json::to_vec(&meta).expect("serialisable"),
                )?;
                write_atomic(&tmp.join(MANIFEST), b"[]")?;
                fs::rename(&tmp, s.session_dir(meta.id))
            })();
            if let Err(e) = built {
                let _ = fs::remove_dir_all(&tmp);
                return Err(e.into());
            }
            sync_dir(&s.root.join("sessions"));
            s.live.fetch_add(1, Ordering::Relaxed);
            Ok(meta)
        })
        .await
    }

    async fn touch(&self, id: SessionId) -> Result<SessionMeta, StoreError> {
        blocking(self, move |s| {
            // Cheap path: recently touched sessions are not rewritten.
            let meta = s.session_meta(id)?;
            let now = now_ms();
            if now - meta.last_used_ms < TOUCH_EVERY_MS {
                return Ok(meta);
            }
            let written = s.locked(id, |dir, mut meta| {
                meta.last_used_ms = now;
                write_atomic(
                    &dir.join("session.json"),
                    &serde_json::to_vec(&meta).expect("serialisable"),
                )?;
                Ok(meta)
            });
            match written {
                // A full or read-only disk must not stop reads: the expiry just stays.
                Err(StoreError::NoSpace(_)) => {
                    tracing::warn!(session = %id.short(), "cannot record the session's use: storage takes no writes");
                    Ok(meta)
                }
                other => other,
            }
        })
        .await
    }

    async fn check_space(&self, incoming: u64) -> Result<(), StoreError> {
        blocking(self, move |s| {
            if s.low_on_disk(incoming) {
                return Err(StoreError::NoSpace(LOW_DISK.into()));
            }
            Ok(())
        })
        .await
    }

    async fn commit(
        &self,
        id: SessionId,
        staged: Vec<Staged>,
        quotas: Quotas,
    ) -> Result<Vec<ProfileSummary>, StoreError> {
        blocking(self, move |s| {
            let incoming: u64 = staged.iter().map(|st| st.meta.size_bytes).sum();
            if s.low_on_disk(incoming) {
                return Err(StoreError::NoSpace(LOW_DISK.into()));
            }
            s.locked(id, |dir, _| {
                let mut list = read_manifest(dir)?;
                let bytes = held_bytes(&list, &read_shares(dir)?, now_ms());
                if list.len() + staged.len() > quotas.max_profiles {
                    return Err(quotas.too_many_profiles(list.len()));
                }
                if bytes + incoming > quotas.max_session_bytes {
                    return Err(quotas.too_many_bytes(bytes + incoming));
                }
                let mut moved: Vec<PathBuf> = Vec::new();
                let result = (|| -> Result<(), StoreError> {
                    for st in &staged {
                        File::open(&st.path)?.sync_all()?;
                        let to = dir.join(format!("{}.prof", st.meta.id));
                        fs::rename(&st.path, &to)?;
                        moved.push(to);
                    }
                    sync_dir(dir);
                    list.extend(staged.iter().map(|st| st.meta.clone()));
                    // One rename publishes every file of the upload.
                    write_manifest(dir, &list)
                })();
                if let Err(e) = result {
                    // All or nothing: the list was not replaced; remove the moved bytes.
                    for path in moved {
                        let _ = fs::remove_file(path);
                    }
                    return Err(e);
                }
                Ok(staged.iter().map(|st| st.meta.clone()).collect())
            })
        })
        .await
    }

    async fn list(&self, id: SessionId) -> Result<Vec<ProfileSummary>, StoreError> {
        blocking(self, move |s| {
            s.session_meta(id)?;
            read_manifest(&s.session_dir(id))
        })
        .await
    }

    async fn meta(&self, id: SessionId, profile: ProfileId) -> Result<ProfileSummary, StoreError> {
        blocking(self, move |s| {
            s.session_meta(id)?;
            read_manifest(&s.session_dir(id))?
                .into_iter()
                .find(|m| m.id == profile)
                .ok_or(StoreError::ProfileNotFound)
        })
        .await
    }

    async fn bytes(&self, id: SessionId, profile: ProfileId) -> Result<Vec<u8>, StoreError> {
        blocking(self, move |s| {
            s.session_meta(id)?;
            let dir = s.session_dir(id);
            if !read_manifest(&dir)?.iter().any(|m| m.id == profile) {
                return Err(StoreError::ProfileNotFound);
            }
            match fs::read(dir.join(format!("{profile}.prof"))) {
                Ok(b) => Ok(b),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::ProfileNotFound),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn delete(&self, id: SessionId, profile: ProfileId) -> Result<(), StoreError> {
        blocking(self, move |s| {
            s.locked(id, |dir, _| {
                let mut list = read_manifest(dir)?;
                let before = list.len();
                list.retain(|m| m.id != profile);
                if list.len() == before {
                    return Err(StoreError::ProfileNotFound);
                }
                write_manifest(dir, &list)
            })
        })
        .await
    }

    async fn clear(&self, id: SessionId) -> Result<usize, StoreError> {
        blocking(self, move |s| {
            s.locked(id, |dir, _| {
                // Whatever the list holds, even summaries that no longer read: clearing
                // must always work.
                let n = read_manifest(dir).map_or(0, |l| l.len());
                write_manifest(dir, &[])?;
                Ok(n)
            })
        })
        .await
    }

    async fn create_share(&self, record: ShareRecord, quotas: Quotas) -> Result<(), StoreError> {
        blocking(self, move |s| {
            s.locked(record.owner, |dir, _| {
                let now = now_ms();
                let list = read_manifest(dir)?;
                let mut shares = read_shares(dir)?;
                shares.retain(|sh| sh.live(now));
                if shares.len() >= quotas.max_shares {
                    return Err(quotas.too_many_shares(shares.len()));
                }
                if record
                    .profiles
                    .iter()
                    .any(|p| !list.iter().any(|m| m.id == p.id))
                {
                    return Err(StoreError::ProfileNotFound);
                }
                // Built in staging, renamed into place whole.
                let tmp = s.staging.join(format!("share-{}", ProfileId::new()));
                let built = (|| -> io::Result<()> {
                    private_dir(&tmp)?;
                    for p in &record.profiles {
                        let name = format!("{}.prof", p.id);
                        let (from, to) = (dir.join(&name), tmp.join(&name));
                        if fs::hard_link(&from, &to).is_err() {
                            // Another filesystem under the data dir: copy instead.
                            fs::copy(&from, &to)?;
                        }
                    }
                    write_atomic(
                        &tmp.join(SHARE),
                        &serde_json::to_vec(&record).expect("serialisable"),
                    )?;
                    fs::rename(&tmp, s.share_dir(record.id))
                })();
                if let Err(e) = built {
                    let _ = fs::remove_dir_all(&tmp);
                    return Err(e.into());
                }
                sync_dir(&s.root.join("shares"));
                shares.push(record.clone());
                if let Err(e) = write_shares(dir, &shares) {
                    // Not listed, so the owner could not revoke it: it must not answer.
                    let _ = s.discard(&s.share_dir(record.id), "share");
                    return Err(e);
                }
                Ok(())
            })
        })
        .await
    }

    async fn share(&self, id: ShareId) -> Result<ShareRecord, StoreError> {
        blocking(self, move |s| s.share_record(id)).await
    }

    async fn share_bytes(&self, id: ShareId, profile: ProfileId) -> Result<Vec<u8>, StoreError> {
        blocking(self, move |s| {
            let record = s.share_record(id)?;
            if !record.profiles.iter().any(|p| p.id == profile) {
                return Err(StoreError::ProfileNotFound);
            }
            match fs::read(s.share_dir(id).join(format!("{profile}.prof"))) {
                Ok(b) => Ok(b),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::ShareNotFound),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn shares(&self, owner: SessionId) -> Result<Vec<ShareRecord>, StoreError> {
        blocking(self, move |s| {
            s.session_meta(owner)?;
            let now = now_ms();
            let mut shares = read_shares(&s.session_dir(owner))?;
            shares.retain(|sh| sh.live(now));
            Ok(shares)
        })
        .await
    }

    async fn revoke_share(&self, owner: SessionId, id: ShareId) -> Result<(), StoreError> {
        blocking(self, move |s| {
            s.locked(owner, |dir, _| {
                let now = now_ms();
                let mut shares = read_shares(dir)?;
                let Some(at) = shares
                    .iter()
                    .position(|sh| sh.id.ct_eq(&id) && sh.live(now))
                else {
                    return Err(StoreError::ShareNotFound);
                };
                // The rename is the revocation: from here on the link answers 404.
                match s.discard(&s.share_dir(id), "share") {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
                shares.remove(at);
                shares.retain(|sh| sh.live(now));
                write_shares(dir, &shares)
            })
        })
        .await
    }

    async fn sweep(&self) -> Result<usize, StoreError> {
        blocking(self, |s| {
            let now = now_ms();
            let (mut removed, mut remaining) = (0, 0u64);
            for entry in id_dirs(&s.root.join("shares"), ShareId::parse)? {
                let (dir, id) = entry?;
                if matches!(s.share_record(id), Err(StoreError::ShareNotFound))
                    && dir.join(SHARE).exists()
                    && s.discard(&dir, "share").is_ok()
                {
                    removed += 1;
                }
            }
            for entry in id_dirs(&s.root.join("sessions"), SessionId::parse)? {
                let (dir, id) = entry?;
                remaining += 1;
                let Ok(lock) = File::open(dir.join("lock")) else {
                    continue;
                };
                // A session some request holds is in use: not expired.
                if lock.try_lock().is_err() {
                    continue;
                }
                let expired = match read_session(&dir) {
                    Ok(meta) => s.expired(&meta, now),
                    Err(_) => false,
                };
                if expired {
                    if s.discard(&dir, &id.to_string()).is_ok() {
                        removed += 1;
                        remaining -= 1;
                    }
                    drop(lock);
                } else if let Ok(list) = read_manifest(&dir) {
                    // Bytes a crashed upload moved in but never listed.
                    remove_unlisted(&dir, &list);
                }
            }
            s.live.store(remaining, Ordering::Relaxed);
            Ok(removed)
        })
        .await
    }

    async fn all_sessions(&self) -> Result<Vec<SessionStats>, StoreError> {
        blocking(self, |s| {
            let now = now_ms();
            let mut out = Vec::new();
            for entry in id_dirs(&s.root.join("sessions"), SessionId::parse)? {
                let (dir, id) = entry?;
                let Ok(meta) = read_session(&dir) else {
                    continue;
                };
                let list = read_manifest(&dir).unwrap_or_default();
                out.push(SessionStats {
                    session: id.short(),
                    profiles: list.len(),
                    bytes: list.iter().map(|m| m.size_bytes).sum(),
                    age_seconds: (now - meta.created_ms) / 1000,
                    idle_seconds: (now - meta.last_used_ms) / 1000,
                });
            }
            out.sort_by_key(|s| s.age_seconds);
            Ok(out)
        })
        .await
    }
}
