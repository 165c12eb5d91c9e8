//! What a render pod says about its attempt: waiting (and what blocks it), rendering,
//! stopping, done, interrupted by the cluster, or failed and why, in the agent's own exit
//! reasons. It reads pod status only; what to do about it is decided in `attempts`.

use framefarm_node_agent::outcome::ExitKind;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ContainerStateTerminated, ContainerStatus, Pod};
use kube::ResourceExt;

use crate::names::ATTEMPT_LABEL;
use crate::pods::render::{INSTALL_CONTAINER, RENDER_CONTAINER};

/// Pod reasons of pods the node ended for its own sake (pressure, shutdown, loss), set by
/// kubelets that predate the `DisruptionTarget` condition.
const NODE_ENDED_REASONS: [&str; 5] = [
    "Evicted",
    "Preempting",
    "Shutdown",
    "NodeShutdown",
    "NodeLost",
];

/// Container waiting reasons that keep a pod from starting until someone acts.
const BLOCKING_WAITS: [(&[&str], &str); 4] = [
    (&["ErrImagePull", "ImagePullBackOff"], "ImagePullBackOff"),
    (&["InvalidImageName"], "InvalidImageName"),
    (
        &["CreateContainerConfigError"],
        "CreateContainerConfigError",
    ),
    (&["CreateContainerError"], "CreateContainerError"),
];

/// Where a pod is in its life, as far as its attempt is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PodState {
    /// Waiting to be scheduled or to start, possibly blocked.
    Pending {
        blocked: Option<Blocked>,
    },
    Running,
    /// Deleted but still running: the agent is uploading what it saved.
    Stopping {
        started: bool,
    },
    /// The agent exited 0.
    Succeeded {
        finished_at: Option<Timestamp>,
    },
    /// Ended by the cluster or a deletion; not the job's fault, so not a failed attempt.
    Interrupted {
        evicted: bool,
        detail: String,
    },
    /// Ended with an error: a failed attempt.
    Failed(Failure),
}

/// Why a pending pod cannot start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// `Unschedulable`, `ImagePullBackOff`, …
    pub reason: &'static str,
    pub message: String,
}

/// How an attempt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// PascalCase, e.g. `OOMKilled` or the agent's `EngineCrashed`.
    pub reason: String,
    /// One line for people, e.g. `EngineCrashed (exit code 15): …`.
    pub description: String,
    pub finished_at: Option<Timestamp>,
}

/// The attempt a pod runs, from its label.
pub fn attempt_of(pod: &Pod) -> Option<u32> {
    pod.labels().get(ATTEMPT_LABEL)?.parse().ok()
}

/// The node a pod was scheduled to.
pub fn node_of(pod: &Pod) -> Option<String> {
    pod.spec.as_ref()?.node_name.clone()
}

/// Whether a pod's containers may still run.
pub fn is_active(pod: &Pod) -> bool {
    !matches!(phase(pod), "Succeeded" | "Failed")
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|status| status.phase.as_deref())
        .unwrap_or("Pending")
}

/// Where `pod` is in its life.
pub fn pod_state(pod: &Pod) -> PodState {
    let deleting = pod.metadata.deletion_timestamp.is_some();
    let status = pod.status.clone().unwrap_or_default();
    match phase(pod) {
        "Succeeded" if !deleting => PodState::Succeeded {
            finished_at: terminated(pod, RENDER_CONTAINER).and_then(finish_time),
        },
        "Succeeded" | "Failed" => {
            if let Some(disruption) = status.conditions.iter().flatten().find(|condition| {
                condition.type_ == "DisruptionTarget" && condition.status == "True"
            }) {
                return PodState::Interrupted {
                    evicted: true,
                    detail: [disruption.reason.as_deref(), disruption.message.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": "),
                };
            }
            if let Some(reason) = status
                .reason
                .as_deref()
                .filter(|reason| NODE_ENDED_REASONS.contains(reason))
            {
                return PodState::Interrupted {
                    evicted: true,
                    detail: with_message(reason, status.message.as_deref()),
                };
            }
            let interrupted = terminated(pod, RENDER_CONTAINER)
                .is_some_and(|ended| ended.exit_code == i32::from(ExitKind::Interrupted.code()));
            if deleting || interrupted {
                return PodState::Interrupted {
                    evicted: false,
                    detail: "the pod was deleted".into(),
                };
            }
            PodState::Failed(failure(pod))
        }
        _ if deleting => PodState::Stopping {
            started: phase(pod) == "Running",
        },
        "Running" => PodState::Running,
        _ => PodState::Pending {
            blocked: blocked(pod),
        },
    }
}

/// What keeps a pending pod from starting: the scheduler, or a container that cannot be
/// created.
fn blocked(pod: &Pod) -> Option<Blocked> {
    let status = pod.status.as_ref()?;
    let unschedulable = status.conditions.iter().flatten().find(|condition| {
        condition.type_ == "PodScheduled"
            && condition.status == "False"
            && condition.reason.as_deref() == Some("Unschedulable")
    });
    if let Some(condition) = unschedulable {
        return Some(Blocked {
            reason: "Unschedulable",
            message: condition.message.clone().unwrap_or_default(),
        });
    }
    let containers = status
        .init_container_statuses
        .iter()
        .chain(&status.container_statuses)
        .flatten();
    containers.into_iter().find_map(|container| {
        let waiting = container.state.as_ref()?.waiting.as_ref()?;
        let reason = waiting.reason.as_deref()?;
        let (_, named) = BLOCKING_WAITS
            .iter()
            .find(|(reasons, _)| reasons.contains(&reason))?;
        Some(Blocked {
            reason: named,
            message: with_message(
                &format!("container {}", container.name),
                waiting.message.as_deref(),
            ),
        })
    })
}

