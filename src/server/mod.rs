//! The server room (`ssr` only): configuration, storage, the service layer the REST API and
//! the web app's server functions share, the REST API, bounded CPU work and connections.
//! The whole site's router is assembled at the top (`crate::site`), so nothing here knows
//! the UI.

pub mod api;
pub mod cache;
pub mod config;
pub mod error;
pub mod http;
pub mod jobs;
pub mod service;
pub mod store;
pub mod upload;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use leptos::config::LeptosOptions;

pub use config::Config;

use crate::model::AppError;

/// What every handler and server function can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    pub store: Arc<dyn store::Store>,
    pub cache: Arc<cache::ProfileCache>,
    pub comparisons: Arc<cache::ComparisonCache>,
    pub jobs: Arc<jobs::Jobs>,
    /// `PROFDIFF_ADMIN_TOKEN`, for `/api/debug/*`.
    pub admin_token: Option<String>,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// The state the site's router provides to server functions (as Leptos context).
    pub fn from_context() -> Result<AppState, AppError> {
        leptos::prelude::use_context::<AppState>()
            .ok_or_else(|| AppError::internal("server state is not available"))
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
        cache: Arc::new(cache::Lru::new((config.cache_mb << 20) as usize)),
        comparisons: Arc::new(cache::Lru::new((config.comparison_cache_mb << 20) as usize)),
        jobs: Arc::new(jobs::Jobs::new(
            config.workers(),
            config.max_queued_jobs as usize,
        )),
        config: Arc::new(config),
        store,
        admin_token,
    })
}

/// Serves the router `site` builds until SIGINT or SIGTERM, then gives in-flight requests
/// `shutdown-grace-seconds` to finish.
pub async fn serve(config: Config, site: impl FnOnce(AppState) -> Router) -> Result<(), String> {
    let addr = config.site_addr;
    let interval = Duration::from_secs_f64(config.cleanup_interval_minutes * 60.0);
    let limits = http::Limits::of(&config);
    let timeout = Duration::from_secs_f64(config.request_timeout_seconds);
    http::raise_fd_limit();
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
    let app = site(state).layer(axum::middleware::from_fn(move |req, next| {
        http::request_timeout(timeout, req, next)
    }));
    println!("profdiff listening on http://{addr}");
    http::serve(listener, app, limits, shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
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
