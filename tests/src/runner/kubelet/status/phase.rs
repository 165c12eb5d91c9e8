//! The pod phase from its container statuses, by the kubelet's rules: failed init under
//! `restartPolicy: Never` fails the pod, anything waiting keeps it `Pending`, anything running
//! makes it `Running`, and all stopped decides between the restart policy and the exit codes.

use k8s_openapi::api::core::v1::{ContainerStatus, PodSpec};

fn exit_code(status: &ContainerStatus) -> Option<i32> {
    status
        .state
        .as_ref()
        .and_then(|state| state.terminated.as_ref())
        .map(|terminated| terminated.exit_code)
}

fn last_exit_code(status: &ContainerStatus) -> Option<i32> {
    status
        .last_state
        .as_ref()
        .and_then(|state| state.terminated.as_ref())
        .map(|terminated| terminated.exit_code)
}

fn is_running(status: &ContainerStatus) -> bool {
    status
        .state
        .as_ref()
        .is_some_and(|state| state.running.is_some())
}

pub fn pod_phase(
    spec: &PodSpec,
    init: &[ContainerStatus],
    main: &[ContainerStatus],
    pod_terminal: bool,
) -> String {
    let restart_policy = spec.restart_policy.as_deref().unwrap_or("Always");
    let mut pending_init = 0;
    let mut failed_init = 0;
    for status in init {
        match (
            is_running(status),
            exit_code(status),
            last_exit_code(status),
        ) {
            (true, _, _) => pending_init += 1,
            (false, Some(code), _) => failed_init += usize::from(code != 0),
            (false, None, Some(code)) if code != 0 => failed_init += 1,
            (false, None, _) => pending_init += 1,
        }
    }
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for status in main {
        match (
            is_running(status),
            exit_code(status),
            last_exit_code(status),
        ) {
            (true, _, _) => running += 1,
            (false, Some(code), _) => {
                stopped += 1;
                succeeded += usize::from(code == 0);
            }
            (false, None, Some(_)) => stopped += 1,
            (false, None, None) => waiting += 1,
        }
    }
    let phase = if failed_init > 0 && restart_policy == "Never" {
        "Failed"
    } else if pending_init > 0 || waiting > 0 {
        "Pending"
    } else if running > 0 {
        "Running"
    } else if stopped > 0 {
        if pod_terminal {
            if stopped == succeeded {
                "Succeeded"
            } else {
                "Failed"
            }
        } else if restart_policy == "Always" {
            "Running"
        } else if stopped == succeeded {
            "Succeeded"
        } else if restart_policy == "Never" {
            "Failed"
        } else {
            "Running"
        }
    } else {
        "Pending"
    };
    // A pod the kubelet has finished with is never left pending or running.
    if pod_terminal && matches!(phase, "Pending" | "Running") {
        "Failed".to_owned()
    } else {
        phase.to_owned()
    }
}
