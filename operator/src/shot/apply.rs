//! The writes of a RenderShot reconcile: RenderJobs by server-side apply (one field manager,
//! forced, so a restarted operator takes its fields back), deletions that treat "already
//! gone" as done, the preview pod, and the status patch.

use framefarm_crds::{RenderJob, RenderShot, RenderShotStatus};
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PropagationPolicy};

use super::ShotError;
use crate::context::Context;
use crate::names::OPERATOR_MANAGER;

fn apply_params() -> PatchParams {
    PatchParams::apply(OPERATOR_MANAGER).force()
}

pub async fn apply_job(job: &RenderJob, context: &Context) -> Result<RenderJob, ShotError> {
    let namespace = job.namespace().unwrap_or_default();
    let name = job.name_any();
    Api::<RenderJob>::namespaced(context.client.clone(), &namespace)
        .patch(&name, &apply_params(), &Patch::Apply(job))
        .await
        .map_err(|source| ShotError::ApplyJob {
            namespace,
            job: name,
            source,
        })
}

pub async fn delete_job(namespace: &str, name: &str, context: &Context) -> Result<(), ShotError> {
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    match Api::<RenderJob>::namespaced(context.client.clone(), namespace)
        .delete(name, &params)
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(ShotError::DeleteJob {
            namespace: namespace.into(),
            job: name.into(),
            source,
        }),
    }
}

pub async fn apply_preview_pod(pod: &Pod, context: &Context) -> Result<(), ShotError> {
    let namespace = pod.namespace().unwrap_or_default();
    let name = pod.name_any();
    Api::<Pod>::namespaced(context.client.clone(), &namespace)
        .patch(&name, &apply_params(), &Patch::Apply(pod))
        .await
        .map(drop)
        .map_err(|source| ShotError::ApplyPreviewPod {
            namespace,
            pod: name,
            source,
        })
}

pub async fn patch_status(
    shot: &RenderShot,
    status: &RenderShotStatus,
    context: &Context,
) -> Result<(), ShotError> {
    let namespace = shot.namespace().unwrap_or_default();
    let name = shot.name_any();
    let patch = serde_json::json!({
        "apiVersion": "framefarm.io/v1alpha1",
        "kind": "RenderShot",
        "status": status,
    });
    Api::<RenderShot>::namespaced(context.client.clone(), &namespace)
        .patch_status(&name, &apply_params(), &Patch::Apply(&patch))
        .await
        .map(drop)
        .map_err(|source| ShotError::PatchStatus {
            namespace,
            shot: name,
            source,
        })
}
