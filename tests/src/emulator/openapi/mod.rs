//! TEMPORARY SHIM (uncommitted).
#![allow(dead_code)]
use super::registry::Registry;
use serde_json::{Value, json};
pub fn index(_r: &Registry) -> Value {
    json!({"paths": {}})
}
pub fn group_version_document(_r: &Registry, _g: &str, _v: &str) -> Option<Value> {
    None
}
