//! TEMPORARY SHIM (uncommitted).
#![allow(dead_code)]
use super::registry::ResourceType;
use serde_json::{Value, json};
#[derive(Debug)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}
pub fn wants_table(a: &str) -> bool {
    a.contains("as=Table")
}
pub fn table(
    _r: &ResourceType,
    objects: &[Value],
    _i: IncludeObject,
    list_metadata: Value,
    _now: jiff::Timestamp,
) -> Value {
    let rows: Vec<Value> = objects.iter().map(|o| json!({"cells": [o["metadata"]["name"]], "object": {"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata": o["metadata"]}})).collect();
    json!({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata": list_metadata, "columnDefinitions":[{"name":"Name","type":"string","format":"name","description":"","priority":0}],"rows":rows})
}
