//! The preview pod of a shot: the node-agent image running `node-agent preview`, which
//! turns the thumbnails of a finished render into a contact sheet and an animation. It
//! needs no GPU, so it ignores the shot's placement. Pure: the shot controller applies it.

use std::collections::BTreeMap;

use framefarm_crds::RenderShot;
use k8s_openapi::api::core::v1::{Container, Pod, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{
    Owner, PodError, PodSettings, base_pod_spec, container_security_context, credentials_env,
    field_env, scratch_env, scratch_mounts, value_env,
};
use crate::names::{
    COMPONENT_LABEL, MANAGED_BY, MANAGED_BY_LABEL, PREVIEW_COMPONENT, RENDER_HASH_LABEL,
    SHOT_LABEL, preview_pod_name,
};

/// The container making the preview.
pub const PREVIEW_CONTAINER: &str = "preview";
/// The agent inside its own image.
const AGENT_IN_IMAGE: &str = "/usr/local/bin/node-agent";

/// The pod making the preview of `shot`'s render with `render_hash`, after the retry
/// `retry_token` if there was one.
pub fn build_preview_pod(
    shot: &RenderShot,
    render_hash: &str,
    retry_token: Option<&str>,
    settings: &PodSettings,
) -> Result<Pod, PodError> {
    let owner = Owner::of(shot)?;
    let mut meta = owner.pod_meta(preview_pod_name(&owner.name, render_hash, retry_token));
    meta.labels = Some(BTreeMap::from([
        (SHOT_LABEL.to_owned(), owner.name.clone()),
        (COMPONENT_LABEL.to_owned(), PREVIEW_COMPONENT.to_owned()),
        (MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned()),
        (RENDER_HASH_LABEL.to_owned(), render_hash.to_owned()),
    ]));

    let mut env = vec![
        value_env("FRAMEFARM_SHOT_NAME", owner.name.clone()),
        field_env("FRAMEFARM_SHOT_NAMESPACE", "metadata.namespace"),
    ];
    env.extend(scratch_env(settings));
    env.extend(credentials_env(&shot.spec.render.storage));

    let quantity = |value: &str| Quantity(value.into());
    let container = Container {
        name: PREVIEW_CONTAINER.into(),
        image: Some(settings.agent_image.clone()),
        command: Some(vec![AGENT_IN_IMAGE.into(), "preview".into()]),
        env: Some(env),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_owned(), quantity("100m")),
                ("memory".to_owned(), quantity("256Mi")),
            ])),
            limits: Some(BTreeMap::from([("memory".to_owned(), quantity("1Gi"))])),
            ..ResourceRequirements::default()
        }),
        volume_mounts: Some(scratch_mounts()),
        security_context: Some(container_security_context(settings)),
        ..Container::default()
    };
    let service_account = shot.spec.render.placement.service_account_name.as_deref();
    let mut spec = base_pod_spec(service_account, settings);
    spec.containers = vec![container];

    Ok(Pod {
        metadata: meta,
        spec: Some(spec),
        status: None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

    use super::*;

    const SHOT: &str = r#"
apiVersion: framefarm.io/v1alpha1
kind: RenderShot
metadata:
  name: sh020-fx-v012
  namespace: studio
  uid: shot-uid
spec:
  frames: "1001-1120"
  scene:
    uri: s3://studio-projects/shots/sh020/sh020_fx_v012.blend
  engine:
    blender: {}
  output:
    uri: s3://studio-renders/sh020/fx/v012/
    naming: "sh020_fx_{frame:04}"
  storage:
    provider: wasabi
    region: us-east-1
    credentialsSecret:
      name: wasabi-credentials
  resources:
    limits:
      nvidia.com/gpu: 1
  nodeSelector:
    cloud.google.com/gke-accelerator: nvidia-l4
  tolerations:
    - key: nvidia.com/gpu
      operator: Exists
  priorityClassName: render-batch
"#;

    fn preview() -> Pod {
        let shot: RenderShot = serde_saphyr::from_str(SHOT).unwrap();
        build_preview_pod(&shot, "0123abcd", None, &crate::pods::default_settings()).unwrap()
    }

    fn container(pod: &Pod) -> &Container {
        &pod.spec.as_ref().unwrap().containers[0]
    }

    #[test]
    fn the_preview_pod_is_named_labelled_and_owned_by_its_shot() {
        let pod = preview();
        assert_eq!(
            pod.metadata.name.as_deref(),
            Some("sh020-fx-v012-0123abcd-preview")
        );
        assert_eq!(pod.metadata.namespace.as_deref(), Some("studio"));
        let labels = pod.metadata.labels.clone().unwrap();
        assert_eq!(labels.get(SHOT_LABEL).unwrap(), "sh020-fx-v012");
        assert_eq!(labels.get(COMPONENT_LABEL).unwrap(), "preview");
        assert_eq!(labels.get(MANAGED_BY_LABEL).unwrap(), "framefarm-operator");
        assert_eq!(labels.get(RENDER_HASH_LABEL).unwrap(), "0123abcd");
        let owner = &pod.metadata.owner_references.unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
            ("RenderShot", "sh020-fx-v012", "shot-uid")
        );
        assert_eq!(owner.controller, Some(true));
    }

    #[test]
    fn the_agent_image_makes_the_preview_without_the_shots_gpu_placement() {
        let pod = preview();
        let container = container(&pod);
        assert_eq!(
            container.image,
            Some(crate::pods::default_settings().agent_image)
        );
        assert_eq!(
            container.command,
            Some(vec!["/usr/local/bin/node-agent".into(), "preview".into()])
        );
        let resources = container.resources.clone().unwrap();
        assert_eq!(
            resources.requests.unwrap(),
            BTreeMap::from([
                ("cpu".to_owned(), Quantity("100m".into())),
                ("memory".to_owned(), Quantity("256Mi".into())),
            ])
        );
        assert_eq!(
            resources.limits.unwrap(),
            BTreeMap::from([("memory".to_owned(), Quantity("1Gi".into()))])
        );
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.node_selector, None);
        assert_eq!(spec.tolerations, None);
        assert_eq!(spec.priority_class_name, None);
        assert_eq!(spec.affinity, None);
        assert_eq!(spec.init_containers, None);
        assert_eq!(spec.restart_policy.as_deref(), Some("Never"));
        assert_eq!(pod.metadata.annotations, None);
    }

    #[test]
    fn the_preview_pod_runs_restricted_with_the_shots_credentials() {
        let pod = preview();
        let spec = pod.spec.as_ref().unwrap();
        let pod_security = spec.security_context.clone().unwrap();
        assert_eq!(pod_security.run_as_non_root, Some(true));
        assert_eq!(pod_security.run_as_user, Some(65532));
        let security = container(&pod).security_context.clone().unwrap();
        assert_eq!(security.allow_privilege_escalation, Some(false));
        assert_eq!(security.read_only_root_filesystem, Some(true));

        let env = container(&pod).env.clone().unwrap();
        let find = |name: &str| env.iter().find(|var| var.name == name).cloned();
        assert_eq!(
            find("FRAMEFARM_SHOT_NAME").unwrap().value.as_deref(),
            Some("sh020-fx-v012")
        );
        let namespace = find("FRAMEFARM_SHOT_NAMESPACE")
            .unwrap()
            .value_from
            .unwrap();
        assert_eq!(
            namespace.field_ref.unwrap().field_path,
            "metadata.namespace"
        );
        assert_eq!(
            find("FRAMEFARM_WORK_DIR").unwrap().value.as_deref(),
            Some("/framefarm/work")
        );
        let secret = find("AWS_SECRET_ACCESS_KEY")
            .unwrap()
            .value_from
            .unwrap()
            .secret_key_ref
            .unwrap();
        assert_eq!(secret.name, "wasabi-credentials");
        let mounts: Vec<_> = container(&pod)
            .volume_mounts
            .iter()
            .flatten()
            .map(|mount| mount.mount_path.as_str())
            .collect();
        assert_eq!(mounts, ["/framefarm/work", "/tmp", "/var/cache/framefarm"]);
    }
}
