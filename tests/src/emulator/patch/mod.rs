//! TEMPORARY SHIM (uncommitted) until the real module merges.
#![allow(missing_docs, dead_code)]
use serde_json::Value;
#[derive(Debug)]
pub enum ListKind {
    Atomic,
}
pub trait ListStructure: std::fmt::Debug {
    fn list_kind(&self, path: &[&str]) -> ListKind;
}
#[derive(Debug)]
pub struct SchemaLists;
impl SchemaLists {
    pub fn new(_: &Value) -> Self {
        SchemaLists
    }
}
impl ListStructure for SchemaLists {
    fn list_kind(&self, _: &[&str]) -> ListKind {
        ListKind::Atomic
    }
}
#[derive(Debug)]
pub struct BuiltInLists;
impl BuiltInLists {
    pub fn for_kind(_: &str) -> Self {
        BuiltInLists
    }
}
impl ListStructure for BuiltInLists {
    fn list_kind(&self, _: &[&str]) -> ListKind {
        ListKind::Atomic
    }
}
#[derive(Debug, thiserror::Error)]
#[error("shim")]
pub struct PatchError;
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            let mut t = t.clone();
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    let n = merge_patch(t.get(k).unwrap_or(&Value::Null), v);
                    t.insert(k.clone(), n);
                }
            }
            Value::Object(t)
        }
        (_, Value::Object(p)) => merge_patch(
            &Value::Object(Default::default()),
            &Value::Object(p.clone()),
        ),
        _ => patch.clone(),
    }
}
pub fn json_patch(_: &Value, _: &Value) -> Result<Value, PatchError> {
    Err(PatchError)
}
pub fn strategic_merge_patch(
    t: &Value,
    p: &Value,
    _: &dyn ListStructure,
) -> Result<Value, PatchError> {
    Ok(merge_patch(t, p))
}
