//! The pod runner against the emulated API server, as a user of a cluster sees it: pods are
//! scheduled onto emulated nodes, run as local processes, and report status, events and logs
//! through the API. Each test has its own emulator, runner and namespace.

#![allow(
    clippy::unwrap_used,
    reason = "helpers of integration tests fail the test on unexpected input"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use framefarm_tests::emulator::{Emulator, random_suffix};
use framefarm_tests::runner::{LocalImage, NodeConfig, PodRunner, RunnerConfig, TaintEffect};
use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod, Secret};
use kube::api::{
    DeleteParams, EvictParams, ListParams, LogParams, PostParams, WatchEvent, WatchParams,
};
use kube::{Api, Client};
use serde_json::{Value, json};

const PATIENCE: Duration = Duration::from_secs(30);

struct Farm {
    _emulator: Emulator,
    runner: Option<PodRunner>,
    client: Client,
    namespace: String,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Farm {
    async fn start(nodes: Vec<NodeConfig>) -> Farm {
        let emulator = Emulator::start().await.unwrap();
        let client = emulator.client().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("runner");
        let config = RunnerConfig {
            nodes,
            images: vec![LocalImage::new("busybox")],
            root: root.clone(),
            logs_dir: emulator.logs_dir().to_path_buf(),
            kubeconfig: emulator.kubeconfig().to_path_buf(),
        };
        let runner = PodRunner::start(client.clone(), config).await.unwrap();
        let namespace = format!("runner-{}", random_suffix());
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let object: Namespace =
            serde_json::from_value(json!({"metadata": {"name": namespace}})).unwrap();
        namespaces
            .create(&PostParams::default(), &object)
            .await
            .unwrap();
        Farm {
            _emulator: emulator,
            runner: Some(runner),
            client,
            namespace,
            root,
            _dir: dir,
        }
    }

