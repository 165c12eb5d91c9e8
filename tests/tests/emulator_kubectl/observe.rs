//! Reading the cluster with kubectl: `get` with the CRD's printer columns, `get -w` following
//! a change, `describe` with the object's events, `explain` from the published schema, and
//! `logs` of a pod from the log file its runner writes.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::api::events::v1::Event as RecordedEvent;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use super::kubectl::Kubectl;
use crate::support_emulator::{cluster, cluster_with_crds, dynamic, example_shot, rendershots};

/// Creates `sh010` from the CPU example and reports progress on its status.
async fn rendering_shot(client: &kube::Client, namespace: &str) -> kube::api::DynamicObject {
    let shots = rendershots(client, namespace);
    shots
        .create(&PostParams::default(), &dynamic(example_shot("sh010")))
        .await
        .unwrap();
    let status = json!({"status": {"phase": "Rendering", "progress": "120/240",
        "estimatedCompletionTime": "2030-01-01T00:00:00Z"}});
    shots
        .patch_status("sh010", &PatchParams::default(), &Patch::Merge(status))
        .await
        .unwrap()
}

fn columns(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_shows_the_printer_columns_of_the_crd() {
    let cluster = cluster_with_crds("kubectl-get").await;
    rendering_shot(&cluster.client, "kubectl-get").await;
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-get");

    let table = kubectl
        .run(&["get", "rendershots"])
        .await
        .expect_success("kubectl get");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert_eq!(
        columns(lines[0]),
        ["NAME", "PHASE", "PROGRESS", "FRAMES", "AGE"]
    );
    let row = columns(lines[1]);
    assert_eq!(row[..4], ["sh010", "Rendering", "120/240", "1-240"]);
    assert!(row[4].ends_with('s'), "an age in seconds: {}", row[4]);

    let one = kubectl
        .run(&["get", "rendershot", "sh010"])
        .await
        .expect_success("kubectl get of one shot");
    let lines: Vec<Vec<&str>> = one.lines().map(columns).collect();
    assert_eq!(lines[0], ["NAME", "PHASE", "PROGRESS", "FRAMES", "AGE"]);
    assert_eq!(lines[1][..4], ["sh010", "Rendering", "120/240", "1-240"]);

    let wide = kubectl
        .run(&["get", "rshot", "-o", "wide"])
        .await
        .expect_success("kubectl get -o wide");
    let header = wide.lines().next().unwrap_or_default();
    assert_eq!(
        columns(header),
        ["NAME", "PHASE", "PROGRESS", "FRAMES", "ETA", "AGE"],
        "priority columns show when wide"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_watch_prints_a_change() {
    let cluster = cluster_with_crds("kubectl-watch").await;
    let shots = rendershots(&cluster.client, "kubectl-watch");
    shots
        .create(&PostParams::default(), &dynamic(example_shot("sh010")))
        .await
        .unwrap();
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-watch");

    let mut watching = kubectl.start(&["get", "rendershots", "--watch"]);
    let limit = Duration::from_secs(20);
    watching
        .line_where(limit, |line| line.starts_with("sh010"))
        .await;
    shots
        .patch_status(
            "sh010",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "Succeeded", "progress": "240/240"}})),
        )
        .await
        .unwrap();
    let update = watching
        .line_where(limit, |line| line.contains("Succeeded"))
        .await;
    assert_eq!(
        columns(&update)[..4],
        ["sh010", "Succeeded", "240/240", "1-240"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_lists_the_events_of_the_object() {
    let cluster = cluster_with_crds("kubectl-describe").await;
    let shot = rendering_shot(&cluster.client, "kubectl-describe").await;
    let events: Api<Event> = Api::namespaced(cluster.client.clone(), "kubectl-describe");
    let now = jiff::Timestamp::now().to_string();
    let planned: Event = serde_json::from_value(json!({
        "metadata": {"name": "sh010.planned"},
        "involvedObject": {"apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
            "name": "sh010", "namespace": "kubectl-describe", "uid": shot.uid()},
        "reason": "Planned", "message": "split frames 1-240 into 24 RenderJobs",
        "type": "Normal", "source": {"component": "framefarm-operator"},
        "firstTimestamp": now, "lastTimestamp": now, "count": 1,
    }))
    .unwrap();
    events
        .create(&PostParams::default(), &planned)
        .await
        .unwrap();
    // As kube's event recorder writes them: through events.k8s.io/v1.
    let recorded: Api<RecordedEvent> = Api::namespaced(cluster.client.clone(), "kubectl-describe");
    let started: RecordedEvent = serde_json::from_value(json!({
        "metadata": {"name": "sh010.started"},
        "eventTime": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        "reportingController": "framefarm-operator", "reportingInstance": "operator-0",
        "action": "Rendering", "reason": "Started", "type": "Normal",
        "regarding": {"apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
            "name": "sh010", "namespace": "kubectl-describe", "uid": shot.uid()},
        "note": "8 RenderJobs rendering",
    }))
    .unwrap();
    recorded
        .create(&PostParams::default(), &started)
        .await
        .unwrap();
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-describe");

    let described = kubectl
        .run(&["describe", "rendershot", "sh010"])
        .await
        .expect_success("kubectl describe");
    assert!(
        described.starts_with("Name:         sh010\n"),
        "{described}"
    );
    let events_section = described
        .split("\nEvents:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no Events section:\n{described}"));
    let rows: Vec<Vec<&str>> = events_section.lines().skip(2).map(columns).collect();
    assert_eq!(rows.len(), 2, "{events_section}");
    let row = |reason: &str| {
        rows.iter()
            .find(|row| row.get(1) == Some(&reason))
            .unwrap_or_else(|| panic!("no {reason} event:\n{events_section}"))
    };
    let planned = row("Planned");
    assert_eq!(planned[0], "Normal");
    assert!(
        planned.ends_with(&[
            "framefarm-operator",
            "split",
            "frames",
            "1-240",
            "into",
            "24",
            "RenderJobs"
        ]),
        "{planned:?}"
    );
    let started = row("Started");
    assert!(
        started.ends_with(&["framefarm-operator", "8", "RenderJobs", "rendering"]),
        "an event recorded through events.k8s.io shows too: {started:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_prints_the_description_of_a_field() {
    let cluster = cluster_with_crds("kubectl-explain").await;
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-explain");
    let explained = kubectl
        .run(&["explain", "rendershot.spec.frames"])
        .await
        .expect_success("kubectl explain");
    let line_of = |label: &str| {
        explained
            .lines()
            .find(|line| line.starts_with(label))
            .map(columns)
            .unwrap_or_else(|| panic!("no {label} line:\n{explained}"))
    };
    assert_eq!(line_of("GROUP:"), ["GROUP:", "framefarm.io"]);
    assert_eq!(line_of("KIND:"), ["KIND:", "RenderShot"]);
    assert_eq!(line_of("VERSION:"), ["VERSION:", "v1alpha1"]);
    assert_eq!(line_of("FIELD:"), ["FIELD:", "frames", "<string>"]);
    let description: Vec<&str> = explained
        .split("DESCRIPTION:")
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        description[..6],
        ["Frames", "to", "render:", "frame", "numbers,", "ranges"],
        "{explained}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_prints_what_the_container_wrote() {
    let cluster = cluster("kubectl-logs").await;
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "kubectl-logs");
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "sh010-chunk-0001"},
        "spec": {"containers": [{"name": "agent", "image": "framefarm/node-agent:0.1.0"}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let running = json!({"status": {"phase": "Running", "containerStatuses": [{
        "name": "agent", "ready": true, "restartCount": 0, "image": "framefarm/node-agent:0.1.0",
        "imageID": "", "state": {"running": {"startedAt": "2030-01-01T00:00:00Z"}}}]}});
    pods.patch_status(
        "sh010-chunk-0001",
        &PatchParams::default(),
        &Patch::Merge(running),
    )
    .await
    .unwrap();
    let log_dir = cluster
        .emulator
        .logs_dir()
        .join("kubectl-logs")
        .join("sh010-chunk-0001");
    std::fs::create_dir_all(&log_dir).unwrap();
    let written = "frame 1 rendered in 12.5s\nframe 2 rendered in 12.1s\n";
    std::fs::write(log_dir.join("agent.log"), written).unwrap();
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-logs");

    let printed = kubectl
        .run(&["logs", "sh010-chunk-0001"])
        .await
        .expect_success("kubectl logs");
    assert_eq!(printed, written);
    let last = kubectl
        .run(&[
            "logs",
            "pod/sh010-chunk-0001",
            "--container=agent",
            "--tail=1",
        ])
        .await
        .expect_success("kubectl logs --tail");
    assert_eq!(last, "frame 2 rendered in 12.1s\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_all_lists_the_workloads() {
    let cluster = cluster("kubectl-get-all").await;
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "kubectl-get-all");
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "sh010-chunk-0001"},
        "spec": {"containers": [{"name": "agent", "image": "framefarm/node-agent:0.1.0"}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-get-all");
    let all = kubectl
        .run(&["get", "all"])
        .await
        .expect_success("kubectl get all");
    let pod_row = all
        .lines()
        .find(|line| line.starts_with("pod/"))
        .unwrap_or_else(|| panic!("no pod listed:\n{all}"));
    assert_eq!(
        columns(pod_row)[..3],
        ["pod/sh010-chunk-0001", "0/1", "Pending"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_follow_prints_new_lines_until_the_container_ends() {
    let cluster = cluster("kubectl-logs-follow").await;
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "kubectl-logs-follow");
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "sh010-chunk-0001"},
        "spec": {"containers": [{"name": "agent", "image": "framefarm/node-agent:0.1.0"}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let state = |state: serde_json::Value| {
        Patch::Merge(
            json!({"status": {"phase": "Running", "containerStatuses": [{
            "name": "agent", "ready": true, "restartCount": 0,
            "image": "framefarm/node-agent:0.1.0", "imageID": "", "state": state}]}}),
        )
    };
    let started = json!({"running": {"startedAt": "2030-01-01T00:00:00Z"}});
    pods.patch_status("sh010-chunk-0001", &PatchParams::default(), &state(started))
        .await
        .unwrap();
    let log_dir = cluster
        .emulator
        .logs_dir()
        .join("kubectl-logs-follow")
        .join("sh010-chunk-0001");
    std::fs::create_dir_all(&log_dir).unwrap();
    let log = log_dir.join("agent.log");
    std::fs::write(&log, "frame 1 rendered\n").unwrap();
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-logs-follow");

    let mut following = kubectl.start(&["logs", "--follow", "sh010-chunk-0001"]);
    let limit = Duration::from_secs(10);
    following
        .line_where(limit, |line| line == "frame 1 rendered")
        .await;
    std::fs::write(&log, "frame 1 rendered\nframe 2 rendered\n").unwrap();
    following
        .line_where(limit, |line| line == "frame 2 rendered")
        .await;
    assert!(following.is_running(), "the container still runs");

    let ended = json!({"terminated": {"exitCode": 0, "reason": "Completed",
        "startedAt": "2030-01-01T00:00:00Z", "finishedAt": "2030-01-01T00:01:00Z"}});
    pods.patch_status("sh010-chunk-0001", &PatchParams::default(), &state(ended))
        .await
        .unwrap();
    let outcome = following.finish().await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.stdout, "frame 1 rendered\nframe 2 rendered");
}
