//! What the REST handlers (`api`) and the web app's server functions (`ui::…`) share: open
//! a session, load profiles, check and run comparisons, store uploads, delete and clear.
//! Handlers and server functions only translate their inputs into these calls; the limits
//! of the configuration are checked here, once, for both.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use leptos::server_fn::Bytes;

use super::AppState;
use super::cache::Computed;
use super::jobs::Cancel;
use super::store::{Quotas, SessionMeta, ShareRecord, Staged, held_bytes, now_ms};
use crate::engine::compare::edges::Edges;
use crate::engine::compare::runs::{compare_runs, matrix};
use crate::engine::compare::{self, Metric};
use crate::engine::profile::Budget;
use crate::engine::{Profile, ProfileError};
use crate::model::{
    Access, AppError, CompareRequest, FunctionEdges, Mode, Outcome, ProfileId, ProfileSummary,
    ProfileTable, SessionId, SessionInfo, ShareId, ShareInfo, ShareTarget, ShareView,
};

/// Threshold values beyond this are refused (no real change is a billion ms or percent).
pub const MAX_THRESHOLD: f64 = 1e9;

/// The session `id`, checked to exist; its expiry moves on.
pub async fn session(state: &AppState, id: SessionId) -> Result<SessionMeta, AppError> {
    Ok(state.store.touch(id).await?)
}

/// Checks that the session (its expiry moves on) or the share behind `access` is alive.
pub async fn open(state: &AppState, access: Access) -> Result<(), AppError> {
    match access {
        Access::Session(id) => session(state, id).await.map(drop),
        Access::Share(id) => state.store.share(id).await.map(drop).map_err(Into::into),
    }
}

/// The summary of profile `pid` if `access` reaches it: one of the session's, or one of
/// the share's snapshot.
async fn meta(
    state: &AppState,
    access: Access,
    pid: ProfileId,
) -> Result<ProfileSummary, AppError> {
    Ok(match access {
        Access::Session(id) => state.store.meta(id, pid).await?,
        Access::Share(id) => state
            .store
            .share(id)
            .await?
            .profiles
            .into_iter()
            .find(|p| p.id == pid)
            .ok_or(super::store::StoreError::ProfileNotFound)?,
    })
}

/// A new session (503 when `max-sessions` are alive).
pub async fn create_session(state: &AppState) -> Result<SessionInfo, AppError> {
    let meta = state
        .store
        .create_session(state.config.max_sessions)
        .await?;
    tracing::info!(session = %meta.id.short(), "session created");
    Ok(info(state, &meta, &[]))
}

/// The session's numbers from its list of profiles.
pub fn info(state: &AppState, meta: &SessionMeta, list: &[ProfileSummary]) -> SessionInfo {
    let config = &state.config;
    let quotas = Quotas::of(config);
    SessionInfo {
        id: meta.id,
        created_ms: meta.created_ms,
        last_used_ms: meta.last_used_ms,
        expires_ms: meta.expires_ms(config.session_ttl_hours),
        server_now_ms: now_ms(),
        profiles: list.len(),
        bytes_used: list.iter().map(|m| m.size_bytes).sum(),
        storage: state.store.kind().to_string(),
        max_profiles: quotas.max_profiles as u64,
        max_session_bytes: quotas.max_session_bytes,
        max_upload_bytes: config.max_upload_mb << 20,
    }
}

/// The session's numbers and its profiles (oldest first), from one listing.
pub async fn session_state(
    state: &AppState,
    id: SessionId,
) -> Result<(SessionInfo, Vec<ProfileSummary>), AppError> {
    let meta = session(state, id).await?;
    let list = state.store.list(id).await?;
    Ok((info(state, &meta, &list), list))
}

/// The session's profiles, oldest first.
pub async fn list(state: &AppState, id: SessionId) -> Result<Vec<ProfileSummary>, AppError> {
    session(state, id).await?;
    Ok(state.store.list(id).await?)
}

/// Parses a dump on a worker, stopping early if its request goes away.
fn parse(data: &[u8], cancel: &Cancel) -> Result<Profile, ProfileError> {
    Profile::parse_until(data, Budget::for_input(data.len()), &|| {
        cancel.is_cancelled()
    })
}

