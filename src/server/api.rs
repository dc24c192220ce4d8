//! The REST API under `/api`: handlers and extractors only. Each handler reads its input,
//! calls the service layer (shared with the web app's server functions), and shapes the
//! answer. Every error body is `{"error": "<message>"}`, rejections of malformed input
//! included.

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::AppState;
use super::service;
use super::store::SessionMeta;
use super::upload;
use crate::engine::compare::{Metric, SortField};
use crate::engine::{Report, Restriction, SortKey, Source};
use crate::model::{
    Access, AppError, CompareRequest, FunctionRow, Mode, Outcome, ProfileId, SessionId, ShareId,
    ShareTarget,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/session", post(create_session))
        .route("/session-info", get(session_info))
        .route("/upload", post(upload::upload))
        .route("/profiles", get(list_profiles))
        .route("/profiles/{id}", get(profile_rows).delete(delete_profile))
        .route("/profiles/{id}/raw", get(profile_raw))
        .route("/compare", post(compare_profiles))
        .route("/merge", post(merge_profiles))
        .route("/clear", post(clear))
        .route("/shares", get(list_shares).post(create_share))
        .route("/shares/{id}", get(get_share).delete(revoke_share))
        .route(
            "/shares/{id}/profiles/{profile}/raw",
            get(share_profile_raw),
        )
        .route("/debug/all-sessions", get(debug_sessions))
        .fallback(|| async { AppError::NotFound("no such API route".into()) })
}

/// The caller's session, from the `X-Session-Id` header, parsed and checked to exist (its
/// last use is moved to now).
pub struct Session(pub SessionId, pub SessionMeta);

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let header = parts.headers.get("x-session-id").ok_or_else(|| {
            AppError::bad("missing X-Session-Id header (create a session with POST /api/session)")
        })?;
        let text = header
            .to_str()
            .map_err(|_| AppError::bad("invalid session id"))?;
        let id = SessionId::parse(text)?;
        let meta = service::session(state, id).await?;
        Ok(Session(id, meta))
    }
}

/// A query string, its rejection as a JSON 400.
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Q<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Q(q))
            .map_err(|e| AppError::bad(format!("invalid query: {}", e.body_text())))
    }
}

/// A profile id from the path, checked.
pub struct Pid(pub ProfileId);

impl<S: Send + Sync> FromRequestParts<S> for Pid {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad(format!("invalid path: {}", e.body_text())))?;
        Ok(Pid(ProfileId::parse(&text)?))
    }
}

/// A share id from the path. Anything that is not one answers like an unknown share (404):
/// a reader learns nothing from the difference.
pub struct Sid(pub ShareId);

impl<S: Send + Sync> FromRequestParts<S> for Sid {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::from(super::store::StoreError::ShareNotFound))?;
        Ok(Sid(share_id(&text)?))
    }
}

/// A share id from a path segment; a malformed one is an unknown share (404).
fn share_id(text: &str) -> Result<ShareId, AppError> {
    ShareId::parse(text).map_err(|_| super::store::StoreError::ShareNotFound.into())
}

/// A JSON body, its rejection as a JSON 400.
pub struct J<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for J<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| J(v))
            .map_err(|e| AppError::bad(format!("invalid request body: {}", e.body_text())))
    }
}

/// `GET /api/health`: 200 when storage takes writes, 503 otherwise; never waits for jobs.
async fn health(State(state): State<AppState>) -> Response {
    let ok = state.store.healthy().await;
    let body = json!({
        "status": if ok { "ok" } else { "unavailable" },
        "storage": state.store.kind(),
        // Whether the storage answers: the data dir takes writes, or Redis replies to PING.
        "storage_connected": ok,
        "version": env!("CARGO_PKG_VERSION"),
        "jobs": state.jobs.load(),
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
) -> Result<(StatusCode, Json<crate::model::SessionInfo>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_session(&state).await?),
    ))
}