    fn runner(&self) -> &PodRunner {
        self.runner.as_ref().unwrap()
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    async fn create_pod(&self, name: &str, spec: Value) -> Pod {
        let pod: Pod =
            serde_json::from_value(json!({"metadata": {"name": name}, "spec": spec})).unwrap();
        self.pods()
            .create(&PostParams::default(), &pod)
            .await
            .unwrap()
    }

    /// Polls the pod until `done` holds, and returns it.
    async fn wait_for(&self, name: &str, what: &str, done: impl Fn(&Pod) -> bool) -> Pod {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let pod = self.pods().get_opt(name).await.unwrap();
            if let Some(pod) = pod.as_ref().filter(|pod| done(pod)) {
                return pod.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "pod {name} never {what}; last seen: {}",
                serde_json::to_string_pretty(&pod).unwrap()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_for_phase(&self, name: &str, phase: &str) -> Pod {
        self.wait_for(name, &format!("reached phase {phase}"), |pod| {
            phase_of(pod) == phase
        })
        .await
    }

    async fn wait_until_gone(&self, name: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.pods().get_opt(name).await.unwrap().is_some() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "pod {name} was never deleted"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn log(&self, name: &str) -> String {
        self.pods().logs(name, &LogParams::default()).await.unwrap()
    }

    /// `reason: message` of the events about a pod, in the order they were posted.
    async fn events_about(&self, name: &str) -> Vec<String> {
        let events: Api<Event> = Api::namespaced(self.client.clone(), &self.namespace);
        let mut events = events.list(&ListParams::default()).await.unwrap().items;
        events.retain(|event| event.involved_object.name.as_deref() == Some(name));
        events.sort_by_key(|event| {
            event
                .metadata
                .resource_version
                .clone()
                .unwrap_or_default()
                .parse::<u64>()
                .unwrap_or(0)
        });
        events
            .iter()
            .map(|event| {
                format!(
                    "{}: {}",
                    event.reason.clone().unwrap_or_default(),
                    event.message.clone().unwrap_or_default()
                )
            })
            .collect()
    }

    fn host_path(&self, node: &str, path: &str) -> PathBuf {
        self.root
            .join("nodes")
            .join(node)
            .join("hostpath")
            .join(path.trim_start_matches('/'))
    }
}

impl Drop for Farm {
    fn drop(&mut self) {
        // Dropping the runner kills whatever a failed test left running.
        self.runner.take();
    }
}

fn node(name: &str) -> NodeConfig {
    NodeConfig::new(name, 4000, 8 << 30)
}

fn phase_of(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|status| status.phase.as_deref())
        .unwrap_or_default()
}

fn as_json(pod: &Pod) -> Value {
    serde_json::to_value(pod).unwrap()
}

fn shell(script: &str) -> Value {
    json!({"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", script]})
}

fn node_of(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|spec| spec.node_name.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_failing_command_fails_the_pod_with_its_exit_code_and_its_log() {
    let farm = Farm::start(vec![node("node-a")]).await;
    farm.create_pod(
        "hello",
        json!({"restartPolicy": "Never", "containers": [shell("echo hello; exit 3")]}),
    )
    .await;

    let pod = as_json(&farm.wait_for_phase("hello", "Failed").await);
    let terminated = &pod["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(terminated["exitCode"], 3);
    assert_eq!(terminated["reason"], "Error");
    assert!(terminated["startedAt"].is_string() && terminated["finishedAt"].is_string());
    assert_eq!(pod["spec"]["nodeName"], "node-a");
    assert_eq!(pod["status"]["podIP"], "127.0.0.1");
    assert_eq!(pod["status"]["hostIP"], "127.0.0.1");
    assert!(pod["status"]["startTime"].is_string());
    let ready = pod["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap();
    assert_eq!(ready["reason"], "PodFailed");
    assert_eq!(farm.log("hello").await, "hello\n");

    let events = farm.events_about("hello").await;
    let reasons: Vec<&str> = events
        .iter()
        .map(|event| event.split(':').next().unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["Scheduled", "Pulled", "Created", "Started"],
        "{events:?}"
    );
    assert!(
        events[0].ends_with(&format!(
            "Successfully assigned {}/hello to node-a",
            farm.namespace
        )),
        "{events:?}"
    );
}

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
async fn env_comes_from_a_secret_and_the_downward_api() {
    let farm = Farm::start(vec![node("node-a")]).await;
    let secrets: Api<Secret> = Api::namespaced(farm.client.clone(), &farm.namespace);
    let secret: Secret = serde_json::from_value(
        json!({"metadata": {"name": "s3"}, "stringData": {"access-key": "AKIA123"}}),
    )
    .unwrap();
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let mut container = shell(
        "echo key=$ACCESS pod=$POD_NAME ns=$POD_NAMESPACE node=$NODE ip=$POD_IP home=$HOME kubeconfig=$KUBECONFIG",
    );
    container["env"] = json!([
        {"name": "ACCESS", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "access-key"}}},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}
    ]);
    farm.create_pod(
        "env",
        json!({"restartPolicy": "Never", "containers": [container]}),
    )
    .await;
    farm.wait_for_phase("env", "Succeeded").await;
    let log = farm.log("env").await;
    assert!(
        log.starts_with(&format!(
            "key=AKIA123 pod=env ns={} node=node-a ip=127.0.0.1 home=",
            farm.namespace
        )),
        "{log}"
    );
    assert!(log.trim_end().ends_with("/kubeconfig"), "{log}");
}

#[tokio::test]
async fn a_missing_secret_holds_the_container_with_a_config_error_until_it_exists() {
    let farm = Farm::start(vec![node("node-a")]).await;
    let mut container = shell("echo $TOKEN");
    container["env"] = json!([{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "later", "key": "token"}}}]);
    farm.create_pod(
        "waits",
        json!({"restartPolicy": "Never", "containers": [container]}),
    )
    .await;
    let pod = farm
        .wait_for("waits", "showed CreateContainerConfigError", |pod| {
            as_json(pod)["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
                == "CreateContainerConfigError"
        })
        .await;
    assert_eq!(
        as_json(&pod)["status"]["containerStatuses"][0]["state"]["waiting"]["message"],
        "secret \"later\" not found"
    );
    assert_eq!(phase_of(&pod), "Pending");

    let secrets: Api<Secret> = Api::namespaced(farm.client.clone(), &farm.namespace);
    let secret: Secret = serde_json::from_value(
        json!({"metadata": {"name": "later"}, "stringData": {"token": "t0k"}}),
    )
    .unwrap();
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    farm.wait_for_phase("waits", "Succeeded").await;
    assert_eq!(farm.log("waits").await, "t0k\n");
}

#[tokio::test]
async fn init_and_main_containers_share_an_empty_dir() {
    let farm = Farm::start(vec![node("node-a")]).await;
    let mut init = shell("echo rendered > /work/greeting");
    init["name"] = json!("prepare");
    init["volumeMounts"] = json!([{"name": "scratch", "mountPath": "/work"}]);
    let mut main = shell("cat /work/greeting");
    main["volumeMounts"] = json!([{"name": "scratch", "mountPath": "/work"}]);
    farm.create_pod(
        "shared",
        json!({"restartPolicy": "Never", "initContainers": [init], "containers": [main], "volumes": [{"name": "scratch", "emptyDir": {}}]}),
    )
    .await;
    let pod = as_json(&farm.wait_for_phase("shared", "Succeeded").await);
    assert_eq!(
        pod["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"],
        "Completed"
    );
    assert_eq!(farm.log("shared").await, "rendered\n");
}

#[tokio::test]
async fn a_host_path_is_shared_on_one_node_but_not_across_nodes() {
    let farm = Farm::start(vec![node("node-a"), node("node-b")]).await;
    let on = |node: &str, script: &str| {
        let mut container = shell(script);
        container["volumeMounts"] = json!([{"name": "cache", "mountPath": "/cache"}]);
        json!({
            "restartPolicy": "Never",
            "nodeSelector": {"kubernetes.io/hostname": node},
            "containers": [container],
            "volumes": [{"name": "cache", "hostPath": {"path": "/var/cache/frames", "type": "DirectoryOrCreate"}}]
        })
    };
    farm.create_pod("writer", on("node-a", "echo frame > /cache/f1"))
        .await;
    farm.wait_for_phase("writer", "Succeeded").await;
    farm.create_pod("same-node", on("node-a", "cat /cache/f1"))
        .await;
    farm.create_pod(
        "other-node",
        on("node-b", "test ! -e /cache/f1 && echo absent"),
    )
    .await;
    farm.wait_for_phase("same-node", "Succeeded").await;
    farm.wait_for_phase("other-node", "Succeeded").await;
    assert_eq!(farm.log("same-node").await, "frame\n");
    assert_eq!(farm.log("other-node").await, "absent\n");
    assert_eq!(
        std::fs::read_to_string(farm.host_path("node-a", "/var/cache/frames/f1")).unwrap(),
        "frame\n"
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

#[tokio::test]
async fn an_unknown_image_cannot_be_pulled() {
    let farm = Farm::start(vec![node("node-a")]).await;
    farm.create_pod(
        "nope",
        json!({"containers": [{"name": "main", "image": "blender:4.2"}]}),
    )
    .await;
    let pod = farm
        .wait_for("nope", "failed to pull", |pod| {
            let reason =
                as_json(pod)["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
                    .clone();
            reason == "ErrImagePull" || reason == "ImagePullBackOff"
        })
        .await;
    let message = as_json(&pod)["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("blender:4.2"), "{message}");
    assert_eq!(phase_of(&pod), "Pending");
}

#[tokio::test]
async fn an_on_failure_container_is_restarted_until_it_succeeds() {
    let farm = Farm::start(vec![node("node-a")]).await;
    let mut container =
        shell("test -e /data/tried && echo second || { touch /data/tried; echo first; exit 1; }");
    container["volumeMounts"] = json!([{"name": "data", "mountPath": "/data"}]);
    farm.create_pod("retry", json!({"restartPolicy": "OnFailure", "containers": [container], "volumes": [{"name": "data", "emptyDir": {}}]})).await;
    let pod = as_json(&farm.wait_for_phase("retry", "Succeeded").await);
    let status = &pod["status"]["containerStatuses"][0];
    assert_eq!(status["restartCount"], 1);
    assert_eq!(status["lastState"]["terminated"]["exitCode"], 1);
    assert_eq!(farm.log("retry").await, "first\nsecond\n");
}

/// The pid of a running pod's first container, from its `containerID`.
fn container_pid(pod: &Pod) -> i32 {
    as_json(pod)["status"]["containerStatuses"][0]["containerID"]
        .as_str()
        .unwrap()
        .trim_start_matches("local://")
        .parse()
        .unwrap()
}

fn process_exists(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
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
