//! The HTTP face of the emulator: one handler that reads a request the way the apiserver's
//! handler chain does and answers in the real wire formats — discovery and OpenAPI documents,
//! `/version` and health checks, and resource requests (see [`resources`]).

mod authorize;
mod logs;
mod params;
mod path;
mod protobuf;
mod resources;
mod respond;
mod watch;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::Response;
use serde_json::json;

use super::store::Store;
use super::tokens::Tokens;
use super::{discovery, openapi};
use params::Query;
use path::ResourcePath;

/// What every request handler shares.
#[derive(Debug)]
pub struct Server {
    pub store: Arc<Store>,
    /// Where the pod runner writes container logs.
    pub logs_dir: PathBuf,
    /// `host:port` the server listens on, for `/api`'s server addresses.
    pub address: String,
    /// ServiceAccount tokens issued, and whether RBAC is enforced on them.
    pub tokens: Arc<Tokens>,
}

/// A request, read once.
#[derive(Debug)]
pub struct Request {
    pub method: Method,
    pub query: Query,
    pub accept: String,
    pub content_type: String,
    pub user_agent: Option<String>,
    pub body: Bytes,
}

pub fn router(server: Arc<Server>) -> Router {
    Router::new().fallback(handle).with_state(server)
}

async fn handle(
    State(server): State<Arc<Server>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header_text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let request = Request {
        method,
        query: Query::parse(uri.query()),
        accept: header_text(header::ACCEPT).unwrap_or_default(),
        content_type: header_text(header::CONTENT_TYPE).unwrap_or_default(),
        user_agent: header_text(header::USER_AGENT),
        body,
    };
    let path = uri.path().trim_end_matches('/');
    tracing::debug!(method = %request.method, path, query = ?uri.query(), "request");
    if let Err(refusal) = authorize::check(
        &server,
        header_text(header::AUTHORIZATION).as_deref(),
        &request,
        path,
    ) {
        return *refusal;
    }
    if let Some(resource_path) = ResourcePath::parse(path) {
        return resources::handle(&server, request, resource_path).await;
    }
    if request.method != Method::GET {
        return respond::error(&super::api_error::ApiError::method_not_allowed(format!(
            "{} is not supported on {path}",
            request.method
        )));
    }
    serve_document(&server, &request, path)
}

/// Everything that is not a resource: discovery, OpenAPI, version, health.
fn serve_document(server: &Server, request: &Request, path: &str) -> Response {
    let registry = server.store.registry();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let document = match segments.as_slice() {
        ["api"] if discovery::wants_aggregated(&request.accept) => {
            return respond::with_type(
                200,
                discovery::AGGREGATED_DISCOVERY_CONTENT_TYPE,
                discovery::aggregated_discovery(&registry, true).to_string(),
            );
        }
        ["apis"] if discovery::wants_aggregated(&request.accept) => {
            return respond::with_type(
                200,
                discovery::AGGREGATED_DISCOVERY_CONTENT_TYPE,
                discovery::aggregated_discovery(&registry, false).to_string(),
            );
        }
        ["api"] => Some(discovery::api_versions(&server.address)),
        ["apis"] => Some(discovery::api_group_list(&registry)),
        ["api", version] => discovery::api_resource_list(&registry, "", version),
        ["apis", group] => discovery::api_group(&registry, group),
        ["apis", group, version] => discovery::api_resource_list(&registry, group, version),
        ["openapi", "v3"] => Some(openapi::index(&registry)),
        ["openapi", "v3", "api", version] => {
            openapi::group_version_document(&registry, "", version)
        }
        ["openapi", "v3", "apis", group, version] => {
            openapi::group_version_document(&registry, group, version)
        }
        ["version"] => Some(json!({
            "major": "1", "minor": "32", "gitVersion": "v1.32.0-framefarm-emulator",
            "gitCommit": "", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "none", "compiler": "none", "platform": "linux/amd64"
        })),
        ["healthz" | "livez" | "readyz"] => return respond::with_type(200, "text/plain", "ok"),
        _ => None,
    };
    match document {
        Some(document) => respond::json(200, &document),
        None => respond::error(&super::api_error::ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )),
    }
}