/// A profile of this session or share, parsed (from the cache when possible). The store
/// answers only for profiles `access` reaches: ownership is checked here, before the cache
/// (keyed by profile id: a share's snapshot holds the same bytes under the same ids).
pub async fn profile(
    state: &AppState,
    access: Access,
    pid: ProfileId,
) -> Result<(ProfileSummary, Arc<Profile>), AppError> {
    if let Some(p) = state.cache.get(&pid) {
        return Ok((meta(state, access, pid).await?, p));
    }
    let (meta, bytes) = raw(state, access, pid).await?;
    let profile = state
        .jobs
        .run(move |cancel| {
            let p = parse(&bytes, cancel).map_err(|e| match e {
                ProfileError::Stopped => cancel.check().err().unwrap_or(AppError::Internal),
                e => AppError::internal(format!("stored profile {pid} no longer parses: {e}")),
            })?;
            Ok(Arc::new(p))
        })
        .await?;
    state
        .cache
        .insert(pid, profile.clone(), profile.model_bytes());
    Ok((meta, profile))
}

/// A stored profile's summary and bytes, as uploaded (the session's, or a share's copy).
pub async fn raw(
    state: &AppState,
    access: Access,
    pid: ProfileId,
) -> Result<(ProfileSummary, Vec<u8>), AppError> {
    let meta = meta(state, access, pid).await?;
    let bytes = match access {
        Access::Session(id) => state.store.bytes(id, pid).await?,
        Access::Share(id) => state.store.share_bytes(id, pid).await?,
    };
    Ok((meta, bytes))
}

/// Several profiles of this session or share, in the order given.
pub async fn profiles(
    state: &AppState,
    access: Access,
    ids: &[ProfileId],
) -> Result<Vec<(ProfileSummary, Arc<Profile>)>, AppError> {
    let mut out = Vec::with_capacity(ids.len());
    for &pid in ids {
        out.push(profile(state, access, pid).await?);
    }
    Ok(out)
}

/// Checks a comparison request against the configuration's limits: complete for its mode,
/// no more profiles than `max-profiles-per-compare` (per side for runs), none twice on a
/// side, thresholds that are numbers in range.
pub fn check_request(state: &AppState, req: &CompareRequest) -> Result<(), AppError> {
    for (what, x) in [("min_ms", req.min_ms), ("min_pct", req.min_pct)] {
        if !(x.is_finite() && (0.0..=MAX_THRESHOLD).contains(&x)) {
            return Err(AppError::bad(format!(
                "{what} must be a number from 0 to {MAX_THRESHOLD:e}"
            )));
        }
    }
    if !(req.alpha > 0.0 && req.alpha < 1.0) {
        return Err(AppError::bad(
            "alpha must be a significance level between 0 and 1 (e.g. 0.05)",
        ));
    }
    if req.mode == Mode::Matrix && !req.b.is_empty() {
        return Err(AppError::bad(
            "a matrix is one series: give its profiles as `a` (or `series`)",
        ));
    }
    let max = state.config.max_profiles_per_compare as usize;
    for (side, ids) in [("baseline", &req.a), ("candidate", &req.b)] {
        if ids.len() > max {
            return Err(AppError::bad(format!(
                "{} {side} profiles given; at most {max} per comparison (max-profiles-per-compare)",
                ids.len()
            )));
        }
        if req.mode != Mode::Two
            && let Some(dup) = ids
                .iter()
                .enumerate()
                .find_map(|(i, id)| ids[..i].contains(id).then_some(id))
        {
            return Err(AppError::bad(format!(
                "profile {dup} is given twice as a {side}: each run counts once"
            )));
        }
    }
    if !req.is_complete() {
        return Err(AppError::bad(req.missing()));
    }
    Ok(())
}

/// Runs the comparison a request describes (two-way, runs or matrix), or returns the one
/// computed last time for the same request.
pub async fn compare(
    state: &AppState,
    access: Access,
    req: &CompareRequest,
) -> Result<Arc<Outcome>, AppError> {
    Ok(computed(state, access, req).await?.1.outcome.clone())
}

/// [`compare`]'s outcome in the web app's encoded form ([`Outcome::encode`]), encoded once
/// per cached comparison.
pub async fn compare_encoded(
    state: &AppState,
    access: Access,
    req: &CompareRequest,
) -> Result<Bytes, AppError> {
    let (key, entry) = computed(state, access, req).await?;
    if let Some(bytes) = entry.encoded.get() {
        return Ok(bytes.clone());
    }
    let size = entry.outcome_bytes;
    let bytes = state
        .jobs
        .run(move |_| {
            Ok(entry
                .encoded
                .get_or_init(|| Bytes::from(entry.outcome.encode()))
                .clone())
        })
        .await?;
    // The entry now holds its answer too: account for it (unless it was dropped meanwhile).
    state.comparisons.resize(&key, size + bytes.len());
    Ok(bytes)
}

