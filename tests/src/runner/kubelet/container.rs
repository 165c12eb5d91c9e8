//! One container of a pod, across its restarts: find its image, build its configuration,
//! start its process, watch it until it exits or the pod is stopped, and restart it as the
//! pod's restart policy says (with the kubelet's doubling back-off). Every step is reported as
//! a container state and an event.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Container;
use nix::sys::signal::Signal;
use tokio::sync::watch;

use super::context::{Directive, PodContext, wait_unless_told};
use super::environment::resolve_env;
use super::launch::{HostBasics, plan_launch};
use super::paths::{PathMap, container_log};
use super::process::ContainerProcess;
use super::sources;
use super::state::{ContainerState, Role, Termination};
use super::volumes::{PreparedVolumes, container_mounts};
use crate::runner::config::LocalImage;
use crate::runner::events::EventType;
use crate::runner::image;

/// The first restart back-off and its ceiling, the kubelet's.
const BACK_OFF_START: Duration = Duration::from_secs(10);
const BACK_OFF_MAX: Duration = Duration::from_secs(300);
/// How long a container waits before retrying a configuration that could not be built.
const CONFIG_RETRY: Duration = Duration::from_secs(2);
/// How long `ErrImagePull` shows before `ImagePullBackOff`.
const PULL_ERROR_SHOWN: Duration = Duration::from_secs(1);

/// How a container's life ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerEnd {
    /// It exited with this code and will not be restarted.
    Exited(i32),
    /// The pod is being stopped.
    Stopped,
}

/// `10s`, `1m20s`, `5m0s`: a duration as Go prints it in kubelet messages.
fn go_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds < 60 {
        format!("{seconds}s")
    } else {
        format!("{}m{}s", seconds / 60, seconds % 60)
    }
}

fn restarts(role: Role, restart_policy: &str, exit_code: i32) -> bool {
    match (role, restart_policy) {
        (_, "Never") => false,
        (Role::Main, "Always") => true,
        _ => exit_code != 0,
    }
}

