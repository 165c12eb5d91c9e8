//! The emulated nodes' presence in the API: registers a Node per configured node, keeps its
//! status current while its kubelet "runs", and marks it lost or ready again on faults.
//! Which pods run where is the kubelet's business, not this module's.

mod lease;
pub mod object;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

use self::object::{NodeHealth, NodeIdentity};
use super::config::NodeConfig;
use super::events::{EventRecorder, EventType, node_reference};
use super::resources::{ResourceList, node_allocatable};

/// The kubelet writes node status under this field manager.
pub const KUBELET_MANAGER: &str = "kubelet";
/// The node lifecycle controller's writes (taints and conditions of a lost node).
pub const NODE_CONTROLLER_MANAGER: &str = "node-controller";
/// How often a node's status is re-sent although nothing changed (the kubelet's
/// `nodeStatusReportFrequency`).
const REPORT_EVERY: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("failed to register node {node}")]
    Register {
        node: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to update the status of node {node}")]
    UpdateStatus {
        node: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to update the taints of node {node}")]
    UpdateTaints {
        node: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to find node {node}: the runner has no such node")]
    Unknown { node: String },
}

struct NodeState {
    config: NodeConfig,
    identity: NodeIdentity,
    health: NodeHealth,
    last_report: Option<Timestamp>,
}

/// The runner's nodes and their health.
pub struct NodeFleet {
    client: Client,
    events: EventRecorder,
    nodes: Mutex<BTreeMap<String, NodeState>>,
}

impl std::fmt::Debug for NodeFleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeFleet")
            .field("nodes", &self.names())
            .finish_non_exhaustive()
    }
}

