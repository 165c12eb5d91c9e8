//! Watches: resuming from a `resourceVersion` replays exactly what was missed, a compacted
//! version answers 410 in an `ERROR` event, bookmarks come when allowed, and a label selector
//! turns objects entering and leaving it into `ADDED` and `DELETED`.

use std::time::Duration;

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{
    DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::{Api, ResourceExt};
use serde_json::json;

use crate::support_emulator::{cluster, promptly};

type Events =
    std::pin::Pin<Box<dyn Stream<Item = Result<WatchEvent<ConfigMap>, kube::Error>> + Send>>;

fn config_map(name: &str, labels: serde_json::Value) -> ConfigMap {
    serde_json::from_value(
        json!({"metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}),
    )
    .unwrap()
}

async fn watch(config_maps: &Api<ConfigMap>, params: &WatchParams, from: &str) -> Events {
    config_maps.watch(params, from).await.unwrap().boxed()
}

async fn next_event(events: &mut Events) -> WatchEvent<ConfigMap> {
    promptly("a watch event", events.next())
        .await
        .expect("the watch stays open")
        .expect("a well-formed event")
}

/// `ADDED sh010`, `DELETED sh010`, …: what a test expects to see.
fn describe(event: &WatchEvent<ConfigMap>) -> String {
    match event {
        WatchEvent::Added(object) => format!("ADDED {}", object.name_any()),
        WatchEvent::Modified(object) => format!("MODIFIED {}", object.name_any()),
        WatchEvent::Deleted(object) => format!("DELETED {}", object.name_any()),
        WatchEvent::Bookmark(bookmark) => {
            format!("BOOKMARK {}", bookmark.metadata.resource_version)
        }
        WatchEvent::Error(status) => format!("ERROR {} {}", status.code, status.reason),
    }
}

async fn current_version(config_maps: &Api<ConfigMap>) -> String {
    config_maps
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .expect("a list carries its resourceVersion")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_watch_replays_exactly_the_missed_changes() {
    let cluster = cluster("watch-resume").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "watch-resume");
    let quiet = WatchParams::default().disable_bookmarks();
    let mut events = watch(&config_maps, &quiet, &current_version(&config_maps).await).await;
    config_maps
        .create(&PostParams::default(), &config_map("first", json!({})))
        .await
        .unwrap();
    let WatchEvent::Added(first) = next_event(&mut events).await else {
        panic!("the creation is seen first");
    };
    let seen = first.resource_version().unwrap();
    drop(events);

    let merge = Patch::Merge(json!({"data": {"k": "changed"}}));
    config_maps
        .patch("first", &PatchParams::default(), &merge)
        .await
        .unwrap();
    config_maps
        .create(&PostParams::default(), &config_map("second", json!({})))
        .await
        .unwrap();
    config_maps
        .delete("first", &DeleteParams::default())
        .await
        .unwrap();

    let mut resumed = watch(&config_maps, &quiet, &seen).await;
    let mut replayed = Vec::new();
    for _ in 0..3 {
        replayed.push(describe(&next_event(&mut resumed).await));
    }
    assert_eq!(
        replayed,
        ["MODIFIED first", "ADDED second", "DELETED first"]
    );
    let more = tokio::time::timeout(Duration::from_millis(500), resumed.next()).await;
    assert!(
        more.is_err(),
        "nothing but the missed changes: {:?}",
        more.ok().flatten().map(|e| e.map(|e| describe(&e)))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_from_a_compacted_version_is_gone() {
    let cluster = cluster("watch-gone").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "watch-gone");
    let created = config_maps
        .create(&PostParams::default(), &config_map("cm", json!({})))
        .await
        .unwrap();
    let old_version = created.resource_version().unwrap();
    config_maps
        .patch(
            "cm",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"k": "2"}})),
        )
        .await
        .unwrap();
    cluster.emulator.compact();

    let quiet = WatchParams::default().disable_bookmarks();
    let mut events = watch(&config_maps, &quiet, &old_version).await;
    match next_event(&mut events).await {
        WatchEvent::Error(status) => {
            assert_eq!(status.code, 410);
            assert_eq!(status.reason, "Expired");
            assert!(
                status.message.starts_with("too old resource version"),
                "{}",
                status.message
            );
        }
        other => panic!("expected a 410 ERROR event, got {}", describe(&other)),
    }

    let relisted = current_version(&config_maps).await;
    let mut fresh = watch(&config_maps, &quiet, &relisted).await;
    config_maps
        .delete("cm", &DeleteParams::default())
        .await
        .unwrap();
    assert_eq!(
        describe(&next_event(&mut fresh).await),
        "DELETED cm",
        "a relisted client watches on"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookmarks_arrive_when_the_client_allows_them() {
    let cluster = cluster("watch-bookmarks").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "watch-bookmarks");
    let start = current_version(&config_maps).await;
    let mut events = watch(&config_maps, &WatchParams::default(), &start).await;
    match next_event(&mut events).await {
        WatchEvent::Bookmark(bookmark) => {
            let version: u64 = bookmark.metadata.resource_version.parse().unwrap();
            assert!(
                version >= start.parse().unwrap(),
                "a bookmark never goes back in time"
            );
            assert_eq!(bookmark.types.kind, "ConfigMap");
        }
        other => panic!(
            "expected a bookmark on a quiet watch, got {}",
            describe(&other)
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_entering_and_leaving_a_label_selector_are_added_and_deleted() {
    let cluster = cluster("watch-labels").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "watch-labels");
    let hot = WatchParams::default()
        .labels("tier=hot")
        .disable_bookmarks();
    let mut events = watch(&config_maps, &hot, &current_version(&config_maps).await).await;

    config_maps
        .create(
            &PostParams::default(),
            &config_map("cm", json!({"tier": "warm"})),
        )
        .await
        .unwrap();
    let relabel = |tier: &str| Patch::Merge(json!({"metadata": {"labels": {"tier": tier}}}));
    config_maps
        .patch("cm", &PatchParams::default(), &relabel("hot"))
        .await
        .unwrap();
    assert_eq!(
        describe(&next_event(&mut events).await),
        "ADDED cm",
        "entering the selection"
    );
    config_maps
        .patch(
            "cm",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"k": "2"}})),
        )
        .await
        .unwrap();
    assert_eq!(describe(&next_event(&mut events).await), "MODIFIED cm");
    let left = config_maps
        .patch("cm", &PatchParams::default(), &relabel("cold"))
        .await
        .unwrap();
    match next_event(&mut events).await {
        WatchEvent::Deleted(object) => {
            assert_eq!(
                object.labels().get("tier").map(String::as_str),
                Some("hot"),
                "a DELETED for leaving the selection carries the last state it matched in"
            );
            assert_eq!(
                object.resource_version(),
                left.resource_version(),
                "at the version of the change that took it out"
            );
        }
        other => panic!(
            "expected DELETED on leaving the selection, got {}",
            describe(&other)
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_list_sends_the_current_objects_then_a_bookmark_marking_their_end() {
    let cluster = cluster("watch-initial").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "watch-initial");
    for name in ["a", "b"] {
        config_maps
            .create(&PostParams::default(), &config_map(name, json!({})))
            .await
            .unwrap();
    }
    let mut events = watch(&config_maps, &WatchParams::streaming_lists(), "").await;
    let mut initial = vec![
        describe(&next_event(&mut events).await),
        describe(&next_event(&mut events).await),
    ];
    initial.sort();
    assert_eq!(initial, ["ADDED a", "ADDED b"]);
    match next_event(&mut events).await {
        WatchEvent::Bookmark(bookmark) => assert_eq!(
            bookmark
                .metadata
                .annotations
                .get("k8s.io/initial-events-end")
                .map(String::as_str),
            Some("true")
        ),
        other => panic!(
            "expected the end-of-initial-events bookmark, got {}",
            describe(&other)
        ),
    }
}
