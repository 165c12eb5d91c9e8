//! What kubectl 1.32 reads in these documents, checked the way its code reads them.

use super::*;

const RENDERSHOTS: &str = include_str!("../../../../crds/rendershots.framefarm.io.yaml");

fn crd() -> Value {
    serde_saphyr::from_str(RENDERSHOTS).unwrap()
}

fn registry() -> Registry {
    let mut registry = Registry::default();
    registry.install_crd(&crd());
    registry
}

fn document(group: &str, version: &str) -> Value {
    group_version_document(&registry(), group, version).unwrap()
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "kind": kind, "version": version})
}

/// The operations of a document with their method, as (path, method, operation).
fn operations(document: &Value) -> Vec<(&str, &str, &Value)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if method != "parameters" {
                found.push((path.as_str(), method.as_str(), operation));
            }
        }
    }
    found
}

/// The PATCH operations kubectl finds for a kind (by `x-kubernetes-group-version-kind`).
fn patches_of<'a>(document: &'a Value, kind: &Value) -> Vec<&'a Value> {
    operations(document)
        .into_iter()
        .filter(|(_, method, operation)| {
            *method == "patch" && operation["x-kubernetes-group-version-kind"] == *kind
        })
        .map(|(_, _, operation)| operation)
        .collect()
}

fn query_parameters(operation: &Value) -> Vec<&str> {
    operation["parameters"]
        .as_array()
        .map(|parameters| {
            parameters
                .iter()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// What `kubectl explain` does: the GVK from the first operation of the resource's paths, then
/// the component whose `x-kubernetes-group-version-kind` contains it.
fn explained_component<'a>(document: &'a Value, resource: &ResourceType) -> Option<&'a Value> {
    let prefix = if resource.group.is_empty() {
        "/api".to_owned()
    } else {
        format!("/apis/{}", resource.group)
    };
    let (version, plural) = (&resource.version, &resource.plural);
    let searched = [
        format!("{prefix}/{version}/{plural}"),
        format!("{prefix}/{version}/{plural}/{{name}}"),
        format!("{prefix}/{version}/namespaces/{{namespace}}/{plural}"),
        format!("{prefix}/{version}/namespaces/{{namespace}}/{plural}/{{name}}"),
    ];
    let kind = searched.iter().find_map(|path| {
        let item = document["paths"].get(path)?;
        ["get", "post", "put", "patch", "delete"]
            .iter()
            .find_map(|method| item.get(method)?.get("x-kubernetes-group-version-kind"))
    })?;
    document["components"]["schemas"]
        .as_object()?
        .values()
        .find(|schema| {
            schema["x-kubernetes-group-version-kind"]
                .as_array()
                .is_some_and(|kinds| kinds.contains(kind))
        })
}

fn all_references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            if let Some(Value::String(target)) = fields.get("$ref") {
                found.push(target.clone());
            }
            fields.values().for_each(|v| all_references(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| all_references(v, found)),
        _ => {}
    }
}

