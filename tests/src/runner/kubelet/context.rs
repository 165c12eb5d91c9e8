//! What a pod worker and its containers share: the runner's settings, the API client, the
//! pod as first seen, its directories, its status writer and event recorder, and the
//! directive that tells it to keep running, stop gracefully or die at once.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use tokio::sync::watch;
use tokio::time::Instant;

use super::downward::Placement;
use super::paths::PodDirs;
use super::state::{PodRuntime, Role};
use super::status::LOOPBACK;
use super::status_writer::StatusWriter;
use crate::runner::config::RunnerConfig;
use crate::runner::events::{EventRecorder, EventType, pod_reference};
use crate::runner::node::NodeFleet;
use crate::runner::resources::ResourceList;

/// What the kubelet wants a pod worker to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Directive {
    Run,
    /// Deleted gracefully: SIGTERM now, SIGKILL at the deadline.
    Stop {
        deadline: Instant,
    },
    /// Kill every process at once.
    Kill(KillCause),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillCause {
    /// The node was killed: the control plane fails and deletes the pod.
    NodeLost,
    /// The pod object is gone (force-deleted): nothing is written.
    Vanished,
    /// The runner is shutting down: nothing is written.
    Shutdown,
}

impl Directive {
    pub fn is_run(self) -> bool {
        self == Directive::Run
    }

    /// Whether the API should hear about what happens next.
    pub fn reports(self) -> bool {
        !matches!(
            self,
            Directive::Kill(KillCause::Vanished | KillCause::Shutdown)
        )
    }
}

/// Settings every pod worker reads.
pub struct KubeletShared {
    pub client: Client,
    pub config: RunnerConfig,
    pub nodes: Arc<NodeFleet>,
    /// The host's `PATH`, given to containers.
    pub host_path: String,
    pub events: EventRecorder,
}

impl std::fmt::Debug for KubeletShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeletShared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One pod's worker and containers.
#[derive(Debug)]
pub struct PodContext {
    pub shared: Arc<KubeletShared>,
    pub pod: Pod,
    pub node: String,
    pub dirs: PodDirs,
    pub status: StatusWriter,
    pub events: EventRecorder,
    pub directive: watch::Receiver<Directive>,
    pub allocatable: ResourceList,
}

impl PodContext {
    pub fn new(
        shared: Arc<KubeletShared>,
        pod: Pod,
        node: &str,
        directive: watch::Receiver<Directive>,
    ) -> Self {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        PodContext {
            dirs: PodDirs::new(&shared.config.root, node, &uid),
            status: StatusWriter::new(shared.client.clone(), &namespace, &name),
            events: shared.events.on_host(node),
            allocatable: shared.nodes.allocatable(node),
            node: node.to_owned(),
            shared,
            pod,
            directive,
        }
    }

    pub fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.pod.metadata.name.as_deref().unwrap_or_default()
    }

    pub fn uid(&self) -> &str {
        self.pod.metadata.uid.as_deref().unwrap_or_default()
    }

    pub fn placement(&self) -> Placement<'_> {
        Placement {
            node_name: &self.node,
            pod_ip: LOOPBACK,
            host_ip: LOOPBACK,
            node_allocatable: &self.allocatable,
        }
    }

    pub fn current_directive(&self) -> Directive {
        *self.directive.borrow()
    }

    /// Posts an event about the pod, or one of its containers, unless the API should not
    /// hear from this worker any more.
    pub async fn event(
        &self,
        container: Option<(Role, &str)>,
        kind: EventType,
        reason: &str,
        message: &str,
    ) {
        if !self.current_directive().reports() {
            return;
        }
        let field_path = container.map(|(role, name)| role.field_path(name));
        self.events
            .record(&pod_reference(&self.pod, field_path), kind, reason, message)
            .await;
    }

    /// Applies a change to the pod's record and writes the status while the pod runs. Once it
    /// is being stopped, changes are only recorded: the worker writes the terminal status once
    /// all containers are down (or nothing, when the kubelet can no longer reach the API).
    pub async fn update_status(&self, change: impl FnOnce(&mut PodRuntime)) {
        if self.current_directive().is_run() {
            self.status.update(change).await;
        } else {
            self.status.record(change).await;
        }
    }

    /// `{pod}_{namespace}({uid})`, as the kubelet names a pod in messages.
    pub fn full_name(&self) -> String {
        format!("{}_{}({})", self.name(), self.namespace(), self.uid())
    }
}

/// Waits `delay`, or less if the directive changes from `Run`; says whether it did.
pub async fn wait_unless_told(directive: &mut watch::Receiver<Directive>, delay: Duration) -> bool {
    let deadline = Instant::now() + delay;
    loop {
        if !directive.borrow_and_update().is_run() {
            return true;
        }
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => return false,
            changed = directive.changed() => {
                if changed.is_err() {
                    // The kubelet is gone: nobody will say `Run` again.
                    return true;
                }
            }
        }
    }
}
