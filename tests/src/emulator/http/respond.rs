//! Building HTTP answers: JSON bodies, `Status` errors with their codes, `Warning` headers.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use crate::emulator::api_error::ApiError;

pub const JSON: &str = "application/json";

pub fn json(status: u16, body: &Value) -> Response {
    with_type(status, JSON, body.to_string())
}

pub fn with_type(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

pub fn error(error: &ApiError) -> Response {
    json(error.code, &error.to_status())
}

/// Adds `Warning: 299 - "…"` headers, as the apiserver does for pruned fields.
pub fn warn(mut response: Response, warnings: &[String]) -> Response {
    for warning in warnings {
        let text = format!("299 - {:?}", warning);
        if let Ok(value) = HeaderValue::from_str(&text) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    response
}

/// A `Status` of success, as answers to bindings and evictions carry.
pub fn success(code: u16) -> Response {
    json(
        code,
        &serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code}),
    )
}
