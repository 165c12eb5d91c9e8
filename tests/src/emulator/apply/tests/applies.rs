//! Server-side apply: merging, pruning, conflicts and shared ownership.

use serde_json::json;

use super::*;

#[test]
fn apply_creates_the_object_with_one_entry_in_the_real_format() {
    let cluster = Cluster::new();
    let applied = shot(json!({"metadata": {"labels": {"app": "x"}}, "spec": {"replicas": 1}}));
    let created = cluster
        .apply(None, applied, "framefarm-operator")
        .expect("no conflicts");
    assert_eq!(created["spec"], json!({"replicas": 1}));
    assert_eq!(
        created["metadata"]["managedFields"],
        json!([{
            "manager": "framefarm-operator",
            "operation": "Apply",
            "apiVersion": API_VERSION,
            "time": T1,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:replicas": {}}}
        }])
    );
}

#[test]
fn two_managers_applying_disjoint_fields_keep_both() {
    let cluster = Cluster::new();
    let first = cluster
        .apply(None, shot(json!({"spec": {"replicas": 1}})), "a")
        .expect("no conflicts");
    let second = cluster
        .apply(
            Some(&first),
            shot(json!({"spec": {"image": "blender:4"}})),
            "b",
        )
        .expect("no conflicts");
    assert_eq!(second["spec"], json!({"replicas": 1, "image": "blender:4"}));
    assert_eq!(
        owners(&second),
        [
            owner("a", "Apply", &[".spec.replicas"]),
            owner("b", "Apply", &[".spec.image"])
        ]
    );
}

#[test]
fn reapplying_without_a_field_removes_it() {
    let cluster = Cluster::new();
    let first = cluster
        .apply(
            None,
            shot(json!({"spec": {"replicas": 1, "image": "blender:4"}})),
            "a",
        )
        .expect("no conflicts");
    let second = cluster
        .apply(Some(&first), shot(json!({"spec": {"replicas": 1}})), "a")
        .expect("no conflicts");
    assert_eq!(second["spec"], json!({"replicas": 1}));
    assert_eq!(owners(&second), [owner("a", "Apply", &[".spec.replicas"])]);
}

#[test]
fn a_field_another_manager_also_owns_survives_its_removal_from_one_config() {
    let cluster = Cluster::new();
    let first = cluster
        .apply(
            None,
            shot(json!({"spec": {"replicas": 1, "image": "blender:4"}})),
            "a",
        )
        .expect("no conflicts");
    let shared = cluster
        .apply(
            Some(&first),
            shot(json!({"spec": {"image": "blender:4"}})),
            "b",
        )
        .expect("equal values do not conflict");
    let dropped = cluster
        .apply(Some(&shared), shot(json!({"spec": {"replicas": 1}})), "a")
        .expect("no conflicts");
    assert_eq!(
        dropped["spec"],
        json!({"replicas": 1, "image": "blender:4"})
    );
    assert_eq!(
        owners(&dropped),
        [
            owner("a", "Apply", &[".spec.replicas"]),
            owner("b", "Apply", &[".spec.image"])
        ]
    );
}

#[test]
fn equal_values_are_owned_by_both_managers() {
    let cluster = Cluster::new();
    let first = cluster
        .apply(None, shot(json!({"spec": {"replicas": 2}})), "a")
        .expect("no conflicts");
    let second = cluster
        .apply(Some(&first), shot(json!({"spec": {"replicas": 2}})), "b")
        .expect("equal values do not conflict");
    assert_eq!(
        owners(&second),
        [
            owner("a", "Apply", &[".spec.replicas"]),
            owner("b", "Apply", &[".spec.replicas"])
        ]
    );
}

#[test]
fn changing_a_field_another_applier_owns_conflicts() {
    let cluster = Cluster::new();
    let first = cluster
        .apply(
            None,
            shot(json!({"spec": {"replicas": 1, "args": ["-b"]}})),
            "a",
        )
        .expect("no conflicts");
    let refused = cluster.apply(
        Some(&first),
        shot(json!({"spec": {"replicas": 2, "args": ["-a"], "image": "x"}})),
        "b",
    );
    assert_eq!(
        refused,
        Err(ApplyError::Conflicts(vec![
            conflict("a", ".spec.args"),
            conflict("a", ".spec.replicas")
        ]))
    );
}

#[test]
fn changing_a_field_an_update_manager_owns_conflicts() {
    let cluster = Cluster::new();
    let applied = cluster
        .apply(None, shot(json!({"spec": {"replicas": 1}})), "a")
        .expect("no conflicts");
    let mut edited = applied.clone();
    edited["spec"]["replicas"] = json!(3);
    let edited = cluster.update(Some(&applied), edited, "kubectl-edit");
    assert_eq!(
        owners(&edited),
        [owner("kubectl-edit", "Update", &[".spec.replicas"])]
    );
    let refused = cluster.apply(Some(&edited), shot(json!({"spec": {"replicas": 1}})), "a");
    assert_eq!(
        refused,
        Err(ApplyError::Conflicts(vec![conflict(
            "kubectl-edit",
            ".spec.replicas"
        )]))
    );
}

