//! Pod mode (`node-agent run`) on the emulated cluster: the agent runs as the container of a
//! Pod on an emulated node, reads its RenderJob from the API through the pod's kubeconfig,
//! takes its credentials from a Secret and its node name from the downward API, and writes
//! status back to the status subresource by server-side apply under its own field manager —
//! frame by frame, coalesced, leaving the operator's fields alone. Blender and Garage are real.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::time::Duration;

use framefarm_tests::blender::SceneOptions;
use framefarm_tests::cluster::{Cluster, ClusterConfig};
use framefarm_tests::runner::LocalImage;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::Api;
use kube::api::{
    ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams, WatchEvent,
    WatchParams,
};
use serde_json::{Value, json};
use support::{BLENDER_PNG, Fixture, frame_files};

const AGENT_IMAGE: &str = "ghcr.io/framefarm/node-agent:dev";
const AGENT_PATH: &str = "/usr/local/bin/node-agent";

fn render_jobs(client: kube::Client, namespace: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("framefarm.io", "v1alpha1", "RenderJob");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "renderjobs");
    Api::namespaced_with(client, namespace, &resource)
}

fn agent_pod(job: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("{job}-attempt-2")},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": "agent",
                "image": AGENT_IMAGE,
                "command": [AGENT_PATH, "run"],
                "env": [
                    {"name": "FRAMEFARM_JOB_NAME", "value": job},
                    {"name": "FRAMEFARM_JOB_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                    {"name": "FRAMEFARM_ATTEMPT", "value": "2"},
                    {"name": "FRAMEFARM_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                    {"name": "FRAMEFARM_CACHE_DIR", "value": "/var/cache/framefarm"},
                    {"name": "FRAMEFARM_LOG", "value": "info"},
                    {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": "garage", "key": "access-key-id"}}},
                    {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": "garage", "key": "secret-access-key"}}}
                ],
                "volumeMounts": [{"name": "cache", "mountPath": "/var/cache/framefarm"}]
            }],
            "volumes": [{"name": "cache", "hostPath": {"path": "/var/cache/framefarm", "type": "DirectoryOrCreate"}}]
        }
    }))
    .unwrap()
}

