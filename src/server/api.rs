//! The REST API under `/api`. Handlers stay thin: parse, call, map errors.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use super::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .fallback(|| async { ApiError::NotFound("no such API route".into()) })
}

/// `GET /api/health`: 200 when the data directory takes writes, 503 otherwise.
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let dir = state.config.data_dir.clone();
    let writable = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir).is_ok())
        .await
        .unwrap_or(false);
    let body = json!({
        "status": if writable { "ok" } else { "unavailable" },
        "storage": state.config.storage.to_string(),
        "version": env!("CARGO_PKG_VERSION"),
    });
    let status = if writable {
        StatusCode::OK
    } else {
        ApiError::Unavailable.status()
    };
    (status, Json(body))
}
