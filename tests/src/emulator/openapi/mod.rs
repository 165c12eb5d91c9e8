//! OpenAPI v3 documents of the emulated apiserver, one per served group/version, and the
//! `/openapi/v3` index pointing at them. They are what kubectl 1.32 reads for `kubectl explain`,
//! for deciding whether the server validates fields (`fieldValidation` on PATCH) and for
//! choosing between a strategic and a JSON merge patch in `kubectl apply`. Pure functions of
//! the registry; serving them (and caching by hash) is the HTTP layer's job. The `/openapi/v2`
//! document is not produced.

mod builtin_schemas;
mod operations;
mod parameters;
mod patch_strategies;
mod schemas;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha512};

use super::registry::{Registry, ResourceType};

/// `GET /openapi/v3`: each group/version document's path (`api/v1`, `apis/{group}/{version}`)
/// and URL; the `hash` query parameter changes whenever the document does, so that clients
/// may cache documents by URL.
pub fn index(registry: &Registry) -> Value {
    let mut paths = Map::new();
    for (group, version) in registry.group_versions() {
        let Some(built) = built_document(registry, &group, &version) else {
            continue;
        };
        let path = document_path(&group, &version);
        let url = format!("/openapi/v3/{path}?hash={}", built.hash);
        paths.insert(path, json!({"serverRelativeURL": url}));
    }
    json!({"paths": paths})
}

/// `GET /openapi/v3/api/v1` (group "") or `/openapi/v3/apis/{group}/{version}`; None when the
/// group/version is not served.
pub fn group_version_document(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    built_document(registry, group, version).map(|built| built.document.clone())
}

/// The hash in the index's URL of the document of `group`/`version`, for an `ETag`.
pub fn group_version_hash(registry: &Registry, group: &str, version: &str) -> Option<String> {
    built_document(registry, group, version).map(|built| built.hash.clone())
}

/// A document and its hash.
#[derive(Debug)]
struct Built {
    document: Value,
    hash: String,
}

/// Documents already built, by the description of the types they were built from: the index
/// needs every document to hash it, and generating the core one takes a while.
static BUILT: LazyLock<Mutex<HashMap<String, Arc<Built>>>> = LazyLock::new(Mutex::default);

/// How many documents are remembered before starting afresh.
const REMEMBERED: usize = 256;

fn built_document(registry: &Registry, group: &str, version: &str) -> Option<Arc<Built>> {
    let types: Vec<&ResourceType> = registry
        .types()
        .iter()
        .filter(|t| t.group == group && t.version == version)
        .collect();
    if types.is_empty() {
        return None;
    }
    let fingerprint = format!("{types:?}");
    let cached = BUILT
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&fingerprint)
        .cloned();
    if let Some(cached) = cached {
        return Some(cached);
    }
    let document = build_document(&types);
    let hash = document_hash(&document);
    let built = Arc::new(Built { document, hash });
    let mut cache = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= REMEMBERED {
        cache.clear();
    }
    cache.insert(fingerprint, Arc::clone(&built));
    Some(built)
}

fn build_document(types: &[&ResourceType]) -> Value {
    let mut paths = Map::new();
    for resource in types {
        operations::add_paths(&mut paths, resource);
    }
    let components = schemas::components(types);
    // apiextensions-apiserver titles the documents of custom resources its own way.
    let info = if types.iter().all(|t| t.is_custom()) {
        json!({"title": "Kubernetes CRD Swagger", "version": "v0.1.0"})
    } else {
        json!({"title": "Kubernetes", "version": "v1.32.0"})
    };
    json!({
        "openapi": "3.0.0",
        "info": info,
        "paths": paths,
        "components": {"schemas": components},
    })
}

/// The hash of a document, as in its `serverRelativeURL` and as an `ETag`: the upper-case hex
/// SHA-512 of its JSON, as the apiserver computes it.
pub fn document_hash(document: &Value) -> String {
    let digest = Sha512::digest(document.to_string());
    digest.iter().map(|byte| format!("{byte:02X}")).collect()
}

/// `api/v1` or `apis/{group}/{version}`.
fn document_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

#[cfg(test)]
mod tests;
