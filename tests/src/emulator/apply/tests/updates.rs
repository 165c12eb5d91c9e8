//! Updates recorded in managedFields: taking changed fields, losing removed ones, resets.

use serde_json::json;

use super::*;

#[test]
fn an_update_takes_the_fields_it_changes_from_their_owners() {
    let cluster = Cluster::new();
    let applied = cluster
        .apply(
            None,
            shot(json!({"spec": {"replicas": 1, "image": "x", "args": ["-b"]}})),
            "a",
        )
        .expect("no conflicts");
    let mut changed = applied.clone();
    changed["spec"]["image"] = json!("y");
    changed["spec"]["args"] = json!(["-a"]);
    let updated = cluster.update(Some(&applied), changed, "editor");
    assert_eq!(
        owners(&updated),
        [
            owner("a", "Apply", &[".spec.replicas"]),
            owner("editor", "Update", &[".spec.args", ".spec.image"])
        ]
    );
    assert_eq!(updated["metadata"]["managedFields"][1]["time"], T2);
}

#[test]
fn an_update_that_removes_a_field_takes_it_from_every_owner() {
    let cluster = Cluster::new();
    let applied = cluster
        .apply(
            None,
            shot(json!({"spec": {"replicas": 1, "image": "x"}})),
            "a",
        )
        .expect("no conflicts");
    let mut removed = applied.clone();
    removed["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("image");
    let updated = cluster.update(Some(&applied), removed, "editor");
    assert_eq!(owners(&updated), [owner("a", "Apply", &[".spec.replicas"])]);
}

#[test]
fn an_update_that_changes_nothing_records_nothing() {
    let cluster = Cluster::new();
    let applied = cluster
        .apply(None, shot(json!({"spec": {"replicas": 1}})), "a")
        .expect("no conflicts");
    let updated = cluster.update(Some(&applied), applied.clone(), "editor");
    assert_eq!(updated, applied);
}

#[test]
fn a_create_owns_every_field_and_marks_maps_it_added() {
    let cluster = Cluster::new();
    let created = cluster.update(
        None,
        shot(json!({"metadata": {"labels": {"app": "x"}}, "spec": {"replicas": 1}})),
        "kubectl-create",
    );
    assert_eq!(
        created["metadata"]["managedFields"],
        json!([{
            "manager": "kubectl-create",
            "operation": "Update",
            "apiVersion": API_VERSION,
            "time": T2,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {".": {}, "f:replicas": {}}
            }
        }])
    );
}

#[test]
fn managed_fields_set_to_one_empty_entry_are_cleared() {
    let cluster = Cluster::new();
    let applied = cluster
        .apply(None, shot(json!({"spec": {"replicas": 1}})), "a")
        .expect("no conflicts");
    let mut reset = applied.clone();
    reset["metadata"]["managedFields"] = json!([{}]);
    let updated = cluster.update(Some(&applied), reset, "kubectl-patch");
    assert_eq!(updated["metadata"].get("managedFields"), None);
    let mut emptied = applied.clone();
    emptied["metadata"]["managedFields"] = json!([]);
    let kept = cluster.update(Some(&applied), emptied, "kubectl-patch");
    assert_eq!(kept, applied);
}

#[test]
fn unreadable_managed_fields_are_ignored_as_kubernetes_does() {
    let cluster = Cluster::new();
    let mut current = shot(json!({"spec": {"replicas": 1}}));
    current["metadata"]["managedFields"] = json!([{"manager": "x", "operation": "Sideways"}]);
    let applied = cluster
        .apply(Some(&current), shot(json!({"spec": {"replicas": 2}})), "a")
        .expect("nobody owns anything");
    assert_eq!(owners(&applied), [owner("a", "Apply", &[".spec.replicas"])]);
}
