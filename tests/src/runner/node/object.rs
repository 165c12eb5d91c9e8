//! The Node object a kubelet registers for an emulated node, and how its conditions and taints
//! read when the node is healthy or lost (as the node lifecycle controller marks a node whose
//! kubelet stopped reporting). Pure.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo, Taint,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use crate::runner::config::NodeConfig;
use crate::runner::kubelet::status::LOOPBACK;
use crate::runner::quantity::{format_bytes, format_cpu};
use crate::runner::scheduling::{NOT_READY_TAINT, UNREACHABLE_TAINT};

/// The kubelet version emulated nodes report: the Kubernetes version the emulator reports.
pub const KUBELET_VERSION: &str = "v1.32.0";
/// How many pods a node takes, the kubelet's default `maxPods`.
pub const MAX_PODS: i64 = 110;

/// Whether a node's kubelet is reporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeHealth {
    Ready,
    /// Killed: the kubelet stopped posting status.
    Lost,
}

/// What `nodeInfo` says about the machine behind a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeIdentity {
    pub machine_id: String,
    pub boot_id: String,
    pub kernel_version: String,
    pub os_image: String,
    pub architecture: String,
}

pub fn labels(config: &NodeConfig, identity: &NodeIdentity) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        ("kubernetes.io/hostname".to_owned(), config.name.clone()),
        ("kubernetes.io/os".to_owned(), "linux".to_owned()),
        (
            "kubernetes.io/arch".to_owned(),
            identity.architecture.clone(),
        ),
        ("beta.kubernetes.io/os".to_owned(), "linux".to_owned()),
        (
            "beta.kubernetes.io/arch".to_owned(),
            identity.architecture.clone(),
        ),
    ]);
    labels.extend(config.labels.clone());
    labels
}

/// The node's taints: `current` (as read, or the configured ones at registration) without
/// the node lifecycle taints, plus the `unreachable` ones when the node is lost.
pub fn taints(current: &[Taint], health: NodeHealth, now: Timestamp) -> Vec<Taint> {
    let mut taints: Vec<Taint> = current
        .iter()
        .filter(|taint| taint.key != UNREACHABLE_TAINT && taint.key != NOT_READY_TAINT)
        .cloned()
        .collect();
    if health == NodeHealth::Lost {
        taints.push(Taint {
            key: UNREACHABLE_TAINT.to_owned(),
            effect: "NoSchedule".to_owned(),
            time_added: Some(Time(now)),
            value: None,
        });
        taints.push(Taint {
            key: UNREACHABLE_TAINT.to_owned(),
            effect: "NoExecute".to_owned(),
            time_added: Some(Time(now)),
            value: None,
        });
    }
    taints
}

pub fn configured_taints(config: &NodeConfig) -> Vec<Taint> {
    config
        .taints
        .iter()
        .map(|taint| Taint {
            key: taint.key.clone(),
            value: Some(taint.value.clone()).filter(|value| !value.is_empty()),
            effect: taint.effect.as_str().to_owned(),
            time_added: None,
        })
        .collect()
}

fn resources(config: &NodeConfig) -> BTreeMap<String, Quantity> {
    let mut resources = BTreeMap::from([
        ("cpu".to_owned(), Quantity(format_cpu(config.cpu_millis))),
        (
            "memory".to_owned(),
            Quantity(format_bytes(config.memory_bytes)),
        ),
        ("pods".to_owned(), Quantity(MAX_PODS.to_string())),
    ]);
    for (name, units) in &config.extended {
        resources.insert(name.clone(), Quantity(units.to_string()));
    }
    resources
}

