//! The operator's HTTP server: `/metrics` (Prometheus text), `/healthz` (the process runs),
//! `/readyz` (it leads, or waits as a standby, and its caches are filled) and, when turned
//! on, the dashboard's pages.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use thiserror::Error;

use crate::context::Context;
use crate::dashboard::{self, Dashboard};

#[derive(Debug, Error)]
pub enum HttpError {
    #[error("failed to listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to serve HTTP on {addr}: {source}")]
    Serve {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

pub fn router(context: Arc<Context>, dashboard: Option<Arc<Dashboard>>) -> Router {
    let router = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(context);
    match dashboard {
        Some(dashboard) => router.merge(dashboard::router(dashboard)),
        None => router,
    }
}

pub async fn serve(
    addr: SocketAddr,
    context: Arc<Context>,
    dashboard: Option<Arc<Dashboard>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HttpError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| HttpError::Bind { addr, source })?;
    if dashboard.is_some() {
        tracing::info!(%addr, "serving /metrics, /healthz, /readyz and /dashboard");
    } else {
        tracing::info!(%addr, "serving /metrics, /healthz and /readyz");
    }
    axum::serve(listener, router(context, dashboard))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| HttpError::Serve { addr, source })
}

async fn metrics(State(context): State<Arc<Context>>) -> impl IntoResponse {
    let jobs = context.jobs.state();
    let text = context.metrics.render(jobs.iter().map(AsRef::as_ref));
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}

async fn readyz(State(context): State<Arc<Context>>) -> impl IntoResponse {
    if context.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "caches are filling")
    }
}
