//! Specifications of field sets: the real `FieldsV1` format, path notation, set operations.

use serde_json::json;

use super::*;

/// managedFields as a kube-apiserver writes them for a Deployment created with
/// `kubectl create` and a finalizer added later.
fn real_fields_v1() -> Value {
    json!({
        "f:metadata": {
            "f:finalizers": {".": {}, "v:\"framefarm.io/cleanup\"": {}},
            "f:labels": {".": {}, "f:app": {}}
        },
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {"f:containers": {"k:{\"name\":\"agent\"}": {
                    ".": {},
                    "f:image": {},
                    "f:name": {},
                    "f:ports": {
                        ".": {},
                        "k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {
                            ".": {}, "f:containerPort": {}, "f:protocol": {}
                        }
                    }
                }}}
            }
        }
    })
}

#[test]
fn fields_v1_round_trips_in_the_exact_real_format() {
    let set = FieldSet::from_fields_v1(&real_fields_v1()).expect("valid fieldsV1");
    assert_eq!(set.to_fields_v1(), real_fields_v1());
}

#[test]
fn fields_v1_members_are_the_paths_kubernetes_means() {
    let set = FieldSet::from_fields_v1(&real_fields_v1()).expect("valid fieldsV1");
    let shown: Vec<String> = set.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            ".metadata.finalizers",
            ".metadata.finalizers[=\"framefarm.io/cleanup\"]",
            ".metadata.labels",
            ".metadata.labels.app",
            ".spec.replicas",
            ".spec.selector",
            ".spec.template.metadata.labels",
            ".spec.template.metadata.labels.app",
            ".spec.template.spec.containers[name=\"agent\"]",
            ".spec.template.spec.containers[name=\"agent\"].image",
            ".spec.template.spec.containers[name=\"agent\"].name",
            ".spec.template.spec.containers[name=\"agent\"].ports",
            ".spec.template.spec.containers[name=\"agent\"].ports[containerPort=8080,protocol=\"TCP\"]",
            ".spec.template.spec.containers[name=\"agent\"].ports[containerPort=8080,protocol=\"TCP\"].containerPort",
            ".spec.template.spec.containers[name=\"agent\"].ports[containerPort=8080,protocol=\"TCP\"].protocol",
        ]
    );
    assert!(!set.contains(&FieldPath::fields(&["spec"])));
}

#[test]
fn key_elements_sort_their_fields_by_name() {
    let item = json!({"protocol": "TCP", "containerPort": 80, "name": "http"});
    let element = PathElement::key_of(
        item.as_object().expect("object"),
        &["protocol".to_owned(), "containerPort".to_owned()],
    );
    assert_eq!(
        element.to_fields_v1_key(),
        "k:{\"containerPort\":80,\"protocol\":\"TCP\"}"
    );
    assert_eq!(element.to_string(), "[containerPort=80,protocol=\"TCP\"]");
}

#[test]
fn index_elements_are_read_and_written() {
    let fields_v1 = json!({"f:spec": {"f:args": {"i:0": {}}}});
    let set = FieldSet::from_fields_v1(&fields_v1).expect("valid fieldsV1");
    assert_eq!(
        set.iter().next().map(ToString::to_string).as_deref(),
        Some(".spec.args[0]")
    );
    assert_eq!(set.to_fields_v1(), fields_v1);
}

#[test]
fn malformed_fields_v1_is_refused() {
    assert_eq!(
        FieldSet::from_fields_v1(&json!({"spec": {}})),
        Err(FieldsV1Error::ParseKey {
            key: "spec".to_owned()
        })
    );
    assert_eq!(
        FieldSet::from_fields_v1(&json!({"k:{not json}": {}})),
        Err(FieldsV1Error::ParseKey {
            key: "k:{not json}".to_owned()
        })
    );
    assert!(matches!(
        FieldSet::from_fields_v1(&json!({"f:spec": 1})),
        Err(FieldsV1Error::ParseNode { .. })
    ));
}

#[test]
fn set_operations_work_on_whole_paths() {
    let a: FieldSet = [
        FieldPath::fields(&["spec", "a"]),
        FieldPath::fields(&["spec", "b"]),
    ]
    .into_iter()
    .collect();
    let b: FieldSet = [
        FieldPath::fields(&["spec", "b"]),
        FieldPath::fields(&["spec", "c"]),
    ]
    .into_iter()
    .collect();
    assert_eq!(a.union(&b).len(), 3);
    assert_eq!(
        a.intersection(&b).iter().cloned().collect::<Vec<_>>(),
        [FieldPath::fields(&["spec", "b"])]
    );
    assert_eq!(
        a.difference(&b).iter().cloned().collect::<Vec<_>>(),
        [FieldPath::fields(&["spec", "a"])]
    );
}

#[test]
fn contains_at_or_below_sees_descendants_but_not_siblings() {
    let set: FieldSet = [FieldPath::fields(&["spec", "template", "spec"])]
        .into_iter()
        .collect();
    assert!(set.contains_at_or_below(&FieldPath::fields(&["spec"])));
    assert!(set.contains_at_or_below(&FieldPath::fields(&["spec", "template", "spec"])));
    assert!(!set.contains_at_or_below(&FieldPath::fields(&["spec", "template", "spec", "x"])));
    assert!(!set.contains_at_or_below(&FieldPath::fields(&["status"])));
    assert!(!set.contains_at_or_below(&FieldPath::fields(&["spec", "replicas"])));
}
