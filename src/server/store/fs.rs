//! The filesystem store (the embedded default). Layout under `data-dir`:
//!
//! ```text
//! sessions/<session>/session.json         created / last used (replaced atomically)
//! sessions/<session>/lock                 flock target: every change holds it
//! sessions/<session>/<profile>.prof       uploaded bytes, immutable
//! sessions/<session>/<profile>.json       summary, immutable; its presence lists the profile
//! staging/<instance>/                     uploads being received by one server process
//! trash/                                  expired sessions being deleted
//! ```
//!
//! Why this is immune to the classic file-session failures, with several threads *and*
//! several processes on one directory:
//! - No shared mutable list: a profile is listed because its `.json` exists. The `.prof`
//!   is renamed into place first, then the `.json`, both after `fsync`, so a listed profile
//!   is always complete, and a crash leaves at worst an unlisted `.prof`.
//! - Every change to a session (session.json, adding, deleting) happens under an exclusive
//!   `flock` on its `lock` file, which the kernel holds across processes; quota checks read
//!   the directory under the same lock, so two writers cannot both squeeze past a limit.
//! - Session ids are parsed UUIDs, so a path is never built from unchecked input.
//! - Expired sessions are renamed into `trash/` while holding their lock (a request in a
//!   locked section keeps them alive), then deleted.
//! - Each process stages uploads in its own `staging/<instance>/`, held by a lock for the
//!   process' life; at start-up, staging directories whose owner died are removed.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use super::{ProfileMeta, Quotas, SessionMeta, SessionStats, Staged, Store, StoreError, now_ms};
use crate::server::ids::{ProfileId, SessionId};

/// Sessions are not rewritten for a touch more often than this.
const TOUCH_EVERY_MS: i64 = 30_000;

pub struct FsStore {
    root: PathBuf,
    ttl_ms: i64,
    /// Refuse uploads when free space falls under this many bytes.
    min_free: u64,
    staging: PathBuf,
    /// Held for the process' life: marks `staging` as in use.
    _staging_lock: File,
}

