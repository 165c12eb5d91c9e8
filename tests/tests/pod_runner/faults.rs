//! Pods ending from outside: graceful and forced deletion, eviction, a node killed and revived.

use std::path::Path;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::{DeleteParams, EvictParams, WatchEvent, WatchParams};
use serde_json::json;

use super::farm::{Farm, PATIENCE, as_json, container_pid, node, node_of, process_exists, shell};

#[tokio::test]
async fn a_graceful_delete_delivers_sigterm_and_the_pod_disappears() {
    let farm = Farm::start(vec![node("node-a")]).await;
    let mut container = shell(
        "trap 'echo terminated > /out/signal; exit 0' TERM; echo ready; while true; do sleep 0.1; done",
    );
    container["volumeMounts"] = json!([{"name": "out", "mountPath": "/out"}]);
    farm.create_pod(
        "graceful",
        json!({"containers": [container], "volumes": [{"name": "out", "hostPath": {"path": "/graceful"}}]}),
    )
    .await;
    farm.wait_for_phase("graceful", "Running").await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !farm.log("graceful").await.contains("ready") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the container never said it was ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    farm.pods()
        .delete("graceful", &DeleteParams::default())
        .await
        .unwrap();
    farm.wait_until_gone("graceful").await;
    assert_eq!(
        std::fs::read_to_string(farm.host_path("node-a", "/graceful/signal")).unwrap(),
        "terminated\n"
    );
}

#[tokio::test]
async fn a_force_deleted_pod_has_its_processes_killed() {
    let farm = Farm::start(vec![node("node-a")]).await;
    farm.create_pod("forced", json!({"containers": [shell("sleep 600")]}))
        .await;
    let pid = container_pid(&farm.wait_for_phase("forced", "Running").await);
    assert!(process_exists(pid));
    let now = DeleteParams {
        grace_period_seconds: Some(0),
        ..DeleteParams::default()
    };
    farm.pods().delete("forced", &now).await.unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while process_exists(pid) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "process {pid} outlived its pod"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_eviction_stops_the_pod_gracefully_and_keeps_its_disruption_condition() {
    let farm = Farm::start(vec![node("node-a")]).await;
    farm.create_pod(
        "evicted",
        json!({"containers": [shell("trap 'exit 0' TERM; while true; do sleep 0.1; done")]}),
    )
    .await;
    let running = farm.wait_for_phase("evicted", "Running").await;
    let version = running.metadata.resource_version.clone().unwrap();
    let watch = farm
        .pods()
        .watch(
            &WatchParams::default().fields("metadata.name=evicted"),
            &version,
        )
        .await
        .unwrap();
    // Give the shell time to install its trap.
    tokio::time::sleep(Duration::from_millis(300)).await;
    farm.pods()
        .evict("evicted", &EvictParams::default())
        .await
        .unwrap();

    let mut watch = watch.boxed();
    let last_status = loop {
        let event = tokio::time::timeout(PATIENCE, watch.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let WatchEvent::Deleted(pod) = event {
            break as_json(&pod)["status"].clone();
        }
    };
    let disruption = last_status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "DisruptionTarget")
        .unwrap()
        .clone();
    assert_eq!(disruption["reason"], "EvictionByEvictionAPI");
    assert_eq!(
        last_status["containerStatuses"][0]["state"]["terminated"]["exitCode"], 0,
        "{last_status}"
    );
    assert_eq!(
        last_status["phase"], "Succeeded",
        "the container handled SIGTERM: {last_status}"
    );
    let events = farm.events_about("evicted").await;
    assert!(
        events
            .iter()
            .any(|event| event == "Killing: Stopping container main"),
        "{events:?}"
    );
}

#[tokio::test]
async fn killing_a_node_fails_and_deletes_its_pods_and_taints_it_until_revived() {
    let farm = Farm::start(vec![node("node-a"), node("node-b")]).await;
    let pinned = |node: &str| json!({"nodeSelector": {"kubernetes.io/hostname": node}, "containers": [shell("sleep 600")]});
    farm.create_pod("doomed", pinned("node-a")).await;
    let running = as_json(&farm.wait_for_phase("doomed", "Running").await);
    let pid: i32 = running["status"]["containerStatuses"][0]["containerID"]
        .as_str()
        .unwrap()
        .trim_start_matches("local://")
        .parse()
        .unwrap();
    assert!(Path::new(&format!("/proc/{pid}")).exists());

    let version = running["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let watch = farm
        .pods()
        .watch(
            &WatchParams::default().fields("metadata.name=doomed"),
            &version,
        )
        .await
        .unwrap();
    farm.runner().kill_node("node-a").await.unwrap();
    farm.wait_until_gone("doomed").await;

    // The status the pod had when it was deleted, as a watcher (the Job controller) sees it.
    let mut watch = watch.boxed();
    let last_status = loop {
        let event = tokio::time::timeout(PATIENCE, watch.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let WatchEvent::Deleted(pod) = event {
            break as_json(&pod)["status"].clone();
        }
    };
    assert_eq!(last_status["phase"], "Failed", "{last_status}");
    assert_eq!(
        last_status["containerStatuses"][0]["state"]["terminated"]["exitCode"],
        137
    );
    let disruption = last_status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "DisruptionTarget")
        .unwrap()
        .clone();
    assert_eq!(disruption["reason"], "DeletionByTaintManager");
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the process was killed"
    );

    let nodes: Api<Node> = Api::all(farm.client.clone());
    let lost = serde_json::to_value(nodes.get("node-a").await.unwrap()).unwrap();
    let ready = lost["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap()
        .clone();
    assert_eq!(ready["status"], "Unknown");
    assert_eq!(ready["reason"], "NodeStatusUnknown");
    assert!(
        lost["spec"]["taints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["key"] == "node.kubernetes.io/unreachable" && t["effect"] == "NoExecute")
    );

    farm.create_pod(
        "survivor",
        json!({"restartPolicy": "Never", "containers": [shell("true")]}),
    )
    .await;
    assert_eq!(
        node_of(&farm.wait_for_phase("survivor", "Succeeded").await),
        "node-b"
    );

    farm.runner().revive_node("node-a").await.unwrap();
    let revived = serde_json::to_value(nodes.get("node-a").await.unwrap()).unwrap();
    assert!(
        revived["spec"]["taints"]
            .as_array()
            .is_none_or(|taints| taints.is_empty()),
        "{revived}"
    );
    farm.create_pod("back", json!({"restartPolicy": "Never", "nodeSelector": {"kubernetes.io/hostname": "node-a"}, "containers": [shell("true")]})).await;
    farm.wait_for_phase("back", "Succeeded").await;
}
