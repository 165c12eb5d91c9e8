//! The `PodStatus` the kubelet would write for what the runner knows of a pod: container
//! statuses in spec order, the phase (the kubelet's rules), the pod conditions, IPs, start time
//! and QoS class. Pure; conditions other components own (`DisruptionTarget` from an eviction,
//! readiness gates) are carried over from the pod as read.

mod conditions;
mod phase;

#[cfg(test)]
mod tests;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    Container, ContainerState as ApiState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::state::{ContainerRecord, ContainerState, PodRuntime, Role, Termination};
use crate::runner::resources::{container_limits, container_requests};

/// The address every emulated pod and node has.
pub const LOOPBACK: &str = "127.0.0.1";

/// Builds the status for `pod` (as last read, for its spec and the conditions others own).
pub fn build_pod_status(pod: &Pod, runtime: &PodRuntime, now: Timestamp) -> PodStatus {
    let spec = pod.spec.clone().unwrap_or_default();
    let has_init = !spec
        .init_containers
        .as_deref()
        .unwrap_or_default()
        .is_empty();
    let default_reason = if has_init {
        "PodInitializing"
    } else {
        "ContainerCreating"
    };
    let statuses = |containers: &[Container], role: Role| -> Vec<ContainerStatus> {
        let records = match role {
            Role::Init => &runtime.init,
            Role::Main => &runtime.main,
        };
        containers
            .iter()
            .map(|container| {
                let record = records.get(&container.name).cloned().unwrap_or_else(|| {
                    ContainerRecord::new(ContainerState::waiting(default_reason, None))
                });
                container_status(container, &record, role, runtime.terminal)
            })
            .collect()
    };
    let init_statuses = statuses(
        spec.init_containers.as_deref().unwrap_or_default(),
        Role::Init,
    );
    let main_statuses = statuses(&spec.containers, Role::Main);
    let phase = phase::pod_phase(&spec, &init_statuses, &main_statuses, runtime.terminal);
    let old_conditions = pod
        .status
        .as_ref()
        .and_then(|status| status.conditions.clone())
        .unwrap_or_default();
    let conditions = conditions::pod_conditions(
        &spec,
        runtime,
        &init_statuses,
        &main_statuses,
        &phase,
        &old_conditions,
        now,
    );
    PodStatus {
        phase: Some(phase),
        conditions: Some(conditions),
        host_ip: Some(LOOPBACK.to_owned()),
        host_ips: Some(vec![HostIP {
            ip: LOOPBACK.to_owned(),
        }]),
        pod_ip: Some(LOOPBACK.to_owned()),
        pod_ips: Some(vec![PodIP {
            ip: LOOPBACK.to_owned(),
        }]),
        start_time: runtime.start_time.map(Time),
        init_container_statuses: has_init.then_some(init_statuses),
        container_statuses: Some(main_statuses),
        qos_class: Some(
            qos_class(
                &spec.containers,
                spec.init_containers.as_deref().unwrap_or_default(),
            )
            .to_owned(),
        ),
        ..PodStatus::default()
    }
}

fn container_status(
    container: &Container,
    record: &ContainerRecord,
    role: Role,
    pod_terminal: bool,
) -> ContainerStatus {
    // A terminated pod's containers are all terminated; one that never got that far is
    // reported as the kubelet reports a container it cannot find.
    let state = match &record.state {
        ContainerState::Terminated(_) => record.state.clone(),
        _ if pod_terminal => ContainerState::Terminated(Termination::unknown()),
        other => other.clone(),
    };
    let running = matches!(state, ContainerState::Running { .. });
    let ready = match (&state, role) {
        (ContainerState::Running { .. }, Role::Main) => true,
        (ContainerState::Terminated(termination), Role::Init) => termination.exit_code == 0,
        _ => false,
    };
    ContainerStatus {
        name: container.name.clone(),
        image: container.image.clone().unwrap_or_default(),
        image_id: record.image_id.clone().unwrap_or_default(),
        container_id: record.container_id.clone(),
        ready,
        started: Some(running),
        restart_count: record.restart_count,
        state: Some(api_state(&state)),
        last_state: Some(
            record
                .last_termination
                .as_ref()
                .map(|termination| api_state(&ContainerState::Terminated(termination.clone())))
                .unwrap_or_default(),
        ),
        ..ContainerStatus::default()
    }
}

fn api_state(state: &ContainerState) -> ApiState {
    match state {
        ContainerState::Waiting { reason, message } => ApiState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.clone()),
                message: message.clone(),
            }),
            ..ApiState::default()
        },
        ContainerState::Running { started_at } => ApiState {
            running: Some(ContainerStateRunning {
                started_at: Some(Time(*started_at)),
            }),
            ..ApiState::default()
        },
        ContainerState::Terminated(termination) => ApiState {
            terminated: Some(ContainerStateTerminated {
                exit_code: termination.exit_code,
                reason: Some(termination.reason.clone()),
                message: termination.message.clone(),
                started_at: termination.started_at.map(Time),
                finished_at: termination.finished_at.map(Time),
                container_id: termination.container_id.clone(),
                signal: None,
            }),
            ..ApiState::default()
        },
    }
}

/// `Guaranteed` when every container limits cpu and memory and requests exactly that,
/// `BestEffort` when none requests or limits either, `Burstable` otherwise.
pub fn qos_class(containers: &[Container], init_containers: &[Container]) -> &'static str {
    let all: Vec<&Container> = containers.iter().chain(init_containers.iter()).collect();
    let compute = ["cpu", "memory"];
    let mut any_set = false;
    let mut guaranteed = true;
    for container in all {
        let requests = container_requests(container);
        let limits = container_limits(container);
        for resource in compute {
            let request = requests.get(resource).filter(|value| **value != 0);
            let limit = limits.get(resource).filter(|value| **value != 0);
            any_set |= request.is_some() || limit.is_some();
            guaranteed &= limit.is_some() && request == limit;
        }
    }
    match (any_set, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}
