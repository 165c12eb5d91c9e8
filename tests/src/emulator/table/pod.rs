//! The Pod table of `kubectl get pods`: Ready, the Status column's reason logic (init
//! containers, waiting and terminated reasons, `Completed`, `Terminating`), restarts with the
//! time of the last one, and the wide columns. Other kinds are printed elsewhere.

use std::sync::LazyLock;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{PodSpec, PodStatus};
use serde_json::{Value, json};

use super::Printer;
use super::age;
use super::columns::{self, Column, Row, field_doc, integer, items, text};

static COLUMNS: LazyLock<Vec<Column>> = LazyLock::new(|| {
    vec![
        Column::name(),
        Column::text(
            "Ready",
            "The aggregate readiness state of this pod for accepting traffic.",
        ),
        Column::text(
            "Status",
            "The aggregate status of the containers in this pod.",
        ),
        Column::text(
            "Restarts",
            "The number of times the containers in this pod have been restarted and when the \
             last container in this pod has restarted.",
        ),
        Column::age(),
        Column::text("IP", field_doc::<PodStatus>("podIP")).wide(),
        Column::text("Node", field_doc::<PodSpec>("nodeName")).wide(),
        Column::text(
            "Nominated Node",
            field_doc::<PodStatus>("nominatedNodeName"),
        )
        .wide(),
        Column::text("Readiness Gates", field_doc::<PodSpec>("readinessGates")).wide(),
    ]
});

pub(super) fn printer() -> Printer {
    Printer {
        columns: COLUMNS.clone(),
        row: Box::new(pod_row),
    }
}

/// The restarts of a pod's containers.
#[derive(Default)]
struct Restarts {
    count: i64,
    /// The latest `lastState.terminated.finishedAt` among the containers counted.
    last_restart: Option<Timestamp>,
}

impl Restarts {
    fn add(&mut self, status: &Value) {
        self.count += integer(status, &["restartCount"]);
        let finished = text(status, &["lastState", "terminated", "finishedAt"]);
        if let Some(finished) = age::parse_time(finished) {
            self.last_restart = Some(self.last_restart.map_or(finished, |l| l.max(finished)));
        }
    }
}

