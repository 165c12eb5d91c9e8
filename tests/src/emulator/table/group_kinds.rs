//! Printers of the built-in kinds of named API groups that have one in the apiserver:
//! Deployment, Lease, RoleBinding and ClusterRoleBinding, NetworkPolicy, PodDisruptionBudget
//! and PriorityClass.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStatus};
use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::api::networking::v1::NetworkPolicySpec;
use k8s_openapi::api::rbac::v1::RoleBinding;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use serde_json::Value;

use super::Printer;
use super::age;
use super::columns::{self, Column, Row, at, field_doc, integer, items, text};
use super::selectors::{format_selector, selector_string};

fn printer(columns: Vec<Column>, row: fn(&Value, Timestamp) -> Row) -> Printer {
    Printer {
        columns,
        row: Box::new(row),
    }
}

fn age_of(object: &Value, now: Timestamp) -> Value {
    Value::String(age::since(columns::created(object), now))
}

pub(super) fn deployment() -> Printer {
    let columns = vec![
        Column::name(),
        Column::text("Ready", "Number of the pod with ready state"),
        Column::text(
            "Up-to-date",
            field_doc::<DeploymentStatus>("updatedReplicas"),
        ),
        Column::text(
            "Available",
            field_doc::<DeploymentStatus>("availableReplicas"),
        ),
        Column::age(),
        Column::text("Containers", "Names of each container in the template.").wide(),
        Column::text(
            "Images",
            "Images referenced by each container in the template.",
        )
        .wide(),
        Column::text("Selector", field_doc::<DeploymentSpec>("selector")).wide(),
    ];
    printer(columns, |deployment, now| {
        // `spec.replicas` defaults to 1 when a Deployment is created without it.
        let desired = at(deployment, &["spec", "replicas"])
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let ready = integer(deployment, &["status", "readyReplicas"]);
        let containers = items(deployment, &["spec", "template", "spec", "containers"]);
        let joined = |field: &str| {
            containers
                .iter()
                .map(|container| text(container, &[field]))
                .collect::<Vec<_>>()
                .join(",")
        };
        Row::of(vec![
            columns::name(deployment),
            Value::String(format!("{ready}/{desired}")),
            Value::from(integer(deployment, &["status", "updatedReplicas"])),
            Value::from(integer(deployment, &["status", "availableReplicas"])),
            age_of(deployment, now),
            Value::String(joined("name")),
            Value::String(joined("image")),
            Value::String(selector_string(at(deployment, &["spec", "selector"]))),
        ])
    })
}

pub(super) fn lease() -> Printer {
    let columns = vec![
        Column::name(),
        Column::text("Holder", field_doc::<LeaseSpec>("holderIdentity")),
        Column::age(),
    ];
    printer(columns, |lease, now| {
        Row::of(vec![
            columns::name(lease),
            Value::from(text(lease, &["spec", "holderIdentity"])),
            age_of(lease, now),
        ])
    })
}

pub(super) fn role_binding() -> Printer {
    let columns = vec![
        Column::name(),
        Column::text("Role", field_doc::<RoleBinding>("roleRef")),
        Column::age(),
        Column::text("Users", "Users in the roleBinding").wide(),
        Column::text("Groups", "Groups in the roleBinding").wide(),
        Column::text("ServiceAccounts", "ServiceAccounts in the roleBinding").wide(),
    ];
    printer(columns, |binding, now| {
        let subjects = items(binding, &["subjects"]);
        let of_kind = |kind: &str| {
            subjects
                .iter()
                .filter(|subject| text(subject, &["kind"]) == kind)
                .map(|subject| match kind {
                    "ServiceAccount" => format!(
                        "{}/{}",
                        text(subject, &["namespace"]),
                        text(subject, &["name"])
                    ),
                    _ => text(subject, &["name"]).to_owned(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        Row::of(vec![
            columns::name(binding),
            Value::String(format!(
                "{}/{}",
                text(binding, &["roleRef", "kind"]),
                text(binding, &["roleRef", "name"])
            )),
            age_of(binding, now),
            Value::String(of_kind("User")),
            Value::String(of_kind("Group")),
            Value::String(of_kind("ServiceAccount")),
        ])
    })
}

pub(super) fn network_policy() -> Printer {
    let columns = vec![
        Column::name(),
        Column::text(
            "Pod-Selector",
            field_doc::<NetworkPolicySpec>("podSelector"),
        ),
        Column::age(),
    ];
    printer(columns, |policy, now| {
        // The pod selector is not optional: an absent one selects every pod.
        let selector = at(policy, &["spec", "podSelector"]).cloned();
        let selector = selector.unwrap_or_else(|| serde_json::json!({}));
        Row::of(vec![
            columns::name(policy),
            Value::String(format_selector(Some(&selector))),
            age_of(policy, now),
        ])
    })
}

pub(super) fn pod_disruption_budget() -> Printer {
    let columns = vec![
        Column::name(),
        Column::text(
            "Min Available",
            "The minimum number of pods that must be available.",
        ),
        Column::text(
            "Max Unavailable",
            "The maximum number of pods that may be unavailable.",
        ),
        Column::new(
            "Allowed Disruptions",
            "integer",
            "Calculated number of pods that may be disrupted at this time.",
        ),
        Column::age(),
    ];
    printer(columns, |budget, now| {
        let int_or_string = |field: &str| match at(budget, &["spec", field]) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => "N/A".to_owned(),
        };
        Row::of(vec![
            columns::name(budget),
            Value::String(int_or_string("minAvailable")),
            Value::String(int_or_string("maxUnavailable")),
            Value::from(integer(budget, &["status", "disruptionsAllowed"])),
            age_of(budget, now),
        ])
    })
}

pub(super) fn priority_class() -> Printer {
    let doc = |field| field_doc::<PriorityClass>(field);
    let columns = vec![
        Column::name(),
        Column::new("Value", "integer", doc("value")),
        Column::new("Global-Default", "boolean", doc("globalDefault")),
        Column::age(),
        Column::text("PreemptionPolicy", doc("preemptionPolicy")),
    ];
    printer(columns, |class, now| {
        let global_default = at(class, &["globalDefault"]).and_then(Value::as_bool);
        Row::of(vec![
            columns::name(class),
            Value::from(integer(class, &["value"])),
            Value::Bool(global_default.unwrap_or(false)),
            age_of(class, now),
            Value::from(text(class, &["preemptionPolicy"])),
        ])
    })
}

#[cfg(test)]
#[path = "group_kinds_tests.rs"]
mod tests;
