//! Where render pods run and what they carry: resources (GPUs included), node selection,
//! priority, and the labels and annotations users add (e.g. Kueue queue labels).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, ResourceRequirements, Toleration};
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use crate::limits::{MAX_POD_METADATA_ENTRIES, MAX_TOLERATIONS};
use crate::patterns::{self, DNS_SUBDOMAIN, LABEL_KEY, LABEL_VALUE};
use crate::rules;
use crate::validation::Checker;

/// Label and annotation keys under this prefix belong to the operator.
pub const RESERVED_PREFIX: &str = "framefarm.io/";

/// Pod settings shared by every render pod of a shot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodPlacement {
    /// CPU, memory and GPU requests and limits of the render container, e.g.
    /// `limits: {nvidia.com/gpu: 1}`. Pending pods that ask for GPUs make the cluster
    /// autoscaler add GPU nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,

    /// Node labels a render node must have, e.g. `nvidia.com/gpu.product: NVIDIA-L4`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(length(max = MAX_POD_METADATA_ENTRIES), inner(length(max = 63)))]
    #[x_kube(
        validation = rules::each_key_matches(
            &patterns::LABEL_KEY,
            "keys must be label keys, e.g. node.kubernetes.io/instance-type",
        ),
        validation = label_values_rule(),
    )]
    pub node_selector: BTreeMap<String, String>,

    /// Taints render pods tolerate, e.g. the taint of a GPU node pool.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_TOLERATIONS))]
    pub tolerations: Vec<Toleration>,

    /// Node and pod affinity added to the render pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,

    /// PriorityClass of the render pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = rules::matches(
        &patterns::DNS_SUBDOMAIN,
        "must be a PriorityClass name: lowercase letters, digits, '-' and '.'",
    ))]
    pub priority_class_name: Option<String>,

    /// Labels added to the render pods, e.g. `kueue.x-k8s.io/queue-name: render`. Keys under
    /// `framefarm.io/` are set by the operator.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(length(max = MAX_POD_METADATA_ENTRIES), inner(length(max = 63)))]
    #[x_kube(
        validation = rules::each_key_matches(
            &patterns::LABEL_KEY,
            "keys must be label keys, e.g. kueue.x-k8s.io/queue-name",
        ),
        validation = label_values_rule(),
        validation = reserved_keys_rule(),
    )]
    pub pod_labels: BTreeMap<String, String>,

    /// Annotations added to the render pods. Keys under `framefarm.io/` are set by the
    /// operator.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(length(max = MAX_POD_METADATA_ENTRIES), inner(length(max = 4096)))]
    #[x_kube(
        validation = rules::each_key_matches(
            &patterns::LABEL_KEY,
            "keys must be annotation keys, e.g. example.com/cost-center",
        ),
        validation = reserved_keys_rule(),
    )]
    pub pod_annotations: BTreeMap<String, String>,

    /// ServiceAccount the render pods run as. Defaults to the operator's agent account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = rules::matches(
        &patterns::DNS_SUBDOMAIN,
        "must be a ServiceAccount name: lowercase letters, digits, '-' and '.'",
    ))]
    pub service_account_name: Option<String>,
}

fn label_values_rule() -> kube::core::Rule {
    kube::core::Rule::new(format!(
        "self.all(key, {})",
        patterns::LABEL_VALUE.cel_matches("self[key]")
    ))
    .message("values must be label values: up to 63 letters, digits, '-', '_' and '.'")
}

fn reserved_keys_rule() -> kube::core::Rule {
    kube::core::Rule::new(format!(
        "self.all(key, !key.startsWith('{RESERVED_PREFIX}'))"
    ))
    .message("keys under framefarm.io/ are set by the operator; use another prefix")
}

impl PodPlacement {
    pub(crate) fn check(&self, at: &str, checker: &mut Checker) {
        let labelled = [
            ("nodeSelector", &self.node_selector, true),
            ("podLabels", &self.pod_labels, true),
            ("podAnnotations", &self.pod_annotations, false),
        ];
        for (field, entries, values_are_labels) in labelled {
            for (key, value) in entries {
                if !LABEL_KEY.is_match(key) {
                    checker.error(
                        format!("{at}.{field}"),
                        format!("'{key}' is not a valid key"),
                    );
                }
                if values_are_labels && !LABEL_VALUE.is_match(value) {
                    checker.error(
                        format!("{at}.{field}[{key}]"),
                        format!("'{value}' is not a label value"),
                    );
                }
                if field != "nodeSelector" && key.starts_with(RESERVED_PREFIX) {
                    checker.error(
                        format!("{at}.{field}[{key}]"),
                        "keys under framefarm.io/ are set by the operator; use another prefix",
                    );
                }
            }
        }
        for (field, name) in [
            ("priorityClassName", &self.priority_class_name),
            ("serviceAccountName", &self.service_account_name),
        ] {
            if let Some(name) = name
                && !DNS_SUBDOMAIN.is_match(name)
            {
                checker.error(
                    format!("{at}.{field}"),
                    format!("'{name}' is not an object name"),
                );
            }
        }
    }
}
