//! The server room (`ssr` only): configuration, REST API, serving the Leptos app.

pub mod api;
pub mod cache;
pub mod config;
pub mod error;
pub mod ids;
pub mod store;

use std::sync::Arc;

use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::app::{App, shell};
pub use config::Config;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    pub store: Arc<dyn store::Store>,
    pub cache: Arc<cache::ProfileCache>,
    /// `PROFDIFF_ADMIN_TOKEN`, for `/api/debug/*`.
    pub admin_token: Option<String>,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Leptos' site settings. Under cargo-leptos they come from its environment (output name,
/// site root); run directly, the values match Cargo.toml's `[package.metadata.leptos]`.
/// The bind address always comes from our own configuration.
fn leptos_options(config: &Config) -> LeptosOptions {
    let mut options = if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        match leptos::config::get_configuration(None) {
            Ok(conf) => conf.leptos_options,
            Err(e) => {
                tracing::warn!("ignoring cargo-leptos environment: {e}");
                default_leptos_options()
            }
        }
    } else {
        default_leptos_options()
    };
    options.site_addr = config.site_addr;
    options
}

fn default_leptos_options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("profdiff")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build()
}

/// Opens storage and checks settings that need more than one key: what `serve` does
/// before it listens.
pub async fn state(config: Config, admin_token: Option<String>) -> Result<AppState, String> {
    if config.debug_endpoints && admin_token.as_deref().is_none_or(str::is_empty) {
        return Err("debug-endpoints = true needs PROFDIFF_ADMIN_TOKEN to be set".into());
    }
    let store: Arc<dyn store::Store> = match config.storage {
        config::StorageKind::Filesystem => Arc::new(Arc::new(
            store::fs::FsStore::open(
                &config.data_dir,
                config.session_ttl_hours,
                config.min_free_disk_mb,
            )
            .map_err(|e| format!("cannot use data-dir {}: {e}", config.data_dir.display()))?,
        )),
        config::StorageKind::Redis => Arc::new(
            store::redis::RedisStore::connect(&config.redis_url, config.session_ttl_hours).await?,
        ),
    };
    Ok(AppState {
        leptos_options: leptos_options(&config),
        cache: Arc::new(cache::ProfileCache::new((config.cache_mb << 20) as usize)),
        config: Arc::new(config),
        store,
        admin_token,
    })
}

/// Content-Security-Policy the Leptos app works under: its hydration script is inline and
/// it instantiates WebAssembly; cargo-leptos' live reload uses a websocket in development.
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
                   style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; \
                   object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// Builds the whole application: REST API, pages, static files, security headers, logs.
pub fn router(state: AppState) -> Router {
    use axum::http::{HeaderName, HeaderValue};
    use tower_http::set_header::SetResponseHeaderLayer;
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    // Server functions (the UI's calls) reach storage and the cache through this context.
    let context_state = state.clone();
    let header = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    Router::new()
        .nest("/api", api::routes(&state.config))
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

/// Serves until SIGINT or SIGTERM, then lets in-flight requests (uploads included) finish.
pub async fn serve(config: Config) -> Result<(), String> {
    let addr = config.site_addr;
    let interval = std::time::Duration::from_secs_f64(config.cleanup_interval_minutes * 60.0);
    let state = state(config, std::env::var("PROFDIFF_ADMIN_TOKEN").ok()).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (site-addr): {e}"))?;
    // Expired sessions are removed in the background.
    let store = state.store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        loop {
            tick.tick().await;
            match store.sweep().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("removed {n} expired sessions"),
                Err(e) => tracing::warn!("session cleanup failed: {e}"),
            }
        }
    });
    let app = router(state);
    println!("profdiff listening on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))?;
    tracing::info!("shut down cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