/// The node's conditions. A ready node reports its own; a lost one has them all `Unknown`, as
/// the node lifecycle controller sets them when the kubelet stops posting.
pub fn conditions(health: NodeHealth, old: &[NodeCondition], now: Timestamp) -> Vec<NodeCondition> {
    let reported = [
        (
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
        ),
        (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        (
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
        ),
        (
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
    ];
    reported
        .into_iter()
        .map(|(type_, status, reason, message)| {
            let previous = old.iter().find(|condition| condition.type_ == type_);
            let (status, reason, message, heartbeat) = match health {
                NodeHealth::Ready => (status, reason, message, Some(Time(now))),
                NodeHealth::Lost => (
                    "Unknown",
                    "NodeStatusUnknown",
                    "Kubelet stopped posting node status.",
                    previous.and_then(|previous| previous.last_heartbeat_time.clone()),
                ),
            };
            let last_transition_time = match previous {
                Some(previous) if previous.status == status => {
                    previous.last_transition_time.clone()
                }
                _ => Some(Time(now)),
            };
            NodeCondition {
                type_: type_.to_owned(),
                status: status.to_owned(),
                reason: Some(reason.to_owned()),
                message: Some(message.to_owned()),
                last_heartbeat_time: heartbeat,
                last_transition_time,
            }
        })
        .collect()
}

pub fn status(
    config: &NodeConfig,
    identity: &NodeIdentity,
    health: NodeHealth,
    old: &[NodeCondition],
    now: Timestamp,
) -> NodeStatus {
    NodeStatus {
        capacity: Some(resources(config)),
        allocatable: Some(resources(config)),
        conditions: Some(conditions(health, old, now)),
        addresses: Some(vec![
            NodeAddress {
                type_: "InternalIP".to_owned(),
                address: LOOPBACK.to_owned(),
            },
            NodeAddress {
                type_: "Hostname".to_owned(),
                address: config.name.clone(),
            },
        ]),
        node_info: Some(NodeSystemInfo {
            machine_id: identity.machine_id.clone(),
            system_uuid: identity.machine_id.clone(),
            boot_id: identity.boot_id.clone(),
            kernel_version: identity.kernel_version.clone(),
            os_image: identity.os_image.clone(),
            container_runtime_version: format!("framefarm-runner://{}", env!("CARGO_PKG_VERSION")),
            kubelet_version: KUBELET_VERSION.to_owned(),
            kube_proxy_version: String::new(),
            operating_system: "linux".to_owned(),
            architecture: identity.architecture.clone(),
            swap: None,
        }),
        ..NodeStatus::default()
    }
}

/// The Node a kubelet registers: labels, configured taints and a ready status.
pub fn registration(config: &NodeConfig, identity: &NodeIdentity, now: Timestamp) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some(config.name.clone()),
            labels: Some(labels(config, identity)),
            ..ObjectMeta::default()
        },
        spec: Some(NodeSpec {
            taints: Some(configured_taints(config)),
            ..NodeSpec::default()
        }),
        status: Some(status(config, identity, NodeHealth::Ready, &[], now)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::config::TaintEffect;

    fn identity() -> NodeIdentity {
        NodeIdentity {
            machine_id: "m".to_owned(),
            boot_id: "b".to_owned(),
            kernel_version: "6.1".to_owned(),
            os_image: "Debian".to_owned(),
            architecture: "amd64".to_owned(),
        }
    }

    fn gpu_node() -> NodeConfig {
        NodeConfig::new("gpu-1", 8000, 32 << 30)
            .with_label("framefarm.io/pool", "gpu")
            .with_taint("nvidia.com/gpu", "true", TaintEffect::NoSchedule)
            .with_extended("nvidia.com/gpu", 2)
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + seconds).unwrap()
    }

    #[test]
    fn a_registered_node_carries_labels_taints_and_capacity() {
        let node = serde_json::to_value(registration(&gpu_node(), &identity(), at(0))).unwrap();
        assert_eq!(
            node["metadata"]["labels"]["kubernetes.io/hostname"],
            "gpu-1"
        );
        assert_eq!(node["metadata"]["labels"]["framefarm.io/pool"], "gpu");
        assert_eq!(
            node["spec"]["taints"][0],
            serde_json::json!({"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"})
        );
        assert_eq!(node["status"]["capacity"]["cpu"], "8");
        assert_eq!(node["status"]["allocatable"]["memory"], "32Gi");
        assert_eq!(node["status"]["allocatable"]["nvidia.com/gpu"], "2");
        assert_eq!(node["status"]["allocatable"]["pods"], "110");
        assert_eq!(node["status"]["conditions"][0]["type"], "Ready");
        assert_eq!(node["status"]["conditions"][0]["status"], "True");
        assert_eq!(node["status"]["conditions"][0]["reason"], "KubeletReady");
        assert_eq!(
            node["status"]["nodeInfo"]["kubeletVersion"],
            KUBELET_VERSION
        );
        assert_eq!(node["status"]["addresses"][0]["address"], "127.0.0.1");
    }

    #[test]
    fn a_lost_node_has_unknown_conditions_and_unreachable_taints() {
        let ready = conditions(NodeHealth::Ready, &[], at(0));
        let lost = conditions(NodeHealth::Lost, &ready, at(30));
        let ready_condition = &lost[0];
        assert_eq!(ready_condition.status, "Unknown");
        assert_eq!(ready_condition.reason.as_deref(), Some("NodeStatusUnknown"));
        assert_eq!(ready_condition.last_transition_time, Some(Time(at(30))));
        assert_eq!(
            ready_condition.last_heartbeat_time,
            Some(Time(at(0))),
            "the last heartbeat stays"
        );

        let lost_taints = taints(&configured_taints(&gpu_node()), NodeHealth::Lost, at(30));
        let keys: Vec<(&str, &str)> = lost_taints
            .iter()
            .map(|t| (t.key.as_str(), t.effect.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("nvidia.com/gpu", "NoSchedule"),
                ("node.kubernetes.io/unreachable", "NoSchedule"),
                ("node.kubernetes.io/unreachable", "NoExecute")
            ]
        );
        let revived = taints(&lost_taints, NodeHealth::Ready, at(60));
        assert_eq!(revived, configured_taints(&gpu_node()));
    }

    #[test]
    fn transition_times_stay_while_conditions_hold() {
        let first = conditions(NodeHealth::Ready, &[], at(0));
        let later = conditions(NodeHealth::Ready, &first, at(50));
        assert_eq!(later[0].last_transition_time, Some(Time(at(0))));
        assert_eq!(later[0].last_heartbeat_time, Some(Time(at(50))));
    }
}
