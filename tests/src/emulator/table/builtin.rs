//! Which printer renders a built-in kind, and the apiserver's default table (`Name`,
//! `Created At`) for kinds without a printer of their own (Roles, ClusterRoles,
//! CustomResourceDefinitions). The printers themselves live in `core_kinds` and `group_kinds`.

use serde_json::Value;

use super::columns::{self, Column, Row};
use super::{Printer, core_kinds, group_kinds, pod};

pub(super) fn printer(group: &str, kind: &str) -> Printer {
    match (group, kind) {
        ("", "Pod") => pod::printer(),
        ("", "Node") => core_kinds::node(),
        ("", "Namespace") => core_kinds::namespace(),
        ("", "Event") | ("events.k8s.io", "Event") => core_kinds::event(group),
        ("", "Secret") => core_kinds::secret(),
        ("", "ServiceAccount") => core_kinds::service_account(),
        ("", "ConfigMap") => core_kinds::config_map(),
        ("", "Service") => core_kinds::service(),
        ("apps", "Deployment") => group_kinds::deployment(),
        ("coordination.k8s.io", "Lease") => group_kinds::lease(),
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            group_kinds::role_binding()
        }
        ("networking.k8s.io", "NetworkPolicy") => group_kinds::network_policy(),
        ("policy", "PodDisruptionBudget") => group_kinds::pod_disruption_budget(),
        ("scheduling.k8s.io", "PriorityClass") => group_kinds::priority_class(),
        _ => created_at(),
    }
}

/// `rest.NewDefaultTableConvertor`: the name and the creation time as an RFC 3339 date.
fn created_at() -> Printer {
    Printer {
        columns: vec![
            Column::name(),
            Column::new(
                "Created At",
                "date",
                columns::object_meta_doc("creationTimestamp"),
            ),
        ],
        row: Box::new(|object, _now| {
            let created = columns::created(object)
                .and_then(super::age::parse_time)
                .map_or_else(|| "0001-01-01T00:00:00Z".to_owned(), rfc3339_utc);
            Row::of(vec![columns::name(object), Value::String(created)])
        }),
    }
}

/// Go's `time.RFC3339` of a UTC time: whole seconds, `Z`.
fn rfc3339_utc(timestamp: jiff::Timestamp) -> String {
    timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_without_a_printer_show_name_and_creation_time() {
        let printer = printer("rbac.authorization.k8s.io", "Role");
        let names: Vec<&str> = printer.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Name", "Created At"]);
        assert_eq!(printer.columns[1].column_type, "date");
        let role = json!({"metadata": {"name": "reader",
                                       "creationTimestamp": "2025-03-01T11:00:00.5+01:00"}});
        let now = "2025-03-01T12:00:00Z".parse().unwrap();
        assert_eq!(
            printer.row(&role, now).cells,
            [json!("reader"), json!("2025-03-01T10:00:00Z")]
        );
    }

    #[test]
    fn custom_resource_definitions_use_the_default_table() {
        let printer = printer("apiextensions.k8s.io", "CustomResourceDefinition");
        assert_eq!(printer.columns[1].name, "Created At");
    }
}