#[test]
fn force_moves_ownership_to_the_applier() {
    let cluster = Cluster::new();
    let first = cluster
        .apply(
            None,
            shot(json!({"spec": {"replicas": 1, "image": "x"}})),
            "a",
        )
        .expect("no conflicts");
    let forced = cluster
        .apply_as(
            Some(&first),
            shot(json!({"spec": {"replicas": 5}})),
            "b",
            T2,
            true,
            None,
        )
        .expect("force takes over");
    assert_eq!(forced["spec"], json!({"replicas": 5, "image": "x"}));
    assert_eq!(
        owners(&forced),
        [
            owner("a", "Apply", &[".spec.image"]),
            owner("b", "Apply", &[".spec.replicas"])
        ]
    );
    // Once `a` no longer owns it, its next apply without the field leaves b's value alone.
    let reapplied = cluster
        .apply(Some(&forced), shot(json!({"spec": {"image": "x"}})), "a")
        .expect("no conflicts");
    assert_eq!(reapplied["spec"], json!({"replicas": 5, "image": "x"}));
}

#[test]
fn a_manager_that_owns_nothing_any_more_loses_its_entry() {
    let cluster = Cluster::new();
    let first = cluster
        .apply(None, shot(json!({"spec": {"replicas": 1}})), "a")
        .expect("no conflicts");
    let forced = cluster
        .apply_as(
            Some(&first),
            shot(json!({"spec": {"replicas": 2}})),
            "b",
            T2,
            true,
            None,
        )
        .expect("force takes over");
    assert_eq!(owners(&forced), [owner("b", "Apply", &[".spec.replicas"])]);
}

#[test]
fn the_same_manager_on_another_subresource_is_another_owner() {
    let cluster = Cluster::new();
    let object = cluster
        .apply(None, shot(json!({"spec": {"replicas": 1}})), "operator")
        .expect("created");
    let with_status = cluster
        .apply_as(
            Some(&object),
            shot(json!({"status": {"phase": "Pending"}})),
            "operator",
            T1,
            false,
            Some("status"),
        )
        .expect("no conflicts");
    assert_eq!(with_status["spec"], json!({"replicas": 1}));
    assert_eq!(
        owners(&with_status),
        [
            owner("operator", "Apply", &[".spec.replicas"]),
            owner("operator", "Apply", &[".status.phase"])
        ]
    );
}

#[test]
fn reapplying_the_same_configuration_changes_nothing() {
    let cluster = Cluster::new();
    let applied = shot(
        json!({"metadata": {"labels": {"a": "1"}}, "spec": {"replicas": 1, "params": [{"name": "p"}]}}),
    );
    let first = cluster
        .apply(None, applied.clone(), "a")
        .expect("no conflicts");
    let again = cluster
        .apply_as(Some(&first), applied, "a", T2, false, None)
        .expect("no conflicts");
    assert_eq!(again, first);
}

#[test]
fn applying_null_deletes_a_field_and_conflicts_like_any_change() {
    let cluster = Cluster::new();
    let first = cluster
        .apply(
            None,
            shot(json!({"spec": {"replicas": 1, "image": "x"}})),
            "a",
        )
        .expect("no conflicts");
    assert_eq!(
        cluster.apply(Some(&first), shot(json!({"spec": {"image": null}})), "b"),
        Err(ApplyError::Conflicts(vec![conflict("a", ".spec.image")]))
    );
    let cleared = cluster
        .apply(
            Some(&first),
            shot(json!({"spec": {"replicas": 1, "image": null}})),
            "a",
        )
        .expect("own field");
    assert_eq!(cleared["spec"], json!({"replicas": 1}));
}

#[test]
fn malformed_applies_are_refused() {
    let cluster = Cluster::new();
    assert_eq!(
        cluster.apply(None, json!([1]), "a"),
        Err(ApplyError::NotAnObject)
    );
    assert_eq!(
        cluster.apply(None, shot(json!({"metadata": {"managedFields": []}})), "a"),
        Err(ApplyError::ManagedFieldsInApplied)
    );
    assert_eq!(
        cluster.apply(
            None,
            shot(json!({"status": {"conditions": [{"type": "Ready"}, {"type": "Ready"}]}})),
            "a"
        ),
        Err(ApplyError::DuplicateListItem {
            field: ".status.conditions".to_owned(),
            item: "[type=\"Ready\"]".to_owned()
        })
    );
}
