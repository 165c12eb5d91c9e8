//! The message of a pod the scheduler cannot place, worded as kube-scheduler words it:
//! `0/2 nodes are available: 2 Insufficient nvidia.com/gpu. preemption: 0/2 nodes are
//! available: 2 No preemption victims found for incoming pod.` Pure.

use std::collections::BTreeMap;

use super::fit::FitFailure;

/// What the scheduler reports when there is no node at all.
pub const NO_NODES: &str = "no nodes available to schedule pods";

/// The message for a pod no node could take, from each node's failures. The preemption part
/// reflects that the runner never preempts: nodes failing only on capacity have "no victims",
/// the others are "not helpful".
pub fn unschedulable_message(per_node: &[Vec<FitFailure>], may_preempt: bool) -> String {
    if per_node.is_empty() {
        return NO_NODES.to_owned();
    }
    let total = per_node.len();
    let mut reasons = BTreeMap::<String, usize>::new();
    for failures in per_node {
        for failure in failures {
            *reasons.entry(failure.reason()).or_insert(0) += 1;
        }
    }
    let filters = histogram(reasons);
    let preemption = if may_preempt {
        let mut outcomes = BTreeMap::<String, usize>::new();
        for failures in per_node {
            let outcome = if failures.iter().all(FitFailure::preemption_may_help) {
                "No preemption victims found for incoming pod"
            } else {
                "Preemption is not helpful for scheduling"
            };
            *outcomes.entry(outcome.to_owned()).or_insert(0) += 1;
        }
        format!(
            "preemption: 0/{total} nodes are available: {}.",
            histogram(outcomes)
        )
    } else {
        "preemption: not eligible due to preemptionPolicy=Never.".to_owned()
    };
    format!("0/{total} nodes are available: {filters}. {preemption}")
}

/// `"{count} {reason}"` entries sorted as strings, the way the scheduler sorts them.
fn histogram(counts: BTreeMap<String, usize>) -> String {
    let mut entries: Vec<String> = counts
        .into_iter()
        .map(|(reason, count)| format!("{count} {reason}"))
        .collect();
    entries.sort();
    entries.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_failures_find_no_preemption_victims() {
        let gpu = FitFailure::Insufficient("nvidia.com/gpu".to_owned());
        let message = unschedulable_message(&[vec![gpu.clone()], vec![gpu]], true);
        assert_eq!(
            message,
            "0/2 nodes are available: 2 Insufficient nvidia.com/gpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
        );
    }

    #[test]
    fn reasons_are_counted_and_sorted_and_unresolvable_nodes_are_not_helped_by_preemption() {
        let taint = FitFailure::UntoleratedTaint {
            key: "node.kubernetes.io/unreachable".to_owned(),
            value: String::new(),
        };
        let message = unschedulable_message(
            &[
                vec![taint],
                vec![
                    FitFailure::Insufficient("cpu".to_owned()),
                    FitFailure::Insufficient("memory".to_owned()),
                ],
                vec![FitFailure::NodeAffinity],
            ],
            true,
        );
        assert_eq!(
            message,
            "0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn a_pod_that_never_preempts_says_so() {
        let message = unschedulable_message(&[vec![FitFailure::TooManyPods]], false);
        assert_eq!(
            message,
            "0/1 nodes are available: 1 Too many pods. preemption: not eligible due to preemptionPolicy=Never."
        );
    }

    #[test]
    fn no_nodes_at_all_has_its_own_message() {
        assert_eq!(unschedulable_message(&[], true), NO_NODES);
    }
}
