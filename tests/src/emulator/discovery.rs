//! TEMPORARY SHIM (uncommitted).
#![allow(dead_code)]
use super::registry::Registry;
use serde_json::{Value, json};
pub fn api_versions(_a: &str) -> Value {
    json!({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]})
}
pub fn api_group_list(r: &Registry) -> Value {
    let groups: Vec<Value> = r.group_versions().iter().filter(|(g,_)| !g.is_empty()).map(|(g,v)| json!({"name": g, "versions":[{"groupVersion": format!("{g}/{v}"), "version": v}], "preferredVersion": {"groupVersion": format!("{g}/{v}"), "version": v}})).collect();
    json!({"kind":"APIGroupList","apiVersion":"v1","groups":groups})
}
pub fn api_group(_r: &Registry, _g: &str) -> Option<Value> {
    None
}
pub fn api_resource_list(r: &Registry, g: &str, v: &str) -> Option<Value> {
    let res: Vec<Value> = r.types().iter().filter(|t| t.group==g && t.version==v).map(|t| json!({"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced, "kind": t.kind, "verbs": ["get","list","watch","create","update","patch","delete","deletecollection"], "shortNames": t.short_names})).collect();
    if res.is_empty() {
        return None;
    }
    Some(
        json!({"kind":"APIResourceList","apiVersion":"v1","groupVersion": if g.is_empty() {v.to_string()} else {format!("{g}/{v}")}, "resources": res}),
    )
}
pub fn aggregated_discovery(_r: &Registry, _l: bool) -> Value {
    json!({})
}
pub fn wants_aggregated(_a: &str) -> bool {
    false
}
