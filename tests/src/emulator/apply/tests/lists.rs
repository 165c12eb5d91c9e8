//! Server-side apply of lists: keyed items and set values owned one by one, atomic items,
//! and the order of merged items.

use serde_json::json;

use super::*;
use crate::emulator::patch::BuiltInLists;

#[test]
fn two_managers_each_own_their_condition_by_type() {
    let cluster = Cluster::new();
    let status = |conditions: Value| shot(json!({"status": {"conditions": conditions}}));
    let object = cluster
        .apply(None, shot(json!({"spec": {"replicas": 1}})), "user")
        .expect("created");
    let with_ready = cluster
        .apply_as(
            Some(&object),
            status(json!([{"type": "Ready", "status": "False"}])),
            "operator",
            T1,
            false,
            Some("status"),
        )
        .expect("no conflicts");
    let with_both = cluster
        .apply_as(
            Some(&with_ready),
            status(json!([{"type": "Rendering", "status": "True"}])),
            "agent",
            T1,
            false,
            Some("status"),
        )
        .expect("no conflicts");
    assert_eq!(
        with_both["status"]["conditions"],
        json!([{"type": "Ready", "status": "False"}, {"type": "Rendering", "status": "True"}])
    );
    let ready_paths = [
        ".status.conditions[type=\"Ready\"]",
        ".status.conditions[type=\"Ready\"].status",
        ".status.conditions[type=\"Ready\"].type",
    ];
    let rendering_paths = [
        ".status.conditions[type=\"Rendering\"]",
        ".status.conditions[type=\"Rendering\"].status",
        ".status.conditions[type=\"Rendering\"].type",
    ];
    assert_eq!(
        owners(&with_both),
        [
            owner("agent", "Apply", &rendering_paths),
            owner("operator", "Apply", &ready_paths),
            owner("user", "Apply", &[".spec.replicas"]),
        ]
    );
    let entries = with_both["metadata"]["managedFields"]
        .as_array()
        .expect("entries");
    assert_eq!(entries[0]["subresource"], "status");
    assert_eq!(entries[2].get("subresource"), None);

    // The operator's next apply changes its own condition and drops nothing of the agent's.
    let flipped = cluster
        .apply_as(
            Some(&with_both),
            status(json!([{"type": "Ready", "status": "True"}])),
            "operator",
            T2,
            false,
            Some("status"),
        )
        .expect("no conflicts");
    assert_eq!(
        flipped["status"]["conditions"],
        json!([{"type": "Ready", "status": "True"}, {"type": "Rendering", "status": "True"}])
    );
    // And an apply without its condition removes only that one.
    let without_ready = cluster
        .apply_as(
            Some(&flipped),
            shot(json!({"status": {"phase": "Rendering"}})),
            "operator",
            T2,
            false,
            Some("status"),
        )
        .expect("no conflicts");
    assert_eq!(
        without_ready["status"],
        json!({"phase": "Rendering", "conditions": [{"type": "Rendering", "status": "True"}]})
    );
}

#[test]
fn a_keyed_item_stays_while_another_manager_owns_it() {
    let cluster = Cluster::new();
    let first = cluster
        .apply(
            None,
            shot(json!({"spec": {"params": [{"name": "p", "value": "1"}]}})),
            "a",
        )
        .expect("no conflicts");
    let second = cluster
        .apply(
            Some(&first),
            shot(json!({"spec": {"params": [{"name": "p", "extra": "2"}]}})),
            "b",
        )
        .expect("no conflicts");
    assert_eq!(
        second["spec"]["params"],
        json!([{"name": "p", "value": "1", "extra": "2"}])
    );
    let dropped = cluster
        .apply(Some(&second), shot(json!({"spec": {"replicas": 1}})), "a")
        .expect("no conflicts");
    assert_eq!(
        dropped["spec"],
        json!({"replicas": 1, "params": [{"name": "p", "extra": "2"}]})
    );
}

#[test]
fn keyed_items_keep_the_applied_order_with_foreign_items_in_place() {
    let cluster = Cluster::new();
    let first = cluster
        .apply(
            None,
            shot(json!({"spec": {"params": [{"name": "x"}, {"name": "a"}]}})),
            "other",
        )
        .expect("no conflicts");
    let second = cluster
        .apply(
            Some(&first),
            shot(json!({"spec": {"params": [{"name": "a"}, {"name": "new"}]}})),
            "me",
        )
        .expect("no conflicts");
    assert_eq!(
        second["spec"]["params"],
        json!([{"name": "x"}, {"name": "a"}, {"name": "new"}])
    );
}

#[test]
fn set_items_are_owned_one_by_one() {
    let cluster = Cluster::new();
    let finalizers = |values: Value| shot(json!({"metadata": {"finalizers": values}}));
    let first = cluster
        .apply(
            None,
            finalizers(json!(["framefarm.io/cleanup"])),
            "operator",
        )
        .expect("no conflicts");
    let second = cluster
        .apply(
            Some(&first),
            finalizers(json!(["example.com/hold"])),
            "other",
        )
        .expect("no conflicts");
    assert_eq!(
        second["metadata"]["finalizers"],
        json!(["framefarm.io/cleanup", "example.com/hold"])
    );
    assert_eq!(
        second["metadata"]["managedFields"][0]["fieldsV1"],
        json!({"f:metadata": {"f:finalizers": {"v:\"framefarm.io/cleanup\"": {}}}})
    );
    let released = cluster
        .apply(Some(&second), finalizers(json!([])), "operator")
        .expect("no conflicts");
    assert_eq!(
        released["metadata"]["finalizers"],
        json!(["example.com/hold"])
    );
    assert_eq!(
        owners(&released),
        [owner(
            "other",
            "Apply",
            &[".metadata.finalizers[=\"example.com/hold\"]"]
        )]
    );
}

#[test]
fn built_in_conflicts_name_containers_by_key() {
    let lists = BuiltInLists::for_kind("Deployment");
    let deployment = |image: &str| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"spec": {
                "containers": [{"name": "agent", "image": image}]}}}})
    };
    let request = |manager| ApplyRequest {
        manager,
        force: false,
        subresource: None,
        api_version: "apps/v1",
        now: T1,
        lists: &lists,
    };
    let created =
        server_side_apply(None, &deployment("agent:1"), &request("helm")).expect("created");
    assert_eq!(
        created["metadata"]["managedFields"][0]["fieldsV1"],
        json!({"f:spec": {
            "f:selector": {},
            "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"agent\"}": {
                ".": {}, "f:image": {}, "f:name": {}
            }}}}
        }})
    );
    assert_eq!(
        server_side_apply(Some(&created), &deployment("agent:2"), &request("ci")),
        Err(ApplyError::Conflicts(vec![conflict(
            "helm",
            ".spec.template.spec.containers[name=\"agent\"].image"
        )]))
    );
}

#[test]
fn owner_references_are_owned_whole() {
    let cluster = Cluster::new();
    let created = cluster
        .apply(
            None,
            shot(json!({"metadata": {"ownerReferences": [{"uid": "u1", "kind": "RenderShot", "name": "p"}]}})),
            "operator",
        )
        .expect("created");
    assert_eq!(
        created["metadata"]["managedFields"][0]["fieldsV1"],
        json!({"f:metadata": {"f:ownerReferences": {"k:{\"uid\":\"u1\"}": {}}}})
    );
}
