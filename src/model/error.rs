//! The one error type of the REST API and the server functions. Each variant knows its HTTP
//! status; its message is what the user sees (no internals, no paths). The browser gets the
//! variant itself (server functions encode it as JSON), so it matches on
//! [`AppError::SessionGone`] instead of searching message text.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum AppError {
    /// 400: the request is malformed or asks for more than a limit allows.
    #[error("{0}")]
    BadRequest(String),
    /// 401.
    #[error("{0}")]
    Unauthorized(String),
    /// 404: the session is unknown or expired; the browser starts a new one.
    #[error("session not found or expired")]
    SessionGone,
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 408: the client stopped sending.
    #[error("{0}")]
    Timeout(String),
    /// 409: a session quota.
    #[error("{0}")]
    Conflict(String),
    /// 413.
    #[error("{0}")]
    TooLarge(String),
    /// 422: not a profile, or one profdiff will not hold.
    #[error("{0}")]
    Unprocessable(String),
    /// 503 with `Retry-After`: a limit on concurrent work; waiting helps.
    #[error("{message}")]
    Busy { message: String, retry_after: u32 },
    /// 503: storage does not answer.
    #[error("{0}")]
    Unavailable(String),
    /// 507: storage is full or read-only; reads still work.
    #[error("{0}")]
    InsufficientStorage(String),
    /// 500: the details were logged where it happened.
    #[error("internal error")]
    Internal,
    /// The browser could not reach the server, or could not read its answer.
    #[error("cannot reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// An internal failure: `detail` is logged (on the server), the client sees only
    /// "internal error".
    pub fn internal(detail: impl std::fmt::Display) -> AppError {
        #[cfg(feature = "ssr")]
        tracing::error!("internal error: {detail}");
        #[cfg(not(feature = "ssr"))]
        let _ = detail;
        AppError::Internal
    }

    pub fn bad(message: impl Into<String>) -> AppError {
        AppError::BadRequest(message.into())
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::BadRequest(_) => S::BAD_REQUEST,
            AppError::Unauthorized(_) => S::UNAUTHORIZED,
            AppError::SessionGone | AppError::NotFound(_) => S::NOT_FOUND,
            AppError::Timeout(_) => S::REQUEST_TIMEOUT,
            AppError::Conflict(_) => S::CONFLICT,
            AppError::TooLarge(_) => S::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable(_) => S::UNPROCESSABLE_ENTITY,
            AppError::Busy { .. } | AppError::Unavailable(_) => S::SERVICE_UNAVAILABLE,
            AppError::InsufficientStorage(_) => S::INSUFFICIENT_STORAGE,
            AppError::Internal => S::INTERNAL_SERVER_ERROR,
            AppError::Transport(_) => S::BAD_GATEWAY,
        }
    }

    /// Seconds after which trying again may succeed, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            AppError::Busy { retry_after, .. } => Some(*retry_after),
            AppError::Unavailable(_) => Some(5),
            _ => None,
        }
    }
}

impl From<super::ids::IdError> for AppError {
    fn from(e: super::ids::IdError) -> Self {
        AppError::BadRequest(e.to_string())
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Request(m) => AppError::Transport(m),
            E::Deserialization(m) | E::Response(m) => AppError::Transport(m),
            // The browser sent something the server function cannot take.
            E::Args(m) => AppError::BadRequest(format!("invalid request: {m}")),
            E::MissingArg(m) => AppError::BadRequest(format!("missing argument {m}")),
            other => AppError::internal(other),
        }
    }

    /// Encodes the error for the browser and, on the server, gives the response this
    /// error's status (leptos_axum applies `ResponseOptions` after the function ran; this
    /// runs inside it), so a gone session answers 404 and a full queue 503, as REST does.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.status());
            if let Some(secs) = self.retry_after() {
                response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
        }
        <Self::Encoder as leptos::server_fn::Encodes<Self>>::encode(self)
            .unwrap_or_else(|_| leptos::server_fn::Bytes::from_static(br#"{"kind":"internal"}"#))
    }
}

#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    /// `{"error": "<message>", "kind": "<variant>"}` with the variant's status (and
    /// `Retry-After` when waiting helps).
    fn into_response(self) -> axum::response::Response {
        let kind = serde_json::to_value(&self)
            .ok()
            .and_then(|v| v.get("kind").cloned())
            .unwrap_or_default();
        let mut response = (
            self.status(),
            axum::Json(serde_json::json!({ "error": self.to_string(), "kind": kind })),
        )
            .into_response();
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::server_fn::error::FromServerFnError;

    #[test]
    fn the_browser_gets_the_variant_back() {
        for e in [
            AppError::SessionGone,
            AppError::Busy {
                message: "busy".into(),
                retry_after: 3,
            },
            AppError::Unprocessable("not a dump".into()),
            AppError::Internal,
        ] {
            let bytes = <leptos::server_fn::codec::JsonEncoding as leptos::server_fn::Encodes<
                AppError,
            >>::encode(&e)
            .unwrap();
            assert_eq!(AppError::de(bytes), e);
        }
        assert_eq!(
            AppError::SessionGone.to_string(),
            "session not found or expired"
        );
    }
}
