//! One emulator, one pod runner and one namespace per test, and what tests ask of them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use framefarm_tests::emulator::{Emulator, random_suffix};
use framefarm_tests::runner::{LocalImage, NodeConfig, PodRunner, RunnerConfig};
use k8s_openapi::api::core::v1::{Event, Namespace, Pod};
use kube::api::{ListParams, LogParams, PostParams};
use kube::{Api, Client};
use serde_json::{Value, json};

pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct Farm {
    _emulator: Emulator,
    runner: Option<PodRunner>,
    pub client: Client,
    pub namespace: String,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Farm {
    pub async fn start(nodes: Vec<NodeConfig>) -> Farm {
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
            service_account_tokens: false,
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

    pub fn runner(&self) -> &PodRunner {
        self.runner.as_ref().unwrap()
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    pub async fn create_pod(&self, name: &str, spec: Value) -> Pod {
        let pod: Pod =
            serde_json::from_value(json!({"metadata": {"name": name}, "spec": spec})).unwrap();
        self.pods()
            .create(&PostParams::default(), &pod)
            .await
            .unwrap()
    }

    /// Polls the pod until `done` holds, and returns it.
    pub async fn wait_for(&self, name: &str, what: &str, done: impl Fn(&Pod) -> bool) -> Pod {
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

    pub async fn wait_for_phase(&self, name: &str, phase: &str) -> Pod {
        self.wait_for(name, &format!("reached phase {phase}"), |pod| {
            phase_of(pod) == phase
        })
        .await
    }

    pub async fn wait_until_gone(&self, name: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.pods().get_opt(name).await.unwrap().is_some() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "pod {name} was never deleted"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn log(&self, name: &str) -> String {
        self.pods().logs(name, &LogParams::default()).await.unwrap()
    }

    /// `reason: message` of the events about a pod, in the order they were posted.
    pub async fn events_about(&self, name: &str) -> Vec<String> {
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

    /// Where a pod's volumes live on its emulated node.
    pub fn pod_volumes(&self, node: &str, uid: &str) -> PathBuf {
        self.root
            .join("nodes")
            .join(node)
            .join("pods")
            .join(uid)
            .join("volumes")
    }

    pub fn host_path(&self, node: &str, path: &str) -> PathBuf {
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

pub fn node(name: &str) -> NodeConfig {
    NodeConfig::new(name, 4000, 8 << 30)
}

pub fn phase_of(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|status| status.phase.as_deref())
        .unwrap_or_default()
}

pub fn as_json(pod: &Pod) -> Value {
    serde_json::to_value(pod).unwrap()
}

pub fn shell(script: &str) -> Value {
    json!({"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", script]})
}

pub fn node_of(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|spec| spec.node_name.clone())
        .unwrap_or_default()
}

/// The pid of a running pod's first container, from its `containerID`.
pub fn container_pid(pod: &Pod) -> i32 {
    as_json(pod)["status"]["containerStatuses"][0]["containerID"]
        .as_str()
        .unwrap()
        .trim_start_matches("local://")
        .parse()
        .unwrap()
}

pub fn process_exists(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}
