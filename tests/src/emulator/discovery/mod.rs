//! API discovery documents of the emulated apiserver: the legacy `APIVersions`,
//! `APIGroupList`, `APIGroup` and `APIResourceList`, and the aggregated
//! `apidiscovery.k8s.io/v2` `APIGroupDiscoveryList` that kubectl and client-go ask for first.
//! Pure functions of the registry; picking a form from the `Accept` header and serving it is
//! the HTTP layer's job.

use std::cmp::Ordering;

use base64::Engine;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::registry::{Origin, Registry, ResourceType};

/// The `Content-Type` of an aggregated discovery answer; client-go reads the answer as
/// aggregated only when it carries these parameters.
pub const AGGREGATED_DISCOVERY_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Whether an `Accept` header asks for aggregated discovery (`v2`), as client-go's
/// `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,…` does.
pub fn wants_aggregated(accept: &str) -> bool {
    accepts(
        accept,
        "application/json",
        &[
            ("g", "apidiscovery.k8s.io"),
            ("v", "v2"),
            ("as", "APIGroupDiscoveryList"),
        ],
    )
}

/// Whether one of the media ranges of `accept` is `media_type` with all the `wanted`
/// parameters (in any order, other parameters allowed).
pub(crate) fn accepts(accept: &str, media_type: &str, wanted: &[(&str, &str)]) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let matches_type = parts
            .next()
            .is_some_and(|kind| kind.eq_ignore_ascii_case(media_type));
        let parameters: Vec<(&str, &str)> = parts
            .filter_map(|parameter| parameter.split_once('='))
            .map(|(key, value)| (key.trim(), value.trim().trim_matches('"')))
            .collect();
        matches_type && wanted.iter().all(|want| parameters.contains(want))
    })
}

/// `GET /api`: the legacy core group's versions.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    })
}

