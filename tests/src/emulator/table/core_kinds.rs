//! Printers of the core (`v1`) kinds other than Pod: Node, Namespace, Event (also serving
//! `events.k8s.io/v1` Events, which the apiserver prints as core Events), Secret,
//! ServiceAccount, ConfigMap and Service, with the apiserver's columns and cell rules.

use std::collections::BTreeSet;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    ConfigMap, Event, NodeStatus, NodeSystemInfo, ObjectReference, Secret, ServiceAccount,
    ServiceSpec,
};
use serde_json::Value;

use super::Printer;
use super::age;
use super::columns::{self, Column, Row, at, count, field_doc, integer, items, text};
use super::selectors::format_labels;

fn printer(columns: Vec<Column>, row: fn(&Value, Timestamp) -> Row) -> Printer {
    Printer {
        columns,
        row: Box::new(row),
    }
}

fn age_of(object: &Value, now: Timestamp) -> Value {
    Value::String(age::since(columns::created(object), now))
}

pub(super) fn node() -> Printer {
    let info = |field| field_doc::<NodeSystemInfo>(field);
    let columns = vec![
        Column::name(),
        Column::text("Status", "The status of the node"),
        Column::text("Roles", "The roles of the node"),
        Column::age(),
        Column::text("Version", info("kubeletVersion")),
        Column::text("Internal-IP", field_doc::<NodeStatus>("addresses")).wide(),
        Column::text("External-IP", field_doc::<NodeStatus>("addresses")).wide(),
        Column::text("OS-Image", info("osImage")).wide(),
        Column::text("Kernel-Version", info("kernelVersion")).wide(),
        Column::text("Container-Runtime", info("containerRuntimeVersion")).wide(),
    ];
    printer(columns, |node, now| {
        let ready = items(node, &["status", "conditions"])
            .iter()
            .find(|condition| text(condition, &["type"]) == "Ready");
        let mut status = vec![match ready {
            Some(ready) if text(ready, &["status"]) == "True" => "Ready",
            Some(_) => "NotReady",
            None => "Unknown",
        }];
        if at(node, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true) {
            status.push("SchedulingDisabled");
        }
        let address = |kind: &str| {
            items(node, &["status", "addresses"])
                .iter()
                .find(|address| text(address, &["type"]) == kind)
                .map_or("<none>", |address| text(address, &["address"]))
                .to_owned()
        };
        let info = |field: &str| match text(node, &["status", "nodeInfo", field]) {
            "" => "<unknown>".to_owned(),
            value => value.to_owned(),
        };
        Row::of(vec![
            columns::name(node),
            Value::String(status.join(",")),
            Value::String(node_roles(node)),
            age_of(node, now),
            Value::from(text(node, &["status", "nodeInfo", "kubeletVersion"])),
            Value::String(address("InternalIP")),
            Value::String(address("ExternalIP")),
            Value::String(info("osImage")),
            Value::String(info("kernelVersion")),
            Value::String(info("containerRuntimeVersion")),
        ])
    })
}

/// Roles from `node-role.kubernetes.io/<role>` labels and the `kubernetes.io/role` label.
fn node_roles(node: &Value) -> String {
    let mut roles = BTreeSet::new();
    if let Some(labels) = at(node, &["metadata", "labels"]).and_then(Value::as_object) {
        for (key, value) in labels {
            let value = value.as_str().unwrap_or_default();
            if let Some(role) = key.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.insert(role.to_owned());
                }
            } else if key == "kubernetes.io/role" && !value.is_empty() {
                roles.insert(value.to_owned());
            }
        }
    }
    if roles.is_empty() {
        "<none>".to_owned()
    } else {
        roles.into_iter().collect::<Vec<_>>().join(",")
    }
}

pub(super) fn namespace() -> Printer {
    let columns = vec![
        Column::name(),
        Column::text("Status", "The status of the namespace"),
        Column::age(),
    ];
    printer(columns, |namespace, now| {
        Row::of(vec![
            columns::name(namespace),
            Value::from(text(namespace, &["status", "phase"])),
            age_of(namespace, now),
        ])
    })
}