/// `GET /api/session-info`.
async fn session_info(
    State(state): State<AppState>,
    Session(id, meta): Session,
) -> Result<Json<crate::model::SessionInfo>, AppError> {
    let list = state.store.list(id).await?;
    Ok(Json(service::info(&state, &meta, &list)))
}

/// `GET /api/profiles`: this session's profiles, newest last.
async fn list_profiles(
    State(state): State<AppState>,
    Session(id, _): Session,
) -> Result<Json<Value>, AppError> {
    let list = state.store.list(id).await?;
    Ok(Json(json!({ "profiles": list })))
}

#[derive(Deserialize)]
struct RowsQuery {
    /// pstats sort keys, comma-separated (`cumulative,name`).
    sort: Option<String>,
    /// A regular expression the pstats name must match.
    filter: Option<String>,
    limit: Option<i64>,
}

/// `sort=` as pstats keys: each at most once (so there are at most as many as pstats has).
fn sort_keys(sort: Option<&str>) -> Result<Vec<SortKey>, AppError> {
    let Some(s) = sort.filter(|s| !s.is_empty()) else {
        return Ok(vec![SortKey::parse("cumulative").expect("valid key")]);
    };
    let mut keys: Vec<SortKey> = Vec::new();
    for word in s.split(',') {
        let key = SortKey::parse(word.trim()).map_err(|e| AppError::bad(e.to_string()))?;
        if keys.contains(&key) {
            return Err(AppError::bad(format!(
                "sort key {:?} is given twice (each key at most once)",
                word.trim()
            )));
        }
        keys.push(key);
    }
    Ok(keys)
}

