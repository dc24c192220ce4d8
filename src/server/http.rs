//! Serving connections, bounded: at most `max-connections` open at once (a newcomer past
//! that gets a 503 and is closed), a request head must arrive within
//! `header-timeout-seconds` (hyper closes connections that dawdle), every request but an
//! upload is answered within `request-timeout-seconds`, and on SIGTERM in-flight requests get
//! `shutdown-grace-seconds` before the process exits.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::Config;
use crate::model::AppError;

/// What the accept loop needs from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub shutdown_grace: Duration,
}

impl Limits {
    pub fn of(config: &Config) -> Limits {
        Limits {
            max_connections: config.max_connections as usize,
            header_timeout: Duration::from_secs_f64(config.header_timeout_seconds),
            shutdown_grace: Duration::from_secs_f64(config.shutdown_grace_seconds),
        }
    }
}

/// Raises the soft limit on open files to the hard one: each connection is a descriptor,
/// and `max-connections` should be reachable.
pub fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 && r.rlim_cur < r.rlim_max {
            r.rlim_cur = r.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
}

/// The answer to a connection past `max-connections`, written before it is closed.
fn too_many(max: usize) -> Vec<u8> {
    let body = format!(
        "{{\"error\":\"the server has its maximum of {max} open connections (max-connections); try again shortly\"}}"
    );
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests finish
/// for up to the grace period.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or similar: wait a little rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            let answer = too_many(limits.max_connections);
            tokio::spawn(async move {
                let mut stream = stream;
                let _ =
                    tokio::time::timeout(Duration::from_secs(1), stream.write_all(&answer)).await;
                let _ = stream.shutdown().await;
            });
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = conn.await {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
    drop(listener);
    tracing::info!(
        "shutting down: in-flight requests get {:?}",
        limits.shutdown_grace
    );
    match tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await {
        Ok(()) => tracing::info!("shut down cleanly"),
        Err(_) => tracing::warn!(
            "requests still running after {:?} (shutdown-grace-seconds); exiting anyway",
            limits.shutdown_grace
        ),
    }
    Ok(())
}

/// Answers 503 when a request (uploads excepted: their body may take long, and pauses are
/// bounded by the body idle timeout) is not done within `timeout`; dropping the handler
/// cancels its jobs.
pub async fn request_timeout(timeout: Duration, req: Request, next: Next) -> Response {
    if req.uri().path() == "/api/upload" {
        return next.run(req).await;
    }
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => AppError::Busy {
            message: format!(
                "the request took longer than {} s (request-timeout-seconds); try again later",
                timeout.as_secs_f64()
            ),
            retry_after: 5,
        }
        .into_response(),
    }
}
