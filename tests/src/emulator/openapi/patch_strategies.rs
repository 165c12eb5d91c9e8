//! The strategic-merge-patch markers of the built-in types (`patchStrategy` and
//! `patchMergeKey` in the Kubernetes Go types), which k8s-openapi's schemas leave out. kubectl
//! builds a strategic merge patch from the OpenAPI v3 schema and needs them to merge lists such
//! as `containers` by name instead of replacing them. List-type markers for server-side apply
//! are not added here.

use serde_json::{Map, Value, json};

/// (component, property, `x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`).
type Marker = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

const CORE: &str = "io.k8s.api.core.v1.";

/// Taken from the `patchStrategy`/`patchMergeKey` tags of k8s.io/api v0.33 and
/// k8s.io/apimachinery v0.33 for the types reachable from the kinds the emulator serves.
const MARKERS: &[Marker] = &[
    ("Container", "env", "merge", Some("name")),
    ("Container", "ports", "merge", Some("containerPort")),
    ("Container", "volumeDevices", "merge", Some("devicePath")),
    ("Container", "volumeMounts", "merge", Some("mountPath")),
    (
        "ContainerStatus",
        "allocatedResourcesStatus",
        "merge",
        Some("name"),
    ),
    (
        "ContainerStatus",
        "volumeMounts",
        "merge",
        Some("mountPath"),
    ),
    ("EphemeralContainer", "env", "merge", Some("name")),
    (
        "EphemeralContainer",
        "ports",
        "merge",
        Some("containerPort"),
    ),
    (
        "EphemeralContainer",
        "volumeDevices",
        "merge",
        Some("devicePath"),
    ),
    (
        "EphemeralContainer",
        "volumeMounts",
        "merge",
        Some("mountPath"),
    ),
    ("NamespaceStatus", "conditions", "merge", Some("type")),
    ("NodeSpec", "podCIDRs", "merge", None),
    ("NodeStatus", "addresses", "merge", Some("type")),
    ("NodeStatus", "conditions", "merge", Some("type")),
    (
        "PersistentVolumeClaimStatus",
        "conditions",
        "merge",
        Some("type"),
    ),
    ("PodSpec", "containers", "merge", Some("name")),
    ("PodSpec", "ephemeralContainers", "merge", Some("name")),
    ("PodSpec", "hostAliases", "merge", Some("ip")),
    ("PodSpec", "imagePullSecrets", "merge", Some("name")),
    ("PodSpec", "initContainers", "merge", Some("name")),
    (
        "PodSpec",
        "resourceClaims",
        "merge,retainKeys",
        Some("name"),
    ),
    ("PodSpec", "schedulingGates", "merge", Some("name")),
    (
        "PodSpec",
        "topologySpreadConstraints",
        "merge",
        Some("topologyKey"),
    ),
    ("PodSpec", "volumes", "merge,retainKeys", Some("name")),
    ("PodStatus", "conditions", "merge", Some("type")),
    ("PodStatus", "hostIPs", "merge", Some("ip")),
    ("PodStatus", "podIPs", "merge", Some("ip")),
    (
        "PodStatus",
        "resourceClaimStatuses",
        "merge,retainKeys",
        Some("name"),
    ),
    (
        "ReplicationControllerStatus",
        "conditions",
        "merge",
        Some("type"),
    ),
    ("ServiceAccount", "secrets", "merge", Some("name")),
    ("ServiceSpec", "ports", "merge", Some("port")),
    ("ServiceStatus", "conditions", "merge", Some("type")),
];

const OTHER_GROUPS: &[Marker] = &[
    (
        "io.k8s.api.apps.v1.DaemonSetStatus",
        "conditions",
        "merge",
        Some("type"),
    ),
    (
        "io.k8s.api.apps.v1.DeploymentSpec",
        "strategy",
        "retainKeys",
        None,
    ),
    (
        "io.k8s.api.apps.v1.DeploymentStatus",
        "conditions",
        "merge",
        Some("type"),
    ),
    (
        "io.k8s.api.apps.v1.ReplicaSetStatus",
        "conditions",
        "merge",
        Some("type"),
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetStatus",
        "conditions",
        "merge",
        Some("type"),
    ),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudgetSpec",
        "selector",
        "replace",
        None,
    ),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudgetStatus",
        "conditions",
        "merge",
        Some("type"),
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "finalizers",
        "merge",
        None,
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "ownerReferences",
        "merge",
        Some("uid"),
    ),
];

/// Adds the markers to the properties of the components present in `schemas`.
pub(super) fn mark(schemas: &mut Map<String, Value>) {
    let core = MARKERS.iter().map(|(component, property, strategy, key)| {
        (format!("{CORE}{component}"), *property, *strategy, *key)
    });
    let others = OTHER_GROUPS
        .iter()
        .map(|(component, property, strategy, key)| {
            ((*component).to_owned(), *property, *strategy, *key)
        });
    for (component, property, strategy, key) in core.chain(others) {
        let Some(schema) = schemas
            .get_mut(&component)
            .and_then(|schema| schema.pointer_mut(&format!("/properties/{property}")))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        schema.insert("x-kubernetes-patch-strategy".to_owned(), json!(strategy));
        if let Some(key) = key {
            schema.insert("x-kubernetes-patch-merge-key".to_owned(), json!(key));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_land_on_the_properties_of_present_components() {
        let mut schemas = Map::new();
        schemas.insert(
            "io.k8s.api.core.v1.PodSpec".to_owned(),
            json!({"properties": {"containers": {"type": "array"}, "nodeName": {"type": "string"}}}),
        );
        schemas.insert(
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta".to_owned(),
            json!({"properties": {"finalizers": {"type": "array"}}}),
        );
        mark(&mut schemas);
        let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        let node_name = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["nodeName"];
        assert!(node_name.get("x-kubernetes-patch-strategy").is_none());
        let finalizers =
            &schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]["finalizers"];
        assert_eq!(finalizers["x-kubernetes-patch-strategy"], "merge");
        assert!(finalizers.get("x-kubernetes-patch-merge-key").is_none());
        assert_eq!(schemas.len(), 2);
    }
}
