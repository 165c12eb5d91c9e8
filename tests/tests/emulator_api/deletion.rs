//! Deletion: a finalizer holds a deleted object with a `deletionTimestamp` until it is removed;
//! deleting an owner deletes its dependents in the background, or orphans them (without the
//! owner reference) when asked to.

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Resource, ResourceExt};
use serde_json::{Value, json};

use crate::support_emulator::{
    cluster, cluster_with_crds, dynamic, eventually, example_shot, refusal, rendershot_type,
    rendershots,
};

fn config_map(name: &str, metadata: Value) -> ConfigMap {
    let mut object = json!({"metadata": metadata, "data": {"k": "v"}});
    object["metadata"]["name"] = json!(name);
    serde_json::from_value(object).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finalizer_holds_a_deleted_object_until_it_is_removed() {
    let cluster = cluster("finalizers").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "finalizers");
    let held = config_map("held", json!({"finalizers": ["framefarm.io/outputs"]}));
    config_maps
        .create(&PostParams::default(), &held)
        .await
        .unwrap();

    config_maps
        .delete("held", &DeleteParams::default())
        .await
        .expect("the delete is accepted");
    let deleting = config_maps
        .get("held")
        .await
        .expect("the object is still there");
    assert!(deleting.metadata.deletion_timestamp.is_some());
    assert_eq!(deleting.finalizers(), ["framefarm.io/outputs"]);

    config_maps
        .patch(
            "held",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .expect("the finalizer is removed");
    assert!(
        config_maps.get_opt("held").await.unwrap().is_none(),
        "gone once its last finalizer is"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_owner_deletes_its_dependents() {
    let cluster = cluster_with_crds("gc-background").await;
    let shots = rendershots(&cluster.client, "gc-background");
    let shot = shots
        .create(&PostParams::default(), &dynamic(example_shot("sh010")))
        .await
        .unwrap();
    let owner = shot
        .controller_owner_ref(&rendershot_type())
        .expect("a created object has a uid");
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "gc-background");
    let dependent = config_map(
        "sh010-settings",
        json!({"ownerReferences": [serde_json::to_value(&owner).unwrap()]}),
    );
    config_maps
        .create(&PostParams::default(), &dependent)
        .await
        .unwrap();
    let unowned = config_map("unrelated", json!({}));
    config_maps
        .create(&PostParams::default(), &unowned)
        .await
        .unwrap();

    shots
        .delete("sh010", &DeleteParams::background())
        .await
        .unwrap();
    eventually("the dependent to be collected", || async {
        config_maps
            .get_opt("sh010-settings")
            .await
            .unwrap()
            .is_none()
            .then_some(())
    })
    .await;
    assert!(config_maps.get_opt("unrelated").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphaning_delete_keeps_the_dependents_without_the_owner_reference() {
    let cluster = cluster("gc-orphan").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "gc-orphan");
    let owner = config_maps
        .create(&PostParams::default(), &config_map("owner", json!({})))
        .await
        .unwrap();
    let reference = owner.controller_owner_ref(&()).unwrap();
    config_maps
        .create(
            &PostParams::default(),
            &config_map(
                "dependent",
                json!({"ownerReferences": [serde_json::to_value(&reference).unwrap()]}),
            ),
        )
        .await
        .unwrap();

    config_maps
        .delete("owner", &DeleteParams::orphan())
        .await
        .unwrap();
    assert!(config_maps.get_opt("owner").await.unwrap().is_none());
    let orphan = config_maps
        .get_opt("dependent")
        .await
        .unwrap()
        .expect("the dependent stays");
    assert!(
        orphan.owner_references().is_empty(),
        "{:?}",
        orphan.owner_references()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_namespace_terminates_until_it_is_empty() {
    let cluster = cluster("terminating").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "terminating");
    config_maps
        .create(
            &PostParams::default(),
            &config_map("held", json!({"finalizers": ["framefarm.io/outputs"]})),
        )
        .await
        .unwrap();
    config_maps
        .create(&PostParams::default(), &config_map("free", json!({})))
        .await
        .unwrap();
    let namespaces: Api<Namespace> = Api::all(cluster.client.clone());

    namespaces
        .delete("terminating", &DeleteParams::default())
        .await
        .unwrap();
    let terminating = namespaces.get("terminating").await.unwrap();
    assert_eq!(
        terminating
            .status
            .and_then(|status| status.phase)
            .as_deref(),
        Some("Terminating")
    );
    assert!(config_maps.get_opt("free").await.unwrap().is_none());
    let status = refusal(
        config_maps
            .create(&PostParams::default(), &config_map("late", json!({})))
            .await,
    );
    assert_eq!(status.code, 403);
    assert_eq!(
        status.message,
        "configmaps \"late\" is forbidden: unable to create new content in namespace \
         terminating because it is being terminated"
    );

    config_maps
        .patch(
            "held",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .unwrap();
    assert!(
        namespaces.get_opt("terminating").await.unwrap().is_none(),
        "the namespace goes with its last object"
    );
}