impl FsStore {
    /// Opens (creating) the store and removes what crashed processes left behind.
    pub fn open(root: &Path, ttl_hours: f64, min_free_mb: u64) -> io::Result<FsStore> {
        for dir in ["sessions", "staging", "trash"] {
            fs::create_dir_all(root.join(dir))?;
        }
        sweep_dead_staging(&root.join("staging"))?;
        for entry in fs::read_dir(root.join("trash"))? {
            let _ = fs::remove_dir_all(entry?.path());
        }
        let staging = root.join("staging").join(ProfileId::new().to_string());
        fs::create_dir_all(&staging)?;
        let lock = File::create(staging.join(".lock"))?;
        lock.lock()?;
        Ok(FsStore {
            root: root.to_path_buf(),
            ttl_ms: (ttl_hours * 3_600_000.0) as i64,
            min_free: min_free_mb.saturating_mul(1 << 20),
            staging,
            _staging_lock: lock,
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
        let lock = match File::options().write(true).open(dir.join("lock")) {
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

    fn list_in(dir: &Path) -> Result<Vec<ProfileMeta>, StoreError> {
        let mut out = Vec::new();
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::SessionNotFound);
            }
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(stem) = name.strip_suffix(".json") else {
                continue;
            };
            if ProfileId::parse(stem).is_err() {
                continue;
            }
            // A concurrent delete may remove it between listing and reading.
            if let Ok(text) = fs::read(&path)
                && let Ok(meta) = serde_json::from_slice::<ProfileMeta>(&text)
            {
                out.push(meta);
            }
        }
        out.sort_by_key(|m| (m.uploaded_ms, m.id));
        Ok(out)
    }

    fn session_meta(&self, id: SessionId) -> Result<SessionMeta, StoreError> {
        let meta = read_session(&self.session_dir(id))?;
        if self.expired(&meta, now_ms()) {
            return Err(StoreError::SessionNotFound);
        }
        Ok(meta)
    }
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

/// Writes `bytes` to `path` atomically: a temp file beside it, fsync, rename.
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

/// Removes staging directories whose process is gone (their lock is free).
fn sweep_dead_staging(staging: &Path) -> io::Result<()> {
    for entry in fs::read_dir(staging)? {
        let dir = entry?.path();
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

fn dir_usage(dir: &Path) -> (usize, u64) {
    FsStore::list_in(dir).map_or((0, 0), |l| (l.len(), l.iter().map(|m| m.size_bytes).sum()))
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

    async fn create_session(&self) -> Result<SessionMeta, StoreError> {
        blocking(self, |s| {
            let now = now_ms();
            let meta = SessionMeta {
                id: SessionId::new(),
                created_ms: now,
                last_used_ms: now,
            };
            // Build it in staging, then rename: a session directory is complete or absent.
            let tmp = s.staging.join(format!("session-{}", meta.id));
            fs::create_dir_all(&tmp)?;
            File::create(tmp.join("lock"))?;
            write_atomic(
                &tmp.join("session.json"),
                &serde_json::to_vec(&meta).expect("serialisable"),
            )?;
            fs::rename(&tmp, s.session_dir(meta.id))?;
            sync_dir(&s.root.join("sessions"));
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
            s.locked(id, |dir, mut meta| {
                meta.last_used_ms = now;
                write_atomic(
                    &dir.join("session.json"),
                    &serde_json::to_vec(&meta).expect("serialisable"),
                )?;
                Ok(meta)
            })
        })
        .await
    }

    async fn commit(
        &self,
        id: SessionId,
        staged: Vec<Staged>,
        quotas: Quotas,
    ) -> Result<Vec<ProfileMeta>, StoreError> {
        blocking(self, move |s| {
            let incoming: u64 = staged.iter().map(|st| st.meta.size_bytes).sum();
            if s.min_free > 0
                && fs4::available_space(&s.root)
                    .is_ok_and(|free| free.saturating_sub(incoming) < s.min_free)
            {
                return Err(StoreError::NoSpace);
            }
            s.locked(id, |dir, _| {
                let (count, bytes) = dir_usage(dir);
                if count + staged.len() > quotas.max_profiles {
                    return Err(quotas.too_many_profiles(count));
                }
                if bytes + incoming > quotas.max_session_bytes {
                    return Err(quotas.too_many_bytes(bytes + incoming));
                }
                let mut done: Vec<ProfileId> = Vec::new();
                let result = (|| -> io::Result<()> {
                    for st in &staged {
                        File::open(&st.path)?.sync_all()?;
                        fs::rename(&st.path, dir.join(format!("{}.prof", st.meta.id)))?;
                        done.push(st.meta.id);
                        write_atomic(
                            &dir.join(format!("{}.json", st.meta.id)),
                            &serde_json::to_vec(&st.meta).expect("serialisable"),
                        )?;
                    }
                    sync_dir(dir);
                    Ok(())
                })();
                if let Err(e) = result {
                    // All or nothing: undo what this request published.
                    for pid in done {
                        let _ = fs::remove_file(dir.join(format!("{pid}.json")));
                        let _ = fs::remove_file(dir.join(format!("{pid}.prof")));
                    }
                    return Err(e.into());
                }
                Ok(staged.iter().map(|st| st.meta.clone()).collect())
            })
        })
        .await
    }

    async fn list(&self, id: SessionId) -> Result<Vec<ProfileMeta>, StoreError> {
        blocking(self, move |s| {
            s.session_meta(id)?;
            FsStore::list_in(&s.session_dir(id))
        })
        .await
    }

    async fn meta(&self, id: SessionId, profile: ProfileId) -> Result<ProfileMeta, StoreError> {
        blocking(self, move |s| {
            s.session_meta(id)?;
            match fs::read(s.session_dir(id).join(format!("{profile}.json"))) {
                Ok(text) => {
                    serde_json::from_slice(&text).map_err(|e| StoreError::Io(e.to_string()))
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::ProfileNotFound),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn bytes(&self, id: SessionId, profile: ProfileId) -> Result<Vec<u8>, StoreError> {
        blocking(self, move |s| {
            s.session_meta(id)?;
            let dir = s.session_dir(id);
            if !dir.join(format!("{profile}.json")).exists() {
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
                match fs::remove_file(dir.join(format!("{profile}.json"))) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        return Err(StoreError::ProfileNotFound);
                    }
                    Err(e) => return Err(e.into()),
                }
                let _ = fs::remove_file(dir.join(format!("{profile}.prof")));
                Ok(())
            })
        })
        .await
    }

    async fn clear(&self, id: SessionId) -> Result<usize, StoreError> {
        blocking(self, move |s| {
            s.locked(id, |dir, _| {
                let list = FsStore::list_in(dir)?;
                for m in &list {
                    let _ = fs::remove_file(dir.join(format!("{}.json", m.id)));
                    let _ = fs::remove_file(dir.join(format!("{}.prof", m.id)));
                }
                Ok(list.len())
            })
        })
        .await
    }

    async fn sweep(&self) -> Result<usize, StoreError> {
        blocking(self, |s| {
            let now = now_ms();
            let mut removed = 0;
            for entry in fs::read_dir(s.root.join("sessions"))? {
                let dir = entry?.path();
                let Some(name) = dir.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                let Ok(id) = SessionId::parse(name) else {
                    continue;
                };
                let Ok(lock) = File::options().write(true).open(dir.join("lock")) else {
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
                    let trash = s
                        .root
                        .join("trash")
                        .join(format!("{id}-{}", ProfileId::new()));
                    if fs::rename(&dir, &trash).is_ok() {
                        drop(lock);
                        let _ = fs::remove_dir_all(&trash);
                        removed += 1;
                    }
                }
            }
            Ok(removed)
        })
        .await
    }

    async fn all_sessions(&self) -> Result<Vec<SessionStats>, StoreError> {
        blocking(self, |s| {
            let now = now_ms();
            let mut out = Vec::new();
            for entry in fs::read_dir(s.root.join("sessions"))? {
                let dir = entry?.path();
                let Some(id) = dir
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| SessionId::parse(n).ok())
                else {
                    continue;
                };
                let Ok(meta) = read_session(&dir) else {
                    continue;
                };
                let (profiles, bytes) = dir_usage(&dir);
                out.push(SessionStats {
                    session: id.short(),
                    profiles,
                    bytes,
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
