//! The scheduler's filters: whether one node can take a pod, and if not, why, in the words the
//! real scheduler uses. Runs the filters in the default profile's order and stops at the first
//! that fails, as the scheduling framework does. Pure.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Pod, PodAffinityTerm, Taint, Toleration};

use super::selectors::{label_selector_matches, node_term_matches};
use crate::runner::resources::{node_allocatable, pod_requests};

pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";
pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
pub const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";

/// Why a node cannot take a pod.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FitFailure {
    Unschedulable,
    UntoleratedTaint { key: String, value: String },
    NodeAffinity,
    TooManyPods,
    Insufficient(String),
    PodAffinity,
    PodAntiAffinity,
}

impl FitFailure {
    /// The reason as `FailedScheduling` messages count it.
    pub fn reason(&self) -> String {
        match self {
            FitFailure::Unschedulable => "node(s) were unschedulable".to_owned(),
            FitFailure::UntoleratedTaint { key, value } => {
                format!("node(s) had untolerated taint {{{key}: {value}}}")
            }
            FitFailure::NodeAffinity => {
                "node(s) didn't match Pod's node affinity/selector".to_owned()
            }
            FitFailure::TooManyPods => "Too many pods".to_owned(),
            FitFailure::Insufficient(resource) => format!("Insufficient {resource}"),
            FitFailure::PodAffinity => "node(s) didn't match pod affinity rules".to_owned(),
            FitFailure::PodAntiAffinity => {
                "node(s) didn't match pod anti-affinity rules".to_owned()
            }
        }
    }

    /// Whether evicting other pods could make room: only for capacity and anti-affinity; the
    /// other filters are "unschedulable and unresolvable".
    pub fn preemption_may_help(&self) -> bool {
        matches!(
            self,
            FitFailure::TooManyPods | FitFailure::Insufficient(_) | FitFailure::PodAntiAffinity
        )
    }
}

/// The nodes and the pods already placed on them (bound and not terminal).
#[derive(Clone, Copy, Debug)]
pub struct Cluster<'a> {
    pub nodes: &'a [Node],
    pub placed: &'a [Pod],
}

impl<'a> Cluster<'a> {
    pub fn pods_on(&self, node: &'a str) -> impl Iterator<Item = &'a Pod> + 'a {
        self.placed.iter().filter(move |pod| {
            pod.spec.as_ref().and_then(|spec| spec.node_name.as_deref()) == Some(node)
        })
    }

    fn node_labels(&self, name: &str) -> BTreeMap<String, String> {
        self.nodes
            .iter()
            .find(|node| node.metadata.name.as_deref() == Some(name))
            .and_then(|node| node.metadata.labels.clone())
            .unwrap_or_default()
    }
}

/// One filter plugin: the reasons a node fails it, or none.
type Filter = fn(&Pod, &Node, &Cluster) -> Vec<FitFailure>;

/// Runs the filters for one node.
pub fn check_node(pod: &Pod, node: &Node, cluster: &Cluster) -> Result<(), Vec<FitFailure>> {
    let filters: [Filter; 5] = [
        check_unschedulable,
        check_taints,
        check_node_affinity,
        check_resources,
        check_pod_affinity,
    ];
    for filter in filters {
        let failures = filter(pod, node, cluster);
        if !failures.is_empty() {
            return Err(failures);
        }
    }
    Ok(())
}

fn tolerations(pod: &Pod) -> &[Toleration] {
    pod.spec
        .as_ref()
        .and_then(|spec| spec.tolerations.as_deref())
        .unwrap_or_default()
}

/// Whether a toleration tolerates a taint: same key (or an empty key with `Exists`), same
/// effect (or none), and for `Equal` the same value.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or_default();
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" | "" => {
            !key.is_empty()
                && toleration.value.as_deref().unwrap_or_default()
                    == taint.value.as_deref().unwrap_or_default()
        }
        _ => false,
    }
}

/// A node's taints, plus the `not-ready`/`unreachable` taint the node lifecycle controller puts
/// on a node whose `Ready` condition is not `True`.
pub fn effective_taints(node: &Node) -> Vec<Taint> {
    let mut taints = node
        .spec
        .as_ref()
        .and_then(|spec| spec.taints.clone())
        .unwrap_or_default();
    let ready = node
        .status
        .as_ref()
        .and_then(|status| status.conditions.as_deref())
        .unwrap_or_default()
        .iter()
        .find(|condition| condition.type_ == "Ready")
        .map(|condition| condition.status.as_str());
    let implied = match ready {
        Some("True") => None,
        Some("Unknown") => Some(UNREACHABLE_TAINT),
        _ => Some(NOT_READY_TAINT),
    };
    if let Some(key) = implied
        && !taints.iter().any(|taint| taint.key == key)
    {
        taints.push(Taint {
            key: key.to_owned(),
            effect: "NoSchedule".to_owned(),
            ..Taint::default()
        });
    }
    taints
}

fn check_unschedulable(pod: &Pod, node: &Node, _: &Cluster) -> Vec<FitFailure> {
    let cordoned = node
        .spec
        .as_ref()
        .and_then(|spec| spec.unschedulable)
        .unwrap_or(false);
    let cordon = Taint {
        key: UNSCHEDULABLE_TAINT.to_owned(),
        effect: "NoSchedule".to_owned(),
        ..Taint::default()
    };
    if cordoned && !tolerations(pod).iter().any(|t| tolerates(t, &cordon)) {
        vec![FitFailure::Unschedulable]
    } else {
        Vec::new()
    }
}

