//! The whole site, assembled at the top (as Leptos' start-axum template does in `main`): the
//! REST API, the Leptos pages and server functions, static files, security headers,
//! compression and request logs. The server room provides the state and the REST routes;
//! the UI room provides the pages; only this module knows both.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::app::{App, shell};
use crate::model::ShareId;
use crate::server::store::StoreError;
use crate::server::{AppState, api};

/// Content-Security-Policy the Leptos app works under: its hydration script is inline and
/// it instantiates WebAssembly; cargo-leptos' live reload uses a websocket in development.
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
                   style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; \
                   object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// A share page (`/s/{id}`) whose share is unknown, revoked or expired answers 404 (the
/// page itself says so once it loads), and no share page is kept by caches: a revoked
/// link must stop working everywhere.
async fn share_status(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(rest) = req.uri().path().strip_prefix("/s/") else {
        return next.run(req).await;
    };
    let gone = match ShareId::parse(rest) {
        Ok(id) => matches!(state.store.share(id).await, Err(StoreError::ShareNotFound)),
        Err(_) => true,
    };
    let mut response = next.run(req).await;
    if gone {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    response
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    // Server functions (the UI's calls) reach the service layer through this context.
    let context_state = state.clone();
    let header = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    Router::new()
        .nest("/api", api::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            share_status,
        ))
        .layer(header("content-security-policy", CSP))
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("referrer-policy", "no-referrer"))
        .layer(header("x-frame-options", "DENY"))
        // gzip for clients that ask: a comparison of 5,635 functions is ~3 MB of JSON and
        // the wasm bundle ~0.8 MB; the fastest level keeps the CPU cost small.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
