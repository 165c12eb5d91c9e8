//! Lists: paging with `limit` and `continue`, and the field selectors clients rely on —
//! `metadata.name` for any kind, `involvedObject.name` for the Events of one object.

use k8s_openapi::api::core::v1::{ConfigMap, Event};
use kube::api::{ListParams, PostParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use crate::support_emulator::cluster;

async fn create_config_maps(config_maps: &Api<ConfigMap>, names: &[&str]) {
    for name in names {
        let object: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        config_maps
            .create(&PostParams::default(), &object)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_list_pages_through_every_object_once() {
    let cluster = cluster("paging").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "paging");
    create_config_maps(&config_maps, &["e", "c", "a", "d", "b"]).await;

    let first = config_maps
        .list(&ListParams::default().limit(2))
        .await
        .unwrap();
    let names = |page: &kube::core::ObjectList<ConfigMap>| -> Vec<String> {
        page.items.iter().map(ResourceExt::name_any).collect()
    };
    assert_eq!(names(&first), ["a", "b"]);
    assert_eq!(first.metadata.remaining_item_count, Some(3));
    let token = first.metadata.continue_.clone().expect("a continue token");

    let second = config_maps
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(names(&second), ["c", "d"]);
    assert_eq!(second.metadata.remaining_item_count, Some(1));
    let token = second.metadata.continue_.clone().expect("a continue token");

    let last = config_maps
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(names(&last), ["e"]);
    assert!(
        last.metadata.continue_.as_deref().is_none_or(str::is_empty),
        "the last page has no continue token"
    );
    assert_eq!(last.metadata.remaining_item_count, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_field_selector_picks_one_object() {
    let cluster = cluster("by-name").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "by-name");
    create_config_maps(&config_maps, &["sh010", "sh020"]).await;
    let found = config_maps
        .list(&ListParams::default().fields("metadata.name=sh020"))
        .await
        .unwrap();
    let names: Vec<String> = found.items.iter().map(ResourceExt::name_any).collect();
    assert_eq!(names, ["sh020"]);
    let others = config_maps
        .list(&ListParams::default().fields("metadata.name!=sh020"))
        .await
        .unwrap();
    let names: Vec<String> = others.items.iter().map(ResourceExt::name_any).collect();
    assert_eq!(names, ["sh010"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_selected_by_their_involved_object() {
    let cluster = cluster("events").await;
    let events: Api<Event> = Api::namespaced(cluster.client.clone(), "events");
    for (name, shot, reason) in [
        ("sh010.1", "sh010", "Planned"),
        ("sh020.1", "sh020", "Planned"),
        ("sh010.2", "sh010", "Rendered"),
    ] {
        let event: Event = serde_json::from_value(json!({
            "metadata": {"name": name},
            "involvedObject": {"apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
                               "name": shot, "namespace": "events"},
            "reason": reason, "message": format!("{reason} {shot}"), "type": "Normal",
        }))
        .unwrap();
        events.create(&PostParams::default(), &event).await.unwrap();
    }
    let selected = events
        .list(
            &ListParams::default()
                .fields("involvedObject.name=sh010,involvedObject.kind=RenderShot"),
        )
        .await
        .unwrap();
    let reasons: Vec<String> = selected
        .items
        .iter()
        .filter_map(|event| event.reason.clone())
        .collect();
    assert_eq!(reasons, ["Planned", "Rendered"]);
}