fn check_taints(pod: &Pod, node: &Node, _: &Cluster) -> Vec<FitFailure> {
    effective_taints(node)
        .into_iter()
        .filter(|taint| taint.effect == "NoSchedule" || taint.effect == "NoExecute")
        .find(|taint| !tolerations(pod).iter().any(|t| tolerates(t, taint)))
        .map(|taint| FitFailure::UntoleratedTaint {
            key: taint.key,
            value: taint.value.unwrap_or_default(),
        })
        .into_iter()
        .collect()
}

fn check_node_affinity(pod: &Pod, node: &Node, _: &Cluster) -> Vec<FitFailure> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let selector_matches = spec
        .node_selector
        .iter()
        .flatten()
        .all(|(key, value)| labels.get(key) == Some(value));
    let required = spec
        .affinity
        .as_ref()
        .and_then(|affinity| affinity.node_affinity.as_ref())
        .and_then(|node_affinity| {
            node_affinity
                .required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    let affinity_matches = required.is_none_or(|selector| {
        selector
            .node_selector_terms
            .iter()
            .any(|term| node_term_matches(node, term))
    });
    if selector_matches && affinity_matches {
        Vec::new()
    } else {
        vec![FitFailure::NodeAffinity]
    }
}

fn check_resources(pod: &Pod, node: &Node, cluster: &Cluster) -> Vec<FitFailure> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    let node_name = node.metadata.name.as_deref().unwrap_or_default();
    let allocatable = node_allocatable(node);
    let mut used = BTreeMap::<String, i128>::new();
    let mut pod_count = 0i128;
    for other in cluster.pods_on(node_name) {
        pod_count += 1;
        for (name, value) in other.spec.as_ref().map(pod_requests).unwrap_or_default() {
            *used.entry(name).or_insert(0) += value;
        }
    }
    let mut failures = Vec::new();
    if let Some(max_pods) = allocatable.get("pods")
        && (pod_count + 1) * 1000 > *max_pods
    {
        failures.push(FitFailure::TooManyPods);
    }
    for (name, wanted) in pod_requests(spec) {
        if wanted <= 0 || name == "pods" {
            continue;
        }
        let free =
            allocatable.get(&name).copied().unwrap_or(0) - used.get(&name).copied().unwrap_or(0);
        if wanted > free {
            failures.push(FitFailure::Insufficient(name));
        }
    }
    failures
}

/// The namespaces a pod affinity term looks in: its list, or the pod's own namespace. A
/// `namespaceSelector` of `{}` means every namespace; other namespace selectors are not
/// evaluated (the runner does not read Namespace objects).
fn term_namespace_matches(pod: &Pod, term: &PodAffinityTerm, other: &Pod) -> bool {
    let all_namespaces = term.namespace_selector.as_ref().is_some_and(|selector| {
        selector.match_labels.is_none() && selector.match_expressions.is_none()
    });
    let namespaces = term.namespaces.clone().unwrap_or_default();
    let other_namespace = other.metadata.namespace.clone().unwrap_or_default();
    all_namespaces
        || if namespaces.is_empty() {
            pod.metadata.namespace.clone().unwrap_or_default() == other_namespace
        } else {
            namespaces.contains(&other_namespace)
        }
}

/// Whether `other` is one of the pods `pod`'s affinity term refers to.
pub fn term_selects(pod: &Pod, term: &PodAffinityTerm, other: &Pod) -> bool {
    let labels = other.metadata.labels.clone().unwrap_or_default();
    term_namespace_matches(pod, term, other)
        && term
            .label_selector
            .as_ref()
            .is_some_and(|selector| label_selector_matches(&labels, selector))
}

/// Whether a pod the term selects runs in the same topology domain as `node`.
pub fn term_satisfied_on(
    pod: &Pod,
    term: &PodAffinityTerm,
    node: &Node,
    cluster: &Cluster,
) -> bool {
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let Some(domain) = labels.get(&term.topology_key) else {
        return false;
    };
    cluster.placed.iter().any(|other| {
        let other_node = other
            .spec
            .as_ref()
            .and_then(|spec| spec.node_name.as_deref());
        term_selects(pod, term, other)
            && other_node.is_some_and(|name| {
                cluster.node_labels(name).get(&term.topology_key) == Some(domain)
            })
    })
}

fn check_pod_affinity(pod: &Pod, node: &Node, cluster: &Cluster) -> Vec<FitFailure> {
    let affinity = pod.spec.as_ref().and_then(|spec| spec.affinity.as_ref());
    let required = |terms: Option<&Vec<PodAffinityTerm>>| terms.cloned().unwrap_or_default();
    let affinity_terms = required(
        affinity
            .and_then(|a| a.pod_affinity.as_ref())
            .and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_ref()
            }),
    );
    let anti_affinity_terms = required(
        affinity
            .and_then(|a| a.pod_anti_affinity.as_ref())
            .and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_ref()
            }),
    );
    // The first pod of a group that selects itself may go anywhere, or it could never start.
    let first_of_its_group = |term: &PodAffinityTerm| {
        term_selects(pod, term, pod)
            && !cluster
                .placed
                .iter()
                .any(|other| term_selects(pod, term, other))
    };
    let affinity_met = affinity_terms.iter().all(|term| {
        term_satisfied_on(pod, term, node, cluster)
            || (first_of_its_group(term)
                && node
                    .metadata
                    .labels
                    .as_ref()
                    .is_some_and(|labels| labels.contains_key(&term.topology_key)))
    });
    if !affinity_met {
        return vec![FitFailure::PodAffinity];
    }
    if anti_affinity_terms
        .iter()
        .any(|term| term_satisfied_on(pod, term, node, cluster))
    {
        return vec![FitFailure::PodAntiAffinity];
    }
    Vec::new()
}
