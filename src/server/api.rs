//! The REST API under `/api`. Handlers stay thin: check the session, call the store and
//! the engine, map errors. Every error body is `{"error": "<message>"}`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use super::AppState;
use super::error::ApiError;
use super::ids::{ProfileId, SessionId};
use super::store::{ProfileMeta, Quotas, SessionMeta, Staged, now_ms};
use crate::engine::compare::runs::{compare_runs, matrix};
use crate::engine::compare::{self, Metric, Options, SortField};
use crate::engine::pyfmt::rfc3339_ms;
use crate::engine::{Profile, Report, Restriction, SortKey, Source};

/// Most files one upload request may carry.
pub const MAX_FILES_PER_UPLOAD: u64 = 20;

pub fn routes(config: &super::Config) -> Router<AppState> {
    // The body of one upload may hold several files, each up to max-upload-mb; each file
    // is also counted as it streams in.
    let upload_limit =
        (config.max_upload_mb << 20).saturating_mul(MAX_FILES_PER_UPLOAD) as usize + (1 << 20);
    Router::new()
        .route("/health", get(health))
        .route("/session", post(create_session))
        .route("/session-info", get(session_info))
        .route(
            "/upload",
            post(upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/profiles", get(list_profiles))
        .route("/profiles/{id}", get(profile_rows).delete(delete_profile))
        .route("/profiles/{id}/raw", get(profile_raw))
        .route("/compare", post(compare_profiles))
        .route("/clear", post(clear))
        .route("/debug/all-sessions", get(debug_sessions))
        .fallback(|| async { ApiError::NotFound("no such API route".into()) })
}

/// The caller's session, from the `X-Session-Id` header, parsed and checked to exist (its
/// last use is moved to now).
pub struct Session(pub SessionId, pub SessionMeta);

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get("x-session-id").ok_or_else(|| {
            ApiError::BadRequest(
                "missing X-Session-Id header (create a session with POST /api/session)".into(),
            )
        })?;
        let text = header
            .to_str()
            .map_err(|_| ApiError::BadRequest("invalid session id".into()))?;
        let id = SessionId::parse(text)?;
        let meta = state.store.touch(id).await?;
        Ok(Session(id, meta))
    }
}

fn session_json(state: &AppState, meta: &SessionMeta) -> Value {
    json!({
        "session_id": meta.id,
        "created_at": rfc3339_ms(meta.created_ms),
        "last_used_at": rfc3339_ms(meta.last_used_ms),
        "expires_at": rfc3339_ms(meta.expires_ms(state.config.session_ttl_hours)),
    })
}

fn profile_json(m: &ProfileMeta) -> Value {
    json!({
        "id": m.id,
        "name": m.name,
        "uploaded_at": rfc3339_ms(m.uploaded_ms),
        "size_bytes": m.size_bytes,
        "producer": m.producer,
        "functions": m.functions,
        "total_calls": m.total_calls,
        "primitive_calls": m.primitive_calls,
        "total_time": m.total_time,
    })
}