/// The cache entry for a request (computed now if it is not kept) and its key.
async fn computed(
    state: &AppState,
    access: Access,
    req: &CompareRequest,
) -> Result<((Access, String), Arc<Computed>), AppError> {
    check_request(state, req)?;
    open(state, access).await?;
    let key = (access, req.cache_key());
    if let Some(hit) = state.comparisons.get(&key) {
        // The profiles may have been deleted (or the share revoked) since: the cache is
        // dropped on delete, but check ownership anyway (cheap).
        for &pid in req.a.iter().chain(&req.b) {
            meta(state, access, pid).await?;
        }
        return Ok((key, hit));
    }
    let a = profiles(state, access, &req.a).await?;
    let b = profiles(state, access, &req.b).await?;
    let (mode, options) = (req.mode, req.options());
    let outcome = state
        .jobs
        .run(move |cancel| {
            cancel.check()?;
            let shared = |side: &[(ProfileSummary, Arc<Profile>)]| -> Vec<Arc<Profile>> {
                side.iter().map(|(_, p)| p.clone()).collect()
            };
            Ok(Arc::new(match mode {
                Mode::Two => Outcome::Two(Arc::new(compare::compare(&a[0].1, &b[0].1, &options))),
                Mode::Runs => {
                    Outcome::Runs(Arc::new(compare_runs(&shared(&a), &shared(&b), &options)))
                }
                Mode::Matrix => {
                    let series: Vec<(String, Arc<Profile>)> =
                        a.iter().map(|(m, p)| (m.name.clone(), p.clone())).collect();
                    Outcome::Matrix(Arc::new(matrix(&series, options.metric)))
                }
            }))
        })
        .await?;
    let size = outcome.approx_bytes();
    let entry = Arc::new(Computed {
        outcome,
        outcome_bytes: size,
        encoded: OnceLock::new(),
    });
    state.comparisons.insert(key.clone(), entry.clone(), size);
    Ok((key, entry))
}

/// Callers and callees, on both sides, of row `row` of a two-way comparison.
pub async fn compare_edges(
    state: &AppState,
    access: Access,
    req: &CompareRequest,
    row: usize,
) -> Result<Edges, AppError> {
    let outcome = compare(state, access, req).await?;
    let Outcome::Two(c) = &*outcome else {
        return Err(AppError::bad(
            "callers and callees are shown for two-way comparisons",
        ));
    };
    if row >= c.rows.len() {
        return Err(AppError::NotFound(format!(
            "this comparison has {} rows; there is no row {row}",
            c.rows.len()
        )));
    }
    let (base, cand) = (
        profile(state, access, req.a[0]).await?.1,
        profile(state, access, req.b[0]).await?.1,
    );
    let c = c.clone();
    state
        .jobs
        .run(move |_| Ok(compare::edges::edges(&base, &cand, &c, &c.rows[row])))
        .await
}

/// The call tree of one profile, or the union tree of two (the baseline first), for the
/// web app's flame graphs: frames under 1/10,000 of the total fold into "other" and at
/// most 30,000 nodes are sent (a few MB of JSON at worst; what a screen can show).
pub async fn flame(
    state: &AppState,
    access: Access,
    a: ProfileId,
    b: Option<ProfileId>,
    normalize: bool,
) -> Result<crate::engine::flame::FlameTree, AppError> {
    use crate::engine::flame;
    open(state, access).await?;
    let (_, pa) = profile(state, access, a).await?;
    let pb = match b {
        Some(b) => Some(profile(state, access, b).await?.1),
        None => None,
    };
    let limits = view_limits();
    state
        .jobs
        .run(move |cancel| {
            cancel.check()?;
            Ok(match &pb {
                None => flame::tree(&pa, &limits),
                Some(pb) => flame::tree_of_two(
                    &pa,
                    pb,
                    &compare::Options {
                        normalize,
                        ..compare::Options::default()
                    },
                    &limits,
                ),
            })
        })
        .await
}

/// The web view's tree bounds: fewer nodes than the CLI's, so the JSON and the drawing
/// stay small.
fn view_limits() -> crate::engine::flame::Limits {
    crate::engine::flame::Limits {
        max_nodes: 30_000,
        ..crate::engine::flame::Limits::default()
    }
}

