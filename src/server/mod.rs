//! The server room (`ssr` only): configuration, REST API, serving the Leptos app.

pub mod api;
pub mod config;
pub mod error;

use std::sync::Arc;

use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::trace::TraceLayer;

use crate::app::{App, shell};
pub use config::Config;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
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

/// Builds the whole application: REST API, server functions, pages and static files.
pub fn router(config: Config) -> Router {
    let leptos_options = leptos_options(&config);
    let state = AppState {
        config: Arc::new(config),
        leptos_options: leptos_options.clone(),
    };
    let routes = generate_route_list(App);
    Router::new()
        .nest("/api", api::routes())
        .leptos_routes(&state, routes, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
pub async fn serve(config: Config) -> Result<(), String> {
    if config.storage == config::StorageKind::Redis {
        return Err(
            "storage = \"redis\" is not available in this build yet; use \"filesystem\"".into(),
        );
    }
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create data-dir {}: {e}", config.data_dir.display()))?;
    let addr = config.site_addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (site-addr): {e}"))?;
    let app = router(config);
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
