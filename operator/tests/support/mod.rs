//! An emulated render farm for end-to-end tests: the Kubernetes API emulator with the CRDs,
//! two emulated nodes running pods as local processes, real Garage, real Blender and
//! ImageMagick, and the operator binary started as a process against the emulator's
//! kubeconfig, exactly as it runs against a real cluster.

#![allow(dead_code, reason = "each test binary uses part of the support")]

pub mod helm;
pub mod operator;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use framefarm_crds::{RenderJob, RenderShot};
use framefarm_tests::blender::{SceneOptions, make_scene};
use framefarm_tests::cluster::{Cluster, ClusterConfig, cpu_node};
use framefarm_tests::garage::Garage;
use framefarm_tests::runner::{LocalImage, NodeConfig};
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::Api;
use kube::api::{ListParams, PostParams};
use serde_json::json;

pub use operator::Operator;

pub const AGENT_IMAGE: &str = "ghcr.io/framefarm/node-agent:dev";
pub const AGENT_PATH: &str = "/usr/local/bin/node-agent";
pub const IMAGEMAGICK_IMAGE: &str = "registry.example.com/tools/imagemagick:7.1";
pub const BUCKET: &str = "studio";
pub const SECRET: &str = "studio-storage";

/// The node-agent binary of this build, built when missing.
pub fn agent_binary() -> PathBuf {
    let operator = PathBuf::from(env!("CARGO_BIN_EXE_framefarm-operator"));
    let agent = operator.with_file_name("node-agent");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = std::process::Command::new(cargo);
    build.args(["build", "-p", "framefarm-node-agent", "--bin", "node-agent"]);
    if operator.parent().and_then(Path::file_name) == Some("release".as_ref()) {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building the node-agent failed");
    assert!(agent.exists(), "{} was not built", agent.display());
    agent
}

/// A running farm: cluster, Garage, the operator, and a namespace with the storage Secret.
pub struct Farm {
    pub cluster: Cluster,
    pub operator: Operator,
    pub namespace: String,
    pub work: tempfile::TempDir,
}

impl Farm {
    pub async fn start() -> Farm {
        Self::start_with(vec![cpu_node("node-a", 4), cpu_node("node-b", 4)]).await
    }

    pub async fn start_with(nodes: Vec<NodeConfig>) -> Farm {
        let (cluster, namespace, work) = start_cluster(nodes, Vec::new(), true, false).await;
        let operator = Operator::start(cluster.kubeconfig(), work.path(), &[]);
        Farm {
            cluster,
            operator,
            namespace,
            work,
        }
    }

    /// A farm whose CRDs and operator come from the Helm chart: the cluster, Garage and the
    /// namespace with the storage Secret, with `images` beside the agent's (e.g. the operator
    /// image); `operator` is not started. The cluster enforces RBAC: pods act as their
    /// ServiceAccounts with the rights the chart grants them.
    pub async fn start_for_chart(images: Vec<LocalImage>) -> Farm {
        let nodes = vec![cpu_node("node-a", 4), cpu_node("node-b", 4)];
        let (cluster, namespace, work) = start_cluster(nodes, images, false, true).await;
        let operator = Operator::not_started(cluster.kubeconfig(), work.path(), &[]);
        Farm {
            cluster,
            operator,
            namespace,
            work,
        }
    }

    pub fn garage(&self) -> &Garage {
        self.cluster.garage().expect("garage runs")
    }

    /// Makes a Blender scene and uploads it under `key`.
    pub fn upload_scene(&self, key: &str, options: &SceneOptions) {
        let path = self.work.path().join("scene.blend");
        make_scene(&path, options).expect("Blender makes the scene");
        let bytes = std::fs::read(&path).expect("scene");
        self.garage()
            .put_object(BUCKET, key, &bytes)
            .expect("scene upload");
    }

    /// A Blender RenderShot manifest rendering `frames` of the scene at `scene_key`.
    pub fn blender_shot(&self, name: &str, scene_key: &str, frames: &str, extra: &str) -> String {
        format!(
            "apiVersion: framefarm.io/v1alpha1
kind: RenderShot
metadata:
  name: {name}
  namespace: {namespace}
spec:
  scene:
    uri: s3://{BUCKET}/{scene_key}
  frames: \"{frames}\"
  engine:
    blender:
      outputFormat: PNG
  output:
    uri: s3://{BUCKET}/renders/{name}/
    naming: \"{name}_{{frame:04}}\"
  thumbnails:
    width: 64
  storage:
    endpoint: {endpoint}
    credentialsSecret:
      name: {SECRET}
  retries:
    initialBackoffSeconds: 1
    maxBackoffSeconds: 2
{extra}",
            namespace = self.namespace,
            endpoint = self.garage().endpoint(),
        )
    }

    /// `kubectl apply -f` of a manifest; the output, whatever the exit code.
    pub fn apply(&self, manifest: &str) -> Output {
        let path = self
            .work
            .path()
            .join(format!("manifest-{}.yaml", rand_suffix()));
        std::fs::write(&path, manifest).expect("manifest written");
        self.cluster
            .kubectl_command()
            .args(["apply", "-f", &path.display().to_string()])
            .output()
            .expect("kubectl runs")
    }

    pub fn kubectl(&self, args: &[&str]) -> Output {
        let mut all = vec!["-n", self.namespace.as_str()];
        all.extend_from_slice(args);
        self.cluster
            .kubectl_command()
            .args(all)
            .output()
            .expect("kubectl runs")
    }

    pub fn shots(&self) -> Api<RenderShot> {
        Api::namespaced(self.cluster.client(), &self.namespace)
    }

    pub fn jobs_api(&self) -> Api<RenderJob> {
        Api::namespaced(self.cluster.client(), &self.namespace)
    }

    pub fn pods_api(&self) -> Api<Pod> {
        Api::namespaced(self.cluster.client(), &self.namespace)
    }

    pub async fn shot(&self, name: &str) -> RenderShot {
        self.shots().get(name).await.expect("the shot exists")
    }

    pub async fn jobs_of(&self, shot: &str) -> Vec<RenderJob> {
        let mut jobs = self
            .jobs_api()
            .list(&ListParams::default().labels(&format!("framefarm.io/shot={shot}")))
            .await
            .expect("jobs list")
            .items;
        jobs.sort_by_key(|job| job.metadata.name.clone());
        jobs
    }

    pub async fn pods_of(&self, shot: &str) -> Vec<Pod> {
        self.pods_api()
            .list(&ListParams::default().labels(&format!("framefarm.io/shot={shot}")))
            .await
            .expect("pods list")
            .items
    }

    /// Keys under `prefix` in the bucket, sorted.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let mut keys = self.garage().list_keys(BUCKET, prefix).expect("list");
        keys.sort();
        keys
    }

    /// Waits until `check` holds for the shot, printing what it last saw on a timeout.
    pub async fn wait_for_shot(
        &self,
        name: &str,
        timeout: Duration,
        what: &str,
        check: impl Fn(&RenderShot) -> bool,
    ) -> RenderShot {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let shot = self.shots().get_opt(name).await.expect("get shot");
            if let Some(shot) = &shot
                && check(shot)
            {
                return shot.clone();
            }
            if tokio::time::Instant::now() > deadline {
                self.dump(name).await;
                panic!(
                    "timed out after {timeout:?} waiting for {what}; last status: {}",
                    serde_json::to_string_pretty(&shot.and_then(|shot| shot.status))
                        .unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Prints the jobs, pods, events and operator log, for a failing test.
    pub async fn dump(&self, shot: &str) {
        for args in [
            vec!["get", "renderjobs", "-o", "wide"],
            vec!["get", "pods", "-o", "wide"],
            vec!["get", "events"],
        ] {
            let output = self.kubectl(&args);
            eprintln!(
                "--- kubectl {} ---\n{}{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        for job in self.jobs_of(shot).await {
            eprintln!(
                "--- {} status ---\n{}",
                job.metadata.name.clone().unwrap_or_default(),
                serde_json::to_string(&job.status).unwrap_or_default()
            );
        }
        eprintln!(
            "--- operator log (tail) ---\n{}",
            self.operator.log_tail(60)
        );
    }
}

/// The cluster with the agent image and `images`, the bucket, and a namespace holding the
/// storage Secret; the CRDs when `crds`.
async fn start_cluster(
    nodes: Vec<NodeConfig>,
    images: Vec<LocalImage>,
    crds: bool,
    enforce_rbac: bool,
) -> (Cluster, String, tempfile::TempDir) {
    let agent = agent_binary();
    let mut all_images = vec![
        LocalImage::new(AGENT_IMAGE).with_file(AGENT_PATH, &agent),
        LocalImage::new(IMAGEMAGICK_IMAGE),
    ];
    all_images.extend(images);
    let cluster = Cluster::start(ClusterConfig {
        nodes,
        images: all_images,
        garage: true,
        enforce_rbac,
        ..ClusterConfig::default()
    })
    .await
    .expect("the cluster starts");
    if crds {
        let crds = concat!(env!("CARGO_MANIFEST_DIR"), "/../crds");
        cluster
            .kubectl(&["apply", "-f", crds])
            .expect("CRDs install");
    }
    let garage = cluster.garage().expect("garage runs");
    garage.create_bucket(BUCKET).expect("bucket");
    let namespace = cluster.namespace("studio").await.expect("namespace");
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": SECRET},
        "stringData": {
            "AWS_ACCESS_KEY_ID": garage.access_key_id(),
            "AWS_SECRET_ACCESS_KEY": garage.secret_access_key()
        }
    }))
    .expect("secret");
    Api::<Secret>::namespaced(cluster.client(), &namespace)
        .create(&PostParams::default(), &secret)
        .await
        .expect("the storage Secret is created");
    let work = tempfile::tempdir().expect("work folder");
    (cluster, namespace, work)
}

fn rand_suffix() -> String {
    format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default()
    )
}

/// Whether the shot's condition of `type_` is True.
pub fn condition_is(shot: &RenderShot, type_: &str, status: &str) -> bool {
    shot.status.as_ref().is_some_and(|status_| {
        status_
            .conditions
            .iter()
            .any(|condition| condition.type_ == type_ && condition.status == status)
    })
}