/// The differential flame graph of runs: each side's runs merged (as *Merge runs* does)
/// and divided by the run count, so the tree is of the mean run on each side.
pub async fn flame_runs(
    state: &AppState,
    access: Access,
    a: &[ProfileId],
    b: &[ProfileId],
) -> Result<crate::engine::flame::FlameTree, AppError> {
    use crate::engine::flame;
    use crate::engine::merge;
    let req = CompareRequest {
        mode: Mode::Runs,
        a: a.to_vec(),
        b: b.to_vec(),
        ..CompareRequest::default()
    };
    check_request(state, &req)?;
    let sides = [
        profiles(state, access, a).await?,
        profiles(state, access, b).await?,
    ];
    let runs = [a.len(), b.len()];
    let max_bytes = usize::try_from(state.config.max_session_mb << 21).unwrap_or(usize::MAX);
    let limits = view_limits();
    state
        .jobs
        .run(move |cancel| {
            let mut merged: Vec<Arc<Profile>> = Vec::with_capacity(2);
            for side in &sides {
                cancel.check()?;
                if let [(_, only)] = &side[..] {
                    merged.push(only.clone());
                    continue;
                }
                let refs: Vec<&Profile> = side.iter().map(|(_, p)| p.as_ref()).collect();
                let (bytes, _) = merge::merge(&refs, max_bytes)
                    .map_err(|e| AppError::Unprocessable(e.to_string()))?;
                let p = Profile::parse(&bytes).map_err(|e| {
                    AppError::internal(format!("a merged profile does not parse: {e}"))
                })?;
                merged.push(Arc::new(p));
            }
            cancel.check()?;
            let mut tree = flame::tree_of_two(
                &merged[0],
                &merged[1],
                &compare::Options::default(),
                &limits,
            );
            tree.per_run(runs);
            Ok(tree)
        })
        .await
}

/// Every function of a profile, in dump order, with its summary.
pub async fn table(
    state: &AppState,
    access: Access,
    pid: ProfileId,
) -> Result<ProfileTable, AppError> {
    open(state, access).await?;
    let (summary, p) = profile(state, access, pid).await?;
    let rows = state
        .jobs
        .run(move |_| {
            let producer = p.producer();
            Ok((0..p.len())
                .map(|i| crate::model::FunctionRow::of(&p, producer, i))
                .collect())
        })
        .await?;
    Ok(ProfileTable { summary, rows })
}

/// Callers and callees of the function at `index`.
pub async fn function_edges(
    state: &AppState,
    access: Access,
    pid: ProfileId,
    index: usize,
) -> Result<FunctionEdges, AppError> {
    open(state, access).await?;
    let (_, p) = profile(state, access, pid).await?;
    state
        .jobs
        .run(move |_| {
            FunctionEdges::of(&p, index)
                .ok_or_else(|| AppError::NotFound("no such function in this profile".into()))
        })
        .await
}

/// Deletes one profile of the session (and what the caches hold of it).
pub async fn delete(state: &AppState, id: SessionId, pid: ProfileId) -> Result<(), AppError> {
    session(state, id).await?;
    state.store.delete(id, pid).await?;
    state.cache.remove(&pid);
    state
        .comparisons
        .remove_where(|(a, _)| *a == Access::Session(id));
    Ok(())
}

/// Deletes every profile of the session; returns how many.
pub async fn clear(state: &AppState, id: SessionId) -> Result<usize, AppError> {
    session(state, id).await?;
    let list = state.store.list(id).await.unwrap_or_default();
    let deleted = state.store.clear(id).await?;
    for m in list {
        state.cache.remove(&m.id);
    }
    state
        .comparisons
        .remove_where(|(a, _)| *a == Access::Session(id));
    Ok(deleted)
}

/// An uploaded file, received into the staging directory.
pub struct Received {
    pub id: ProfileId,
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
}

