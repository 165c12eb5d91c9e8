//! One RenderJob reconcile: gather its pods from the cache → decide the next step (pure, in
//! `attempts`) → apply the operator's status fields when they changed (the agent of the next
//! attempt reads them) → create or delete a pod.

use std::sync::Arc;
use std::time::Duration;

use framefarm_crds::RenderJob;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::controller::Action as Requeue;
use kube::{Resource, ResourceExt};
use thiserror::Error;

use super::attempts::{Action, Observation, decide, operator_owned};
use crate::context::Context;
use crate::names::{JOB_LABEL, OPERATOR_MANAGER};
use crate::pods::PodError;
use crate::pods::render::build_render_pod;

/// The controller's name in metrics and logs.
pub const CONTROLLER: &str = "renderjob";

/// How often an idle RenderJob is looked at again anyway.
const RESYNC: Duration = Duration::from_secs(300);

#[derive(Debug, Error)]
pub enum JobError {
    #[error(
        "failed to build the pod for attempt {attempt} of RenderJob {namespace}/{job}: {source}"
    )]
    BuildPod {
        namespace: String,
        job: String,
        attempt: u32,
        #[source]
        source: PodError,
    },
    #[error("failed to create pod {namespace}/{pod}: {source}")]
    CreatePod {
        namespace: String,
        pod: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to delete pod {namespace}/{pod}: {source}")]
    DeletePod {
        namespace: String,
        pod: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to update the status of RenderJob {namespace}/{job}: {source}")]
    PatchStatus {
        namespace: String,
        job: String,
        #[source]
        source: kube::Error,
    },
}

impl JobError {
    pub fn metric_label(&self) -> &'static str {
        match self {
            JobError::BuildPod { .. } => "build_pod",
            JobError::CreatePod { .. } => "create_pod",
            JobError::DeletePod { .. } => "delete_pod",
            JobError::PatchStatus { .. } => "patch_status",
        }
    }
}

#[tracing::instrument(skip_all, fields(job = %job.name_any(), namespace = job.namespace().unwrap_or_default()))]
pub async fn reconcile(job: Arc<RenderJob>, context: Arc<Context>) -> Result<Requeue, JobError> {
    let _timer = context.metrics.reconcile(CONTROLLER);
    let result = reconcile_job(&job, &context).await;
    if let Err(error) = &result {
        context
            .metrics
            .reconcile_failed(CONTROLLER, error.metric_label());
    }
    result
}

pub fn error_policy(_job: Arc<RenderJob>, error: &JobError, _context: Arc<Context>) -> Requeue {
    tracing::warn!(%error, "reconcile failed; trying again in 5 s");
    Requeue::requeue(Duration::from_secs(5))
}

async fn reconcile_job(job: &RenderJob, context: &Context) -> Result<Requeue, JobError> {
    let name = job.name_any();
    let namespace = job.namespace().unwrap_or_default();
    if job.meta().deletion_timestamp.is_some() {
        return Ok(Requeue::await_change());
    }
    // gather
    let pods = job_pods(context, &namespace, &name);
    let observation = Observation {
        job,
        pods: pods.iter().map(AsRef::as_ref).collect(),
        now: jiff::Timestamp::now(),
    };
    // decide (pure)
    let decision = decide(&observation);
    // update status first, only when the operator's fields changed: the next attempt's agent
    // reads failedFrames from it
    let current = job.status.as_ref().map(operator_owned).unwrap_or_default();
    if current != decision.status {
        let patch = serde_json::json!({
            "apiVersion": "framefarm.io/v1alpha1",
            "kind": "RenderJob",
            "status": decision.status,
        });
        Api::<RenderJob>::namespaced(context.client.clone(), &namespace)
            .patch_status(
                &name,
                &PatchParams::apply(OPERATOR_MANAGER).force(),
                &Patch::Apply(&patch),
            )
            .await
            .map_err(|source| JobError::PatchStatus {
                namespace: namespace.clone(),
                job: name.clone(),
                source,
            })?;
    }
    // apply
    let pods_api: Api<Pod> = Api::namespaced(context.client.clone(), &namespace);
    match &decision.action {
        Action::Nothing => {}
        Action::CreatePod {
            attempt,
            avoid_nodes,
        } => {
            let pod = build_render_pod(job, *attempt, avoid_nodes, &context.pod_settings).map_err(
                |source| JobError::BuildPod {
                    namespace: namespace.clone(),
                    job: name.clone(),
                    attempt: *attempt,
                    source,
                },
            )?;
            let pod_name = pod.name_any();
            pods_api
                .patch(
                    &pod_name,
                    &PatchParams::apply(OPERATOR_MANAGER).force(),
                    &Patch::Apply(&pod),
                )
                .await
                .map_err(|source| JobError::CreatePod {
                    namespace: namespace.clone(),
                    pod: pod_name.clone(),
                    source,
                })?;
            tracing::info!(pod = %pod_name, attempt, "started attempt");
        }
        Action::DeletePod { name: pod_name } => {
            match pods_api.delete(pod_name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(source) => {
                    return Err(JobError::DeletePod {
                        namespace: namespace.clone(),
                        pod: pod_name.clone(),
                        source,
                    });
                }
            }
        }
    }
    let reference = job.object_ref(&());
    for event in decision.events {
        context
            .publish(&reference, event.warning, event.reason, event.message)
            .await;
    }
    Ok(match decision.requeue_after {
        Some(after) => Requeue::requeue(after.min(RESYNC)),
        None => Requeue::requeue(RESYNC),
    })
}

/// The pods of a RenderJob, from the cache.
fn job_pods(context: &Context, namespace: &str, job: &str) -> Vec<Arc<Pod>> {
    context
        .pods
        .state()
        .into_iter()
        .filter(|pod| {
            pod.metadata.namespace.as_deref() == Some(namespace)
                && pod.labels().get(JOB_LABEL).map(String::as_str) == Some(job)
        })
        .collect()
}