/// `GET /api/profiles/{id}`: the pstats table as JSON rows.
async fn profile_rows(
    State(state): State<AppState>,
    Session(id, _): Session,
    Pid(pid): Pid,
    Q(q): Q<RowsQuery>,
) -> Result<Json<Value>, AppError> {
    let keys = sort_keys(q.sort.as_deref())?;
    let mut restrictions = Vec::new();
    if let Some(f) = q.filter.filter(|f| !f.is_empty()) {
        let max = state.config.max_pattern_bytes as usize;
        if f.len() > max {
            return Err(AppError::bad(format!(
                "the filter is {} bytes; at most {max} (max-pattern-bytes)",
                f.len()
            )));
        }
        // Compiled once here with a size limit, so no pattern costs more than 1 MB.
        regex::RegexBuilder::new(&f)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| AppError::bad(format!("invalid filter: {e}")))?;
        restrictions.push(Restriction::Regex(f));
    }
    if let Some(n) = q.limit {
        if n < 0 {
            return Err(AppError::bad("limit must be 0 or more"));
        }
        restrictions.push(Restriction::Count(n));
    }
    let (meta, profile) = service::profile(&state, Access::Session(id), pid).await?;
    let rows = state
        .jobs
        .run(move |_| {
            let producer = profile.producer();
            let mut report = Report::new(vec![Source {
                label: String::new(),
                profile: profile.clone(),
            }]);
            report.sort(&keys);
            // The report sorted its own copy; rows name positions in the stored profile.
            let sorted = report.profile().functions();
            Ok(report
                .selected(&restrictions)
                .into_iter()
                .map(|i| {
                    let at = profile.position(&sorted[i].key).unwrap_or(i);
                    FunctionRow::of(&profile, producer, at)
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(Json(json!({ "profile": meta, "rows": rows })))
}

/// `GET /api/profiles/{id}/raw`: the bytes as uploaded.
async fn profile_raw(
    State(state): State<AppState>,
    Session(id, _): Session,
    Pid(pid): Pid,
) -> Result<Response, AppError> {
    let (meta, bytes) = service::raw(&state, Access::Session(id), pid).await?;
    Ok(attachment(&meta, bytes))
}

/// `GET /api/shares/{id}/profiles/{profile}/raw`: a shared profile's bytes (no session).
async fn share_profile_raw(
    State(state): State<AppState>,
    Path((share, pid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let share = share_id(&share)?;
    let pid = ProfileId::parse(&pid)?;
    let (meta, bytes) = service::raw(&state, Access::Share(share), pid).await?;
    Ok(attachment(&meta, bytes))
}

/// A stored profile's bytes as a download named after it.
fn attachment(meta: &crate::model::ProfileSummary, bytes: Vec<u8>) -> Response {
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
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from(bytes),
    )
        .into_response()
}

/// `DELETE /api/profiles/{id}`.
async fn delete_profile(
    State(state): State<AppState>,
    Session(id, _): Session,
    Pid(pid): Pid,
) -> Result<StatusCode, AppError> {
    service::delete(&state, id, pid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/clear`: deletes every profile; the session stays.
async fn clear(
    State(state): State<AppState>,
    Session(id, _): Session,
) -> Result<Json<Value>, AppError> {
    let deleted = service::clear(&state, id).await?;
    Ok(Json(json!({ "deleted": deleted })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompareBody {
    baseline: Option<ProfileId>,
    candidate: Option<ProfileId>,
    baselines: Option<Vec<ProfileId>>,
    candidates: Option<Vec<ProfileId>>,
    series: Option<Vec<ProfileId>>,
    metric: Option<String>,
    normalize: Option<bool>,
    min_ms: Option<f64>,
    min_pct: Option<f64>,
    alpha: Option<f64>,
    test: Option<String>,
    sort: Option<String>,
}

impl CompareBody {
    /// The request in the form the service runs (and the web app sends).
    fn request(self) -> Result<(CompareRequest, Option<SortField>), AppError> {
        let d = CompareRequest::default();
        let (mode, a, b) = match (
            self.baseline,
            self.candidate,
            self.baselines,
            self.candidates,
            self.series,
        ) {
            (Some(b), Some(c), None, None, None) => (Mode::Two, vec![b], vec![c]),
            (None, None, Some(bs), Some(cs), None) if !bs.is_empty() && !cs.is_empty() => {
                (Mode::Runs, bs, cs)
            }
            (None, None, None, None, Some(series)) if series.len() >= 2 => {
                (Mode::Matrix, series, Vec::new())
            }
            _ => {
                return Err(AppError::bad(
                    "give {\"baseline\", \"candidate\"}, or non-empty {\"baselines\", \"candidates\"}, or \
                     {\"series\"} with two or more profile ids",
                ));
            }
        };
        let sort = match self.sort.as_deref() {
            None => None,
            Some(_) if mode != Mode::Two => {
                return Err(AppError::bad("sort applies to two-way comparisons"));
            }
            Some(s) => Some(SortField::parse(s).ok_or_else(|| {
                AppError::bad(format!(
                    "unknown sort {s:?} (one of: {})",
                    SortField::NAMES.join(", ")
                ))
            })?),
        };
        let metric: Metric = service::metric(self.metric.as_deref())?;
        let test = match self.test.as_deref() {
            None => d.test,
            Some(t) => crate::engine::stats::TestKind::parse(t).ok_or_else(|| {
                AppError::bad(format!("unknown test {t:?} (mann-whitney-u or welch-t)"))
            })?,
        };
        Ok((
            CompareRequest {
                mode,
                a,
                b,
                metric,
                normalize: self.normalize.unwrap_or(d.normalize),
                min_ms: self.min_ms.unwrap_or(d.min_ms),
                min_pct: self.min_pct.unwrap_or(d.min_pct),
                alpha: self.alpha.unwrap_or(d.alpha),
                test,
            },
            sort,
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    profiles: Vec<ProfileId>,
    name: Option<String>,
}

/// `POST /api/merge`: one new profile from several (pstats' add; samples summed), listed
/// like an upload.
async fn merge_profiles(
    State(state): State<AppState>,
    Session(id, _): Session,
    J(body): J<MergeBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let meta = service::merge(&state, id, &body.profiles, body.name).await?;
    Ok((StatusCode::CREATED, Json(json!({ "profile": meta }))))
}

/// `POST /api/shares`: a read-only share link. The body is `{"profile": id}`, or what
/// `POST /api/compare` takes (the comparison to share) with an optional `"query"` (the
/// compare page's view state for the link).
async fn create_share(
    State(state): State<AppState>,
    Session(id, _): Session,
    J(mut body): J<serde_json::Map<String, Value>>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let invalid = |e: serde_json::Error| AppError::bad(format!("invalid request body: {e}"));
    let target = match body.remove("profile") {
        Some(p) if body.is_empty() => ShareTarget::Profile {
            id: serde_json::from_value(p).map_err(invalid)?,
        },
        Some(_) => {
            return Err(AppError::bad(
                "a profile share takes only {\"profile\": id}",
            ));
        }
        None => {
            let query = match body.remove("query") {
                None => String::new(),
                Some(q) => serde_json::from_value(q).map_err(invalid)?,
            };
            let compare: CompareBody =
                serde_json::from_value(Value::Object(body)).map_err(invalid)?;
            let (req, sort) = compare.request()?;
            if sort.is_some() {
                return Err(AppError::bad(
                    "sort is the link's view state: give it in \"query\" (sort=…)",
                ));
            }
            ShareTarget::Compare { req, query }
        }
    };
    let share = service::create_share(&state, id, target).await?;
    Ok((StatusCode::CREATED, Json(json!({ "share": share }))))
}

/// `GET /api/shares`: the session's live shares, oldest first.
async fn list_shares(
    State(state): State<AppState>,
    Session(id, _): Session,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        json!({ "shares": service::shares(&state, id).await? }),
    ))
}

/// `GET /api/shares/{id}`: what a share holds; no session needed (the id is the key).
async fn get_share(
    State(state): State<AppState>,
    Sid(share): Sid,
) -> Result<Json<crate::model::ShareInfo>, AppError> {
    Ok(Json(service::share(&state, share).await?))
}

/// `DELETE /api/shares/{id}`: revokes one of the session's shares.
async fn revoke_share(
    State(state): State<AppState>,
    Session(id, _): Session,
    Sid(share): Sid,
) -> Result<StatusCode, AppError> {
    service::revoke_share(&state, id, share).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/compare`: the comparison JSON contract (docs/compare-json.md).
async fn compare_profiles(
    State(state): State<AppState>,
    Session(id, _): Session,
    J(body): J<CompareBody>,
) -> Result<Response, AppError> {
    let (req, sort) = body.request()?;
    let outcome = service::compare(&state, Access::Session(id), &req).await?;
    // Serialised straight to bytes on a worker: a comparison of large profiles is
    // megabytes of JSON.
    let bytes = state
        .jobs
        .run(move |_| {
            let r = match &*outcome {
                Outcome::Two(c) => match sort {
                    Some(field) => {
                        let mut c = (**c).clone();
                        c.sort(field, false);
                        serde_json::to_vec(&c)
                    }
                    None => serde_json::to_vec(&**c),
                },
                Outcome::Runs(r) => serde_json::to_vec(&**r),
                Outcome::Matrix(m) => serde_json::to_vec(&**m),
            };
            r.map_err(AppError::internal)
        })
        .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response())
}

/// `GET /api/debug/all-sessions`: 404 unless `debug-endpoints = true`; then needs
/// `Authorization: Bearer <PROFDIFF_ADMIN_TOKEN>`. Ids are shortened to 8 characters.
async fn debug_sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let Some(token) = state
        .admin_token
        .as_deref()
        .filter(|_| state.config.debug_endpoints)
    else {
        return Err(AppError::NotFound("no such API route".into()));
    };
    let given = headers
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
        return Err(AppError::Unauthorized(
            "admin token required (Authorization: Bearer …)".into(),
        ));
    }
    let sessions = state.store.all_sessions().await?;
    Ok(Json(
        json!({ "sessions": sessions, "count": sessions.len() }),
    ))
}