/// Runs `container` until it ends for good or the pod is stopped.
pub async fn run_container(
    pod: &PodContext,
    container: &Container,
    role: Role,
    volumes: &PreparedVolumes,
) -> ContainerEnd {
    let mut directive = pod.directive.clone();
    let name = container.name.as_str();
    let reference = container.image.clone().unwrap_or_default();
    let restart_policy = pod
        .pod
        .spec
        .as_ref()
        .and_then(|spec| spec.restart_policy.clone())
        .unwrap_or_else(|| "Always".to_owned());
    let mut next_back_off: Option<Duration> = None;
    let mut pull_back_off = BACK_OFF_START;
    let mut started_once = false;
    let mut last_config_error: Option<String> = None;
    loop {
        if !directive.borrow_and_update().is_run() {
            return ContainerEnd::Stopped;
        }
        let Some(local_image) = image::find(&pod.shared.config.images, &reference) else {
            if report_pull_failure(pod, role, name, &reference, pull_back_off, &mut directive).await
            {
                return ContainerEnd::Stopped;
            }
            pull_back_off = (pull_back_off * 2).min(BACK_OFF_MAX);
            continue;
        };
        let plan = match configure(pod, container, local_image, volumes).await {
            Ok(plan) => plan,
            Err((reason, message)) => {
                pod.update_status(|runtime| {
                    runtime.set_state(
                        role,
                        name,
                        ContainerState::waiting(reason, Some(message.clone())),
                    )
                })
                .await;
                // Retries are frequent; say it again only when it changes.
                if last_config_error.as_ref() != Some(&message) {
                    pod.event(
                        Some((role, name)),
                        EventType::Warning,
                        "Failed",
                        &format!("Error: {message}"),
                    )
                    .await;
                    last_config_error = Some(message);
                }
                if wait_unless_told(&mut directive, CONFIG_RETRY).await {
                    return ContainerEnd::Stopped;
                }
                continue;
            }
        };
        pod.event(
            Some((role, name)),
            EventType::Normal,
            "Pulled",
            &format!("Container image \"{reference}\" already present on machine"),
        )
        .await;
        let log = container_log(
            &pod.shared.config.logs_dir,
            pod.namespace(),
            pod.name(),
            name,
        );
        let started_at = Timestamp::now();
        let termination = match ContainerProcess::start(&plan, &log, !started_once) {
            Err(error) => {
                let message = error.start_message();
                pod.event(
                    Some((role, name)),
                    EventType::Warning,
                    "Failed",
                    &format!("Error: failed to start container \"{name}\": {message}"),
                )
                .await;
                Termination {
                    exit_code: 128,
                    reason: "StartError".to_owned(),
                    message: Some(message),
                    started_at: Some(started_at),
                    finished_at: Some(Timestamp::now()),
                    container_id: None,
                }
            }
            Ok(mut process) => {
                started_once = true;
                let container_id = format!("local://{}", process.pid());
                pod.event(
                    Some((role, name)),
                    EventType::Normal,
                    "Created",
                    &format!("Created container: {name}"),
                )
                .await;
                pod.update_status(|runtime| {
                    runtime.set_state(role, name, ContainerState::Running { started_at });
                    if let Some(record) = runtime.records(role).get_mut(name) {
                        record.container_id = Some(container_id.clone());
                        record.image_id =
                            Some(format!("local://{}", image::repository(&local_image.image)));
                    }
                })
                .await;
                pod.event(
                    Some((role, name)),
                    EventType::Normal,
                    "Started",
                    &format!("Started container {name}"),
                )
                .await;
                let exit_code = supervise(pod, role, name, &mut process, &mut directive).await;
                Termination::exited(exit_code, started_at, Timestamp::now(), container_id)
            }
        };
        let exit_code = termination.exit_code;
        pod.update_status(|runtime| {
            runtime.set_state(role, name, ContainerState::Terminated(termination.clone()))
        })
        .await;
        if !directive.borrow_and_update().is_run() {
            return ContainerEnd::Stopped;
        }
        if !restarts(role, &restart_policy, exit_code) {
            return ContainerEnd::Exited(exit_code);
        }
        // The first restart is immediate; later ones back off, as the kubelet's do.
        if let Some(back_off) = next_back_off {
            let message = format!(
                "back-off {} restarting failed container={name} pod={}",
                go_duration(back_off),
                pod.full_name()
            );
            pod.update_status(|runtime| {
                if let Some(record) = runtime.records(role).get_mut(name) {
                    record.last_termination = Some(termination.clone());
                    record.state =
                        ContainerState::waiting("CrashLoopBackOff", Some(message.clone()));
                }
            })
            .await;
            pod.event(
                Some((role, name)),
                EventType::Warning,
                "BackOff",
                &format!(
                    "Back-off restarting failed container {name} in pod {}",
                    pod.full_name()
                ),
            )
            .await;
            if wait_unless_told(&mut directive, back_off).await {
                return ContainerEnd::Stopped;
            }
        }
        next_back_off =
            Some(next_back_off.map_or(BACK_OFF_START, |back_off| (back_off * 2).min(BACK_OFF_MAX)));
        pod.update_status(|runtime| {
            if let Some(record) = runtime.records(role).get_mut(name) {
                record.last_termination = Some(termination);
                record.restart_count += 1;
            }
        })
        .await;
    }
}

/// Shows `ErrImagePull` then `ImagePullBackOff`, and waits out the back-off. Says whether the
/// pod is being stopped.
async fn report_pull_failure(
    pod: &PodContext,
    role: Role,
    name: &str,
    reference: &str,
    back_off: Duration,
    directive: &mut watch::Receiver<Directive>,
) -> bool {
    let message = image::pull_failure(&pod.shared.config.images, reference);
    pod.update_status(|runtime| {
        runtime.set_state(
            role,
            name,
            ContainerState::waiting("ErrImagePull", Some(message.clone())),
        )
    })
    .await;
    pod.event(Some((role, name)), EventType::Warning, "Failed", &message)
        .await;
    pod.event(
        Some((role, name)),
        EventType::Warning,
        "Failed",
        "Error: ErrImagePull",
    )
    .await;
    if wait_unless_told(directive, PULL_ERROR_SHOWN).await {
        return true;
    }
    let back_off_message = format!("Back-off pulling image \"{reference}\"");
    pod.update_status(|runtime| {
        runtime.set_state(
            role,
            name,
            ContainerState::waiting(
                "ImagePullBackOff",
                Some(format!("{back_off_message}: ErrImagePull: {message}")),
            ),
        )
    })
    .await;
    pod.event(
        Some((role, name)),
        EventType::Normal,
        "BackOff",
        &back_off_message,
    )
    .await;
    pod.event(
        Some((role, name)),
        EventType::Warning,
        "Failed",
        "Error: ImagePullBackOff",
    )
    .await;
    wait_unless_told(directive, back_off).await
}

