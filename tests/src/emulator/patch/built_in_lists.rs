//! How the lists of the built-in kinds the emulator serves merge, from Kubernetes' own
//! `patchMergeKey`/`patchStrategy` tags and `listType`/`structType` markers (v1.33). Only the
//! lists that are not atomic are listed; everything else is atomic, as in Kubernetes.

use super::{ListKind, ListStructure, object_meta_list_kind, object_meta_map_is_atomic};

/// The list rules of one built-in kind, e.g. `BuiltInLists::for_kind("Pod")`. Unknown kinds
/// still get the `metadata` rules and atomic lists everywhere else.
#[derive(Clone, Debug)]
pub struct BuiltInLists {
    kind: String,
}

impl BuiltInLists {
    pub fn for_kind(kind: &str) -> Self {
        BuiltInLists {
            kind: kind.to_owned(),
        }
    }
}

impl ListStructure for BuiltInLists {
    fn list_kind(&self, path: &[&str]) -> ListKind {
        if let ["metadata", rest @ ..] = path {
            return object_meta_list_kind(rest);
        }
        if let ["status", "conditions"] = path {
            return map_by(&["type"]);
        }
        match (self.kind.as_str(), path) {
            ("Pod", ["spec", rest @ ..]) => pod_spec_list_kind(rest),
            ("Pod", ["status", rest @ ..]) => pod_status_list_kind(rest),
            ("Deployment", ["spec", "template", "metadata", rest @ ..]) => {
                object_meta_list_kind(rest)
            }
            ("Deployment", ["spec", "template", "spec", rest @ ..]) => pod_spec_list_kind(rest),
            ("Service", ["spec", "ports"]) => map_by(&["port", "protocol"]),
            ("Node", ["spec", "podCIDRs"]) => ListKind::Set,
            ("Node", ["status", "addresses"]) => map_by(&["type"]),
            ("ServiceAccount", ["secrets"]) => map_by(&["name"]),
            _ => ListKind::Atomic,
        }
    }

    fn map_is_atomic(&self, path: &[&str]) -> bool {
        if let ["metadata", rest @ ..] = path {
            return object_meta_map_is_atomic(rest);
        }
        match (self.kind.as_str(), path) {
            ("Deployment", ["spec", "template", "metadata", rest @ ..]) => {
                object_meta_map_is_atomic(rest)
            }
            // Label selectors and object references are `+structType=atomic`.
            ("Deployment" | "PodDisruptionBudget", ["spec", "selector"])
            | ("NetworkPolicy", ["spec", "podSelector"])
            | ("Event", ["involvedObject" | "related" | "regarding"]) => true,
            _ => false,
        }
    }
}

fn map_by(keys: &[&str]) -> ListKind {
    ListKind::Map(keys.iter().map(|key| (*key).to_owned()).collect())
}

/// The lists of a `PodSpec`, for Pods and the pod templates of workloads.
fn pod_spec_list_kind(rest: &[&str]) -> ListKind {
    match rest {
        ["containers" | "initContainers" | "ephemeralContainers"] => map_by(&["name"]),
        [
            "containers" | "initContainers" | "ephemeralContainers",
            container @ ..,
        ] => container_list_kind(container),
        ["volumes" | "imagePullSecrets" | "schedulingGates" | "resourceClaims"] => {
            map_by(&["name"])
        }
        ["hostAliases"] => map_by(&["ip"]),
        ["topologySpreadConstraints"] => map_by(&["topologyKey", "whenUnsatisfiable"]),
        _ => ListKind::Atomic,
    }
}

fn container_list_kind(rest: &[&str]) -> ListKind {
    match rest {
        ["ports"] => map_by(&["containerPort", "protocol"]),
        ["env"] => map_by(&["name"]),
        ["volumeMounts"] => map_by(&["mountPath"]),
        ["volumeDevices"] => map_by(&["devicePath"]),
        ["resources", "claims"] => map_by(&["name"]),
        _ => ListKind::Atomic,
    }
}

