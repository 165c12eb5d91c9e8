//! Where a render pod may run and what it may use: the user's resources, tolerations and
//! affinity, plus what the operator adds to them (limits for extended resources, the GPU
//! toleration, a preference for nodes whose cache holds the scene, and avoiding nodes where
//! frames of the job failed). It never drops or rewrites a term the user wrote.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelectorRequirement, NodeSelectorTerm, PodAffinity,
    PodAffinityTerm, PreferredSchedulingTerm, ResourceRequirements, Toleration,
    WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::names::{COMPONENT_LABEL, RENDER_COMPONENT, SHOT_LABEL};

/// The extended resource of NVIDIA GPUs, and the taint GPU node pools carry.
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";
const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
/// Same-shot pods are a hint (a warm cache), weaker than avoiding nodes where frames failed.
const SAME_SHOT_WEIGHT: i32 = 50;
const AVOID_NODES_WEIGHT: i32 = 100;

/// The user's resources, with every extended resource request given the equal limit
/// Kubernetes requires. CPU and memory requests without limits stay as they are.
pub fn render_resources(user: Option<&ResourceRequirements>) -> Option<ResourceRequirements> {
    let mut resources = user?.clone();
    let missing_limits: BTreeMap<_, _> = resources
        .requests
        .iter()
        .flatten()
        .filter(|(name, _)| is_extended_resource(name))
        .filter(|(name, _)| {
            !resources
                .limits
                .as_ref()
                .is_some_and(|limits| limits.contains_key(*name))
        })
        .map(|(name, quantity)| (name.clone(), quantity.clone()))
        .collect();
    if !missing_limits.is_empty() {
        resources
            .limits
            .get_or_insert_with(BTreeMap::new)
            .extend(missing_limits);
    }
    Some(resources)
}

/// Whether `name` is an extended resource: a domain-prefixed name outside kubernetes.io,
/// such as `nvidia.com/gpu`.
fn is_extended_resource(name: &str) -> bool {
    name.split_once('/')
        .is_some_and(|(domain, _)| domain != "kubernetes.io" && !domain.ends_with(".kubernetes.io"))
}

/// Whether the resources ask for NVIDIA GPUs.
pub fn asks_for_gpus(resources: Option<&ResourceRequirements>) -> bool {
    resources.is_some_and(|resources| {
        [&resources.requests, &resources.limits]
            .into_iter()
            .flatten()
            .any(|entries| entries.contains_key(GPU_RESOURCE))
    })
}

/// The user's tolerations, plus the GPU taint's toleration for pods asking for GPUs: what the
/// ExtendedResourceToleration admission plugin adds on clusters that enable it.
pub fn render_tolerations(user: &[Toleration], wants_gpus: bool) -> Vec<Toleration> {
    let mut tolerations = user.to_vec();
    let gpu = Toleration {
        key: Some(GPU_RESOURCE.into()),
        operator: Some("Exists".into()),
        effect: Some("NoSchedule".into()),
        ..Toleration::default()
    };
    if wants_gpus && !tolerations.contains(&gpu) {
        tolerations.push(gpu);
    }
    tolerations
}

/// The user's affinity with the operator's preferences added: nodes running pods of the same
/// shot (their cache holds the scene) and, when given, not the nodes in `avoid_nodes`.
pub fn render_affinity(
    user: Option<&Affinity>,
    shot: Option<&str>,
    avoid_nodes: &BTreeSet<String>,
) -> Option<Affinity> {
    let mut affinity = user.cloned().unwrap_or_default();
    if let Some(shot) = shot {
        let same_shot = WeightedPodAffinityTerm {
            weight: SAME_SHOT_WEIGHT,
            pod_affinity_term: PodAffinityTerm {
                label_selector: Some(LabelSelector {
                    match_labels: Some(BTreeMap::from([
                        (SHOT_LABEL.to_owned(), shot.to_owned()),
                        (COMPONENT_LABEL.to_owned(), RENDER_COMPONENT.to_owned()),
                    ])),
                    match_expressions: None,
                }),
                topology_key: HOSTNAME_LABEL.into(),
                ..PodAffinityTerm::default()
            },
        };
        affinity
            .pod_affinity
            .get_or_insert_with(PodAffinity::default)
            .preferred_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(same_shot);
    }
    if !avoid_nodes.is_empty() {
        let elsewhere = PreferredSchedulingTerm {
            weight: AVOID_NODES_WEIGHT,
            preference: NodeSelectorTerm {
                match_expressions: Some(vec![NodeSelectorRequirement {
                    key: HOSTNAME_LABEL.into(),
                    operator: "NotIn".into(),
                    values: Some(avoid_nodes.iter().cloned().collect()),
                }]),
                match_fields: None,
            },
        };
        affinity
            .node_affinity
            .get_or_insert_with(NodeAffinity::default)
            .preferred_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(elsewhere);
    }
    (affinity != Affinity::default()).then_some(affinity)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    use super::*;

    fn quantities(entries: &[(&str, &str)]) -> Option<BTreeMap<String, Quantity>> {
        Some(
            entries
                .iter()
                .map(|(name, value)| ((*name).to_owned(), Quantity((*value).to_owned())))
                .collect(),
        )
    }

    #[test]
    fn extended_resources_are_told_apart_from_kubernetes_ones() {
        assert!(is_extended_resource("nvidia.com/gpu"));
        assert!(is_extended_resource("amd.com/gpu"));
        assert!(!is_extended_resource("cpu"));
        assert!(!is_extended_resource("hugepages-2Mi"));
        assert!(!is_extended_resource("kubernetes.io/batch-cpu"));
        assert!(!is_extended_resource("example.kubernetes.io/thing"));
    }

    #[test]
    fn a_user_limit_is_never_replaced() {
        let user = ResourceRequirements {
            requests: quantities(&[("nvidia.com/gpu", "1"), ("memory", "8Gi")]),
            limits: quantities(&[("nvidia.com/gpu", "2")]),
            ..ResourceRequirements::default()
        };
        let resources = render_resources(Some(&user));
        assert_eq!(resources, Some(user));
        assert_eq!(render_resources(None), None);
    }

    #[test]
    fn no_affinity_is_added_to_a_lone_job_without_failures() {
        assert_eq!(render_affinity(None, None, &BTreeSet::new()), None);
    }

    #[test]
    fn an_equal_gpu_toleration_is_not_repeated() {
        let once = render_tolerations(&[], true);
        assert_eq!(render_tolerations(&once, true), once);
        assert!(render_tolerations(&[], false).is_empty());
    }
}