/// Refuses an upload before it is received when it cannot fit: the session is full, its
/// bytes (`incoming`, when the request says) would pass the session quota, or the disk is
/// low.
pub async fn precheck_upload(
    state: &AppState,
    id: SessionId,
    incoming: Option<u64>,
) -> Result<(), AppError> {
    let list = list(state, id).await?;
    let quotas = Quotas::of(&state.config);
    if list.len() >= quotas.max_profiles {
        return Err(quotas.too_many_profiles(list.len()).into());
    }
    if let Some(incoming) = incoming {
        // The body holds the files plus multipart framing: a lower bound is not known,
        // so only a body that is over the quota by itself is refused here.
        let used = held_bytes(&list, &state.store.shares(id).await?, now_ms());
        if used.saturating_add(incoming) > quotas.max_session_bytes.saturating_add(64 << 10) {
            return Err(quotas.too_many_bytes(used.saturating_add(incoming)).into());
        }
        state.store.check_space(incoming).await?;
    }
    Ok(())
}

/// Parses the received files one at a time (each on a worker, after the quotas were checked
/// with their sizes), then stores all of them or none.
pub async fn store_uploads(
    state: &AppState,
    id: SessionId,
    received: Vec<Received>,
) -> Result<Vec<ProfileSummary>, AppError> {
    let quotas = Quotas::of(&state.config);
    let list = list(state, id).await?;
    let used = held_bytes(&list, &state.store.shares(id).await?, now_ms());
    let incoming: u64 = received.iter().map(|r| r.size).sum();
    if list.len() + received.len() > quotas.max_profiles {
        return Err(quotas.too_many_profiles(list.len()).into());
    }
    if used + incoming > quotas.max_session_bytes {
        return Err(quotas.too_many_bytes(used + incoming).into());
    }
    state.store.check_space(incoming).await?;
    let mut staged = Vec::with_capacity(received.len());
    let mut parsed = Vec::with_capacity(received.len());
    for r in received {
        let path = r.path.clone();
        let name = r.name.clone();
        let profile = state
            .jobs
            .run(move |cancel| {
                let data = std::fs::read(&path)?;
                let p = parse(&data, cancel).map_err(|e| match e {
                    ProfileError::Stopped => cancel.check().err().unwrap_or(AppError::Internal),
                    e => AppError::Unprocessable(format!("{name}: {e}")),
                })?;
                p.check_numbers()
                    .map_err(|e| AppError::Unprocessable(format!("{name}: {e}")))?;
                Ok(Arc::new(p))
            })
            .await?;
        let meta = ProfileSummary::of(r.id, r.name, now_ms(), r.size, &profile);
        parsed.push((r.id, profile));
        staged.push(Staged { meta, path: r.path });
    }
    let metas = state.store.commit(id, staged, quotas).await?;
    for (pid, profile) in parsed {
        let size = profile.model_bytes();
        state.cache.insert(pid, profile, size);
    }
    tracing::info!(session = %id.short(), files = metas.len(), "upload stored");
    Ok(metas)
}

/// *Merge runs*: stores one new profile made of `ids` (in order; see
/// [`crate::engine::merge`]) under `name` (a default naming the runs when empty), as an
/// upload of the merged bytes: the same quotas, the same parse, the same listing.
pub async fn merge(
    state: &AppState,
    id: SessionId,
    ids: &[ProfileId],
    name: Option<String>,
) -> Result<ProfileSummary, AppError> {
    use crate::engine::merge::{self, MergeError};
    let max = state.config.max_profiles_per_compare as usize;
    if ids.len() < 2 {
        return Err(AppError::bad("pick two or more profiles to merge"));
    }
    if ids.len() > max {
        return Err(AppError::bad(format!(
            "{} profiles given; at most {max} merge at once (max-profiles-per-compare)",
            ids.len()
        )));
    }
    if let Some(dup) = ids
        .iter()
        .enumerate()
        .find_map(|(i, x)| ids[..i].contains(x).then_some(x))
    {
        return Err(AppError::bad(format!(
            "profile {dup} is given twice: each run counts once"
        )));
    }
    let loaded = profiles(state, Access::Session(id), ids).await?;
    let first_name = loaded[0].0.name.clone();
    let max_bytes = usize::try_from(state.config.max_upload_mb << 20).unwrap_or(usize::MAX);
    let shared: Vec<Arc<Profile>> = loaded.into_iter().map(|(_, p)| p).collect();
    let (bytes, format) = state
        .jobs
        .run(move |cancel| {
            cancel.check()?;
            let refs: Vec<&Profile> = shared.iter().map(AsRef::as_ref).collect();
            merge::merge(&refs, max_bytes).map_err(|e| match e {
                MergeError::TooLarge(_) => {
                    AppError::TooLarge(format!("{e} (max-upload-mb: {} MB)", max_bytes >> 20))
                }
                MergeError::TooFew => AppError::bad(e.to_string()),
                e => AppError::Unprocessable(e.to_string()),
            })
        })
        .await?;
    let name = match name.map(|n| {
        n.chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>()
    }) {
        Some(n) if !n.trim().is_empty() => n,
        _ => {
            let stem = first_name
                .trim_end_matches(".prof")
                .trim_end_matches(".pstats");
            format!("merged-{}-runs-{stem}.{}", ids.len(), format.extension())
        }
    };
    let pid = ProfileId::new();
    let path = state.store.staging_dir().join(format!("{pid}.part"));
    tokio::fs::write(&path, &bytes).await?;
    let received = Received {
        id: pid,
        name,
        path: path.clone(),
        size: bytes.len() as u64,
    };
    let stored = store_uploads(state, id, vec![received]).await;
    // Committed files moved away; a refused one is still here.
    let _ = tokio::fs::remove_file(&path).await;
    let mut metas = stored?;
    Ok(metas.remove(0))
}