fn pod_status_list_kind(rest: &[&str]) -> ListKind {
    match rest {
        ["podIPs" | "hostIPs"] => map_by(&["ip"]),
        ["resourceClaimStatuses"] => map_by(&["name"]),
        _ => ListKind::Atomic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed(keys: &[&str]) -> ListKind {
        map_by(keys)
    }

    #[test]
    fn pod_containers_merge_by_name_and_their_lists_by_their_keys() {
        let pod = BuiltInLists::for_kind("Pod");
        assert_eq!(pod.list_kind(&["spec", "containers"]), keyed(&["name"]));
        assert_eq!(
            pod.list_kind(&["spec", "initContainers", "env"]),
            keyed(&["name"])
        );
        assert_eq!(
            pod.list_kind(&["spec", "containers", "ports"]),
            keyed(&["containerPort", "protocol"])
        );
        assert_eq!(
            pod.list_kind(&["spec", "containers", "volumeMounts"]),
            keyed(&["mountPath"])
        );
        assert_eq!(pod.list_kind(&["spec", "volumes"]), keyed(&["name"]));
        assert_eq!(
            pod.list_kind(&["spec", "containers", "args"]),
            ListKind::Atomic
        );
        assert_eq!(pod.list_kind(&["spec", "tolerations"]), ListKind::Atomic);
        assert_eq!(pod.list_kind(&["status", "conditions"]), keyed(&["type"]));
        assert_eq!(
            pod.list_kind(&["status", "containerStatuses"]),
            ListKind::Atomic
        );
    }

    #[test]
    fn a_deployment_template_is_a_pod_spec_with_object_metadata() {
        let deployment = BuiltInLists::for_kind("Deployment");
        assert_eq!(
            deployment.list_kind(&["spec", "template", "spec", "containers", "env"]),
            keyed(&["name"])
        );
        assert_eq!(
            deployment.list_kind(&["spec", "template", "metadata", "finalizers"]),
            ListKind::Set
        );
        assert_eq!(
            deployment.list_kind(&["spec", "containers"]),
            ListKind::Atomic
        );
        assert!(deployment.map_is_atomic(&["spec", "selector"]));
        assert!(!deployment.map_is_atomic(&["spec", "template"]));
    }

    #[test]
    fn metadata_lists_are_the_same_for_every_kind() {
        for kind in ["Pod", "ConfigMap", "RenderShot"] {
            let lists = BuiltInLists::for_kind(kind);
            assert_eq!(lists.list_kind(&["metadata", "finalizers"]), ListKind::Set);
            assert_eq!(
                lists.list_kind(&["metadata", "ownerReferences"]),
                keyed(&["uid"])
            );
            assert!(lists.map_is_atomic(&["metadata", "ownerReferences"]));
        }
    }

    #[test]
    fn other_kinds_key_their_lists_as_kubernetes_does() {
        let service = BuiltInLists::for_kind("Service");
        assert_eq!(
            service.list_kind(&["spec", "ports"]),
            keyed(&["port", "protocol"])
        );
        let node = BuiltInLists::for_kind("Node");
        assert_eq!(node.list_kind(&["status", "addresses"]), keyed(&["type"]));
        assert_eq!(node.list_kind(&["spec", "taints"]), ListKind::Atomic);
        for (kind, path) in [
            ("Role", ["rules"].as_slice()),
            ("ClusterRole", &["rules"]),
            ("RoleBinding", &["subjects"]),
            ("NetworkPolicy", &["spec", "ingress"]),
            ("CustomResourceDefinition", &["spec", "versions"]),
        ] {
            assert_eq!(
                BuiltInLists::for_kind(kind).list_kind(path),
                ListKind::Atomic,
                "{kind}"
            );
        }
        let crd = BuiltInLists::for_kind("CustomResourceDefinition");
        assert_eq!(crd.list_kind(&["status", "conditions"]), keyed(&["type"]));
    }
}
