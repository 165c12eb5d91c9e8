//! A whole emulated cluster for end-to-end tests and the `dev` entry point: the API emulator,
//! the pod runner with its nodes, and optionally a real Garage S3 server, started in one call.
//! Tests get their own namespace each, `kubectl` pointed at the cluster, and waits on
//! conditions. Test and demo tooling only.

mod kubectl;
mod wait;

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use thiserror::Error;

use crate::emulator::{Emulator, EmulatorConfig, EmulatorError};
use crate::garage::{Garage, GarageError};
use crate::runner::{LocalImage, NodeConfig, PodRunner, RunnerConfig, RunnerError};
pub use kubectl::KubectlError;
pub use wait::{WaitError, wait_for_condition};

/// Why a cluster could not start or a helper failed.
#[derive(Debug, Error)]
pub enum ClusterError {
    #[error("failed to start the API emulator")]
    Emulator(#[from] EmulatorError),
    #[error("failed to start the pod runner")]
    Runner(#[from] RunnerError),
    #[error("failed to start Garage")]
    Garage(#[from] GarageError),
    #[error("failed to create the test namespace {name}")]
    CreateNamespace {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to create the cluster's working folder")]
    CreateDir(#[source] std::io::Error),
}

/// What to start.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    pub nodes: Vec<NodeConfig>,
    pub images: Vec<LocalImage>,
    /// Start a Garage S3 server too.
    pub garage: bool,
    /// Folder for the emulator, the nodes and the pods; a temporary one when `None`.
    pub dir: Option<PathBuf>,
    /// Loopback port of the API; a free one when `None`.
    pub port: Option<u16>,
    /// Enforce RBAC on ServiceAccount tokens, and run each pod with a token of its
    /// ServiceAccount: pods then act only with the rights RBAC objects grant them. Tests and
    /// `kubectl` of the cluster stay administrators.
    pub enforce_rbac: bool,
}

impl Default for ClusterConfig {
    /// Two CPU nodes (4 cores, 16 GiB each), no images, Garage on.
    fn default() -> Self {
        ClusterConfig {
            nodes: vec![cpu_node("node-a", 4), cpu_node("node-b", 4)],
            images: Vec::new(),
            garage: true,
            dir: None,
            port: None,
            enforce_rbac: false,
        }
    }
}

/// A CPU-only node with `cores` cores and 4 GiB per core.
pub fn cpu_node(name: &str, cores: i64) -> NodeConfig {
    NodeConfig {
        name: name.to_owned(),
        labels: Default::default(),
        taints: Vec::new(),
        cpu_millis: cores * 1000,
        memory_bytes: cores * 4 * 1024 * 1024 * 1024,
        extended: Default::default(),
    }
}

/// A running emulated cluster.
pub struct Cluster {
    emulator: Emulator,
    runner: Option<PodRunner>,
    garage: Option<Garage>,
    client: kube::Client,
    kubectl_cache: PathBuf,
    _temporary: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("api", &self.emulator.url())
            .field("garage", &self.garage.as_ref().map(Garage::endpoint))
            .finish_non_exhaustive()
    }
}

impl Cluster {
    pub async fn start(config: ClusterConfig) -> Result<Cluster, ClusterError> {
        let (temporary, dir) = match config.dir {
            Some(dir) => (None, dir),
            None => {
                let temporary = tempfile::Builder::new()
                    .prefix("framefarm-cluster-")
                    .tempdir()
                    .map_err(ClusterError::CreateDir)?;
                let dir = temporary.path().to_path_buf();
                (Some(temporary), dir)
            }
        };
        let emulator = Emulator::start_with(EmulatorConfig {
            dir: Some(dir.join("api")),
            port: config.port,
            enforce_rbac: config.enforce_rbac,
        })
        .await?;
        let client = emulator.client().await?;
        let runner = PodRunner::start(
            client.clone(),
            RunnerConfig {
                nodes: config.nodes,
                images: config.images,
                root: dir.join("nodes"),
                logs_dir: emulator.logs_dir().to_path_buf(),
                kubeconfig: emulator.kubeconfig().to_path_buf(),
                service_account_tokens: config.enforce_rbac,
            },
        )
        .await?;
        let garage = if config.garage {
            Some(
                tokio::task::spawn_blocking(Garage::start)
                    .await
                    .map_err(|error| {
                        ClusterError::CreateDir(std::io::Error::other(error.to_string()))
                    })??,
            )
        } else {
            None
        };
        let kubectl_cache = dir.join("kubectl-cache");
        std::fs::create_dir_all(&kubectl_cache).map_err(ClusterError::CreateDir)?;
        Ok(Cluster {
            emulator,
            runner: Some(runner),
            garage,
            client,
            kubectl_cache,
            _temporary: temporary,
        })
    }

    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    pub fn kubeconfig(&self) -> &Path {
        self.emulator.kubeconfig()
    }

    /// The pod runner, for faults (kill a node, pause).
    pub fn runner(&self) -> &PodRunner {
        // Only `stop` takes the runner, and it consumes the cluster.
        self.runner
            .as_ref()
            .unwrap_or_else(|| unreachable!("the runner lives until stop"))
    }

    pub fn garage(&self) -> Option<&Garage> {
        self.garage.as_ref()
    }

    pub fn garage_mut(&mut self) -> Option<&mut Garage> {
        self.garage.as_mut()
    }

    /// Creates a fresh namespace named `{prefix}-{random}` for one test.
    pub async fn namespace(&self, prefix: &str) -> Result<String, ClusterError> {
        let name = format!("{prefix}-{}", crate::emulator::random_suffix());
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        namespaces
            .create(&PostParams::default(), &namespace)
            .await
            .map_err(|source| ClusterError::CreateNamespace {
                name: name.clone(),
                source,
            })?;
        Ok(name)
    }

    /// Stops every pod process, the API and Garage.
    pub async fn stop(mut self) {
        if let Some(runner) = self.runner.take() {
            runner.shutdown().await;
        }
        self.garage.take();
        self.emulator.stop().await;
    }
}