/// Builds the launch plan, or the waiting reason and message that say why it cannot be.
async fn configure(
    pod: &PodContext,
    container: &Container,
    local_image: &LocalImage,
    volumes: &PreparedVolumes,
) -> Result<super::launch::LaunchPlan, (&'static str, String)> {
    let config_error = |message: String| ("CreateContainerConfigError", message);
    let sources = sources::gather(&pod.shared.client, &pod.pod)
        .await
        .map_err(|error| config_error(error.to_string()))?;
    let pod_env = resolve_env(&pod.pod, container, &pod.placement(), &sources)
        .map_err(|problem| config_error(problem.to_string()))?;
    let mounts = container_mounts(container, volumes, &pod_env)
        .map_err(|error| config_error(error.event_message()))?;
    let image_files = local_image
        .files
        .iter()
        .map(|(container_path, host)| (container_path.clone(), host.clone()));
    let paths = PathMap::new(mounts.into_iter().chain(image_files));
    let kubeconfig = super::identity::kubeconfig_for(pod)
        .await
        .map_err(|error| config_error(error.event_message()))?;
    let basics = HostBasics {
        path: pod.shared.host_path.clone(),
        home: pod.dirs.home(),
        hostname: pod
            .pod
            .spec
            .as_ref()
            .and_then(|spec| spec.hostname.clone())
            .unwrap_or_else(|| pod.name().to_owned()),
        kubeconfig,
    };
    plan_launch(
        container,
        local_image,
        &pod_env,
        &paths,
        &basics,
        pod.dirs.home(),
    )
    .map_err(|problem| ("CreateContainerError", problem.to_string()))
}

/// Watches a running process until it exits, passing on a stop (SIGTERM, then SIGKILL at the
/// deadline) or a kill. Returns its exit code.
async fn supervise(
    pod: &PodContext,
    role: Role,
    name: &str,
    process: &mut ContainerProcess,
    directive: &mut watch::Receiver<Directive>,
) -> i32 {
    let mut terminating = false;
    loop {
        let current = *directive.borrow_and_update();
        match current {
            Directive::Run => {
                tokio::select! {
                    exit = process.wait() => return exit_code(exit, pod),
                    changed = directive.changed() => {
                        if changed.is_err() {
                            process.signal(Signal::SIGKILL);
                        }
                    }
                }
            }
            Directive::Stop { deadline } => {
                if !terminating {
                    terminating = true;
                    pod.event(
                        Some((role, name)),
                        EventType::Normal,
                        "Killing",
                        &format!("Stopping container {name}"),
                    )
                    .await;
                    process.signal(Signal::SIGTERM);
                }
                tokio::select! {
                    exit = process.wait() => return exit_code(exit, pod),
                    () = tokio::time::sleep_until(deadline) => process.signal(Signal::SIGKILL),
                    _ = directive.changed() => {}
                }
            }
            Directive::Kill(_) => {
                process.signal(Signal::SIGKILL);
                return exit_code(process.wait().await, pod);
            }
        }
    }
}

fn exit_code(exit: Result<i32, super::process::ProcessError>, pod: &PodContext) -> i32 {
    exit.unwrap_or_else(|error| {
        tracing::warn!(%error, pod = pod.name(), "lost track of a container process");
        super::state::UNKNOWN_EXIT_CODE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_prints_them() {
        assert_eq!(go_duration(Duration::from_secs(10)), "10s");
        assert_eq!(go_duration(Duration::from_secs(80)), "1m20s");
        assert_eq!(go_duration(Duration::from_secs(300)), "5m0s");
    }

    #[test]
    fn restart_policies_decide_what_comes_back() {
        assert!(restarts(Role::Main, "Always", 0));
        assert!(!restarts(Role::Main, "OnFailure", 0));
        assert!(restarts(Role::Main, "OnFailure", 1));
        assert!(!restarts(Role::Main, "Never", 1));
        assert!(
            restarts(Role::Init, "Always", 1),
            "init containers rerun until they succeed"
        );
        assert!(!restarts(Role::Init, "Always", 0));
        assert!(!restarts(Role::Init, "Never", 1));
    }
}