/// `GET /api/health`: 200 when storage takes writes, 503 otherwise.
async fn health(State(state): State<AppState>) -> Response {
    let ok = state.store.healthy().await;
    let body = json!({
        "status": if ok { "ok" } else { "unavailable" },
        "storage": state.store.kind(),
        // Whether the storage answers: the data dir takes writes, or Redis replies to PING.
        "storage_connected": ok,
        "version": env!("CARGO_PKG_VERSION"),
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `POST /api/session`: a new session (ids are minted here, never by clients).
async fn create_session(
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let meta = state.store.create_session().await?;
    tracing::info!(session = %meta.id.short(), "session created");
    let mut body = session_json(&state, &meta);
    body.as_object_mut().expect("object").remove("last_used_at");
    Ok((StatusCode::CREATED, Json(body)))
}

/// `GET /api/session-info`.
async fn session_info(
    State(state): State<AppState>,
    Session(id, meta): Session,
) -> Result<Json<Value>, ApiError> {
    let list = state.store.list(id).await?;
    let mut body = session_json(&state, &meta);
    let obj = body.as_object_mut().expect("object");
    obj.insert("profiles".into(), json!(list.len()));
    obj.insert(
        "bytes_used".into(),
        json!(list.iter().map(|m| m.size_bytes).sum::<u64>()),
    );
    obj.insert("storage".into(), json!(state.store.kind()));
    Ok(Json(body))
}

/// Deletes staged temp files unless the upload committed them.
struct TempFiles(Vec<std::path::PathBuf>);

impl Drop for TempFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A display name from an uploaded file name: its last path component, printable, short.
fn clean_name(raw: Option<&str>) -> String {
    let base = raw.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.trim().is_empty() {
        "profile".into()
    } else {
        name
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge("the upload is too large".into()),
        _ => ApiError::BadRequest(format!("invalid multipart upload: {}", e.body_text())),
    }
}

/// `POST /api/upload`: multipart with one or more `file` fields; all are stored or none.
async fn upload(
    State(state): State<AppState>,
    Session(id, _): Session,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let max = state.config.max_upload_mb << 20;
    let staging = state.store.staging_dir();
    let mut temps = TempFiles(Vec::new());
    let mut received = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        if received.len() as u64 >= MAX_FILES_PER_UPLOAD {
            return Err(ApiError::BadRequest(format!(
                "at most {MAX_FILES_PER_UPLOAD} files per upload"
            )));
        }
        let name = clean_name(field.file_name());
        let pid = ProfileId::new();
        let path = staging.join(format!("{pid}.part"));
        let mut file = tokio::fs::File::create(&path).await?;
        temps.0.push(path.clone());
        let mut size = 0u64;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            size += chunk.len() as u64;
            if size > max {
                return Err(ApiError::TooLarge(format!(
                    "{name} is larger than the {} MB upload limit",
                    state.config.max_upload_mb
                )));
            }
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        received.push((pid, name, path, size));
    }
    if received.is_empty() {
        return Err(ApiError::BadRequest(
            "no file in the upload: send multipart/form-data with one or more `file` fields".into(),
        ));
    }
    let mut staged = Vec::with_capacity(received.len());
    let mut parsed = Vec::with_capacity(received.len());
    for (pid, name, path, size) in received {
        let read_path = path.clone();
        let profile = tokio::task::spawn_blocking(move || -> Result<Profile, String> {
            let data = std::fs::read(&read_path).map_err(|e| e.to_string())?;
            Profile::parse(&data).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Unprocessable(format!("{name}: {e}")))?;
        let meta = ProfileMeta {
            id: pid,
            name,
            uploaded_ms: now_ms(),
            size_bytes: size,
            producer: profile.producer(),
            functions: profile.len(),
            total_calls: profile.total_calls(),
            primitive_calls: profile.primitive_calls(),
            total_time: profile.total_time(),
        };
        parsed.push((pid, Arc::new(profile), size as usize));
        staged.push(Staged { meta, path });
    }
    let quotas = Quotas::of(&state.config);
    let metas = state.store.commit(id, staged, quotas).await?;
    for (pid, profile, size) in parsed {
        state.cache.insert(pid, profile, size);
    }
    tracing::info!(session = %id.short(), files = metas.len(), "upload stored");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "profiles": metas.iter().map(profile_json).collect::<Vec<_>>() })),
    ))
}

/// `GET /api/profiles`: this session's profiles, newest last.
async fn list_profiles(
    State(state): State<AppState>,
    Session(id, _): Session,
) -> Result<Json<Value>, ApiError> {
    let list = state.store.list(id).await?;
    Ok(Json(
        json!({ "profiles": list.iter().map(profile_json).collect::<Vec<_>>() }),
    ))
}

/// A profile of this session, parsed (from the cache when possible).
pub(crate) async fn parsed(
    state: &AppState,
    id: SessionId,
    pid: ProfileId,
) -> Result<(ProfileMeta, Arc<Profile>), ApiError> {
    // The store answers only for profiles of this session: ownership is checked here.
    let meta = state.store.meta(id, pid).await?;
    if let Some(p) = state.cache.get(pid) {
        return Ok((meta, p));
    }
    let bytes = state.store.bytes(id, pid).await?;
    let len = bytes.len();
    let profile = tokio::task::spawn_blocking(move || Profile::parse(&bytes))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(format!("stored profile {pid} no longer parses: {e}")))?;
    let profile = Arc::new(profile);
    state.cache.insert(pid, profile.clone(), len);
    Ok((meta, profile))
}

/// Several profiles of this session, parsed, in the order given (ids as the client sent them).
pub(crate) async fn parsed_all(
    state: &AppState,
    id: SessionId,
    ids: &[String],
) -> Result<Vec<(ProfileMeta, Arc<Profile>)>, ApiError> {
    let mut out = Vec::with_capacity(ids.len());
    for text in ids {
        out.push(parsed(state, id, profile_id(text)?).await?);
    }
    Ok(out)
}

