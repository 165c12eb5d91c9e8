//! The render pod of one RenderJob attempt: an init container copies the node-agent into an
//! emptyDir, and the engine's own image runs `node-agent run` for the job, so any studio
//! engine image works. Pure: it builds the pod; the RenderJob controller applies it.

use std::collections::{BTreeMap, BTreeSet};

use framefarm_crds::RenderJob;
use framefarm_crds::engine::Engine;
use k8s_openapi::api::core::v1::{Container, Pod, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::ResourceExt;

use super::placement::{asks_for_gpus, render_affinity, render_resources, render_tolerations};
use super::{
    Owner, PodError, PodSettings, base_pod_spec, container_security_context, credentials_env,
    empty_dir_volume, field_env, mount, scratch_env, scratch_mounts, value_env,
};
use crate::names::{
    ATTEMPT_LABEL, COMPONENT_LABEL, JOB_LABEL, MANAGED_BY, MANAGED_BY_LABEL, OVERWRITE_ANNOTATION,
    RENDER_COMPONENT, SHOT_LABEL, pod_name,
};

/// The container running the agent and the engine; its exit code is the agent's.
pub const RENDER_CONTAINER: &str = "render";
/// The init container that copies the agent binary into [`AGENT_BIN_DIR`].
pub const INSTALL_CONTAINER: &str = "install-agent";
/// Where the agent binary is copied to, in an emptyDir shared by both containers.
pub const AGENT_BIN_DIR: &str = "/framefarm/bin";
const AGENT_BIN_VOLUME: &str = "agent-bin";
/// The agent inside its own image.
const AGENT_IN_IMAGE: &str = "/usr/local/bin/node-agent";

/// Cluster autoscaler: do not remove the node while this pod renders.
pub const SAFE_TO_EVICT_ANNOTATION: &str = "cluster-autoscaler.kubernetes.io/safe-to-evict";
/// Karpenter: do not consolidate the node while this pod renders.
pub const DO_NOT_DISRUPT_ANNOTATION: &str = "karpenter.sh/do-not-disrupt";

/// The pod of `attempt` of `job`, preferring nodes other than `avoid_nodes` (where frames of
/// the job failed) and nodes running pods of the same shot.
pub fn build_render_pod(
    job: &RenderJob,
    attempt: u32,
    avoid_nodes: &BTreeSet<String>,
    settings: &PodSettings,
) -> Result<Pod, PodError> {
    let owner = Owner::of(job)?;
    let render = &job.spec.render;
    let placement = &render.placement;
    let image = match render.engine.selected() {
        Some(Engine::Command(command)) => command.image.clone(),
        Some(Engine::Blender(blender)) => blender
            .image
            .clone()
            .unwrap_or_else(|| settings.blender_image.clone()),
        None => {
            return Err(PodError::NoEngine {
                namespace: owner.namespace,
                name: owner.name,
            });
        }
    };
    let shot = job.labels().get(SHOT_LABEL).cloned();

    let mut meta = owner.pod_meta(pod_name(&owner.name, attempt));
    let mut labels = placement.pod_labels.clone();
    if let Some(shot) = &shot {
        labels.insert(SHOT_LABEL.into(), shot.clone());
    }
    labels.extend([
        (JOB_LABEL.to_owned(), owner.name.clone()),
        (ATTEMPT_LABEL.to_owned(), attempt.to_string()),
        (COMPONENT_LABEL.to_owned(), RENDER_COMPONENT.to_owned()),
        (MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned()),
    ]);
    meta.labels = Some(labels);
    let mut annotations = placement.pod_annotations.clone();
    if settings.disruption_annotations {
        annotations.insert(SAFE_TO_EVICT_ANNOTATION.into(), "false".into());
        annotations.insert(DO_NOT_DISRUPT_ANNOTATION.into(), "true".into());
    }
    meta.annotations = (!annotations.is_empty()).then_some(annotations);

    let resources = render_resources(placement.resources.as_ref());
    let tolerations = render_tolerations(&placement.tolerations, asks_for_gpus(resources.as_ref()));
    let overwrite = job
        .annotations()
        .get(OVERWRITE_ANNOTATION)
        .is_some_and(|value| value == "true");

    let mut env = vec![
        value_env("FRAMEFARM_JOB_NAME", owner.name.clone()),
        field_env("FRAMEFARM_JOB_NAMESPACE", "metadata.namespace"),
        value_env("FRAMEFARM_ATTEMPT", attempt.to_string()),
        field_env("FRAMEFARM_NODE_NAME", "spec.nodeName"),
    ];
    env.extend(scratch_env(settings));
    if overwrite {
        env.push(value_env("FRAMEFARM_OVERWRITE", "true"));
    }
    env.extend(credentials_env(&render.storage));

    let mut mounts = vec![{
        let mut agent = mount(AGENT_BIN_VOLUME, AGENT_BIN_DIR);
        agent.read_only = Some(true);
        agent
    }];
    mounts.extend(scratch_mounts());
    let render_container = Container {
        name: RENDER_CONTAINER.into(),
        image: Some(image),
        command: Some(vec![format!("{AGENT_BIN_DIR}/node-agent"), "run".into()]),
        env: Some(env),
        resources,
        volume_mounts: Some(mounts),
        security_context: Some(container_security_context(settings)),
        ..Container::default()
    };

    let mut spec = base_pod_spec(placement.service_account_name.as_deref(), settings);
    spec.init_containers = Some(vec![install_agent_container(settings)]);
    spec.containers = vec![render_container];
    if let Some(volumes) = &mut spec.volumes {
        volumes.insert(0, empty_dir_volume(AGENT_BIN_VOLUME));
    }
    spec.node_selector =
        (!placement.node_selector.is_empty()).then(|| placement.node_selector.clone());
    spec.tolerations = (!tolerations.is_empty()).then_some(tolerations);
    spec.affinity = render_affinity(placement.affinity.as_ref(), shot.as_deref(), avoid_nodes);
    spec.priority_class_name = placement.priority_class_name.clone();

    Ok(Pod {
        metadata: meta,
        spec: Some(spec),
        status: None,
    })
}

/// Copies the agent out of its image into the shared emptyDir; it only copies one file, so
/// it asks for little.
fn install_agent_container(settings: &PodSettings) -> Container {
    let quantity = |value: &str| Quantity(value.into());
    Container {
        name: INSTALL_CONTAINER.into(),
        image: Some(settings.agent_image.clone()),
        command: Some(vec![
            AGENT_IN_IMAGE.into(),
            "install".into(),
            format!("{AGENT_BIN_DIR}/node-agent"),
        ]),
        volume_mounts: Some(vec![mount(AGENT_BIN_VOLUME, AGENT_BIN_DIR)]),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_owned(), quantity("50m")),
                ("memory".to_owned(), quantity("64Mi")),
            ])),
            limits: Some(BTreeMap::from([("memory".to_owned(), quantity("128Mi"))])),
            ..ResourceRequirements::default()
        }),
        security_context: Some(container_security_context(settings)),
        ..Container::default()
    }
}

#[cfg(test)]
mod tests;
