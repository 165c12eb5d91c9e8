//! Commands that wait on the cluster: `kubectl delete -f` returns once the object is gone
//! (after its finalizer is removed), and `kubectl wait --for=condition=Ready` once the status
//! says so.

use std::time::Duration;

use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use super::kubectl::Kubectl;
use crate::support_emulator::{cluster_with_crds, dynamic, example_shot, rendershots};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_waits_for_the_finalizer_then_succeeds() {
    let cluster = cluster_with_crds("kubectl-delete").await;
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-delete");
    let example = "examples/blender-wasabi-cpu.yaml";
    kubectl
        .run(&["apply", "-f", example])
        .await
        .expect_success("applying the example");
    let shots = rendershots(&cluster.client, "kubectl-delete");
    let hold = json!({"metadata": {"finalizers": ["framefarm.io/outputs"]}});
    shots
        .patch(
            "sh010-lighting-v003",
            &PatchParams::default(),
            &Patch::Merge(hold),
        )
        .await
        .unwrap();

    let mut deleting = kubectl.start(&["delete", "-f", example]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        deleting.is_running(),
        "kubectl waits while a finalizer holds the object"
    );
    let held = shots.get("sh010-lighting-v003").await.unwrap();
    assert!(held.metadata.deletion_timestamp.is_some());

    let release = json!({"metadata": {"finalizers": null}});
    shots
        .patch(
            "sh010-lighting-v003",
            &PatchParams::default(),
            &Patch::Merge(release),
        )
        .await
        .unwrap();
    let outcome = deleting.finish().await;
    assert!(outcome.success, "{outcome:?}");
    assert!(
        outcome
            .stdout
            .starts_with("rendershot.framefarm.io \"sh010-lighting-v003\" deleted"),
        "{}",
        outcome.stdout
    );

    let gone = kubectl
        .run(&["get", "rendershot", "sh010-lighting-v003"])
        .await
        .expect_failure("getting a deleted shot");
    assert_eq!(
        gone.trim(),
        "Error from server (NotFound): rendershots.framefarm.io \"sh010-lighting-v003\" not found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_returns_once_the_ready_condition_is_true() {
    let cluster = cluster_with_crds("kubectl-wait").await;
    let shots = rendershots(&cluster.client, "kubectl-wait");
    shots
        .create(&PostParams::default(), &dynamic(example_shot("sh010")))
        .await
        .unwrap();
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-wait");

    let mut waiting = kubectl.start(&[
        "wait",
        "--for=condition=Ready",
        "rendershot/sh010",
        "--timeout=20s",
    ]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(waiting.is_running(), "nothing is Ready yet");
    let ready = json!({"status": {"conditions": [{
        "type": "Ready", "status": "True", "reason": "Rendered",
        "message": "every frame is rendered", "lastTransitionTime": "2030-01-01T00:00:00Z",
        "observedGeneration": 1}]}});
    shots
        .patch_status("sh010", &PatchParams::default(), &Patch::Merge(ready))
        .await
        .unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(15), waiting.finish())
        .await
        .expect("kubectl wait returns well before its own timeout");
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(
        outcome.stdout.trim(),
        "rendershot.framefarm.io/sh010 condition met"
    );
}
