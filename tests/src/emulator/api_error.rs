//! The errors the emulated apiserver answers with, as `meta.k8s.io/v1` `Status` objects with
//! the codes and reasons a real apiserver uses, so that clients react to them as they would in
//! a cluster (kube's `ErrorResponse`, kubectl's messages, `apierrors.IsConflict`, …).

use serde_json::{Value, json};

use super::registry::ResourceType;
use crate::admission::Rejection;

/// One field of a 422 `Invalid` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCause {
    pub reason: String,
    pub message: String,
    pub field: String,
}

/// A refused request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: u16,
    /// `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Gone`, `BadRequest`, …
    pub reason: String,
    pub message: String,
    /// Boxed to keep `Result<_, ApiError>` small.
    pub details: Box<ErrorDetails>,
}

/// The `details` of a `Status`: which object, and which fields for 422s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    pub name: Option<String>,
    pub group: Option<String>,
    pub kind: Option<String>,
    pub causes: Vec<StatusCause>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.reason, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason: reason.to_owned(),
            message: message.into(),
            details: Box::default(),
        }
    }

    fn about(mut self, resource: &ResourceType, name: &str) -> Self {
        self.details.name = Some(name.to_owned());
        self.details.group = Some(resource.group.clone());
        self.details.kind = Some(resource.plural.clone());
        self
    }

    /// 404: `rendershots.framefarm.io "sh010" not found`.
    pub fn not_found(resource: &ResourceType, name: &str) -> Self {
        let message = format!("{} \"{name}\" not found", resource.qualified_resource());
        ApiError::new(404, "NotFound", message).about(resource, name)
    }

    /// 409 on create: `rendershots.framefarm.io "sh010" already exists`.
    pub fn already_exists(resource: &ResourceType, name: &str) -> Self {
        let message = format!(
            "{} \"{name}\" already exists",
            resource.qualified_resource()
        );
        ApiError::new(409, "AlreadyExists", message).about(resource, name)
    }

    /// 409 on a stale `resourceVersion`, worded as the apiserver words it.
    pub fn conflict(resource: &ResourceType, name: &str) -> Self {
        let message = format!(
            "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
             please apply your changes to the latest version and try again",
            resource.qualified_resource()
        );
        ApiError::new(409, "Conflict", message).about(resource, name)
    }

    /// 409 of a server-side apply whose fields another manager owns.
    pub fn apply_conflict(
        resource: &ResourceType,
        name: &str,
        conflicts: &[(String, String)],
    ) -> Self {
        let listed: Vec<String> = conflicts
            .iter()
            .map(|(manager, field)| format!("conflict with \"{manager}\": {field}"))
            .collect();
        let message = if listed.len() == 1 {
            format!("Apply failed with 1 conflict: {}", listed[0])
        } else {
            format!(
                "Apply failed with {} conflicts: {}",
                listed.len(),
                listed.join("\n")
            )
        };
        let mut error = ApiError::new(409, "Conflict", message).about(resource, name);
        error.details.causes = conflicts
            .iter()
            .map(|(manager, field)| StatusCause {
                reason: "FieldManagerConflict".to_owned(),
                message: format!("conflict with \"{manager}\""),
                field: field.clone(),
            })
            .collect();
        error
    }

    /// 410: a watch or list from a `resourceVersion` older than the history kept.
    pub fn gone(resource_version: u64, oldest: u64) -> Self {
        ApiError::new(
            410,
            "Expired",
            format!("too old resource version: {resource_version} ({oldest})"),
        )
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        ApiError::new(405, "MethodNotAllowed", message)
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml; got {content_type}"
            ),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, "InternalError", message)
    }

    /// 422 with one cause per refused field.
    pub fn invalid(resource: &ResourceType, name: &str, causes: Vec<StatusCause>) -> Self {
        let listed: Vec<String> = causes
            .iter()
            .map(|cause| format!("{}: {}", cause.field, cause.message))
            .collect();
        let listed = match listed.as_slice() {
            [only] => only.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let message = format!(
            "{} \"{name}\" is invalid: {listed}",
            resource.qualified_kind()
        );
        let mut error = ApiError::new(422, "Invalid", message).about(resource, name);
        error.details.kind = Some(resource.kind.clone());
        error.details.causes = causes;
        error
    }

    /// 422 for a custom resource that failed schema or CEL validation.
    pub fn from_rejection(resource: &ResourceType, rejection: &Rejection) -> Self {
        let causes = rejection
            .causes
            .iter()
            .map(|cause| StatusCause {
                reason: cause.kind.reason().to_owned(),
                message: cause_message(cause),
                field: cause.field.clone(),
            })
            .collect();
        let mut error = ApiError::invalid(resource, &rejection.name, causes);
        error.message = rejection.to_string();
        error
    }

    /// The `Status` object sent on the wire.
    pub fn to_status(&self) -> Value {
        let mut details = serde_json::Map::new();
        if let Some(name) = &self.details.name {
            details.insert("name".to_owned(), json!(name));
        }
        if let Some(group) = &self.details.group {
            details.insert("group".to_owned(), json!(group));
        }
        if let Some(kind) = &self.details.kind {
            details.insert("kind".to_owned(), json!(kind));
        }
        if !self.details.causes.is_empty() {
            let causes: Vec<Value> = self
                .details
                .causes
                .iter()
                .map(|cause| {
                    let mut shown = json!({"reason": cause.reason, "message": cause.message});
                    // Go omits an empty field, as in the DisruptionBudget cause of an eviction.
                    if !cause.field.is_empty() {
                        shown["field"] = json!(cause.field);
                    }
                    shown
                })
                .collect();
            details.insert("causes".to_owned(), Value::Array(causes));
        }
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !details.is_empty() {
            status["details"] = Value::Object(details);
        }
        status
    }
}

/// A cause's message without its field, which the `Status` carries apart.
fn cause_message(cause: &crate::admission::Cause) -> String {
    let shown = cause.to_string();
    match shown.strip_prefix(&format!("{}: ", cause.field)) {
        Some(rest) => rest.to_owned(),
        None => shown,
    }
}
