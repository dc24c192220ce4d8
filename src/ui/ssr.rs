//! Server-side helpers for the UI's server functions: the shared [`AppState`], the
//! caller's session, and errors as messages the browser can show.

use std::sync::Arc;

use leptos::prelude::*;

use super::types::{CompareReq, Mode, ProfileSummary, SessionInfo};
use crate::engine::Profile;
use crate::engine::compare::Options;
use crate::server::AppState;
use crate::server::api::compare_options;
use crate::server::error::ApiError;
use crate::server::ids::{ProfileId, SessionId};
use crate::server::store::{ProfileMeta, Quotas, SessionMeta, now_ms};

/// An error the browser shows as is, answered with the status the REST API gives it (so
/// an unknown session is a 404, not a server failure); internal details are only logged.
pub fn err(e: impl Into<ApiError>) -> ServerFnError {
    let e = e.into();
    if let ApiError::Internal(detail) = &e {
        tracing::error!("internal error: {detail}");
    }
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(e.status());
    }
    ServerFnError::new(e.to_string())
}

/// A request the server cannot take (400).
pub fn bad(msg: impl Into<String>) -> ServerFnError {
    err(ApiError::BadRequest(msg.into()))
}

/// Something that is not there (404).
pub fn missing(msg: impl Into<String>) -> ServerFnError {
    err(ApiError::NotFound(msg.into()))
}

/// The state `server::router` provides to every server function.
pub fn state() -> Result<AppState, ServerFnError> {
    use_context::<AppState>()
        .ok_or_else(|| err(ApiError::Internal("server state is not available".into())))
}

/// The caller's session, checked to exist (its expiry moves on).
pub async fn open_session(
    state: &AppState,
    id: &str,
) -> Result<(SessionId, SessionMeta), ServerFnError> {
    let sid = SessionId::parse(id).map_err(err)?;
    let meta = state.store.touch(sid).await.map_err(err)?;
    Ok((sid, meta))
}

/// A profile of the session, parsed (cached).
pub async fn profile(
    state: &AppState,
    sid: SessionId,
    id: &str,
) -> Result<(ProfileMeta, Arc<Profile>), ServerFnError> {
    let pid = ProfileId::parse(id).map_err(err)?;
    crate::server::api::parsed(state, sid, pid)
        .await
        .map_err(err)
}

/// Several profiles of the session, in the order given.
pub async fn profiles(
    state: &AppState,
    sid: SessionId,
    ids: &[String],
) -> Result<Vec<(ProfileMeta, Arc<Profile>)>, ServerFnError> {
    crate::server::api::parsed_all(state, sid, ids)
        .await
        .map_err(err)
}

/// Runs CPU-heavy work on the blocking pool, not the async runtime's threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServerFnError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| err(ApiError::Internal(e.to_string())))
}

pub fn summary(m: &ProfileMeta) -> ProfileSummary {
    ProfileSummary {
        id: m.id.to_string(),
        name: m.name.clone(),
        uploaded_ms: m.uploaded_ms,
        size_bytes: m.size_bytes,
        producer: m.producer,
        functions: m.functions,
        total_calls: m.total_calls,
        primitive_calls: m.primitive_calls,
        total_time: m.total_time,
    }
}

pub fn info_of(state: &AppState, meta: &SessionMeta, list: &[ProfileMeta]) -> SessionInfo {
    let config = &state.config;
    let quotas = Quotas::of(config);
    SessionInfo {
        id: meta.id.to_string(),
        created_ms: meta.created_ms,
        expires_ms: meta.expires_ms(config.session_ttl_hours),
        server_now_ms: now_ms(),
        profiles: list.len(),
        bytes_used: list.iter().map(|m| m.size_bytes).sum(),
        max_profiles: quotas.max_profiles as u64,
        max_session_bytes: quotas.max_session_bytes,
        max_upload_bytes: config.max_upload_mb << 20,
    }
}

/// The engine's options from a request, checked.
pub fn options(req: &CompareReq) -> Result<Options, ServerFnError> {
    let options =
        compare_options(Some(&req.metric), req.normalize, req.min_ms, req.min_pct).map_err(err)?;
    if !req.is_complete() {
        return Err(bad(match req.mode {
            Mode::Two => "pick one baseline and one candidate",
            Mode::Runs => "pick at least one baseline run and one candidate run",
            Mode::Matrix => "pick two or more profiles for a matrix",
        }));
    }
    Ok(options)
}
