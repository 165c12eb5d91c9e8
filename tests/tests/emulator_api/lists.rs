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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_recorded_through_events_k8s_io_are_the_same_events_as_core_ones() {
    use k8s_openapi::api::events::v1::Event as RecordedEvent;

    let cluster = cluster("events-groups").await;
    let recorded: Api<RecordedEvent> = Api::namespaced(cluster.client.clone(), "events-groups");
    let event: RecordedEvent = serde_json::from_value(json!({
        "metadata": {"name": "sh010.planned"},
        "eventTime": "2030-01-01T00:00:00.000000Z",
        "reportingController": "framefarm.io/operator", "reportingInstance": "operator-0",
        "action": "Planning", "reason": "Planned", "type": "Normal",
        "regarding": {"apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
                      "name": "sh010", "namespace": "events-groups"},
        "note": "split frames 1-240 into 24 RenderJobs",
    }))
    .unwrap();
    let created = recorded
        .create(&PostParams::default(), &event)
        .await
        .unwrap();
    assert_eq!(
        created.note.as_deref(),
        Some("split frames 1-240 into 24 RenderJobs")
    );

    let core: Api<Event> = Api::namespaced(cluster.client.clone(), "events-groups");
    let selected = core
        .list(&ListParams::default().fields("involvedObject.name=sh010"))
        .await
        .unwrap();
    let [event] = selected.items.as_slice() else {
        panic!("one core Event: {:?}", selected.items);
    };
    assert_eq!(
        event.message.as_deref(),
        Some("split frames 1-240 into 24 RenderJobs")
    );
    assert_eq!(
        event.reporting_component.as_deref(),
        Some("framefarm.io/operator")
    );
    assert_eq!(event.involved_object.kind.as_deref(), Some("RenderShot"));

    let series = json!({"series": {"count": 2, "lastObservedTime": "2030-01-01T00:01:00.000000Z"}});
    let patched = recorded
        .patch(
            "sh010.planned",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(series),
        )
        .await
        .unwrap();
    assert_eq!(patched.series.map(|series| series.count), Some(2));
    assert_eq!(
        patched
            .regarding
            .and_then(|regarding| regarding.name)
            .as_deref(),
        Some("sh010")
    );
    let by_regarding = recorded
        .list(&ListParams::default().fields("regarding.name=sh010"))
        .await
        .unwrap();
    assert_eq!(by_regarding.items.len(), 1);
    assert_eq!(
        core.get("sh010.planned")
            .await
            .unwrap()
            .series
            .and_then(|series| series.count),
        Some(2)
    );
}
