//! The pod subresources a scheduler and a draining client use: `binding` assigns a node once;
//! `eviction` marks the pod as a disruption target and deletes it gracefully, unless a
//! PodDisruptionBudget would be broken (429).

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Api;
use kube::api::{EvictParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support_emulator::{client_without_retries, cluster, refusal};

async fn ready_pod(pods: &Api<Pod>, name: &str) {
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": "render"}},
        "spec": {"containers": [{"name": "agent", "image": "framefarm/node-agent:0.1.0"}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let binding = json!({"apiVersion": "v1", "kind": "Binding",
        "metadata": {"name": name}, "target": {"kind": "Node", "name": "node-1"}});
    pods.create_subresource::<_, serde_json::Value>(
        "binding",
        name,
        &PostParams::default(),
        &binding,
    )
    .await
    .expect("an unbound pod is bound");
    // As a kubelet reports it: a strategic merge keeps the PodScheduled condition.
    let ready = json!({"status": {"phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}]}});
    pods.patch_status(name, &PatchParams::default(), &Patch::Strategic(ready))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_is_bound_once() {
    let cluster = cluster("binding").await;
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "binding");
    ready_pod(&pods, "sh010-chunk-0001").await;
    let bound = pods.get("sh010-chunk-0001").await.unwrap();
    assert_eq!(bound.spec.unwrap().node_name.as_deref(), Some("node-1"));
    let scheduled = bound
        .status
        .unwrap()
        .conditions
        .unwrap_or_default()
        .into_iter()
        .find(|condition| condition.type_ == "PodScheduled")
        .expect("a PodScheduled condition");
    assert_eq!(scheduled.status, "True");

    let again = json!({"apiVersion": "v1", "kind": "Binding",
        "metadata": {"name": "sh010-chunk-0001"}, "target": {"kind": "Node", "name": "node-2"}});
    let status = refusal(
        pods.create_subresource::<_, serde_json::Value>(
            "binding",
            "sh010-chunk-0001",
            &PostParams::default(),
            &again,
        )
        .await,
    );
    assert_eq!(status.code, 409);
    assert!(
        status
            .message
            .contains("is already assigned to node \"node-1\""),
        "{}",
        status.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eviction_respects_the_disruption_budget_then_deletes_gracefully() {
    let cluster = cluster("eviction").await;
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "eviction");
    ready_pod(&pods, "sh010-chunk-0001").await;
    let budgets: Api<PodDisruptionBudget> = Api::namespaced(cluster.client.clone(), "eviction");
    let budget: PodDisruptionBudget = serde_json::from_value(json!({
        "metadata": {"name": "render"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "render"}}},
    }))
    .unwrap();
    budgets
        .create(&PostParams::default(), &budget)
        .await
        .unwrap();

    let impatient: Api<Pod> =
        Api::namespaced(client_without_retries(&cluster.emulator).await, "eviction");
    let status = refusal(
        impatient
            .evict("sh010-chunk-0001", &EvictParams::default())
            .await,
    );
    assert_eq!(status.code, 429);
    assert_eq!(status.reason, "TooManyRequests");
    assert_eq!(
        status.message,
        "Cannot evict pod as it would violate the pod's disruption budget."
    );
    let causes = status.details.unwrap().causes;
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].reason, "DisruptionBudget");
    assert_eq!(
        causes[0].message,
        "The disruption budget render needs 1 healthy pods and has 1 currently"
    );
    let untouched = pods.get("sh010-chunk-0001").await.unwrap();
    assert!(untouched.metadata.deletion_timestamp.is_none());

    ready_pod(&pods, "sh010-chunk-0002").await;
    pods.evict("sh010-chunk-0001", &EvictParams::default())
        .await
        .expect("a second ready pod keeps the budget");
    let evicted = pods.get("sh010-chunk-0001").await.unwrap();
    assert!(
        evicted.metadata.deletion_timestamp.is_some(),
        "a bound pod waits for its kubelet"
    );
    let target = evicted
        .status
        .unwrap()
        .conditions
        .unwrap_or_default()
        .into_iter()
        .find(|condition| condition.type_ == "DisruptionTarget")
        .expect("a DisruptionTarget condition");
    assert_eq!(target.status, "True");
    assert_eq!(target.reason.as_deref(), Some("EvictionByEvictionAPI"));
}
