//! Nodes as registered, and where the scheduler puts pods or why it cannot.

use std::time::Duration;

use framefarm_tests::runner::TaintEffect;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use kube::Api;
use serde_json::json;

use super::farm::{Farm, as_json, node, node_of, phase_of, shell};

#[tokio::test]
async fn nodes_are_registered_ready_with_their_labels_taints_and_capacity() {
    let gpu = node("gpu-1")
        .with_label("framefarm.io/pool", "gpu")
        .with_taint("nvidia.com/gpu", "true", TaintEffect::NoSchedule)
        .with_extended("nvidia.com/gpu", 1);
    let farm = Farm::start(vec![gpu]).await;
    let node = serde_json::to_value(
        Api::<Node>::all(farm.client.clone())
            .get("gpu-1")
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        node["metadata"]["labels"]["kubernetes.io/hostname"],
        "gpu-1"
    );
    assert_eq!(node["metadata"]["labels"]["framefarm.io/pool"], "gpu");
    assert_eq!(node["spec"]["taints"][0]["key"], "nvidia.com/gpu");
    assert_eq!(node["status"]["allocatable"]["nvidia.com/gpu"], "1");
    assert_eq!(node["status"]["capacity"]["cpu"], "4");
    assert_eq!(node["status"]["capacity"]["memory"], "8Gi");
    let ready = node["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap()
        .clone();
    assert_eq!(ready["status"], "True");
    let leases: Api<Lease> = Api::namespaced(farm.client.clone(), "kube-node-lease");
    let lease = leases.get("gpu-1").await.unwrap();
    assert_eq!(
        lease.spec.unwrap().holder_identity.as_deref(),
        Some("gpu-1")
    );
}

#[tokio::test]
async fn a_gpu_request_with_no_gpu_node_stays_pending_and_unschedulable() {
    let farm = Farm::start(vec![node("node-a"), node("node-b")]).await;
    let mut container = shell("true");
    container["resources"] = json!({"limits": {"nvidia.com/gpu": "1"}});
    farm.create_pod("render", json!({"containers": [container]}))
        .await;
    let pod = farm
        .wait_for("render", "was reported unschedulable", |pod| {
            as_json(pod)["status"]["conditions"]
                .as_array()
                .is_some_and(|conditions| {
                    conditions
                        .iter()
                        .any(|c| c["type"] == "PodScheduled" && c["status"] == "False")
                })
        })
        .await;
    let json = as_json(&pod);
    let scheduled = json["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "PodScheduled")
        .unwrap()
        .clone();
    assert_eq!(scheduled["reason"], "Unschedulable");
    let message = "0/2 nodes are available: 2 Insufficient nvidia.com/gpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.";
    assert_eq!(scheduled["message"], message);
    assert_eq!(phase_of(&pod), "Pending");
    assert!(json["spec"]["nodeName"].is_null());
    assert_eq!(
        farm.events_about("render").await,
        [format!("FailedScheduling: {message}")]
    );
}

#[tokio::test]
async fn node_selectors_and_taints_decide_where_pods_go() {
    let gpu = node("gpu-1")
        .with_label("framefarm.io/pool", "gpu")
        .with_taint("nvidia.com/gpu", "true", TaintEffect::NoSchedule);
    let farm = Farm::start(vec![node("cpu-1"), gpu]).await;
    let selecting = json!({"nodeSelector": {"framefarm.io/pool": "gpu"}, "restartPolicy": "Never", "containers": [shell("true")]});
    let mut tolerating = selecting.clone();
    tolerating["tolerations"] = json!([{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]);
    farm.create_pod("untolerated", selecting).await;
    farm.create_pod("tolerated", tolerating).await;
    farm.create_pod(
        "plain",
        json!({"restartPolicy": "Never", "containers": [shell("true")]}),
    )
    .await;

    assert_eq!(
        node_of(&farm.wait_for_phase("tolerated", "Succeeded").await),
        "gpu-1"
    );
    assert_eq!(
        node_of(&farm.wait_for_phase("plain", "Succeeded").await),
        "cpu-1"
    );
    let pod = farm
        .wait_for("untolerated", "was reported unschedulable", |pod| {
            as_json(pod)["status"]["conditions"]
                .as_array()
                .is_some_and(|conditions| conditions.iter().any(|c| c["reason"] == "Unschedulable"))
        })
        .await;
    let message = as_json(&pod)["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "PodScheduled")
        .unwrap()["message"]
        .clone();
    assert_eq!(
        message,
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {nvidia.com/gpu: true}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    );
}

#[tokio::test]
async fn a_paused_runner_starts_nothing_until_resumed() {
    let farm = Farm::start(vec![node("node-a")]).await;
    farm.runner().pause();
    farm.create_pod(
        "held",
        json!({"restartPolicy": "Never", "containers": [shell("true")]}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pod = farm.pods().get("held").await.unwrap();
    assert_eq!(node_of(&pod), "", "nothing is scheduled while paused");
    farm.runner().resume();
    farm.wait_for_phase("held", "Succeeded").await;
}
