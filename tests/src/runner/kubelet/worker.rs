//! A pod's life on its node: set up its volumes, run its init containers one after another and
//! then its containers together, and see it to its end: finished by itself (status written,
//! object left for its owner), deleted (processes stopped, final status, then the final
//! delete with grace 0, as the kubelet does), or lost with its node.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, Preconditions};
use kube::{Api, Client};

use super::container::{ContainerEnd, run_container};
use super::context::{Directive, KillCause, PodContext, wait_unless_told};
use super::sources;
use super::state::{Disruption, Role};
use super::volumes::{PreparedVolumes, VolumeContext, prepare_volumes};
use crate::runner::events::EventType;
use crate::runner::node::NODE_CONTROLLER_MANAGER;

/// How long a pod waits before retrying volumes that could not be set up.
const MOUNT_RETRY: Duration = Duration::from_secs(2);

/// What the taint manager says when it deletes a pod from a lost node.
pub fn lost_node_disruption() -> Disruption {
    Disruption {
        reason: "DeletionByTaintManager".to_owned(),
        message: "Taint manager: deleting due to NoExecute taint".to_owned(),
    }
}

pub async fn run_pod(pod: Arc<PodContext>) {
    pod.status
        .update(|runtime| runtime.start_time = Some(Timestamp::now()))
        .await;
    if let Some(volumes) = set_up_sandbox(&pod).await {
        pod.status
            .update(|runtime| runtime.sandbox_ready = true)
            .await;
        run_containers(&pod, &volumes).await;
    }
    finish(&pod).await;
}

/// Prepares the volumes, retrying while they cannot be; `None` when the pod is stopped first.
async fn set_up_sandbox(pod: &PodContext) -> Option<PreparedVolumes> {
    let mut directive = pod.directive.clone();
    let mut last_failure = None;
    loop {
        if !directive.borrow_and_update().is_run() {
            return None;
        }
        let failure = match sources::gather(&pod.shared.client, &pod.pod).await {
            Err(error) => error.to_string(),
            Ok(sources) => {
                let context = VolumeContext {
                    pod: &pod.pod,
                    dirs: &pod.dirs,
                    runner_root: &pod.shared.config.root,
                    node: &pod.node,
                    sources: &sources,
                    placement: &pod.placement(),
                };
                let prepared = prepare_volumes(&context).and_then(|prepared| {
                    std::fs::create_dir_all(pod.dirs.home()).map_err(|source| {
                        super::volumes::VolumeError::Write {
                            volume: "home".to_owned(),
                            path: pod.dirs.home(),
                            source,
                        }
                    })?;
                    Ok(prepared)
                });
                match prepared {
                    Ok(prepared) => return Some(prepared),
                    Err(error) => error.event_message(),
                }
            }
        };
        if last_failure.as_ref() != Some(&failure) {
            pod.event(None, EventType::Warning, "FailedMount", &failure)
                .await;
            last_failure = Some(failure);
        }
        if wait_unless_told(&mut directive, MOUNT_RETRY).await {
            return None;
        }
    }
}

async fn run_containers(pod: &PodContext, volumes: &PreparedVolumes) {
    let spec = pod.pod.spec.clone().unwrap_or_default();
    for container in spec.init_containers.iter().flatten() {
        match run_container(pod, container, Role::Init, volumes).await {
            ContainerEnd::Exited(0) => {}
            // Under `restartPolicy: Never` a failed init container fails the pod.
            ContainerEnd::Exited(_) | ContainerEnd::Stopped => return,
        }
    }
    let containers = spec
        .containers
        .iter()
        .map(|container| run_container(pod, container, Role::Main, volumes));
    futures::future::join_all(containers).await;
}

async fn finish(pod: &PodContext) {
    match pod.current_directive() {
        Directive::Run => {
            pod.status.update(|runtime| runtime.terminal = true).await;
            // As the kubelet does, a terminated pod's volumes are torn down while the pod
            // object stays (its logs are kept apart): emptyDirs do not pile up on a node.
            remove_volumes(pod);
        }
        Directive::Stop { .. } => {
            pod.status.update(|runtime| runtime.terminal = true).await;
            delete_for_good(&pod.shared.client, &pod.pod).await;
            remove_pod_dir(pod);
        }
        Directive::Kill(KillCause::NodeLost) => {
            pod.status
                .update_as(NODE_CONTROLLER_MANAGER, |runtime| {
                    runtime.terminal = true;
                    runtime.disruption = Some(lost_node_disruption());
                })
                .await;
            delete_for_good(&pod.shared.client, &pod.pod).await;
            remove_pod_dir(pod);
        }
        Directive::Kill(KillCause::Vanished) => {
            pod.status.mute().await;
            remove_pod_dir(pod);
        }
        Directive::Kill(KillCause::Shutdown) => pod.status.mute().await,
    }
}

fn remove_volumes(pod: &PodContext) {
    let volumes = pod.dirs.dir.join("volumes");
    if let Err(error) = std::fs::remove_dir_all(&volumes)
        && error.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(%error, pod = pod.name(), "failed to tear down the pod's volumes");
    }
}

fn remove_pod_dir(pod: &PodContext) {
    if let Err(error) = std::fs::remove_dir_all(&pod.dirs.dir)
        && error.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(%error, pod = pod.name(), "failed to remove the pod's directory");
    }
}

/// The kubelet's final delete: grace 0, only this instance of the pod (by UID).
pub async fn delete_for_good(client: &Client, pod: &Pod) {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions {
            uid: pod.metadata.uid.clone(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match api.delete(&name, &params).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.is_not_found() || status.is_conflict() => {}
        Err(error) => tracing::warn!(%error, pod = name, "failed to delete a terminated pod"),
    }
}