fn pod_row(pod: &Value, now: Timestamp) -> Row {
    let phase = text(pod, &["status", "phase"]);
    let mut reason = match text(pod, &["status", "reason"]) {
        "" => phase.to_owned(),
        reason => reason.to_owned(),
    };
    let conditions = items(pod, &["status", "conditions"]);
    if conditions.iter().any(|condition| {
        text(condition, &["type"]) == "PodScheduled"
            && text(condition, &["reason"]) == "SchedulingGated"
    }) {
        reason = "SchedulingGated".to_owned();
    }

    let init_specs = items(pod, &["spec", "initContainers"]);
    let is_sidecar = |name: &str| {
        init_specs
            .iter()
            .any(|spec| text(spec, &["name"]) == name && text(spec, &["restartPolicy"]) == "Always")
    };
    let sidecars = init_specs
        .iter()
        .filter(|spec| text(spec, &["restartPolicy"]) == "Always")
        .count();
    let total = items(pod, &["spec", "containers"]).len() + sidecars;

    let mut ready = 0;
    let mut all_restarts = Restarts::default();
    let mut sidecar_restarts = Restarts::default();
    let mut initializing = false;
    for (index, status) in items(pod, &["status", "initContainerStatuses"])
        .iter()
        .enumerate()
    {
        all_restarts.add(status);
        let sidecar = is_sidecar(text(status, &["name"]));
        if sidecar {
            sidecar_restarts.add(status);
        }
        let terminated = columns::at(status, &["state", "terminated"]);
        let waiting_reason = text(status, &["state", "waiting", "reason"]);
        if terminated.is_some_and(|t| integer(t, &["exitCode"]) == 0) {
            continue;
        }
        if sidecar && status["started"].as_bool() == Some(true) {
            if status["ready"].as_bool() == Some(true) {
                ready += 1;
            }
            continue;
        }
        reason = match terminated {
            Some(terminated) => match text(terminated, &["reason"]) {
                "" => match integer(terminated, &["signal"]) {
                    0 => format!("Init:ExitCode:{}", integer(terminated, &["exitCode"])),
                    signal => format!("Init:Signal:{signal}"),
                },
                why => format!("Init:{why}"),
            },
            None if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" => {
                format!("Init:{waiting_reason}")
            }
            None => format!("Init:{index}/{}", init_specs.len()),
        };
        initializing = true;
        break;
    }

    let mut restarts = all_restarts;
    if !initializing || condition_is_true(conditions, "Initialized") {
        restarts = sidecar_restarts;
        let mut has_running = false;
        for status in items(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts.add(status);
            let waiting = text(status, &["state", "waiting", "reason"]);
            let terminated = columns::at(status, &["state", "terminated"]);
            if !waiting.is_empty() {
                reason = waiting.to_owned();
            } else if let Some(terminated) = terminated {
                reason = match (
                    text(terminated, &["reason"]),
                    integer(terminated, &["signal"]),
                ) {
                    ("", 0) => format!("ExitCode:{}", integer(terminated, &["exitCode"])),
                    ("", signal) => format!("Signal:{signal}"),
                    (why, _) => why.to_owned(),
                };
            } else if status["ready"].as_bool() == Some(true)
                && columns::at(status, &["state", "running"]).is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_is_true(conditions, "Ready") {
                "Running".to_owned()
            } else {
                "NotReady".to_owned()
            };
        }
    }

    let deleting = columns::at(pod, &["metadata", "deletionTimestamp"]).is_some();
    if deleting && text(pod, &["status", "reason"]) == "NodeLost" {
        reason = "Unknown".to_owned();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_owned();
    }

    let restarts = match restarts.last_restart {
        Some(last) if restarts.count != 0 => format!(
            "{} ({} ago)",
            restarts.count,
            age::human_duration(now.duration_since(last))
        ),
        _ => restarts.count.to_string(),
    };

    let cells = vec![
        columns::name(pod),
        Value::String(format!("{ready}/{total}")),
        Value::String(reason),
        Value::String(restarts),
        Value::String(age::since(columns::created(pod), now)),
        Value::String(or_none(
            items(pod, &["status", "podIPs"])
                .first()
                .map_or("", |ip| text(ip, &["ip"])),
        )),
        Value::String(or_none(text(pod, &["spec", "nodeName"]))),
        Value::String(or_none(text(pod, &["status", "nominatedNodeName"]))),
        Value::String(readiness_gates(pod, conditions)),
    ];
    Row {
        cells,
        conditions: completion_conditions(phase),
    }
}

fn condition_is_true(conditions: &[Value], kind: &str) -> bool {
    conditions
        .iter()
        .any(|c| text(c, &["type"]) == kind && text(c, &["status"]) == "True")
}

fn readiness_gates(pod: &Value, conditions: &[Value]) -> String {
    let gates = items(pod, &["spec", "readinessGates"]);
    if gates.is_empty() {
        return "<none>".to_owned();
    }
    let passed = gates
        .iter()
        .filter(|gate| {
            let wanted = text(gate, &["conditionType"]);
            conditions
                .iter()
                .find(|condition| text(condition, &["type"]) == wanted)
                .is_some_and(|condition| text(condition, &["status"]) == "True")
        })
        .count();
    format!("{passed}/{}", gates.len())
}

/// The row conditions that let clients tell finished pods apart.
fn completion_conditions(phase: &str) -> Vec<Value> {
    let (reason, message) = match phase {
        "Succeeded" => ("Succeeded", "The pod has completed successfully."),
        "Failed" => ("Failed", "The pod failed."),
        _ => return Vec::new(),
    };
    vec![json!({"type": "Completed", "status": "True", "reason": reason, "message": message})]
}

fn or_none(value: &str) -> String {
    if value.is_empty() {
        "<none>".to_owned()
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
#[path = "pod_tests.rs"]
mod tests;
