use super::*;
use crate::emulator::registry::{Origin, Registry, Subresources};

fn gadget(group: &str, origin: Origin) -> ResourceType {
    ResourceType {
        group: group.to_owned(),
        version: "v1".to_owned(),
        kind: "Gadget".to_owned(),
        list_kind: "GadgetList".to_owned(),
        plural: "gadgets".to_owned(),
        singular: "gadget".to_owned(),
        namespaced: true,
        short_names: Vec::new(),
        categories: Vec::new(),
        subresources: Subresources::default(),
        origin,
    }
}

fn custom(schema: Value) -> Origin {
    Origin::Custom {
        crd: "gadgets.example.com".to_owned(),
        schema,
        printer_columns: Vec::new(),
        storage: true,
    }
}

#[test]
fn components_are_named_like_the_apiservers() {
    let registry = Registry::default();
    let pods = registry.by_resource("", "v1", "pods").unwrap();
    assert_eq!(object_component(pods), "io.k8s.api.core.v1.Pod");
    assert_eq!(list_component(pods), "io.k8s.api.core.v1.PodList");
    let crds = registry
        .by_resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        .unwrap();
    assert_eq!(
        object_component(crds),
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"
    );
    let gadgets = gadget("example.com", custom(json!({"type": "object"})));
    assert_eq!(object_component(&gadgets), "com.example.v1.Gadget");
    assert_eq!(list_component(&gadgets), "com.example.v1.GadgetList");
    assert_eq!(
        rest_friendly_name("stable", "v1", "Gadget"),
        "stable.v1.Gadget"
    );
}

#[test]
fn a_crd_schema_keeps_its_fields_and_gets_type_and_object_metadata() {
    let gadgets = gadget(
        "example.com",
        custom(json!({
            "type": "object",
            "properties": {
                "apiVersion": {"type": "integer"},
                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
            }
        })),
    );
    let schemas = components(&[&gadgets]);
    let gadget = &schemas["com.example.v1.Gadget"];
    assert_eq!(gadget["properties"]["apiVersion"]["type"], "string");
    assert_eq!(
        gadget["properties"]["spec"],
        json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
    );
    assert_eq!(
        gadget["properties"]["metadata"]["$ref"],
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    );
}

#[test]
fn a_crd_version_without_schema_is_a_bare_object() {
    let gadgets = gadget("example.com", custom(Value::Null));
    let schemas = components(&[&gadgets]);
    assert_eq!(
        schemas["com.example.v1.Gadget"],
        json!({"type": "object",
               "x-kubernetes-group-version-kind": [
                   {"group": "example.com", "kind": "Gadget", "version": "v1"}]})
    );
}

#[test]
fn a_built_in_kind_unknown_to_k8s_openapi_accepts_any_object() {
    let gadgets = gadget("example.com", Origin::BuiltIn);
    let schemas = components(&[&gadgets]);
    let gadget = &schemas["com.example.v1.Gadget"];
    assert_eq!(gadget["x-kubernetes-preserve-unknown-fields"], true);
    assert_eq!(
        gadget["x-kubernetes-group-version-kind"],
        json!([{"group": "example.com", "kind": "Gadget", "version": "v1"}])
    );
    assert!(gadget["properties"]["metadata"].is_object());
}

#[test]
fn meta_types_that_operations_refer_to_are_always_present() {
    let gadgets = gadget("example.com", custom(json!({"type": "object"})));
    let schemas = components(&[&gadgets]);
    for name in [
        DELETE_OPTIONS,
        PATCH,
        STATUS,
        "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }
    assert!(!schemas.contains_key(EVICTION));
}
