//! The downward API: pod fields (`metadata.name`, `metadata.labels['k']`, `spec.nodeName`,
//! `status.podIP`, …) and container resources (`limits.cpu` with a divisor) as the strings a
//! container sees in its environment or in a `downwardAPI` volume. Pure.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::runner::quantity;
use crate::runner::resources::{ResourceList, container_limits, container_requests};

/// What the downward API reads besides the pod object itself.
#[derive(Clone, Copy, Debug)]
pub struct Placement<'a> {
    pub node_name: &'a str,
    pub pod_ip: &'a str,
    pub host_ip: &'a str,
    /// Limits default to what the node offers.
    pub node_allocatable: &'a ResourceList,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DownwardError {
    #[error("failed to read field {path:?}: the downward API does not support it")]
    UnsupportedField { path: String },
    #[error("failed to read resource {resource:?}: the downward API does not support it")]
    UnsupportedResource { resource: String },
    #[error(
        "failed to read resource {resource:?} of container {container:?}: the pod has no such container"
    )]
    UnknownContainer { container: String, resource: String },
    #[error("failed to read divisor {divisor:?} of resource {resource:?}")]
    InvalidDivisor { resource: String, divisor: String },
}

/// The value of a `fieldRef`.
pub fn field_value(pod: &Pod, placement: &Placement, path: &str) -> Result<String, DownwardError> {
    let metadata = &pod.metadata;
    let spec = pod.spec.as_ref();
    let keyed = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix("['"))
            .and_then(|rest| rest.strip_suffix("']"))
    };
    let value = match path {
        "metadata.name" => metadata.name.clone().unwrap_or_default(),
        "metadata.namespace" => metadata.namespace.clone().unwrap_or_default(),
        "metadata.uid" => metadata.uid.clone().unwrap_or_default(),
        "metadata.labels" => format_map(metadata.labels.as_ref()),
        "metadata.annotations" => format_map(metadata.annotations.as_ref()),
        "spec.nodeName" => placement.node_name.to_owned(),
        "spec.serviceAccountName" => spec
            .and_then(|spec| spec.service_account_name.clone())
            .unwrap_or_default(),
        "status.podIP" | "status.podIPs" => placement.pod_ip.to_owned(),
        "status.hostIP" | "status.hostIPs" => placement.host_ip.to_owned(),
        _ => {
            if let Some(key) = keyed("metadata.labels") {
                metadata
                    .labels
                    .as_ref()
                    .and_then(|labels| labels.get(key).cloned())
                    .unwrap_or_default()
            } else if let Some(key) = keyed("metadata.annotations") {
                metadata
                    .annotations
                    .as_ref()
                    .and_then(|annotations| annotations.get(key).cloned())
                    .unwrap_or_default()
            } else {
                return Err(DownwardError::UnsupportedField {
                    path: path.to_owned(),
                });
            }
        }
    };
    Ok(value)
}

