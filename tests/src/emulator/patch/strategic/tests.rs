//! Specifications of strategic merge patch, including a patch captured from `kubectl apply`.

use serde_json::{Value, json};

use super::*;
use crate::emulator::patch::BuiltInLists;

fn patch_pod(target: Value, patch: Value) -> Result<Value, PatchError> {
    strategic_merge_patch(&target, &patch, &BuiltInLists::for_kind("Pod"))
}

fn patch_deployment(target: Value, patch: Value) -> Result<Value, PatchError> {
    strategic_merge_patch(&target, &patch, &BuiltInLists::for_kind("Deployment"))
}

/// Fails when a directive survived into a merged object.
fn assert_no_directives(value: &Value) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                assert!(!key.starts_with('$'), "directive {key} leaked into {value}");
                assert_no_directives(field);
            }
        }
        Value::Array(items) => items.iter().for_each(assert_no_directives),
        _ => {}
    }
}

#[test]
fn maps_merge_recursively_and_null_deletes() {
    let patched = patch_pod(
        json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"nodeName": "n1"}}),
        json!({"metadata": {"labels": {"b": null, "c": "3"}}, "spec": {"hostname": "h"}}),
    );
    assert_eq!(
        patched,
        Ok(
            json!({"metadata": {"labels": {"a": "1", "c": "3"}}, "spec": {"nodeName": "n1", "hostname": "h"}})
        )
    );
}

#[test]
fn what_kubectl_apply_sends_for_a_deployment_merges_containers_by_name() {
    let live = json!({
        "metadata": {"name": "web", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{
            "name": "app", "image": "app:1", "imagePullPolicy": "IfNotPresent",
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
        }]}}}
    });
    let patch = json!({
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}"}},
        "spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "side"}],
            "containers": [
                {"$setElementOrder/env": [{"name": "B"}], "env": [{"$patch": "delete", "name": "A"}],
                 "image": "app:2", "name": "app"},
                {"image": "side:1", "name": "side"}
            ]
        }}}
    });
    let patched = patch_deployment(live, patch).expect("patch applies");
    assert_eq!(
        patched,
        json!({
            "metadata": {"name": "web", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "app", "image": "app:2", "imagePullPolicy": "IfNotPresent",
                 "env": [{"name": "B", "value": "2"}]},
                {"name": "side", "image": "side:1"}
            ]}}}
        })
    );
    assert_no_directives(&patched);
}

