//! The whole site, assembled at the top (as Leptos' start-axum template does in `main`): the
//! REST API, the Leptos pages and server functions, static files, security headers,
//! compression and request logs. The server room provides the state and the REST routes;
//! the UI room provides the pages; only this module knows both.

use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::app::{App, shell};
use crate::server::{AppState, api};

/// Content-Security-Policy the Leptos app works under: its hydration script is inline and
/// it instantiates WebAssembly; cargo-leptos' live reload uses a websocket in development.
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
                   style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; \
                   object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

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
