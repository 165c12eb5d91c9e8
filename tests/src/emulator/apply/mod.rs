//! TEMPORARY SHIM (uncommitted) until the real module merges.
#![allow(missing_docs, dead_code)]
use super::patch::ListStructure;
use serde_json::Value;
#[derive(Debug)]
pub struct ApplyRequest<'a> {
    pub manager: &'a str,
    pub force: bool,
    pub subresource: Option<&'a str>,
    pub api_version: &'a str,
    pub now: &'a str,
    pub lists: &'a dyn ListStructure,
}
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("conflicts")]
    Conflicts(Vec<(String, String)>),
    #[error("other")]
    Other,
}
pub fn server_side_apply(
    current: Option<&Value>,
    applied: &Value,
    _: &ApplyRequest,
) -> Result<Value, ApplyError> {
    Ok(match current {
        Some(c) => super::patch::merge_patch(c, applied),
        None => applied.clone(),
    })
}
pub fn record_update(
    _: Option<&Value>,
    _: &mut Value,
    _: &str,
    _: Option<&str>,
    _: &str,
    _: &str,
    _: &dyn ListStructure,
) {
}