impl NodeFleet {
    pub fn new(client: Client, configs: &[NodeConfig]) -> Self {
        let nodes = configs
            .iter()
            .map(|config| {
                let state = NodeState {
                    config: config.clone(),
                    identity: local_identity(),
                    health: NodeHealth::Ready,
                    last_report: None,
                };
                (config.name.clone(), state)
            })
            .collect();
        NodeFleet {
            events: EventRecorder::new(client.clone(), "kubelet", None),
            client,
            nodes: Mutex::new(nodes),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, NodeState>> {
        // A panic while holding the lock leaves only plain data behind; keep using it.
        self.nodes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Whether `node` is one of the runner's and its kubelet is running.
    pub fn is_ready(&self, node: &str) -> bool {
        self.lock()
            .get(node)
            .is_some_and(|state| state.health == NodeHealth::Ready)
    }

    pub fn manages(&self, node: &str) -> bool {
        self.lock().contains_key(node)
    }

    /// What the node offers pods, for the downward API's default limits.
    pub fn allocatable(&self, node: &str) -> ResourceList {
        let nodes = self.lock();
        let Some(state) = nodes.get(node) else {
            return ResourceList::new();
        };
        let registration = object::registration(&state.config, &state.identity, Timestamp::now());
        node_allocatable(&registration)
    }

    fn snapshot(&self, node: &str) -> Result<(NodeConfig, NodeIdentity), NodeError> {
        self.lock()
            .get(node)
            .map(|state| (state.config.clone(), state.identity.clone()))
            .ok_or_else(|| NodeError::Unknown {
                node: node.to_owned(),
            })
    }

    fn api(&self) -> Api<Node> {
        Api::all(self.client.clone())
    }

    /// Creates the Node, or takes over one of the same name left by an earlier run.
    pub async fn register(&self, node: &str) -> Result<(), NodeError> {
        let (config, identity) = self.snapshot(node)?;
        let now = Timestamp::now();
        let wanted = object::registration(&config, &identity, now);
        let register_error = |source| NodeError::Register {
            node: node.to_owned(),
            source,
        };
        let created = self
            .api()
            .create(
                &PostParams {
                    field_manager: Some(KUBELET_MANAGER.to_owned()),
                    ..PostParams::default()
                },
                &wanted,
            )
            .await;
        match created {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.is_already_exists() => {
                let spec = json!({
                    "metadata": {"labels": wanted.metadata.labels},
                    "spec": {"taints": object::configured_taints(&config)}
                });
                self.api()
                    .patch(node, &params(KUBELET_MANAGER), &Patch::Merge(&spec))
                    .await
                    .map_err(register_error)?;
            }
            Err(error) => return Err(register_error(error)),
        }
        // An apiserver drops the status of a created object; it is written separately.
        let current = self.api().get(node).await.map_err(register_error)?;
        self.send_status(&current, &config, &identity, Timestamp::now())
            .await?;
        self.events
            .on_host(node)
            .record(
                &node_reference(&current),
                EventType::Normal,
                "NodeReady",
                &format!("Node {node} status is now: NodeReady"),
            )
            .await;
        Ok(())
    }

    async fn send_status(
        &self,
        current: &Node,
        config: &NodeConfig,
        identity: &NodeIdentity,
        now: Timestamp,
    ) -> Result<(), NodeError> {
        let node = config.name.as_str();
        let old_conditions = current
            .status
            .as_ref()
            .and_then(|status| status.conditions.clone())
            .unwrap_or_default();
        let wanted = object::status(config, identity, NodeHealth::Ready, &old_conditions, now);
        self.api()
            .patch_status(
                node,
                &params(KUBELET_MANAGER),
                &Patch::Merge(&json!({ "status": wanted })),
            )
            .await
            .map_err(|source| NodeError::UpdateStatus {
                node: node.to_owned(),
                source,
            })?;
        if let Some(state) = self.lock().get_mut(node) {
            state.last_report = Some(now);
        }
        self.renew_lease(current).await;
        Ok(())
    }

    async fn renew_lease(&self, node: &Node) {
        if let Err(error) = lease::renew(&self.client, node, KUBELET_MANAGER).await {
            tracing::warn!(%error, node = ?node.metadata.name, "failed to renew the node lease");
        }
    }

    /// Sends the node's status when it changed or is due; re-registers a Node that was
    /// deleted. Does nothing for a lost node.
    pub async fn report(&self, node: &str, force: bool) -> Result<(), NodeError> {
        let (config, identity, last_report, health) = {
            let nodes = self.lock();
            let state = nodes.get(node).ok_or_else(|| NodeError::Unknown {
                node: node.to_owned(),
            })?;
            (
                state.config.clone(),
                state.identity.clone(),
                state.last_report,
                state.health,
            )
        };
        if health == NodeHealth::Lost {
            return Ok(());
        }
        let current = match self.api().get_opt(node).await {
            Ok(Some(current)) => current,
            Ok(None) => return self.register(node).await,
            Err(source) => {
                return Err(NodeError::UpdateStatus {
                    node: node.to_owned(),
                    source,
                });
            }
        };
        let now = Timestamp::now();
        let old_conditions = current
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let wanted = object::status(&config, &identity, NodeHealth::Ready, &old_conditions, now);
        let without_heartbeats = |conditions: &[k8s_openapi::api::core::v1::NodeCondition]| {
            conditions
                .iter()
                .map(|c| (c.type_.clone(), c.status.clone(), c.reason.clone()))
                .collect::<Vec<_>>()
        };
        let changed = without_heartbeats(&old_conditions)
            != without_heartbeats(wanted.conditions.as_deref().unwrap_or_default())
            || current.status.as_ref().and_then(|s| s.allocatable.clone()) != wanted.allocatable;
        let due =
            last_report.is_none_or(|last| now.duration_since(last).unsigned_abs() >= REPORT_EVERY);
        if !(force || changed || due) {
            self.renew_lease(&current).await;
            return Ok(());
        }
        self.send_status(&current, &config, &identity, now).await
    }

    /// Reports every ready node that needs it; failures are logged and retried next time.
    pub async fn report_all(&self) {
        for node in self.names() {
            if let Err(error) = self.report(&node, false).await {
                tracing::warn!(error = %error, node, "failed to report node status");
            }
        }
    }

    /// Marks the node as the node lifecycle controller marks one whose kubelet stopped
    /// posting: conditions `Unknown`, `unreachable` taints.
    pub async fn mark_lost(&self, node: &str) -> Result<(), NodeError> {
        self.set_health(node, NodeHealth::Lost)?;
        let current = self
            .api()
            .get(node)
            .await
            .map_err(|source| NodeError::UpdateStatus {
                node: node.to_owned(),
                source,
            })?;
        let now = Timestamp::now();
        let old_conditions = current
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let conditions = object::conditions(NodeHealth::Lost, &old_conditions, now);
        self.api()
            .patch_status(
                node,
                &params(NODE_CONTROLLER_MANAGER),
                &Patch::Merge(&json!({"status": {"conditions": conditions}})),
            )
            .await
            .map_err(|source| NodeError::UpdateStatus {
                node: node.to_owned(),
                source,
            })?;
        self.retaint(&current, NodeHealth::Lost, now).await?;
        self.events
            .on_host(node)
            .record(
                &node_reference(&current),
                EventType::Normal,
                "NodeNotReady",
                &format!("Node {node} status is now: NodeNotReady"),
            )
            .await;
        Ok(())
    }

    /// Brings a lost node back: its kubelet reports `Ready` again and the `unreachable` taints
    /// are lifted.
    pub async fn mark_ready(&self, node: &str) -> Result<(), NodeError> {
        self.set_health(node, NodeHealth::Ready)?;
        match self.api().get_opt(node).await {
            Ok(Some(current)) => {
                self.retaint(&current, NodeHealth::Ready, Timestamp::now())
                    .await?;
                self.report(node, true).await?;
                self.events
                    .on_host(node)
                    .record(
                        &node_reference(&current),
                        EventType::Normal,
                        "NodeReady",
                        &format!("Node {node} status is now: NodeReady"),
                    )
                    .await;
                Ok(())
            }
            Ok(None) => self.register(node).await,
            Err(source) => Err(NodeError::UpdateStatus {
                node: node.to_owned(),
                source,
            }),
        }
    }

    fn set_health(&self, node: &str, health: NodeHealth) -> Result<(), NodeError> {
        let mut nodes = self.lock();
        let state = nodes.get_mut(node).ok_or_else(|| NodeError::Unknown {
            node: node.to_owned(),
        })?;
        state.health = health;
        Ok(())
    }

    async fn retaint(
        &self,
        current: &Node,
        health: NodeHealth,
        now: Timestamp,
    ) -> Result<(), NodeError> {
        let name = current.metadata.name.clone().unwrap_or_default();
        let existing = current
            .spec
            .as_ref()
            .and_then(|spec| spec.taints.clone())
            .unwrap_or_default();
        let taints = object::taints(&existing, health, now);
        self.api()
            .patch(
                &name,
                &params(NODE_CONTROLLER_MANAGER),
                &Patch::Merge(&json!({"spec": {"taints": taints}})),
            )
            .await
            .map_err(|source| NodeError::UpdateTaints {
                node: name.clone(),
                source,
            })?;
        Ok(())
    }
}

fn params(manager: &str) -> PatchParams {
    PatchParams {
        field_manager: Some(manager.to_owned()),
        ..PatchParams::default()
    }
}

/// This machine as every emulated node reports it, with fresh machine and boot IDs.
fn local_identity() -> NodeIdentity {
    let os_image = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("PRETTY_NAME="))
                .map(|name| name.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "Linux".to_owned());
    let kernel_version = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|text| text.trim().to_owned())
        .unwrap_or_default();
    let architecture = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    NodeIdentity {
        machine_id: uuid::Uuid::new_v4().simple().to_string(),
        boot_id: uuid::Uuid::new_v4().to_string(),
        kernel_version,
        os_image,
        architecture: architecture.to_owned(),
    }
}