fn container_names(pod: &Value) -> Vec<&str> {
    pod["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .filter_map(|container| container["name"].as_str())
        .collect()
}

#[test]
fn set_element_order_keeps_items_the_patch_does_not_name_where_they_were() {
    let live =
        json!({"spec": {"containers": [{"name": "a"}, {"name": "server-only"}, {"name": "b"}]}});
    let patch = json!({"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}]}});
    let patched = patch_pod(live, patch).expect("patch applies");
    assert_eq!(container_names(&patched), ["a", "server-only", "b"]);
}

#[test]
fn set_element_order_reorders_the_named_items_and_places_the_others_before_later_ones() {
    let live = json!({"spec": {"containers": [
        {"name": "a"}, {"name": "server-only"}, {"name": "b"}, {"name": "c"}
    ]}});
    let patch = json!({"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}]}});
    let patched = patch_pod(live, patch).expect("patch applies");
    // As in Kubernetes: an item the patch does not name goes before the first named item that
    // came after it in the live list.
    assert_eq!(container_names(&patched), ["server-only", "c", "a", "b"]);
}

#[test]
fn new_items_follow_the_order_the_patch_gives() {
    let live = json!({"spec": {"containers": [{"name": "b"}]}});
    let patch = json!({"spec": {
        "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
        "containers": [{"name": "a", "image": "a:1"}]
    }});
    let patched = patch_pod(live, patch).expect("patch applies");
    assert_eq!(
        patched["spec"]["containers"],
        json!([{"name": "a", "image": "a:1"}, {"name": "b"}])
    );
}

#[test]
fn delete_items_remove_by_key_and_new_lists_carry_no_directives() {
    let patched = patch_pod(
        json!({"spec": {"volumes": [{"name": "data", "emptyDir": {}}, {"name": "cache", "emptyDir": {}}]}}),
        json!({"spec": {
            "volumes": [{"$patch": "delete", "name": "cache"}],
            "initContainers": [{"$patch": "delete", "name": "gone"}, {"name": "init", "image": "i"}]
        }}),
    )
    .expect("patch applies");
    assert_eq!(
        patched,
        json!({"spec": {
            "volumes": [{"name": "data", "emptyDir": {}}],
            "initContainers": [{"name": "init", "image": "i"}]
        }})
    );
}

#[test]
fn replace_directive_in_a_list_replaces_the_whole_list() {
    let patched = patch_pod(
        json!({"spec": {"containers": [{"name": "a", "image": "a"}, {"name": "b", "image": "b"}]}}),
        json!({"spec": {"containers": [{"name": "c", "image": "c"}, {"$patch": "replace"}]}}),
    );
    assert_eq!(
        patched,
        Ok(json!({"spec": {"containers": [{"name": "c", "image": "c"}]}}))
    );
}

#[test]
fn replace_directive_in_a_map_replaces_the_whole_map() {
    let patched = patch_pod(
        json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
        json!({"metadata": {"labels": {"$patch": "replace", "c": "3"}}}),
    );
    assert_eq!(patched, Ok(json!({"metadata": {"labels": {"c": "3"}}})));
}

#[test]
fn delete_directive_in_a_map_empties_it() {
    let patched = patch_pod(
        json!({"spec": {"securityContext": {"runAsUser": 1000}}}),
        json!({"spec": {"securityContext": {"$patch": "delete"}}}),
    );
    assert_eq!(patched, Ok(json!({"spec": {"securityContext": {}}})));
}

#[test]
fn primitive_sets_gain_values_and_lose_those_listed_for_deletion() {
    let patched = patch_pod(
        json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
        json!({"metadata": {
            "$deleteFromPrimitiveList/finalizers": ["b"],
            "$setElementOrder/finalizers": ["d", "a", "c"],
            "finalizers": ["d", "a"]
        }}),
    )
    .expect("patch applies");
    assert_eq!(
        patched,
        json!({"metadata": {"finalizers": ["d", "a", "c"]}})
    );
}

#[test]
fn a_set_without_order_appends_what_it_lacks() {
    let patched = patch_pod(
        json!({"metadata": {"finalizers": ["a"]}}),
        json!({"metadata": {"finalizers": ["b", "a", "b"]}}),
    );
    assert_eq!(patched, Ok(json!({"metadata": {"finalizers": ["a", "b"]}})));
}

#[test]
fn atomic_lists_are_replaced() {
    let patched = patch_pod(
        json!({"spec": {"containers": [{"name": "a", "args": ["x", "y"]}], "tolerations": [{"key": "k"}]}}),
        json!({"spec": {"containers": [{"name": "a", "args": ["z"]}], "tolerations": [{"key": "j"}]}}),
    );
    assert_eq!(
        patched,
        Ok(
            json!({"spec": {"containers": [{"name": "a", "args": ["z"]}], "tolerations": [{"key": "j"}]}})
        )
    );
}

#[test]
fn retain_keys_drops_the_fields_it_does_not_name() {
    let live = json!({"spec": {"strategy": {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}
    }}});
    let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null}}});
    assert_eq!(
        patch_deployment(live, patch),
        Ok(json!({"spec": {"strategy": {"type": "Recreate"}}}))
    );
}

#[test]
fn retain_keys_inside_list_items_applies_per_item() {
    let live = json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}});
    let patch = json!({"spec": {"volumes": [
        {"$retainKeys": ["name", "configMap"], "name": "v", "configMap": {"name": "cm"}}
    ]}});
    assert_eq!(
        patch_pod(live, patch),
        Ok(json!({"spec": {"volumes": [{"name": "v", "configMap": {"name": "cm"}}]}}))
    );
}

#[test]
fn a_value_of_another_type_replaces_the_original_without_its_directives() {
    let patched = patch_pod(
        json!({"spec": {"affinity": "not-an-object"}}),
        json!({"spec": {"affinity": {"nodeAffinity": {"$patch": "replace", "x": 1}}}}),
    );
    assert_eq!(
        patched,
        Ok(json!({"spec": {"affinity": {"nodeAffinity": {"x": 1}}}}))
    );
}

#[test]
fn directive_only_items_of_atomic_lists_are_dropped() {
    let patched = patch_pod(
        json!({"spec": {"tolerations": [{"key": "a"}]}}),
        json!({"spec": {"tolerations": [{"$patch": "replace"}, {"key": "b", "$retainKeys": ["key"]}]}}),
    );
    assert_eq!(
        patched,
        Ok(json!({"spec": {"tolerations": [{"key": "b"}]}}))
    );
}

