//! The store's side of patches and field ownership: picks the list-merge rules of a type
//! (the CRD schema's, or the built-in kinds' table) and turns patch and apply failures into
//! the API errors a client gets.

use serde_json::Value;

use super::write::Part;
use crate::emulator::api_error::ApiError;
use crate::emulator::apply::{self, ApplyError, ApplyRequest};
use crate::emulator::patch::{self, BuiltInLists, ListStructure, SchemaLists};
use crate::emulator::registry::ResourceType;

fn with_lists<T>(resource: &ResourceType, use_lists: impl FnOnce(&dyn ListStructure) -> T) -> T {
    match resource.custom_schema() {
        Some(schema) => use_lists(&SchemaLists::new(schema)),
        None => use_lists(&BuiltInLists::for_kind(&resource.kind)),
    }
}

pub fn merge(old: &Value, patch_body: &Value) -> Value {
    patch::merge_patch(old, patch_body)
}

pub fn json(old: &Value, patch_body: &Value) -> Result<Value, ApiError> {
    patch::json_patch(old, patch_body).map_err(|error| {
        ApiError::new(
            422,
            "Invalid",
            format!("the server rejected our request due to an error in our request: {error}"),
        )
    })
}

pub fn strategic(
    resource: &ResourceType,
    old: &Value,
    patch_body: &Value,
) -> Result<Value, ApiError> {
    with_lists(resource, |lists| {
        patch::strategic_merge_patch(old, patch_body, lists)
    })
    .map_err(|error| ApiError::new(422, "Invalid", error.to_string()))
}

fn subresource(part: Part) -> Option<&'static str> {
    match part {
        Part::Main => None,
        Part::Status => Some("status"),
    }
}

pub fn apply(
    resource: &ResourceType,
    old: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    part: Part,
) -> Result<Value, ApiError> {
    let now = super::metadata::now();
    let api_version = resource.api_version();
    let name = applied["metadata"]["name"].as_str().unwrap_or_default();
    with_lists(resource, |lists| {
        let request = ApplyRequest {
            manager,
            force,
            subresource: subresource(part),
            api_version: &api_version,
            now: &now,
            lists,
        };
        apply::server_side_apply(old, applied, &request)
    })
    .map_err(|error| match error {
        ApplyError::Conflicts(conflicts) => ApiError::apply_conflict(resource, name, &conflicts),
        other => ApiError::bad_request(other.to_string()),
    })
}

/// Records what an Update changed in `metadata.managedFields`. Writes without a manager
/// name are recorded under `unknown`, as the apiserver does for clients with no user agent.
pub fn record_update(
    resource: &ResourceType,
    old: Option<&Value>,
    object: &mut Value,
    manager: Option<&str>,
    part: Part,
) {
    let now = super::metadata::now();
    let api_version = resource.api_version();
    with_lists(resource, |lists| {
        apply::record_update(
            old,
            object,
            manager.unwrap_or("unknown"),
            subresource(part),
            &api_version,
            &now,
            lists,
        );
    });
}
