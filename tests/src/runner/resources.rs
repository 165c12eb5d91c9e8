//! Resource arithmetic shared by the scheduler and the downward API: a pod's effective requests
//! (containers summed, the largest init container, overhead), a container's limits, and a node's
//! allocatable resources, all in thousandths of a unit. Pure.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Node, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::quantity;

/// Resource name → value in thousandths of its unit (millicores, millibytes, milli-GPUs).
pub type ResourceList = BTreeMap<String, i128>;

fn read(list: Option<&BTreeMap<String, Quantity>>) -> ResourceList {
    list.into_iter()
        .flatten()
        .filter_map(|(name, value)| Some((name.clone(), quantity::parse_milli(&value.0)?)))
        .collect()
}

/// A container's limits.
pub fn container_limits(container: &Container) -> ResourceList {
    read(
        container
            .resources
            .as_ref()
            .and_then(|resources| resources.limits.as_ref()),
    )
}

/// A container's requests as the apiserver defaults them: a resource with a limit and no
/// request requests its limit.
pub fn container_requests(container: &Container) -> ResourceList {
    let mut requests = read(
        container
            .resources
            .as_ref()
            .and_then(|resources| resources.requests.as_ref()),
    );
    for (name, limit) in container_limits(container) {
        requests.entry(name).or_insert(limit);
    }
    requests
}

/// What a pod asks of a node: its containers (and sidecar init containers) summed, or the
/// largest regular init container where that is more, plus the pod overhead.
pub fn pod_requests(spec: &PodSpec) -> ResourceList {
    let mut total = ResourceList::new();
    let init_containers = spec.init_containers.as_deref().unwrap_or_default();
    let sidecars = init_containers
        .iter()
        .filter(|container| container.restart_policy.as_deref() == Some("Always"));
    for container in spec.containers.iter().chain(sidecars) {
        for (name, value) in container_requests(container) {
            *total.entry(name).or_insert(0) += value;
        }
    }
    let regular_init = init_containers
        .iter()
        .filter(|container| container.restart_policy.as_deref() != Some("Always"));
    for container in regular_init {
        for (name, value) in container_requests(container) {
            let entry = total.entry(name).or_insert(0);
            *entry = (*entry).max(value);
        }
    }
    for (name, value) in read(spec.overhead.as_ref()) {
        *total.entry(name).or_insert(0) += value;
    }
    total
}

/// What a node offers pods, from `status.allocatable` (or `status.capacity` when a node
/// reports no allocatable).
pub fn node_allocatable(node: &Node) -> ResourceList {
    let status = node.status.as_ref();
    let allocatable = status.and_then(|status| status.allocatable.as_ref());
    read(allocatable.or_else(|| status.and_then(|status| status.capacity.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(value: serde_json::Value) -> PodSpec {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn containers_add_up_and_init_containers_take_the_maximum() {
        let spec = spec(json!({
            "initContainers": [
                {"name": "fetch", "resources": {"requests": {"cpu": "3", "memory": "64Mi"}}}
            ],
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "1", "memory": "128Mi"}}},
                {"name": "b", "resources": {"requests": {"cpu": "500m", "memory": "128Mi"}}}
            ]
        }));
        let requests = pod_requests(&spec);
        assert_eq!(
            requests["cpu"], 3000,
            "the init container needs more cpu than both containers"
        );
        assert_eq!(requests["memory"], (256i128 << 20) * 1000);
    }

    #[test]
    fn a_limit_without_a_request_is_requested() {
        let spec = spec(json!({
            "containers": [
                {"name": "render", "resources": {"limits": {"nvidia.com/gpu": "1", "cpu": "2"}, "requests": {"cpu": "1"}}}
            ]
        }));
        let requests = pod_requests(&spec);
        assert_eq!(requests["nvidia.com/gpu"], 1000);
        assert_eq!(requests["cpu"], 1000, "an explicit request is kept");
    }

    #[test]
    fn sidecars_and_overhead_add_to_the_pod() {
        let spec = spec(json!({
            "initContainers": [
                {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "250m"}}}
            ],
            "containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}],
            "overhead": {"cpu": "100m"}
        }));
        assert_eq!(pod_requests(&spec)["cpu"], 1350);
    }

    #[test]
    fn node_allocatable_falls_back_to_capacity() {
        let node: Node = serde_json::from_value(json!({
            "metadata": {"name": "n"},
            "status": {"capacity": {"cpu": "4", "pods": "110"}}
        }))
        .unwrap();
        let allocatable = node_allocatable(&node);
        assert_eq!(allocatable["cpu"], 4000);
        assert_eq!(allocatable["pods"], 110_000);
    }
}