/// `GET /apis`: every named group with its versions, most preferred first.
pub fn api_group_list(registry: &Registry) -> Value {
    let groups: Vec<Value> = named_groups(registry)
        .iter()
        .map(|(group, versions)| group_json(group, versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/{group}`; None for a group that is not served.
pub fn api_group(registry: &Registry, group: &str) -> Option<Value> {
    let (_, versions) = named_groups(registry)
        .into_iter()
        .find(|(name, _)| name == group)?;
    let mut answer = group_json(group, &versions);
    let fields = answer.as_object_mut()?;
    fields.insert("kind".to_owned(), json!("APIGroup"));
    fields.insert("apiVersion".to_owned(), json!("v1"));
    Some(answer)
}

/// `GET /api/v1` (group "") or `GET /apis/{group}/{version}`; None when not served.
pub fn api_resource_list(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let types = types_of(registry, group, version);
    if types.is_empty() {
        return None;
    }
    let mut resources: Vec<Value> = Vec::new();
    for resource in &types {
        resources.push(legacy_resource(registry, resource));
        resources.extend(
            subresources(resource)
                .iter()
                .map(|sub| sub.legacy(resource)),
        );
    }
    resources.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let mut answer = Map::new();
    answer.insert("kind".to_owned(), json!("APIResourceList"));
    // The core list has never carried an apiVersion; the named groups' lists do.
    if !group.is_empty() {
        answer.insert("apiVersion".to_owned(), json!("v1"));
    }
    let group_version = types[0].api_version();
    answer.insert("groupVersion".to_owned(), json!(group_version));
    answer.insert("resources".to_owned(), Value::Array(resources));
    Some(Value::Object(answer))
}

/// The aggregated discovery document of `/api` (`legacy_core`) or of `/apis`.
pub fn aggregated_discovery(registry: &Registry, legacy_core: bool) -> Value {
    let items: Vec<Value> = if legacy_core {
        vec![aggregated_group(registry, "", &["v1".to_owned()])]
    } else {
        named_groups(registry)
            .iter()
            .map(|(group, versions)| aggregated_group(registry, group, versions))
            .collect()
    };
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    })
}

/// Named groups with their served versions, most preferred first: built-in groups in the
/// registry's order, then the groups of custom resources by name.
fn named_groups(registry: &Registry) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (group, version) in registry.group_versions() {
        if group.is_empty() {
            continue;
        }
        match groups.iter_mut().find(|(name, _)| *name == group) {
            Some((_, versions)) => versions.push(version),
            None => groups.push((group, vec![version])),
        }
    }
    let is_custom = |group: &str| {
        registry
            .types()
            .iter()
            .filter(|t| t.group == group)
            .all(ResourceType::is_custom)
    };
    groups.sort_by(|(a, _), (b, _)| match (is_custom(a), is_custom(b)) {
        (true, true) => a.cmp(b),
        (custom_a, custom_b) => custom_a.cmp(&custom_b),
    });
    for (_, versions) in &mut groups {
        versions.sort_by(|a, b| compare_versions(b, a));
    }
    groups
}

/// Kubernetes' version priority: GA before beta before alpha, higher numbers first within
/// each; versions not of the `v1beta2` shape come last, alphabetically. `Greater` means `a`
/// is preferred to `b`.
pub(crate) fn compare_versions(a: &str, b: &str) -> Ordering {
    match (kube_version(a), kube_version(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => b.cmp(a),
    }
}

/// (stability, major, minor) of `v2`, `v1beta1`, `v1alpha3`; stability 2 = GA, 1 = beta,
/// 0 = alpha. GA versions sort above every pre-release through the stability rank.
fn kube_version(version: &str) -> Option<(u8, u64, u64)> {
    let rest = version.strip_prefix('v')?;
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (major, suffix) = rest.split_at(digits_end);
    let major: u64 = major.parse().ok()?;
    if suffix.is_empty() {
        return Some((2, major, 0));
    }
    let (stability, minor) = match suffix.strip_prefix("beta") {
        Some(minor) => (1, minor),
        None => (0, suffix.strip_prefix("alpha")?),
    };
    if !minor.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((stability, major, minor.parse().ok()?))
}

fn group_json(group: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|version| json!({"groupVersion": format!("{group}/{version}"), "version": version}))
        .collect();
    json!({"name": group, "versions": versions, "preferredVersion": versions[0]})
}

fn types_of<'a>(registry: &'a Registry, group: &str, version: &str) -> Vec<&'a ResourceType> {
    let mut types: Vec<&ResourceType> = registry
        .types()
        .iter()
        .filter(|t| t.group == group && t.version == version)
        .collect();
    types.sort_by(|a, b| a.plural.cmp(&b.plural));
    types
}

fn verbs(resource: &ResourceType) -> Value {
    if resource.is_custom() {
        // The order apiextensions-apiserver lists them in.
        json!([
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "create",
            "update",
            "watch"
        ])
    } else {
        json!([
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch"
        ])
    }
}

fn legacy_resource(registry: &Registry, resource: &ResourceType) -> Value {
    let mut entry = json!({
        "name": resource.plural,
        "singularName": resource.singular,
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": verbs(resource),
    });
    add_names(&mut entry, resource);
    entry["storageVersionHash"] = json!(storage_version_hash(registry, resource));
    entry
}

fn add_names(entry: &mut Value, resource: &ResourceType) {
    if !resource.short_names.is_empty() {
        entry["shortNames"] = json!(resource.short_names);
    }
    if !resource.categories.is_empty() {
        entry["categories"] = json!(resource.categories);
    }
}

/// The apiserver's opaque hash of the group/version/kind objects are stored as.
fn storage_version_hash(registry: &Registry, resource: &ResourceType) -> String {
    let stored_version = match &resource.origin {
        Origin::BuiltIn => &resource.version,
        Origin::Custom { crd, .. } => registry
            .types()
            .iter()
            .find(|t| matches!(&t.origin, Origin::Custom { crd: c, storage: true, .. } if c == crd))
            .map_or(&resource.version, |stored| &stored.version),
    };
    let digest = Sha256::digest(format!(
        "{}/{}/{}",
        resource.group, stored_version, resource.kind
    ));
    base64::engine::general_purpose::STANDARD.encode(&digest[..8])
}

/// A subresource as both discovery forms describe it.
struct Subresource {
    name: &'static str,
    /// group, version, kind of what it answers with; None: the parent's kind.
    response: Option<(&'static str, &'static str, &'static str)>,
    verbs: &'static [&'static str],
}

impl Subresource {
    fn legacy(&self, parent: &ResourceType) -> Value {
        let mut entry = json!({
            "name": format!("{}/{}", parent.plural, self.name),
            "singularName": "",
            "namespaced": parent.namespaced,
            "kind": parent.kind,
            "verbs": self.verbs,
        });
        if let Some((group, version, kind)) = self.response {
            entry["group"] = json!(group);
            entry["version"] = json!(version);
            entry["kind"] = json!(kind);
        }
        entry
    }

    fn aggregated(&self, parent: &ResourceType) -> Value {
        let response = match self.response {
            Some((group, version, kind)) => {
                json!({"group": group, "version": version, "kind": kind})
            }
            None => response_kind(parent),
        };
        json!({"subresource": self.name, "responseKind": response, "verbs": self.verbs})
    }
}

fn subresources(resource: &ResourceType) -> Vec<Subresource> {
    let mut found = Vec::new();
    if resource.subresources.eviction {
        found.push(Subresource {
            name: "eviction",
            response: Some(("policy", "v1", "Eviction")),
            verbs: &["create"],
        });
    }
    if resource.subresources.log {
        found.push(Subresource {
            name: "log",
            response: None,
            verbs: &["get"],
        });
    }
    if resource.subresources.status {
        found.push(Subresource {
            name: "status",
            response: None,
            verbs: &["get", "patch", "update"],
        });
    }
    found
}

/// Built-in kinds leave group and version empty (the list's own), as the apiserver does;
/// apiextensions-apiserver spells them out for custom resources.
fn response_kind(resource: &ResourceType) -> Value {
    if resource.is_custom() {
        json!({"group": resource.group, "version": resource.version, "kind": resource.kind})
    } else {
        json!({"group": "", "version": "", "kind": resource.kind})
    }
}

fn aggregated_group(registry: &Registry, group: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|version| {
            let resources: Vec<Value> = types_of(registry, group, version)
                .into_iter()
                .map(aggregated_resource)
                .collect();
            json!({"version": version, "resources": resources, "freshness": "Current"})
        })
        .collect();
    let metadata = if group.is_empty() {
        json!({})
    } else {
        json!({"name": group})
    };
    json!({"metadata": metadata, "versions": versions})
}

fn aggregated_resource(resource: &ResourceType) -> Value {
    let mut entry = json!({
        "resource": resource.plural,
        "responseKind": response_kind(resource),
        "scope": if resource.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": resource.singular,
        "verbs": verbs(resource),
    });
    add_names(&mut entry, resource);
    let subresources: Vec<Value> = subresources(resource)
        .iter()
        .map(|sub| sub.aggregated(resource))
        .collect();
    if !subresources.is_empty() {
        entry["subresources"] = Value::Array(subresources);
    }
    entry
}

#[cfg(test)]
mod tests;