/// Waits for the pod to finish; its phase and the agent's log.
async fn finished(pods: &Api<Pod>, cluster: &Cluster, namespace: &str, name: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        let pod = pods.get(name).await.unwrap();
        let phase = pod
            .status
            .and_then(|status| status.phase)
            .unwrap_or_default();
        if phase == "Succeeded" || phase == "Failed" || tokio::time::Instant::now() > deadline {
            let logs = cluster
                .kubectl(&["logs", "-n", namespace, name])
                .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
                .unwrap_or_else(|error| error.to_string());
            eprintln!("--- agent pod log ---\n{logs}");
            assert_eq!(phase, "Succeeded", "the agent pod ended {phase}");
            return logs;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn in_a_pod_the_agent_reads_its_job_and_applies_status_with_its_own_field_manager() {
    let fixture = Fixture::new(&SceneOptions::default());
    let manifest = fixture.manifest("1-3", BLENDER_PNG, "");
    let mut job: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    fixture
        .garage
        .put_object(support::BUCKET, "out/sh010/frame_0001.png", b"12345")
        .unwrap();
    let agent =
        LocalImage::new(AGENT_IMAGE).with_file(AGENT_PATH, env!("CARGO_BIN_EXE_node-agent"));
    let cluster = Cluster::start(ClusterConfig {
        images: vec![agent],
        garage: false,
        ..ClusterConfig::default()
    })
    .await
    .unwrap();
    let crds = concat!(env!("CARGO_MANIFEST_DIR"), "/../crds");
    cluster.kubectl(&["apply", "-f", crds]).unwrap();
    let namespace = cluster.namespace("studio").await.unwrap();
    let client = cluster.client();

    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "garage"},
        "stringData": {
            "access-key-id": fixture.garage.access_key_id(),
            "secret-access-key": fixture.garage.secret_access_key()
        }
    }))
    .unwrap();
    Api::<Secret>::namespaced(client.clone(), &namespace)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    job["metadata"]["namespace"] = json!(namespace);
    let jobs = render_jobs(client.clone(), &namespace);
    let created = jobs
        .create(
            &PostParams::default(),
            &serde_json::from_value(job).unwrap(),
        )
        .await
        .unwrap();
    // Attempt 1 rendered frame 1; the operator's status says so.
    let earlier = json!({
        "frame": 1, "outputKey": "out/sh010/frame_0001.png", "bytes": 5, "renderSeconds": 0.5,
        "finishedAt": "2026-11-21T10:00:00Z", "node": "node-z", "attempt": 1
    });
    let operator_status = json!({
        "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderJob",
        "status": {"attempt": 2, "phase": "Running", "frameRecords": [earlier]}
    });
    let operator = PatchParams::apply("framefarm-operator").force();
    let before = jobs
        .patch_status("sh010-chunk-1", &operator, &Patch::Apply(&operator_status))
        .await
        .unwrap();

    // Count the agent's status writes as a watcher sees them.
    let version = before.metadata.resource_version.clone().unwrap();
    let mut events = jobs
        .watch(&WatchParams::default().timeout(290), &version)
        .await
        .unwrap()
        .boxed();
    let counting = tokio::spawn(async move {
        let mut writes = 0;
        while let Ok(Some(event)) = events.try_next().await {
            if let WatchEvent::Modified(job) = event {
                writes += 1;
                if job.data["status"]["progress"] == "3/3" {
                    break;
                }
            }
        }
        writes
    });

    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let pod = agent_pod("sh010-chunk-1");
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let logs = finished(&pods, &cluster, &namespace, "sh010-chunk-1-attempt-2").await;
    assert!(!logs.is_empty(), "the pod's log is served");
    let node = pods
        .get("sh010-chunk-1-attempt-2")
        .await
        .unwrap()
        .spec
        .unwrap()
        .node_name
        .unwrap();

    assert_eq!(
        frame_files(&fixture.outputs()),
        ["frame_0001.png", "frame_0002.png", "frame_0003.png"]
    );
    assert_eq!(
        fixture.output("frame_0001.png"),
        b"12345",
        "frame 1 is not rendered again"
    );
    let writes = tokio::time::timeout(Duration::from_secs(10), counting)
        .await
        .unwrap()
        .unwrap();
    // Three frames in a few seconds: bursts are coalesced, not one write per event.
    assert!((1..=6).contains(&writes), "{writes} status writes");

    let job = jobs.get("sh010-chunk-1").await.unwrap();
    assert_eq!(job.metadata.uid, created.metadata.uid);
    let status = &job.data["status"];
    assert_eq!(status["renderedFrames"], "1-3");
    assert_eq!(status["progress"], "3/3");
    // The operator's fields are the operator's.
    assert_eq!(status["phase"], "Running");
    assert_eq!(status["attempt"], 2);
    let records = status["frameRecords"].as_array().unwrap();
    assert_eq!(records[0], earlier, "the earlier attempt's record is kept");
    assert_eq!(records.len(), 3);
    for record in &records[1..] {
        assert_eq!(record["attempt"], 2);
        assert_eq!(
            record["node"],
            node.as_str(),
            "the node comes from the downward API"
        );
    }
    let agent_entry = job
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .find(|entry| entry.manager.as_deref() == Some("framefarm-node-agent"))
        .expect("the agent's fields are recorded under its own manager");
    assert_eq!(agent_entry.operation.as_deref(), Some("Apply"));
    assert_eq!(agent_entry.subresource.as_deref(), Some("status"));
    let owned = serde_json::to_value(agent_entry.fields_v1.unwrap()).unwrap();
    assert!(
        owned["f:status"].get("f:renderedFrames").is_some(),
        "{owned}"
    );
    assert!(owned["f:status"].get("f:phase").is_none(), "{owned}");
    cluster.stop().await;
}