#[test]
fn the_index_points_at_every_group_version_with_a_content_hash() {
    let registry = registry();
    let index = index(&registry);
    let paths = index["paths"].as_object().unwrap();
    assert_eq!(paths.len(), registry.group_versions().len());
    let url = paths["apis/framefarm.io/v1alpha1"]["serverRelativeURL"]
        .as_str()
        .unwrap();
    let hash = group_version_hash(&registry, "framefarm.io", "v1alpha1").unwrap();
    assert_eq!(
        url,
        format!("/openapi/v3/apis/framefarm.io/v1alpha1?hash={hash}")
    );
    assert_eq!(hash.len(), 128);
    assert!(
        hash.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    );
    let document = group_version_document(&registry, "framefarm.io", "v1alpha1").unwrap();
    assert_eq!(document_hash(&document), hash);
    assert!(
        paths["api/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap()
            .starts_with("/openapi/v3/api/v1?hash=")
    );
}

#[test]
fn a_changed_crd_changes_its_document_hash() {
    let before = group_version_hash(&registry(), "framefarm.io", "v1alpha1").unwrap();
    let mut changed = crd();
    changed["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["description"] = json!("Other");
    let mut registry = Registry::default();
    registry.install_crd(&changed);
    let after = group_version_hash(&registry, "framefarm.io", "v1alpha1").unwrap();
    assert_ne!(before, after);
    assert_eq!(
        group_version_hash(&Registry::default(), "", "v1"),
        group_version_hash(&self::registry(), "", "v1")
    );
}

#[test]
fn unserved_group_versions_have_no_document() {
    assert!(group_version_document(&registry(), "framefarm.io", "v1").is_none());
    assert!(group_version_document(&registry(), "", "v2").is_none());
    assert!(group_version_hash(&registry(), "example.com", "v1").is_none());
}

#[test]
fn documents_are_openapi_3_with_info() {
    let core = document("", "v1");
    assert_eq!(core["openapi"], "3.0.0");
    assert_eq!(core["info"]["title"], "Kubernetes");
    let custom = document("framefarm.io", "v1alpha1");
    assert_eq!(custom["info"]["title"], "Kubernetes CRD Swagger");
}

#[test]
fn kubectl_explain_finds_every_served_kind() {
    let registry = registry();
    for resource in registry.types() {
        let document = document(&resource.group, &resource.version);
        let schema = explained_component(&document, resource)
            .unwrap_or_else(|| panic!("explain cannot find {}", resource.qualified_kind()));
        assert!(
            schema["properties"]["metadata"].is_object(),
            "{} has no metadata",
            resource.kind
        );
    }
}

#[test]
fn custom_resources_are_their_crd_schema_with_type_and_object_metadata() {
    let document = document("framefarm.io", "v1alpha1");
    let schemas = &document["components"]["schemas"];
    let shot = &schemas["io.framefarm.v1alpha1.RenderShot"];
    assert_eq!(
        shot["x-kubernetes-group-version-kind"],
        json!([gvk("framefarm.io", "v1alpha1", "RenderShot")])
    );
    let from_crd = &crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    assert_eq!(shot["description"], from_crd["description"]);
    assert_eq!(shot["properties"]["spec"], from_crd["properties"]["spec"]);
    assert_eq!(
        shot["properties"]["metadata"]["$ref"],
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    );
    assert_eq!(shot["properties"]["apiVersion"]["type"], "string");
    assert_eq!(shot["properties"]["kind"]["type"], "string");
    let list = &schemas["io.framefarm.v1alpha1.RenderShotList"];
    assert_eq!(
        list["x-kubernetes-group-version-kind"],
        json!([gvk("framefarm.io", "v1alpha1", "RenderShotList")])
    );
    assert_eq!(
        list["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/io.framefarm.v1alpha1.RenderShot"
    );
    assert_eq!(list["required"], json!(["items"]));
    assert!(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].is_object());
}

#[test]
fn built_in_kinds_come_from_k8s_openapi_with_their_kind() {
    let document = document("", "v1");
    let schemas = &document["components"]["schemas"];
    let pod = &schemas["io.k8s.api.core.v1.Pod"];
    assert_eq!(
        pod["x-kubernetes-group-version-kind"],
        json!([gvk("", "v1", "Pod")])
    );
    assert!(
        pod["description"]
            .as_str()
            .unwrap()
            .starts_with("Pod is a collection")
    );
    assert!(pod.get("required").is_none(), "metadata is not required");
    assert_eq!(
        pod["properties"]["spec"]["$ref"],
        "#/components/schemas/io.k8s.api.core.v1.PodSpec"
    );
    let eviction = &schemas["io.k8s.api.policy.v1.Eviction"];
    assert_eq!(
        eviction["x-kubernetes-group-version-kind"],
        json!([gvk("policy", "v1", "Eviction")])
    );
    let events = group_version_document(&registry(), "events.k8s.io", "v1").unwrap();
    assert_eq!(
        events["components"]["schemas"]["io.k8s.api.events.v1.Event"]["x-kubernetes-group-version-kind"],
        json!([gvk("events.k8s.io", "v1", "Event")])
    );
}

#[test]
fn every_reference_resolves_within_its_document() {
    let registry = registry();
    for (group, version) in registry.group_versions() {
        let document = group_version_document(&registry, &group, &version).unwrap();
        let mut references = Vec::new();
        all_references(&document, &mut references);
        assert!(!references.is_empty());
        for reference in references {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{reference} is not a component"));
            assert!(
                document["components"]["schemas"].get(name).is_some(),
                "{group}/{version}: {reference} is missing"
            );
        }
    }
}

#[test]
fn every_patch_lets_the_server_validate_fields() {
    let registry = registry();
    for resource in registry.types() {
        let document = document(&resource.group, &resource.version);
        let kind = gvk(&resource.group, &resource.version, &resource.kind);
        let patches = patches_of(&document, &kind);
        assert!(!patches.is_empty(), "no PATCH for {}", resource.kind);
        for patch in patches {
            let parameters = query_parameters(patch);
            for wanted in ["dryRun", "fieldManager", "fieldValidation", "force"] {
                assert!(parameters.contains(&wanted), "{}: {wanted}", resource.kind);
            }
        }
    }
}

#[test]
fn creates_and_replaces_take_field_validation_too() {
    let document = document("framefarm.io", "v1alpha1");
    for (path, method, operation) in operations(&document) {
        if method == "post" || method == "put" {
            assert_eq!(
                query_parameters(operation),
                ["dryRun", "fieldManager", "fieldValidation"],
                "{method} {path}"
            );
        }
    }
}

#[test]
fn strategic_merge_patch_is_offered_for_built_ins_only() {
    let offers_strategic = |group: &str, version: &str, kind: &str| {
        let document = document(group, version);
        let patches = patches_of(&document, &gvk(group, version, kind));
        patches.iter().all(|patch| {
            patch["requestBody"]["content"]
                .get("application/strategic-merge-patch+json")
                .is_some()
        })
    };
    assert!(offers_strategic("", "v1", "Pod"));
    assert!(offers_strategic("apps", "v1", "Deployment"));
    assert!(!offers_strategic("framefarm.io", "v1alpha1", "RenderShot"));
    let shots = document("framefarm.io", "v1alpha1");
    let patch = patches_of(&shots, &gvk("framefarm.io", "v1alpha1", "RenderShot"))[0];
    let offered: Vec<&String> = patch["requestBody"]["content"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        offered,
        [
            "application/apply-patch+yaml",
            "application/json-patch+json",
            "application/merge-patch+json"
        ]
    );
}

#[test]
fn built_in_lists_carry_the_markers_strategic_merge_patch_needs() {
    let document = document("", "v1");
    let schemas = &document["components"]["schemas"];
    let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    let env = &schemas["io.k8s.api.core.v1.Container"]["properties"]["env"];
    assert_eq!(env["x-kubernetes-patch-merge-key"], "name");
    let owners = &schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]["ownerReferences"];
    assert_eq!(owners["x-kubernetes-patch-merge-key"], "uid");
    let apps = self::document("apps", "v1");
    let strategy = &apps["components"]["schemas"]["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]
        ["strategy"];
    assert_eq!(strategy["x-kubernetes-patch-strategy"], "retainKeys");
}
