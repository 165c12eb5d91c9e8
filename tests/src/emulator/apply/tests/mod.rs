//! Specifications of server-side apply and of recorded updates, on a RenderShot-like custom
//! resource (and a Deployment where built-in list rules matter).

mod applies;
mod lists;
mod updates;

use serde_json::{Value, json};

use super::*;
use crate::emulator::patch::SchemaLists;

pub(super) const API_VERSION: &str = "framefarm.io/v1alpha1";
pub(super) const T1: &str = "2025-01-01T00:00:01Z";
pub(super) const T2: &str = "2025-01-01T00:00:02Z";

fn schema() -> Value {
    json!({"type": "object", "properties": {
        "metadata": {"type": "object"},
        "spec": {"type": "object", "properties": {
            "replicas": {"type": "integer"},
            "image": {"type": "string"},
            "args": {"type": "array", "items": {"type": "string"}},
            "params": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"], "items": {"type": "object"}}
        }},
        "status": {"type": "object", "properties": {
            "phase": {"type": "string"},
            "conditions": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["type"], "items": {"type": "object"}}
        }}
    }})
}

/// A RenderShot-like custom resource with `content` merged into it.
pub(super) fn shot(content: Value) -> Value {
    let mut object = json!({"apiVersion": API_VERSION, "kind": "RenderShot",
        "metadata": {"name": "sh010", "namespace": "demo"}});
    if let (Value::Object(object), Value::Object(content)) = (&mut object, content) {
        for (key, value) in content {
            match (object.get_mut(&key), value) {
                (Some(Value::Object(existing)), Value::Object(more)) => existing.extend(more),
                (_, value) => {
                    object.insert(key, value);
                }
            }
        }
    }
    object
}

pub(super) struct Cluster {
    schema: Value,
}

impl Cluster {
    pub(super) fn new() -> Self {
        Cluster { schema: schema() }
    }

    pub(super) fn apply_as(
        &self,
        current: Option<&Value>,
        applied: Value,
        manager: &str,
        now: &str,
        force: bool,
        subresource: Option<&str>,
    ) -> Result<Value, ApplyError> {
        let lists = SchemaLists::new(&self.schema);
        let request = ApplyRequest {
            manager,
            force,
            subresource,
            api_version: API_VERSION,
            now,
            lists: &lists,
        };
        server_side_apply(current, &applied, &request)
    }

    pub(super) fn apply(
        &self,
        current: Option<&Value>,
        applied: Value,
        manager: &str,
    ) -> Result<Value, ApplyError> {
        self.apply_as(current, applied, manager, T1, false, None)
    }

    pub(super) fn update(&self, old: Option<&Value>, mut new: Value, manager: &str) -> Value {
        let lists = SchemaLists::new(&self.schema);
        record_update(old, &mut new, manager, None, API_VERSION, T2, &lists);
        new
    }
}

/// The owners of `object` as `(manager, operation, paths)`.
pub(super) fn owners(object: &Value) -> Vec<(String, String, Vec<String>)> {
    let entries = object["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    entries
        .iter()
        .map(|entry| {
            let set = FieldSet::from_fields_v1(&entry["fieldsV1"]).expect("valid fieldsV1");
            (
                entry["manager"].as_str().expect("manager").to_owned(),
                entry["operation"].as_str().expect("operation").to_owned(),
                set.iter().map(ToString::to_string).collect(),
            )
        })
        .collect()
}

pub(super) fn owner(
    manager: &str,
    operation: &str,
    paths: &[&str],
) -> (String, String, Vec<String>) {
    (
        manager.to_owned(),
        operation.to_owned(),
        paths.iter().map(|path| (*path).to_owned()).collect(),
    )
}

pub(super) fn conflict(manager: &str, path: &str) -> (String, String) {
    (manager.to_owned(), path.to_owned())
}
