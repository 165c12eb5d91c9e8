//! Where a pending pod goes: the scheduler's filters, scores and tie-breaks as pure functions
//! over the Node and Pod objects read from the API. Binding and reporting are the scheduler
//! loop's job (`runner::scheduler`), not this module's.

mod fit;
mod message;
mod score;
mod selectors;

#[cfg(test)]
mod tests;

use k8s_openapi::api::core::v1::Pod;

pub use fit::{
    Cluster, FitFailure, NOT_READY_TAINT, UNREACHABLE_TAINT, check_node, effective_taints,
    tolerates,
};
pub use message::unschedulable_message;

/// The name of the scheduler this runner stands in for; pods naming another are left alone.
pub const SCHEDULER_NAME: &str = "default-scheduler";

/// The scheduler's verdict for one pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Bind { node: String },
    Unschedulable { message: String },
}

/// Whether the scheduler should try to place this pod: not bound, not being deleted, not
/// finished, and meant for the default scheduler.
pub fn wants_scheduling(pod: &Pod) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return false;
    };
    let phase = pod
        .status
        .as_ref()
        .and_then(|status| status.phase.as_deref());
    spec.node_name.as_deref().unwrap_or_default().is_empty()
        && pod.metadata.deletion_timestamp.is_none()
        && !matches!(phase, Some("Succeeded" | "Failed"))
        && spec.scheduler_name.as_deref().unwrap_or(SCHEDULER_NAME) == SCHEDULER_NAME
}

/// Whether a pod holds resources on its node: bound and not finished.
pub fn occupies_node(pod: &Pod) -> bool {
    let bound = pod
        .spec
        .as_ref()
        .and_then(|spec| spec.node_name.as_deref())
        .is_some_and(|name| !name.is_empty());
    let phase = pod
        .status
        .as_ref()
        .and_then(|status| status.phase.as_deref());
    bound && !matches!(phase, Some("Succeeded" | "Failed"))
}

/// Picks a node for `pod`: the feasible node with the highest preference score, then the fewest
/// untolerated `PreferNoSchedule` taints, then the fewest pods, then the smallest name.
pub fn schedule(pod: &Pod, cluster: &Cluster) -> Decision {
    let mut failures = Vec::new();
    let mut best: Option<((i64, usize, usize), &str)> = None;
    for node in cluster.nodes {
        let name = node.metadata.name.as_deref().unwrap_or_default();
        match check_node(pod, node, cluster) {
            Err(node_failures) => failures.push(node_failures),
            Ok(()) => {
                let rank = (
                    -score::preference_score(pod, node, cluster),
                    score::untolerated_soft_taints(pod, node),
                    cluster.pods_on(name).count(),
                );
                if best.is_none_or(|(best_rank, best_name)| (rank, name) < (best_rank, best_name)) {
                    best = Some((rank, name));
                }
            }
        }
    }
    match best {
        Some((_, node)) => Decision::Bind {
            node: node.to_owned(),
        },
        None => {
            let may_preempt = pod
                .spec
                .as_ref()
                .and_then(|spec| spec.preemption_policy.as_deref())
                != Some("Never");
            Decision::Unschedulable {
                message: unschedulable_message(&failures, may_preempt),
            }
        }
    }
}