/// Labels or annotations as a `downwardAPI` volume writes them: `key="value"` lines, sorted.
fn format_map(map: Option<&std::collections::BTreeMap<String, String>>) -> String {
    map.into_iter()
        .flatten()
        .map(|(key, value)| format!("{key}={value:?}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value of a `resourceFieldRef` (`limits.cpu`, `requests.memory`, …) of one container,
/// divided by the divisor (default 1) and rounded up.
pub fn resource_value(
    pod: &Pod,
    container: &str,
    resource: &str,
    divisor: Option<&Quantity>,
    placement: &Placement,
) -> Result<String, DownwardError> {
    let spec_container = pod
        .spec
        .iter()
        .flat_map(|spec| {
            spec.containers
                .iter()
                .chain(spec.init_containers.iter().flatten())
        })
        .find(|candidate| candidate.name == container)
        .ok_or_else(|| DownwardError::UnknownContainer {
            container: container.to_owned(),
            resource: resource.to_owned(),
        })?;
    let unsupported = || DownwardError::UnsupportedResource {
        resource: resource.to_owned(),
    };
    let value = if let Some(name) = resource.strip_prefix("limits.") {
        container_limits(spec_container)
            .get(name)
            .or_else(|| placement.node_allocatable.get(name))
            .copied()
            .unwrap_or(0)
    } else if let Some(name) = resource.strip_prefix("requests.") {
        container_requests(spec_container)
            .get(name)
            .copied()
            .unwrap_or(0)
    } else {
        return Err(unsupported());
    };
    let divisor_text = divisor.map_or("1", |divisor| divisor.0.as_str());
    let divisor_milli = quantity::parse_milli(divisor_text)
        .filter(|milli| *milli > 0)
        .ok_or_else(|| DownwardError::InvalidDivisor {
            resource: resource.to_owned(),
            divisor: divisor_text.to_owned(),
        })?;
    Ok((value.div_euclid(divisor_milli) + i128::from(value % divisor_milli != 0)).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Pod {
        serde_json::from_value(json!({
            "metadata": {
                "name": "render-0", "namespace": "shots", "uid": "u-1",
                "labels": {"app": "render", "shot": "sh010"},
                "annotations": {"framefarm.io/frames": "1-10"}
            },
            "spec": {
                "serviceAccountName": "renderer",
                "containers": [{
                    "name": "main",
                    "resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "250m"}}
                }]
            }
        }))
        .unwrap()
    }

    fn placement(allocatable: &ResourceList) -> Placement<'_> {
        Placement {
            node_name: "node-a",
            pod_ip: "127.0.0.1",
            host_ip: "127.0.0.1",
            node_allocatable: allocatable,
        }
    }

    #[test]
    fn pod_fields_read_from_the_object_and_its_placement() {
        let allocatable = ResourceList::new();
        let placement = placement(&allocatable);
        let value = |path: &str| field_value(&pod(), &placement, path).unwrap();
        assert_eq!(value("metadata.name"), "render-0");
        assert_eq!(value("metadata.namespace"), "shots");
        assert_eq!(value("metadata.uid"), "u-1");
        assert_eq!(value("metadata.labels['shot']"), "sh010");
        assert_eq!(value("metadata.annotations['framefarm.io/frames']"), "1-10");
        assert_eq!(value("metadata.labels['absent']"), "");
        assert_eq!(value("spec.nodeName"), "node-a");
        assert_eq!(value("spec.serviceAccountName"), "renderer");
        assert_eq!(value("status.podIP"), "127.0.0.1");
        assert_eq!(value("status.hostIP"), "127.0.0.1");
        assert_eq!(value("metadata.labels"), "app=\"render\"\nshot=\"sh010\"");
    }

    #[test]
    fn an_unknown_field_is_an_error() {
        let allocatable = ResourceList::new();
        let error = field_value(&pod(), &placement(&allocatable), "spec.hostname").unwrap_err();
        assert_eq!(
            error,
            DownwardError::UnsupportedField {
                path: "spec.hostname".to_owned()
            }
        );
    }

    #[test]
    fn resources_divide_and_round_up_and_limits_default_to_the_node() {
        let allocatable = ResourceList::from([
            ("cpu".to_owned(), 8000),
            ("memory".to_owned(), (16i128 << 30) * 1000),
        ]);
        let placement = placement(&allocatable);
        let value = |resource: &str, divisor: Option<&str>| {
            let divisor = divisor.map(|d| Quantity(d.to_owned()));
            resource_value(&pod(), "main", resource, divisor.as_ref(), &placement).unwrap()
        };
        assert_eq!(value("limits.memory", Some("1Mi")), "1024");
        assert_eq!(
            value("requests.cpu", None),
            "1",
            "250m rounds up to one core"
        );
        assert_eq!(value("requests.cpu", Some("1m")), "250");
        assert_eq!(
            value("limits.cpu", None),
            "8",
            "no cpu limit: the node's allocatable cpu"
        );
        assert_eq!(
            value("requests.memory", None),
            (1u64 << 30).to_string(),
            "a limit is the default request"
        );
    }

    #[test]
    fn resources_of_a_container_the_pod_lacks_are_an_error() {
        let allocatable = ResourceList::new();
        let error = resource_value(
            &pod(),
            "sidecar",
            "limits.cpu",
            None,
            &placement(&allocatable),
        )
        .unwrap_err();
        assert!(matches!(error, DownwardError::UnknownContainer { .. }));
    }
}