/// How a failed pod failed: the render container's exit, named by the agent's exit kinds;
/// else the agent installer's exit; else what the pod says.
fn failure(pod: &Pod) -> Failure {
    if let Some(ended) = terminated(pod, RENDER_CONTAINER) {
        let kind = ExitKind::from_code(ended.exit_code);
        let reason = match (ended.reason.as_deref(), kind) {
            (Some("OOMKilled"), _) => "OOMKilled",
            (_, Some(kind)) => kind.reason(),
            (_, None) => "ContainerFailed",
        };
        let message = ended
            .message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty());
        return Failure {
            reason: reason.into(),
            description: with_message(
                &format!("{reason} (exit code {})", ended.exit_code),
                message,
            ),
            finished_at: finish_time(ended),
        };
    }
    if let Some(ended) = terminated(pod, INSTALL_CONTAINER).filter(|ended| ended.exit_code != 0) {
        return Failure {
            reason: "AgentInstallFailed".into(),
            description: with_message(
                &format!(
                    "AgentInstallFailed: {INSTALL_CONTAINER} exited with code {}",
                    ended.exit_code
                ),
                ended.message.as_deref(),
            ),
            finished_at: finish_time(ended),
        };
    }
    let status = pod.status.clone().unwrap_or_default();
    let reason = status.reason.unwrap_or_else(|| "PodFailed".into());
    Failure {
        description: with_message(&reason, status.message.as_deref()),
        reason,
        finished_at: None,
    }
}

/// The terminated state of container `name`, from a init or app container status.
fn terminated<'a>(pod: &'a Pod, name: &str) -> Option<&'a ContainerStateTerminated> {
    let status = pod.status.as_ref()?;
    let container: &ContainerStatus = status
        .container_statuses
        .iter()
        .chain(&status.init_container_statuses)
        .flatten()
        .find(|container| container.name == name)?;
    [&container.state, &container.last_state]
        .into_iter()
        .flatten()
        .find_map(|state| state.terminated.as_ref())
}

fn finish_time(ended: &ContainerStateTerminated) -> Option<Timestamp> {
    ended.finished_at.as_ref().map(|time| time.0)
}

fn with_message(head: &str, message: Option<&str>) -> String {
    match message.map(str::trim).filter(|message| !message.is_empty()) {
        Some(message) => format!("{head}: {message}"),
        None => head.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

    use serde_json::{Value, json};

    use super::*;

    fn pod(status: Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "job-1", "labels": {"framefarm.io/attempt": "1"}},
            "status": status,
        }))
        .unwrap()
    }

    fn exited(name: &str, exit_code: i32) -> Value {
        json!({
            "name": name, "image": "", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": exit_code, "finishedAt": "2025-03-01T10:00:00Z"}},
        })
    }

    fn failure_of(pod: &Pod) -> Failure {
        match pod_state(pod) {
            PodState::Failed(failure) => failure,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn agent_exit_codes_are_named_by_the_agents_reasons() {
        for (code, reason) in [
            (1, "InternalError"),
            (11, "SceneMissing"),
            (12, "BadCredentials"),
            (16, "DiskFull"),
            (17, "StorageUnreachable"),
            (2, "ContainerFailed"),
        ] {
            let pod =
                pod(json!({"phase": "Failed", "containerStatuses": [exited("render", code)]}));
            let failure = failure_of(&pod);
            assert_eq!(failure.reason, reason, "exit code {code}");
            assert_eq!(failure.description, format!("{reason} (exit code {code})"));
            assert_eq!(
                failure.finished_at,
                Some("2025-03-01T10:00:00Z".parse().unwrap())
            );
        }
    }

    #[test]
    fn a_pod_whose_agent_could_not_be_installed_says_so() {
        let installer_failed = pod(json!({
            "phase": "Failed",
            "initContainerStatuses": [exited("install-agent", 1)],
        }));
        assert_eq!(failure_of(&installer_failed).reason, "AgentInstallFailed");
        let without_containers = pod_state(&pod(json!({
            "phase": "Failed", "reason": "UnexpectedAdmissionError", "message": "no device",
        })));
        assert_eq!(
            without_containers,
            PodState::Failed(Failure {
                reason: "UnexpectedAdmissionError".into(),
                description: "UnexpectedAdmissionError: no device".into(),
                finished_at: None,
            })
        );
    }

    #[test]
    fn pods_ended_by_their_node_are_interrupted_not_failed() {
        let evicted = pod(json!({
            "phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory.",
        }));
        assert_eq!(
            pod_state(&evicted),
            PodState::Interrupted {
                evicted: true,
                detail: "Evicted: The node was low on resource: memory.".into()
            }
        );
        let sigterm = pod(json!({"phase": "Failed", "containerStatuses": [exited("render", 143)]}));
        assert!(matches!(
            pod_state(&sigterm),
            PodState::Interrupted { evicted: false, .. }
        ));
    }
}
