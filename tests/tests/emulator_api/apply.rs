//! Server-side apply: each field manager owns the fields it applied, a manager changing a
//! field another owns is refused with 409 unless it forces, and `managedFields` records who
//! owns what.

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};

use crate::support_emulator::{cluster, refusal};

fn applied(data: Value) -> Patch<Value> {
    Patch::Apply(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": data,
    }))
}

/// The entry of `manager`'s applies.
fn applied_by<'a>(config_map: &'a ConfigMap, manager: &str) -> &'a ManagedFieldsEntry {
    config_map
        .managed_fields()
        .iter()
        .find(|entry| entry.manager.as_deref() == Some(manager))
        .unwrap_or_else(|| {
            panic!(
                "no managedFields entry of {manager}: {:?}",
                config_map.managed_fields()
            )
        })
}

fn owns(entry: &ManagedFieldsEntry, key: &str) -> bool {
    entry
        .fields_v1
        .as_ref()
        .is_some_and(|fields| fields.0["f:data"].get(format!("f:{key}")).is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_managers_own_the_fields_they_applied_and_conflict_over_shared_ones() {
    let cluster = cluster("apply-managers").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "apply-managers");

    config_maps
        .patch(
            "settings",
            &PatchParams::apply("alpha"),
            &applied(json!({"quality": "draft"})),
        )
        .await
        .expect("an apply creates the object");
    let both = config_maps
        .patch(
            "settings",
            &PatchParams::apply("beta"),
            &applied(json!({"frames": "1-10"})),
        )
        .await
        .unwrap();
    assert_eq!(
        both.data
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect::<Vec<_>>(),
        [
            ("frames".to_owned(), "1-10".to_owned()),
            ("quality".to_owned(), "draft".to_owned())
        ]
    );
    let alpha = applied_by(&both, "alpha");
    assert_eq!(alpha.operation.as_deref(), Some("Apply"));
    assert_eq!(alpha.fields_type.as_deref(), Some("FieldsV1"));
    assert!(owns(alpha, "quality") && !owns(alpha, "frames"));
    let beta = applied_by(&both, "beta");
    assert!(owns(beta, "frames") && !owns(beta, "quality"));

    let taking = applied(json!({"frames": "1-10", "quality": "final"}));
    let status = refusal(
        config_maps
            .patch("settings", &PatchParams::apply("beta"), &taking)
            .await,
    );
    assert_eq!(status.code, 409);
    assert_eq!(status.reason, "Conflict");
    assert_eq!(
        status.message,
        "Apply failed with 1 conflict: conflict with \"alpha\": .data.quality"
    );
    let unchanged = config_maps.get("settings").await.unwrap();
    assert_eq!(unchanged.data.unwrap()["quality"], "draft");

    let forced = config_maps
        .patch("settings", &PatchParams::apply("beta").force(), &taking)
        .await
        .expect("force takes the field over");
    assert_eq!(forced.data.clone().unwrap()["quality"], "final");
    assert!(owns(applied_by(&forced, "beta"), "quality"));
    let alpha_left = forced
        .managed_fields()
        .iter()
        .find(|entry| entry.manager.as_deref() == Some("alpha"));
    assert!(
        alpha_left.is_none_or(|entry| !owns(entry, "quality")),
        "alpha lost the field: {alpha_left:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_the_same_configuration_twice_changes_nothing() {
    let cluster = cluster("apply-idempotent").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "apply-idempotent");
    let first = config_maps
        .patch(
            "settings",
            &PatchParams::apply("alpha"),
            &applied(json!({"quality": "draft"})),
        )
        .await
        .unwrap();
    let again = config_maps
        .patch(
            "settings",
            &PatchParams::apply("alpha"),
            &applied(json!({"quality": "draft"})),
        )
        .await
        .unwrap();
    assert_eq!(again.resource_version(), first.resource_version());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_that_stops_applying_a_field_removes_it() {
    let cluster = cluster("apply-removal").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "apply-removal");
    config_maps
        .patch(
            "settings",
            &PatchParams::apply("alpha"),
            &applied(json!({"quality": "draft", "frames": "1-10"})),
        )
        .await
        .unwrap();
    let after = config_maps
        .patch(
            "settings",
            &PatchParams::apply("alpha"),
            &applied(json!({"quality": "draft"})),
        )
        .await
        .unwrap();
    let data = after.data.unwrap_or_default();
    assert!(!data.contains_key("frames"), "{data:?}");
    assert_eq!(data["quality"], "draft");
}