/// The metric named `m` (tottime when absent).
pub fn metric(m: Option<&str>) -> Result<Metric, AppError> {
    match m {
        None => Ok(Metric::Tottime),
        Some(m) => Metric::parse(m)
            .ok_or_else(|| AppError::bad(format!("unknown metric {m:?} (tottime or cumtime)"))),
    }
}

/// Longest view query a share keeps (the permalink of a view is well under this).
const MAX_SHARE_QUERY: usize = 4096;

/// *Share*: a read-only snapshot of the profiles `target` names (a comparison's, or one
/// profile), readable at `/s/{id}` for `share-ttl-days`. Counts toward the session's
/// `max-shares-per-session` and, once its profiles are deleted, `max-session-mb`.
pub async fn create_share(
    state: &AppState,
    id: SessionId,
    target: ShareTarget,
) -> Result<ShareInfo, AppError> {
    session(state, id).await?;
    let (ids, view) = match target {
        ShareTarget::Compare { req, query } => {
            check_request(state, &req)?;
            let query = query.trim_start_matches('?');
            if query.len() > MAX_SHARE_QUERY
                || !query.bytes().all(|b| b.is_ascii_graphic() && b != b'#')
            {
                return Err(AppError::bad(format!(
                    "the view query must be a URL query of at most {MAX_SHARE_QUERY} characters"
                )));
            }
            let query = if query.is_empty() {
                req.to_query()
            } else {
                query.to_string()
            };
            let mut ids: Vec<ProfileId> = Vec::new();
            for &p in req.a.iter().chain(&req.b) {
                if !ids.contains(&p) {
                    ids.push(p);
                }
            }
            (ids, ShareView::Compare { query })
        }
        ShareTarget::Profile { id: pid } => (vec![pid], ShareView::Profile { id: pid }),
    };
    let mut profiles = Vec::with_capacity(ids.len());
    for pid in ids {
        profiles.push(state.store.meta(id, pid).await?);
    }
    let now = now_ms();
    let ttl_ms = (state.config.share_ttl_days * 86_400_000.0) as i64;
    let record = ShareRecord {
        id: ShareId::random(),
        owner: id,
        view,
        created_ms: now,
        expires_ms: now.saturating_add(ttl_ms.max(1)),
        profiles,
    };
    state
        .store
        .create_share(record.clone(), Quotas::of(&state.config))
        .await?;
    // The id is a capability: never in the logs at info level.
    tracing::info!(session = %id.short(), profiles = record.profiles.len(), "share created");
    Ok(record.info())
}

/// The session's live shares, oldest first.
pub async fn shares(state: &AppState, id: SessionId) -> Result<Vec<ShareInfo>, AppError> {
    session(state, id).await?;
    Ok(state
        .store
        .shares(id)
        .await?
        .iter()
        .map(ShareRecord::info)
        .collect())
}

/// Ends one of the session's shares: its link answers 404 from now on.
pub async fn revoke_share(state: &AppState, id: SessionId, share: ShareId) -> Result<(), AppError> {
    session(state, id).await?;
    state.store.revoke_share(id, share).await?;
    state
        .comparisons
        .remove_where(|(a, _)| *a == Access::Share(share));
    tracing::info!(session = %id.short(), "share revoked");
    Ok(())
}

/// What a share link opens (404 when unknown, revoked or expired).
pub async fn share(state: &AppState, share: ShareId) -> Result<ShareInfo, AppError> {
    Ok(state.store.share(share).await?.info())
}
