//! Emulated nodes, scheduler and kubelet for the API emulator: a client of the API server,
//! exactly like a real scheduler and kubelet, that registers a Node per configured node, binds
//! pending pods to them and runs their containers as local processes, reporting status, events
//! and logs. Knows nothing of Framefarm; where it differs from a real cluster is listed in
//! `tests/README.md`.

pub mod config;
mod control_loop;
pub mod events;
pub mod image;
pub mod kubelet;
pub mod node;
pub mod quantity;
pub mod resources;
mod scheduler;
pub mod scheduling;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use config::{ConfigError, LocalImage, NodeConfig, RunnerConfig, Taint, TaintEffect};

use self::control_loop::Parts;
use self::events::EventRecorder;
use self::kubelet::Kubelet;
use self::kubelet::context::KubeletShared;
use self::node::{NodeError, NodeFleet};
use self::scheduler::Scheduler;

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("failed to accept the runner configuration")]
    Configure(#[from] ConfigError),
    #[error("failed to create directory {path}")]
    CreateDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to find node {node}: the runner has no such node")]
    UnknownNode { node: String },
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// Running emulated nodes: scheduler, kubelets and the processes of their pods.
pub struct PodRunner {
    parts: Arc<Parts>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for PodRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PodRunner")
            .field("nodes", &self.parts.nodes.names())
            .field("paused", &self.parts.paused.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl PodRunner {
    /// Registers the configured nodes and starts scheduling and running pods.
    pub async fn start(
        client: kube::Client,
        config: RunnerConfig,
    ) -> Result<PodRunner, RunnerError> {
        config.validate()?;
        for dir in [&config.root, &config.logs_dir] {
            std::fs::create_dir_all(dir).map_err(|source| RunnerError::CreateDir {
                path: dir.clone(),
                source,
            })?;
        }
        let nodes = Arc::new(NodeFleet::new(client.clone(), &config.nodes));
        for node in nodes.names() {
            nodes.register(&node).await?;
        }
        let shared = Arc::new(KubeletShared {
            client: client.clone(),
            host_path: std::env::var("PATH")
                .unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".to_owned()),
            events: EventRecorder::new(client.clone(), "kubelet", None),
            nodes: Arc::clone(&nodes),
            config,
        });
        let parts = Arc::new(Parts {
            scheduler: Scheduler::new(client.clone()),
            kubelet: Kubelet::new(shared),
            nodes,
            client,
            paused: AtomicBool::new(false),
            wake: Notify::new(),
        });
        let (stop, stopped) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(control_loop::run(Arc::clone(&parts), stopped.clone())),
            tokio::spawn(control_loop::watch_pods(Arc::clone(&parts), stopped)),
        ];
        Ok(PodRunner { parts, stop, tasks })
    }

    /// Nothing new is scheduled or started until `resume`; running pods go on.
    pub fn pause(&self) {
        self.parts.paused.store(true, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.parts.paused.store(false, Ordering::SeqCst);
        self.parts.wake.notify_one();
    }

    /// Kills a node: SIGKILL for its pods' processes, the node `NotReady` with the
    /// `unreachable` taints, and its pods failed with `DisruptionTarget` and deleted.
    pub async fn kill_node(&self, name: &str) -> Result<(), RunnerError> {
        if !self.parts.nodes.manages(name) {
            return Err(RunnerError::UnknownNode {
                node: name.to_owned(),
            });
        }
        // The processes die even when the API cannot be told.
        let marked = self.parts.nodes.mark_lost(name).await;
        self.parts.kubelet.kill_node(name).await;
        Ok(marked?)
    }

    /// Brings a killed node back, empty.
    pub async fn revive_node(&self, name: &str) -> Result<(), RunnerError> {
        if !self.parts.nodes.manages(name) {
            return Err(RunnerError::UnknownNode {
                node: name.to_owned(),
            });
        }
        self.parts.nodes.mark_ready(name).await?;
        self.parts.wake.notify_one();
        Ok(())
    }

    /// Kills every process and stops the runner's tasks. Writes nothing more to the API.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        self.parts.kubelet.shutdown().await;
    }
}

impl Drop for PodRunner {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
        self.parts.kubelet.abort();
    }
}
