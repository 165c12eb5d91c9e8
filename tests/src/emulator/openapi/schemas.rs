//! The `components/schemas` of one group/version document: built-in kinds from k8s-openapi,
//! custom resources from their CRD's `openAPIV3Schema` wrapped with `apiVersion`, `kind` and
//! `metadata`, a list schema per kind, the meta types operations refer to, every schema tagged
//! with `x-kubernetes-group-version-kind` and named the way the apiserver names them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::builtin_schemas;
use super::patch_strategies;
use crate::emulator::registry::ResourceType;

const API_VERSION_DOC: &str = "APIVersion defines the versioned schema of this representation \
    of an object. Servers should convert recognized schemas to the latest internal value, and \
    may reject unrecognized values. More info: \
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DOC: &str = "Kind is a string value representing the REST resource this object \
    represents. Servers may infer this from the endpoint the client submits requests to. Cannot \
    be updated. In CamelCase. More info: \
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const METADATA_DOC: &str = "Standard object's metadata. More info: \
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const LIST_METADATA_DOC: &str = "Standard list metadata. More info: \
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// Where the schemas of meta types live, for `$ref`s from operations.
pub(super) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(super) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
pub(super) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(super) const EVICTION: &str = "io.k8s.api.policy.v1.Eviction";

/// A `$ref` to a component.
pub(super) fn reference(component: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{component}")})
}

/// The component describing objects of `resource`, named as the apiserver names it:
/// `io.k8s.api.core.v1.Pod` for built-ins, `io.framefarm.v1alpha1.RenderShot` (the group
/// reversed, then version and kind) for custom resources.
pub(super) fn object_component(resource: &ResourceType) -> String {
    let (group, version, kind) = (&resource.group, &resource.version, &resource.kind);
    let built_in = (!resource.is_custom())
        .then(|| builtin_schemas::component_name(group, version, kind))
        .flatten();
    built_in.unwrap_or_else(|| rest_friendly_name(group, version, kind))
}

/// The component describing lists of `resource`: the object's, with the list kind.
pub(super) fn list_component(resource: &ResourceType) -> String {
    let object = object_component(resource);
    match object.rsplit_once('.') {
        Some((prefix, _)) => format!("{prefix}.{}", resource.list_kind),
        None => resource.list_kind.clone(),
    }
}

/// `framefarm.io`, `v1alpha1`, `RenderShot` → `io.framefarm.v1alpha1.RenderShot`.
fn rest_friendly_name(group: &str, version: &str, kind: &str) -> String {
    let group = if group.is_empty() {
        "io.k8s.api.core".to_owned()
    } else {
        group.split('.').rev().collect::<Vec<_>>().join(".")
    };
    format!("{group}.{version}.{kind}")
}

/// Schemas in the OpenAPI 3.0 form the apiserver serves: definitions under
/// `#/components/schemas/`, `$ref` with sibling descriptions (k8s-openapi's schemas need no
/// other rewriting).
fn generator() -> SchemaGenerator {
    SchemaSettings::openapi3()
        .with(|settings| {
            settings.transforms.clear();
            settings.meta_schema = None;
        })
        .into_generator()
}

