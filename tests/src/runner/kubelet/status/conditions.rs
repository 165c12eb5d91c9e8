//! The pod conditions the kubelet owns (`PodReadyToStartContainers`, `Initialized`,
//! `ContainersReady`, `Ready`, `PodScheduled`) with its reasons and messages, plus the
//! `DisruptionTarget` the runner sets for a lost node; other conditions are kept as read.
//! A condition keeps its transition time while its status does not change.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ContainerStatus, PodCondition, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::runner::kubelet::state::PodRuntime;

/// Condition types this module writes; any other is carried over.
const OWNED: [&str; 5] = [
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
];

struct Verdict {
    status: bool,
    reason: Option<&'static str>,
    message: Option<String>,
}

impl Verdict {
    fn met() -> Self {
        Verdict {
            status: true,
            reason: None,
            message: None,
        }
    }

    fn unmet(reason: &'static str, message: Option<String>) -> Self {
        Verdict {
            status: false,
            reason: Some(reason),
            message,
        }
    }
}

/// Names as Go prints a `[]string`: `[a b]`.
fn go_list(names: &[String]) -> String {
    format!("[{}]", names.join(" "))
}

fn started(status: &ContainerStatus) -> bool {
    status
        .state
        .as_ref()
        .is_some_and(|state| state.running.is_some() || state.terminated.is_some())
}

fn initialized(init: &[ContainerStatus], main: &[ContainerStatus], phase: &str) -> Verdict {
    if phase == "Succeeded" {
        return Verdict {
            status: true,
            reason: Some("PodCompleted"),
            message: None,
        };
    }
    if main.iter().any(started) {
        return Verdict::met();
    }
    let incomplete: Vec<String> = init
        .iter()
        .filter(|status| !status.ready)
        .map(|status| status.name.clone())
        .collect();
    if incomplete.is_empty() {
        Verdict::met()
    } else {
        Verdict::unmet(
            "ContainersNotInitialized",
            Some(format!(
                "containers with incomplete status: {}",
                go_list(&incomplete)
            )),
        )
    }
}

fn containers_ready(main: &[ContainerStatus], phase: &str) -> Verdict {
    match phase {
        "Succeeded" => return Verdict::unmet("PodCompleted", None),
        "Failed" => return Verdict::unmet("PodFailed", None),
        _ => {}
    }
    let unready: Vec<String> = main
        .iter()
        .filter(|status| !status.ready)
        .map(|status| status.name.clone())
        .collect();
    if unready.is_empty() {
        Verdict::met()
    } else {
        Verdict::unmet(
            "ContainersNotReady",
            Some(format!(
                "containers with unready status: {}",
                go_list(&unready)
            )),
        )
    }
}

fn pod_ready(spec: &PodSpec, containers: &Verdict, old: &[PodCondition]) -> Verdict {
    if !containers.status {
        return Verdict {
            status: false,
            reason: containers.reason,
            message: containers.message.clone(),
        };
    }
    let unmet_gates: Vec<String> = spec
        .readiness_gates
        .iter()
        .flatten()
        .filter_map(|gate| {
            match old
                .iter()
                .find(|condition| condition.type_ == gate.condition_type)
            {
                None => Some(format!(
                    "corresponding condition of pod readiness gate \"{}\" does not exist.",
                    gate.condition_type
                )),
                Some(condition) if condition.status != "True" => Some(format!(
                    "the status of pod readiness gate \"{}\" is not \"True\", but {}",
                    gate.condition_type, condition.status
                )),
                Some(_) => None,
            }
        })
        .collect();
    if unmet_gates.is_empty() {
        Verdict::met()
    } else {
        Verdict::unmet("ReadinessGatesNotReady", Some(unmet_gates.join(", ")))
    }
}

pub fn pod_conditions(
    spec: &PodSpec,
    runtime: &PodRuntime,
    init: &[ContainerStatus],
    main: &[ContainerStatus],
    phase: &str,
    old: &[PodCondition],
    now: Timestamp,
) -> Vec<PodCondition> {
    let containers = containers_ready(main, phase);
    let ready = pod_ready(spec, &containers, old);
    let sandbox = if runtime.sandbox_ready && !runtime.terminal {
        Verdict::met()
    } else {
        Verdict {
            status: false,
            reason: None,
            message: None,
        }
    };
    let owned = [
        ("PodReadyToStartContainers", sandbox),
        ("Initialized", initialized(init, main, phase)),
        ("Ready", ready),
        ("ContainersReady", containers),
        ("PodScheduled", Verdict::met()),
    ];
    let mut conditions: Vec<PodCondition> = owned
        .into_iter()
        .map(|(type_, verdict)| {
            condition(
                type_,
                verdict.status,
                verdict.reason.map(str::to_owned),
                verdict.message,
                old,
                now,
            )
        })
        .collect();
    if let Some(disruption) = &runtime.disruption {
        conditions.push(condition(
            "DisruptionTarget",
            true,
            Some(disruption.reason.clone()),
            Some(disruption.message.clone()),
            old,
            now,
        ));
    }
    for kept in old {
        let written = conditions.iter().any(|c| c.type_ == kept.type_);
        if !written && !OWNED.contains(&kept.type_.as_str()) {
            conditions.push(kept.clone());
        }
    }
    conditions
}

fn condition(
    type_: &str,
    status: bool,
    reason: Option<String>,
    message: Option<String>,
    old: &[PodCondition],
    now: Timestamp,
) -> PodCondition {
    let status = if status { "True" } else { "False" }.to_owned();
    let previous = old.iter().find(|condition| condition.type_ == type_);
    let last_transition_time = match previous {
        Some(previous) if previous.status == status => previous.last_transition_time.clone(),
        _ => Some(Time(now)),
    };
    PodCondition {
        type_: type_.to_owned(),
        status,
        reason,
        message,
        last_transition_time,
        ..PodCondition::default()
    }
}