/// The comparison engine's options from a request: the metric name (tottime when absent) and
/// the thresholds, checked. The REST API and the UI's server functions both use it.
pub(crate) fn compare_options(
    metric: Option<&str>,
    normalize: bool,
    min_ms: f64,
    min_pct: f64,
) -> Result<Options, ApiError> {
    let metric = match metric {
        None => Metric::Tottime,
        Some(m) => Metric::parse(m).ok_or_else(|| {
            ApiError::BadRequest(format!("unknown metric {m:?} (tottime or cumtime)"))
        })?,
    };
    let bad = |x: f64| x.is_nan() || x < 0.0;
    if bad(min_ms) || bad(min_pct) {
        return Err(ApiError::BadRequest(
            "min_ms and min_pct must be 0 or more".into(),
        ));
    }
    Ok(Options {
        metric,
        normalize,
        min_ms,
        min_pct,
    })
}

fn profile_id(text: &str) -> Result<ProfileId, ApiError> {
    Ok(ProfileId::parse(text)?)
}

#[derive(Deserialize)]
struct RowsQuery {
    /// pstats sort keys, comma-separated (`cumulative,name`).
    sort: Option<String>,
    /// A regular expression the pstats name must match.
    filter: Option<String>,
    limit: Option<i64>,
}

/// `GET /api/profiles/{id}`: the pstats table as JSON rows.
async fn profile_rows(
    State(state): State<AppState>,
    Session(id, _): Session,
    Path(pid): Path<String>,
    Query(q): Query<RowsQuery>,
) -> Result<Json<Value>, ApiError> {
    let pid = profile_id(&pid)?;
    let (meta, profile) = parsed(&state, id, pid).await?;
    let keys = match q.sort.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => s
            .split(',')
            .map(|w| SortKey::parse(w.trim()).map_err(|e| ApiError::BadRequest(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?,
        None => vec![SortKey::parse("cumulative").expect("valid key")],
    };
    let mut restrictions = Vec::new();
    if let Some(f) = q.filter.filter(|f| !f.is_empty()) {
        regex::Regex::new(&f).map_err(|e| ApiError::BadRequest(format!("invalid filter: {e}")))?;
        restrictions.push(Restriction::Regex(f));
    }
    if let Some(n) = q.limit {
        if n < 0 {
            return Err(ApiError::BadRequest("limit must be 0 or more".into()));
        }
        restrictions.push(Restriction::Count(n));
    }
    let rows = tokio::task::spawn_blocking(move || {
        let mut report = Report::new(vec![Source { label: String::new(), profile }]);
        report.sort(&keys);
        let funcs = report.profile().functions();
        report
            .selected(&restrictions)
            .into_iter()
            .map(|i| {
                let f = &funcs[i];
                json!({
                    "file": &*f.key.file, "line": f.key.line, "name": &*f.key.name, "display": f.key.display(),
                    "ncalls": f.nc, "pcalls": f.cc, "tottime": f.tt, "cumtime": f.ct,
                    "tottime_per_call": if f.nc != 0 { Some(f.tt / f.nc as f64) } else { None },
                    "cumtime_per_call": if f.cc != 0 { Some(f.ct / f.cc as f64) } else { None },
                    "callers": f.callers.len(),
                })
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(
        json!({ "profile": profile_json(&meta), "rows": rows }),
    ))
}

/// `GET /api/profiles/{id}/raw`: the bytes as uploaded.
async fn profile_raw(
    State(state): State<AppState>,
    Session(id, _): Session,
    Path(pid): Path<String>,
) -> Result<Response, ApiError> {
    let pid = profile_id(&pid)?;
    let meta = state.store.meta(id, pid).await?;
    let bytes = state.store.bytes(id, pid).await?;
    let ascii: String = meta
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// `DELETE /api/profiles/{id}`.
async fn delete_profile(
    State(state): State<AppState>,
    Session(id, _): Session,
    Path(pid): Path<String>,
) -> Result<StatusCode, ApiError> {
    delete_one(&state, id, &pid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes one profile of this session (and its parsed copy from the cache).
pub(crate) async fn delete_one(state: &AppState, id: SessionId, pid: &str) -> Result<(), ApiError> {
    let pid = profile_id(pid)?;
    state.store.delete(id, pid).await?;
    state.cache.remove(pid);
    Ok(())
}

/// Deletes every profile of this session (and their parsed copies); returns how many.
pub(crate) async fn clear_all(state: &AppState, id: SessionId) -> Result<usize, ApiError> {
    let list = state.store.list(id).await?;
    let deleted = state.store.clear(id).await?;
    for m in list {
        state.cache.remove(m.id);
    }
    Ok(deleted)
}

/// `POST /api/clear`: deletes every profile; the session stays.
async fn clear(
    State(state): State<AppState>,
    Session(id, _): Session,
) -> Result<Json<Value>, ApiError> {
    let deleted = clear_all(&state, id).await?;
    Ok(Json(json!({ "deleted": deleted })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompareRequest {
    baseline: Option<String>,
    candidate: Option<String>,
    baselines: Option<Vec<String>>,
    candidates: Option<Vec<String>>,
    series: Option<Vec<String>>,
    metric: Option<String>,
    normalize: Option<bool>,
    min_ms: Option<f64>,
    min_pct: Option<f64>,
    sort: Option<String>,
}

/// Runs a comparison and its serialisation (CPU-heavy) on the blocking pool, not the async runtime's threads.
async fn off_runtime(
    f: impl FnOnce() -> serde_json::Result<Vec<u8>> + Send + 'static,
) -> Result<Vec<u8>, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// `POST /api/compare`: the comparison JSON contract (docs/compare-json.md).
async fn compare_profiles(
    State(state): State<AppState>,
    Session(id, _): Session,
    body: Result<Json<CompareRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body
        .map_err(|e| ApiError::BadRequest(format!("invalid compare request: {}", e.body_text())))?;
    let options = compare_options(
        req.metric.as_deref(),
        req.normalize.unwrap_or(false),
        req.min_ms.unwrap_or(1.0),
        req.min_pct.unwrap_or(5.0),
    )?;
    let metric = options.metric;
    let load = |ids: Vec<String>| {
        let state = state.clone();
        async move { parsed_all(&state, id, &ids).await }
    };
    let value = match (
        req.baseline,
        req.candidate,
        req.baselines,
        req.candidates,
        req.series,
    ) {
        (Some(b), Some(c), None, None, None) => {
            let mut both = load(vec![b, c]).await?;
            let (_, cand) = both.pop().expect("two");
            let (_, base) = both.pop().expect("two");
            let sort = match req.sort.as_deref() {
                None => None,
                Some(s) => Some(SortField::parse(s).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "unknown sort {s:?} (one of: {})",
                        SortField::NAMES.join(", ")
                    ))
                })?),
            };
            off_runtime(move || {
                let mut c = compare::compare(&base, &cand, &options);
                if let Some(field) = sort {
                    c.sort(field, false);
                }
                serde_json::to_vec(&c)
            })
            .await?
        }
        (None, None, Some(bs), Some(cs), None) if !bs.is_empty() && !cs.is_empty() => {
            // The cached profiles are shared, not copied.
            let bs: Vec<Arc<Profile>> = load(bs).await?.into_iter().map(|(_, p)| p).collect();
            let cs: Vec<Arc<Profile>> = load(cs).await?.into_iter().map(|(_, p)| p).collect();
            off_runtime(move || serde_json::to_vec(&compare_runs(&bs, &cs, &options))).await?
        }
        (None, None, None, None, Some(series)) if series.len() >= 2 => {
            let ps: Vec<(String, Arc<Profile>)> = load(series)
                .await?
                .into_iter()
                .map(|(m, p)| (m.name, p))
                .collect();
            off_runtime(move || serde_json::to_vec(&matrix(&ps, metric))).await?
        }
        _ => {
            return Err(ApiError::BadRequest(
                "give {\"baseline\", \"candidate\"}, or non-empty {\"baselines\", \"candidates\"}, or \
                 {\"series\"} with two or more profile ids"
                    .into(),
            ));
        }
    };
    // Serialised straight to bytes: a comparison of large profiles is megabytes of JSON,
    // and going through a `Value` tree first costs more than the comparison itself.
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        value,
    )
        .into_response())
}

/// `GET /api/debug/all-sessions`: 404 unless `debug-endpoints = true`; then needs
/// `Authorization: Bearer <PROFDIFF_ADMIN_TOKEN>`. Ids are shortened to 8 characters.
async fn debug_sessions(
    State(state): State<AppState>,
    parts: Parts,
) -> Result<Json<Value>, ApiError> {
    let Some(token) = state
        .admin_token
        .as_deref()
        .filter(|_| state.config.debug_endpoints)
    else {
        return Err(ApiError::NotFound("no such API route".into()));
    };
    let given = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compare in time independent of where the first difference is.
    let same = given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(ApiError::Unauthorized(
            "admin token required (Authorization: Bearer …)".into(),
        ));
    }
    let sessions = state.store.all_sessions().await?;
    Ok(Json(
        json!({ "sessions": sessions, "count": sessions.len() }),
    ))
}