/// Every schema the document of `types` (the kinds of one group/version) needs, by name.
pub(super) fn components(types: &[&ResourceType]) -> Map<String, Value> {
    let mut generator = generator();
    // Operations, lists and custom resources refer to these by name.
    generator.subschema_for::<meta::ObjectMeta>();
    generator.subschema_for::<meta::ListMeta>();
    generator.subschema_for::<meta::DeleteOptions>();
    generator.subschema_for::<meta::Status>();
    generator.subschema_for::<meta::Patch>();
    let mut own: Map<String, Value> = Map::new();
    // Each kind's component, its group/version/kind, and whether k8s-openapi wrote it.
    let mut kinds: Vec<(String, [&str; 3], bool)> = Vec::new();
    for resource in types {
        let name = object_component(resource);
        let gvk = [
            resource.group.as_str(),
            resource.version.as_str(),
            resource.kind.as_str(),
        ];
        let from_k8s_openapi = !resource.is_custom()
            && builtin_schemas::register(&mut generator, gvk[0], gvk[1], gvk[2]);
        if resource.is_custom() {
            own.insert(name.clone(), custom_object(resource));
        } else if !from_k8s_openapi {
            own.insert(name.clone(), any_object(&resource.kind));
        }
        kinds.push((name, gvk, from_k8s_openapi));
        own.insert(list_component(resource), list_object(resource));
        if resource.subresources.eviction
            && builtin_schemas::register(&mut generator, "policy", "v1", "Eviction")
        {
            kinds.push((EVICTION.to_owned(), ["policy", "v1", "Eviction"], true));
        }
    }
    let mut schemas = generator.take_definitions(true);
    schemas.extend(own);
    for (name, [group, version, kind], from_k8s_openapi) in kinds {
        let Some(schema) = schemas.get_mut(&name).and_then(Value::as_object_mut) else {
            continue;
        };
        tag_kind(schema, group, version, kind);
        // k8s-openapi marks `metadata` required because its Rust field is not optional;
        // the apiserver's schemas do not.
        if from_k8s_openapi
            && let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut)
        {
            required.retain(|field| field != "metadata");
            if required.is_empty() {
                schema.remove("required");
            }
        }
    }
    patch_strategies::mark(&mut schemas);
    schemas
}

fn tag_kind(schema: &mut Map<String, Value>, group: &str, version: &str, kind: &str) {
    let tag = json!({"group": group, "kind": kind, "version": version});
    let tags = schema
        .entry("x-kubernetes-group-version-kind")
        .or_insert_with(|| json!([]));
    if let Some(tags) = tags.as_array_mut()
        && !tags.contains(&tag)
    {
        tags.push(tag);
    }
}

fn type_meta_properties(properties: &mut Map<String, Value>) {
    properties.insert(
        "apiVersion".to_owned(),
        json!({"description": API_VERSION_DOC, "type": "string"}),
    );
    properties.insert(
        "kind".to_owned(),
        json!({"description": KIND_DOC, "type": "string"}),
    );
}

/// A custom resource's schema as apiextensions-apiserver publishes it: the CRD version's
/// schema with `apiVersion`, `kind` and `metadata` (a reference to ObjectMeta) set.
fn custom_object(resource: &ResourceType) -> Value {
    let mut schema = resource
        .custom_schema()
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if schema.is_empty() {
        // Without a schema the apiserver publishes a bare object, no properties at all.
        return json!({"type": "object"});
    }
    let properties = schema
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    if let Some(properties) = properties {
        let mut metadata = reference("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
        metadata["description"] = json!(METADATA_DOC);
        properties.insert("metadata".to_owned(), metadata);
        type_meta_properties(properties);
    }
    Value::Object(schema)
}

/// The schema of a built-in kind k8s-openapi was not asked about: any object.
fn any_object(kind: &str) -> Value {
    let mut properties = Map::new();
    type_meta_properties(&mut properties);
    let mut metadata = reference("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    metadata["description"] = json!(METADATA_DOC);
    properties.insert("metadata".to_owned(), metadata);
    json!({
        "description": format!("{kind} (schema not published by the emulator)"),
        "type": "object",
        "properties": properties,
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

fn list_object(resource: &ResourceType) -> Value {
    let mut properties = Map::new();
    type_meta_properties(&mut properties);
    properties.insert(
        "items".to_owned(),
        json!({
            "description": format!(
                "List of {}. More info: \
                 https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
                resource.plural
            ),
            "type": "array",
            "items": reference(&object_component(resource)),
        }),
    );
    let mut metadata = reference("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta");
    metadata["description"] = json!(LIST_METADATA_DOC);
    properties.insert("metadata".to_owned(), metadata);
    json!({
        "description": format!("{} is a list of {}", resource.list_kind, resource.kind),
        "type": "object",
        "required": ["items"],
        "properties": properties,
        "x-kubernetes-group-version-kind": [
            {"group": resource.group, "kind": resource.list_kind, "version": resource.version}
        ],
    })
}

#[cfg(test)]
#[path = "schemas_tests.rs"]
mod tests;