/// The fields of a core Event, whichever of the two Event APIs it was written through.
struct EventFields<'a> {
    first_timestamp: &'a str,
    last_timestamp: &'a str,
    event_time: &'a str,
    count: i64,
    series: Option<&'a Value>,
    involved: Option<&'a Value>,
    source: Option<&'a Value>,
    message: &'a str,
}

impl<'a> EventFields<'a> {
    fn read(event: &'a Value, group: &str) -> Self {
        // events.k8s.io/v1 renames the fields the core printer reads.
        let [first, last, count, involved, source, message] = if group.is_empty() {
            [
                "firstTimestamp",
                "lastTimestamp",
                "count",
                "involvedObject",
                "source",
                "message",
            ]
        } else {
            [
                "deprecatedFirstTimestamp",
                "deprecatedLastTimestamp",
                "deprecatedCount",
                "regarding",
                "deprecatedSource",
                "note",
            ]
        };
        EventFields {
            first_timestamp: text(event, &[first]),
            last_timestamp: text(event, &[last]),
            event_time: text(event, &["eventTime"]),
            count: integer(event, &[count]),
            series: at(event, &["series"]),
            involved: at(event, &[involved]),
            source: at(event, &[source]),
            message: text(event, &[message]),
        }
    }
}

pub(super) fn event(group: &str) -> Printer {
    let doc = |field| field_doc::<Event>(field);
    let columns = vec![
        Column::text("Last Seen", doc("lastTimestamp")),
        Column::text("Type", doc("type")),
        Column::text("Reason", doc("reason")),
        Column::text("Object", doc("involvedObject")),
        Column::text("Subobject", field_doc::<ObjectReference>("fieldPath")).wide(),
        Column::text("Source", doc("source")).wide(),
        Column::text("Message", doc("message")),
        Column::text("First Seen", doc("firstTimestamp")).wide(),
        Column::text("Count", doc("count")).wide(),
        Column::name().wide(),
    ];
    let group = group.to_owned();
    Printer {
        columns,
        row: Box::new(move |event, now| event_row(event, &group, now)),
    }
}

fn event_row(event: &Value, group: &str, now: Timestamp) -> Row {
    let fields = EventFields::read(event, group);
    let nonempty = |text: &str| Some(text.to_owned()).filter(|text| !text.is_empty());
    let first_seen = nonempty(fields.first_timestamp)
        .or_else(|| nonempty(fields.event_time))
        .map_or_else(|| "<unknown>".to_owned(), |t| age::since(Some(&t), now));
    let mut last_seen = match fields.last_timestamp {
        "" => first_seen.clone(),
        last => age::since(Some(last), now),
    };
    let mut count = fields.count;
    if let Some(series) = fields.series {
        last_seen = age::since(Some(text(series, &["lastObservedTime"])), now);
        count = integer(series, &["count"]);
    } else if count == 0 {
        count = 1;
    }
    let empty = Value::Null;
    let involved = fields.involved.unwrap_or(&empty);
    let kind = text(involved, &["kind"]).to_lowercase();
    let target = match text(involved, &["name"]) {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let source = fields.source.unwrap_or(&empty);
    let first_nonempty = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_owned()
        } else {
            a.to_owned()
        }
    };
    let component = first_nonempty(
        text(source, &["component"]),
        text(event, &["reportingController"]),
    );
    let instance = first_nonempty(text(source, &["host"]), text(event, &["reportingInstance"]));
    let source = if instance.is_empty() {
        component
    } else {
        format!("{component}, {instance}")
    };
    Row::of(vec![
        Value::String(last_seen),
        Value::from(text(event, &["type"])),
        Value::from(text(event, &["reason"])),
        Value::String(target),
        Value::from(text(involved, &["fieldPath"])),
        Value::String(source),
        Value::from(fields.message.trim()),
        Value::String(first_seen),
        Value::from(count),
        columns::name(event),
    ])
}