#[test]
fn status_conditions_merge_by_type() {
    let live = json!({"status": {"conditions": [
        {"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}
    ]}});
    let patch = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
    assert_eq!(
        patch_pod(live, patch),
        Ok(json!({"status": {"conditions": [
            {"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}
        ]}}))
    );
}

#[test]
fn malformed_patches_are_refused() {
    assert_eq!(
        patch_pod(json!({}), json!([1])),
        Err(PatchError::DecodeStrategicPatch)
    );
    assert_eq!(
        patch_pod(json!({}), json!({"spec": {"$patch": "explode"}})),
        Err(PatchError::UnknownPatchDirective {
            field: "spec".to_owned(),
            directive: "\"explode\"".to_owned()
        })
    );
    assert_eq!(
        patch_pod(json!({}), json!({"spec": {"containers": [{"image": "x"}]}})),
        Err(PatchError::MissingMergeKey {
            field: "spec.containers".to_owned(),
            key: "name".to_owned()
        })
    );
    assert_eq!(
        patch_pod(
            json!({}),
            json!({"spec": {"containers": [{"$patch": "delete"}]}})
        ),
        Err(PatchError::MissingMergeKey {
            field: "spec.containers".to_owned(),
            key: "name".to_owned()
        })
    );
    assert_eq!(
        patch_pod(
            json!({}),
            json!({"metadata": {"$setElementOrder/finalizers": "a"}})
        ),
        Err(PatchError::MalformedDirective {
            field: "metadata".to_owned(),
            directive: "$setElementOrder/".to_owned()
        })
    );
    let error = patch_pod(json!({}), json!({"spec": {"$retainKeys": {}}})).expect_err("malformed");
    assert_eq!(error.status_code(), 400);
}

#[test]
fn patching_a_non_object_target_starts_from_an_empty_object() {
    assert_eq!(patch_pod(json!(null), json!({"a": 1})), Ok(json!({"a": 1})));
}

/// A patch captured from `kubectl apply` (v1.32, client-side) when a Deployment drops a
/// label, a finalizer, a container, an env var, a port and a volume source, and switches its
/// strategy to Recreate; the live object has a container injected by someone else.
#[test]
fn a_captured_kubectl_apply_patch_merges_as_the_apiserver_merges_it() {
    let live = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "uid": "u", "resourceVersion": "5",
            "labels": {"app": "web", "tier": "x"}, "finalizers": ["a.io/one", "b.io/two"],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"old\":true}\n"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                "containers": [
                    {"name": "app", "image": "app:1", "imagePullPolicy": "IfNotPresent",
                     "args": ["--a", "--b"], "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                     "ports": [{"containerPort": 80}]},
                    {"name": "injected", "image": "mesh:1"},
                    {"name": "old", "image": "old:1"}
                ],
                "volumes": [{"name": "v", "emptyDir": {}}]
            }}}
    });
    let patch = json!({
        "metadata": {
            "$deleteFromPrimitiveList/finalizers": ["a.io/one"],
            "$setElementOrder/finalizers": ["b.io/two", "c.io/three"],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}\n"},
            "finalizers": ["c.io/three"],
            "labels": {"tier": null}
        },
        "spec": {
            "replicas": 3,
            "strategy": {"$retainKeys": ["type"], "rollingUpdate": null, "type": "Recreate"},
            "template": {"spec": {
                "$setElementOrder/containers": [{"name": "side"}, {"name": "app"}],
                "$setElementOrder/volumes": [{"name": "v"}],
                "containers": [
                    {"image": "side:1", "name": "side"},
                    {
                        "$setElementOrder/env": [{"name": "B"}, {"name": "C"}],
                        "$setElementOrder/ports": [{"containerPort": 8080}],
                        "args": ["--c"],
                        "env": [{"name": "C", "value": "3"}, {"$patch": "delete", "name": "A"}],
                        "image": "app:2",
                        "name": "app",
                        "ports": [{"containerPort": 8080}, {"$patch": "delete", "containerPort": 80}]
                    },
                    {"$patch": "delete", "name": "old"}
                ],
                "volumes": [{
                    "$retainKeys": ["configMap", "name"],
                    "configMap": {"name": "cm"},
                    "emptyDir": null,
                    "name": "v"
                }]
            }}
        }
    });
    let patched = patch_deployment(live, patch).expect("patch applies");
    assert_eq!(
        patched,
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "uid": "u", "resourceVersion": "5",
                "labels": {"app": "web"}, "finalizers": ["b.io/two", "c.io/three"],
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}\n"}},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "Recreate"},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                    "containers": [
                        {"name": "side", "image": "side:1"},
                        {"name": "app", "image": "app:2", "imagePullPolicy": "IfNotPresent",
                         "args": ["--c"], "env": [{"name": "B", "value": "2"}, {"name": "C", "value": "3"}],
                         "ports": [{"containerPort": 8080}]},
                        {"name": "injected", "image": "mesh:1"}
                    ],
                    "volumes": [{"name": "v", "configMap": {"name": "cm"}}]
                }}}
        })
    );
}
