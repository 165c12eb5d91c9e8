//! How much a pod prefers each node that can take it: preferred node affinity, preferred pod
//! affinity and anti-affinity (weights summed, not normalised per plugin as the real scheduler
//! does), and `PreferNoSchedule` taints it does not tolerate. Pure.

use k8s_openapi::api::core::v1::{Node, Pod};

use super::fit::{Cluster, effective_taints, term_satisfied_on, tolerates};
use super::selectors::node_term_matches;

/// The sum of the weights of the pod's preferences this node meets, minus those of the
/// anti-affinity preferences it violates.
pub fn preference_score(pod: &Pod, node: &Node, cluster: &Cluster) -> i64 {
    let Some(affinity) = pod.spec.as_ref().and_then(|spec| spec.affinity.as_ref()) else {
        return 0;
    };
    let node_preferences = affinity
        .node_affinity
        .as_ref()
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or_default();
    let node_score: i64 = node_preferences
        .iter()
        .filter(|preference| node_term_matches(node, &preference.preference))
        .map(|preference| i64::from(preference.weight))
        .sum();
    let pod_preferences = affinity
        .pod_affinity
        .as_ref()
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or_default();
    let affinity_score: i64 = pod_preferences
        .iter()
        .filter(|weighted| term_satisfied_on(pod, &weighted.pod_affinity_term, node, cluster))
        .map(|weighted| i64::from(weighted.weight))
        .sum();
    let anti_preferences = affinity
        .pod_anti_affinity
        .as_ref()
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or_default();
    let anti_affinity_score: i64 = anti_preferences
        .iter()
        .filter(|weighted| term_satisfied_on(pod, &weighted.pod_affinity_term, node, cluster))
        .map(|weighted| i64::from(weighted.weight))
        .sum();
    node_score + affinity_score - anti_affinity_score
}

/// How many `PreferNoSchedule` taints of the node the pod does not tolerate.
pub fn untolerated_soft_taints(pod: &Pod, node: &Node) -> usize {
    let tolerations = pod
        .spec
        .as_ref()
        .and_then(|spec| spec.tolerations.as_deref())
        .unwrap_or_default();
    effective_taints(node)
        .iter()
        .filter(|taint| taint.effect == "PreferNoSchedule")
        .filter(|taint| !tolerations.iter().any(|t| tolerates(t, taint)))
        .count()
}