pub(super) fn secret() -> Printer {
    let columns = vec![
        Column::name(),
        Column::text("Type", field_doc::<Secret>("type")),
        Column::text("Data", field_doc::<Secret>("data")),
        Column::age(),
    ];
    printer(columns, |secret, now| {
        Row::of(vec![
            columns::name(secret),
            Value::from(text(secret, &["type"])),
            Value::from(count(secret, &["data"])),
            age_of(secret, now),
        ])
    })
}

pub(super) fn service_account() -> Printer {
    let columns = vec![
        Column::name(),
        Column::text("Secrets", field_doc::<ServiceAccount>("secrets")),
        Column::age(),
    ];
    printer(columns, |account, now| {
        Row::of(vec![
            columns::name(account),
            Value::from(count(account, &["secrets"])),
            age_of(account, now),
        ])
    })
}

pub(super) fn config_map() -> Printer {
    let columns = vec![
        Column::name(),
        Column::text("Data", field_doc::<ConfigMap>("data")),
        Column::age(),
    ];
    printer(columns, |map, now| {
        let entries = count(map, &["data"]) + count(map, &["binaryData"]);
        Row::of(vec![
            columns::name(map),
            Value::from(entries),
            age_of(map, now),
        ])
    })
}

pub(super) fn service() -> Printer {
    let doc = |field| field_doc::<ServiceSpec>(field);
    let columns = vec![
        Column::name(),
        Column::text("Type", doc("type")),
        Column::text("Cluster-IP", doc("clusterIP")),
        Column::text("External-IP", doc("externalIPs")),
        Column::text("Port(s)", doc("ports")),
        Column::age(),
        Column::text("Selector", doc("selector")).wide(),
    ];
    printer(columns, |service, now| {
        let cluster_ip = items(service, &["spec", "clusterIPs"])
            .first()
            .and_then(Value::as_str)
            .unwrap_or("<none>");
        let ports: Vec<String> = items(service, &["spec", "ports"])
            .iter()
            .map(|port| {
                let number = integer(port, &["port"]);
                let protocol = text(port, &["protocol"]);
                match integer(port, &["nodePort"]) {
                    node_port if node_port > 0 => format!("{number}:{node_port}/{protocol}"),
                    _ => format!("{number}/{protocol}"),
                }
            })
            .collect();
        let ports = if ports.is_empty() {
            "<none>".to_owned()
        } else {
            ports.join(",")
        };
        Row::of(vec![
            columns::name(service),
            Value::from(text(service, &["spec", "type"])),
            Value::from(cluster_ip),
            Value::String(external_ip(service)),
            Value::String(ports),
            age_of(service, now),
            Value::String(format_labels(at(service, &["spec", "selector"]))),
        ])
    })
}

/// The External-IP cell of a Service, by its type.
fn external_ip(service: &Value) -> String {
    let external: Vec<&str> = items(service, &["spec", "externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match text(service, &["spec", "type"]) {
        "ClusterIP" | "NodePort" if external.is_empty() => "<none>".to_owned(),
        "ClusterIP" | "NodePort" => external.join(","),
        "LoadBalancer" => {
            let balancers: BTreeSet<&str> = items(service, &["status", "loadBalancer", "ingress"])
                .iter()
                .map(|ingress| match text(ingress, &["ip"]) {
                    "" => text(ingress, &["hostname"]),
                    ip => ip,
                })
                .filter(|address| !address.is_empty())
                .collect();
            let all: Vec<&str> = balancers.into_iter().chain(external).collect();
            if all.is_empty() {
                "<pending>".to_owned()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => text(service, &["spec", "externalName"]).to_owned(),
        _ => "<unknown>".to_owned(),
    }
}

#[cfg(test)]
#[path = "core_kinds_tests.rs"]
mod tests;
