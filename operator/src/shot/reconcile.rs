//! One RenderShot reconcile: gather (Secret, RenderJobs, storage checks) → validate → plan
//! a requested retry of failed frames and the RenderJobs → apply them → start the preview when every frame is done → roll the
//! status up and write it when it changed (progress at most once a second). Shots with
//! `retention: Delete` carry a finalizer whose cleanup removes their files from storage.

use std::sync::Arc;
use std::time::Duration;

use framefarm_crds::conditions::{STALLED, find_condition};
use framefarm_crds::output::{Retention, preview_keys};
use framefarm_crds::{FrameSet, RenderJob, RenderShot, RenderShotStatus};
use kube::api::Api;
use kube::runtime::controller::Action as Requeue;
use kube::runtime::finalizer::{self, Event as FinalizerEvent, finalizer};
use kube::{Resource, ResourceExt};
use thiserror::Error;

use super::gather;
use super::plan::{overwrites, plan_jobs};
use super::rollup::{PreviewState, RollupInput, all_frames_done, roll_up};
use super::validate::{Invalid, SceneCheck, ValidatedShot, is_retryable, validate_shot};
use super::{apply, cleanup, report, retry};
use crate::context::Context;
use crate::names::{CLEANUP_FINALIZER, RENDER_HASH_LABEL, preview_pod_name};
use crate::pods::PodError;
use crate::pods::preview::build_preview_pod;
use crate::storage::{ShotStorage, ShotStorageError};

/// The controller's name in metrics and logs.
pub const CONTROLLER: &str = "rendershot";

/// How soon a shot stalled on something outside the cluster is checked again.
const RECHECK: Duration = Duration::from_secs(20);

#[derive(Debug, Error)]
pub enum ShotError {
    #[error("failed to read Secret {namespace}/{secret}: {source}")]
    GetSecret {
        namespace: String,
        secret: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to apply RenderJob {namespace}/{job}: {source}")]
    ApplyJob {
        namespace: String,
        job: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to delete RenderJob {namespace}/{job}: {source}")]
    DeleteJob {
        namespace: String,
        job: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to build the preview pod of RenderShot {namespace}/{shot}: {source}")]
    BuildPreviewPod {
        namespace: String,
        shot: String,
        #[source]
        source: PodError,
    },
    #[error("failed to create preview pod {namespace}/{pod}: {source}")]
    ApplyPreviewPod {
        namespace: String,
        pod: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to update the status of RenderShot {namespace}/{shot}: {source}")]
    PatchStatus {
        namespace: String,
        shot: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to remove the finalizer of RenderShot {namespace}/{shot}: {source}")]
    RemoveFinalizer {
        namespace: String,
        shot: String,
        #[source]
        source: kube::Error,
    },
    #[error(transparent)]
    Storage(#[from] ShotStorageError),
    #[error(transparent)]
    Finalizer(Box<finalizer::Error<ShotError>>),
}

impl ShotError {
    pub fn metric_label(&self) -> &'static str {
        match self {
            ShotError::GetSecret { .. } => "get_secret",
            ShotError::ApplyJob { .. } => "apply_job",
            ShotError::DeleteJob { .. } => "delete_job",
            ShotError::BuildPreviewPod { .. } => "build_preview_pod",
            ShotError::ApplyPreviewPod { .. } => "apply_preview_pod",
            ShotError::PatchStatus { .. } => "patch_status",
            ShotError::RemoveFinalizer { .. } => "remove_finalizer",
            ShotError::Storage(_) => "storage",
            ShotError::Finalizer(_) => "finalizer",
        }
    }
}

#[tracing::instrument(skip_all, fields(shot = %shot.name_any(), namespace = shot.namespace().unwrap_or_default()))]
pub async fn reconcile(shot: Arc<RenderShot>, context: Arc<Context>) -> Result<Requeue, ShotError> {
    let _timer = context.metrics.reconcile(CONTROLLER);
    let result = reconcile_shot(shot, &context).await;
    if let Err(error) = &result {
        context
            .metrics
            .reconcile_failed(CONTROLLER, error.metric_label());
    }
    result
}

pub fn error_policy(_shot: Arc<RenderShot>, error: &ShotError, _context: Arc<Context>) -> Requeue {
    tracing::warn!(%error, "reconcile failed; trying again in 5 s");
    Requeue::requeue(Duration::from_secs(5))
}

async fn reconcile_shot(shot: Arc<RenderShot>, context: &Context) -> Result<Requeue, ShotError> {
    let wants_cleanup = shot.spec.render.output.retention == Retention::Delete;
    let has_finalizer = shot.finalizers().iter().any(|f| f == CLEANUP_FINALIZER);
    if !wants_cleanup && !has_finalizer {
        if shot.meta().deletion_timestamp.is_some() {
            context.forget_shot(&shot_key(&shot));
            return Ok(Requeue::await_change());
        }
        return render(&shot, context).await;
    }
    let namespace = shot.namespace().unwrap_or_default();
    let api: Api<RenderShot> = Api::namespaced(context.client.clone(), &namespace);
    finalizer(&api, CLEANUP_FINALIZER, shot, |event| async {
        match event {
            FinalizerEvent::Apply(shot) if wants_cleanup => render(&shot, context).await,
            FinalizerEvent::Apply(shot) => {
                cleanup::remove_finalizer(&shot, context).await?;
                render(&shot, context).await
            }
            FinalizerEvent::Cleanup(shot) => cleanup::cleanup(&shot, context).await,
        }
    })
    .await
    .map_err(|error| ShotError::Finalizer(Box::new(error)))
}

pub(super) fn shot_key(shot: &RenderShot) -> String {
    format!(
        "{}/{}",
        shot.namespace().unwrap_or_default(),
        shot.name_any()
    )
}

async fn render(shot: &RenderShot, context: &Context) -> Result<Requeue, ShotError> {
    let previous = shot.status.clone().unwrap_or_default();
    let generation = shot.metadata.generation;
    // gather
    let credentials = gather::credentials(shot, context).await?;
    let jobs = gather::jobs(shot, context);
    let storage = match &credentials.check {
        Some(check) if credentials.keys.is_none() && check.keys.is_none() => None,
        _ => Some(ShotStorage::connect(shot, credentials.keys.clone())),
    };
    let scene = if scene_check_due(&previous, generation) {
        match &storage {
            Some(Ok(storage)) => gather::scene(storage).await,
            Some(Err(error)) => SceneCheck::Unreachable(error.to_string()),
            None => SceneCheck::Found,
        }
    } else {
        SceneCheck::Found
    };
    // validate
    let validated = validate_shot(shot, credentials.check.as_ref(), &scene);
    let (validated, storage) = match (validated, storage) {
        (Ok(validated), Some(Ok(storage))) => (validated, storage),
        (Ok(validated), None) => {
            // No Secret named: the operator's own credentials are used.
            let storage = ShotStorage::connect(shot, None)?;
            (validated, storage)
        }
        (Ok(_), Some(Err(error))) => return Err(error.into()),
        (Err(invalid), _) => return stall(shot, &previous, &jobs, &invalid, context).await,
    };
    // plan: a requested retry first, then the chunks around it
    let found = found_frames(shot, &previous, &validated, &jobs, &storage).await?;
    let cached: Vec<&RenderJob> = jobs.iter().map(AsRef::as_ref).collect();
    let retry = retry::plan_retry(
        &validated,
        retry::requested_token(shot),
        &previous,
        &cached,
        overwrites(&validated, &previous),
    )
    .unwrap_or_default();
    let retained = if retry.token.is_empty() {
        retry::retained_frames(&validated, &previous, &cached)
    } else {
        retry.retained.clone()
    };
    let job_refs: Vec<&RenderJob> = cached
        .into_iter()
        .filter(|job| !retry.delete.contains(&job.name_any()))
        .chain(&retry.create)
        .collect();
    let plan = plan_jobs(&validated, &previous, &job_refs, &found, &retained);
    // apply: replacements exist before the jobs they replace go, so their frames stay covered
    let namespace = validated.namespace.clone();
    let mut applied = Vec::with_capacity(retry.create.len() + plan.apply.len());
    for job in &retry.create {
        applied.push(apply::apply_job(job, context).await?);
    }
    let deleted: Vec<String> = retry.delete.iter().chain(&plan.delete).cloned().collect();
    for name in &deleted {
        apply::delete_job(&namespace, name, context).await?;
    }
    for job in &plan.apply {
        applied.push(apply::apply_job(job, context).await?);
    }
    if !retry.token.is_empty() {
        tracing::info!(
            token = retry.token,
            replaced = retry.delete.len(),
            "retrying failed frames"
        );
    }
    if !plan.apply.is_empty() || !plan.delete.is_empty() {
        tracing::info!(
            applied = plan.apply.len(),
            deleted = plan.delete.len(),
            "planned RenderJobs"
        );
    }
    let current = current_jobs(&jobs, applied, &deleted, &validated.render_hash);
    let current_refs: Vec<&RenderJob> = current.iter().collect();
    // preview: a retry makes it again, with the frames rendered anew
    let retry_token = if retry.token.is_empty() {
        previous.retry_token.as_deref()
    } else {
        Some(retry.token.as_str())
    };
    let preview_pod = preview_pod_name(&validated.name, &validated.render_hash, retry_token);
    let preview = if retry.token.is_empty() {
        preview_state(shot, &previous, &validated, &preview_pod, context)
    } else {
        PreviewState::NotStarted
    };
    let input = RollupInput {
        shot,
        validated: Ok(&validated),
        jobs: &current_refs,
        found: &found,
        found_generation: generation,
        retained: &retained,
        retry_token: (!retry.token.is_empty()).then_some(retry.token.as_str()),
        remaining_chunks: plan.remaining_chunks,
        overwrite: plan.overwrite,
        preview: &preview,
        now: jiff::Timestamp::now(),
    };
    let mut next = roll_up(&input);
    let starts_preview = all_frames_done(&next)
        && next.frames.rendered > 0
        && !validated.suspend
        && matches!(preview, PreviewState::NotStarted);
    if starts_preview {
        let pod = build_preview_pod(
            shot,
            &validated.render_hash,
            retry_token,
            &context.pod_settings,
        )
        .map_err(|source| ShotError::BuildPreviewPod {
            namespace: namespace.clone(),
            shot: validated.name.clone(),
            source,
        })?;
        apply::apply_preview_pod(&pod, context).await?;
        next = roll_up(&RollupInput {
            preview: &PreviewState::Running,
            ..input
        });
    }
    report::write_status(shot, &previous, next, context).await
}

/// The scene is looked up again when the spec changed or the shot waits for it.
fn scene_check_due(previous: &RenderShotStatus, generation: Option<i64>) -> bool {
    previous.observed_generation != generation
        || find_condition(&previous.conditions, STALLED)
            .is_some_and(|stalled| stalled.status == "True")
}

/// Frames already in the output: looked up once per generation, then read from status.
async fn found_frames(
    shot: &RenderShot,
    previous: &RenderShotStatus,
    validated: &ValidatedShot,
    jobs: &[Arc<RenderJob>],
    storage: &ShotStorage,
) -> Result<FrameSet, ShotError> {
    if overwrites(validated, previous) {
        return Ok(FrameSet::new());
    }
    if previous.found_generation.is_some() && previous.found_generation == shot.metadata.generation
    {
        // A summarised set keeps what it lists; the agent skips the rest by itself.
        return Ok(FrameSet::from_status(previous.found_frames.as_deref()));
    }
    let covered = FrameSet::union_all(
        jobs.iter()
            .filter_map(|job| FrameSet::parse(&job.spec.frames).ok())
            .collect::<Vec<_>>()
            .iter(),
    );
    let unplanned = validated.frames.difference(&covered);
    gather::found_frames(storage, &unplanned).await
}

/// The RenderJobs of the current render after the plan was applied.
fn current_jobs(
    cached: &[Arc<RenderJob>],
    applied: Vec<RenderJob>,
    deleted: &[String],
    hash: &str,
) -> Vec<RenderJob> {
    let mut current: Vec<RenderJob> = cached
        .iter()
        .filter(|job| {
            job.labels().get(RENDER_HASH_LABEL).map(String::as_str) == Some(hash)
                && !deleted.contains(&job.name_any())
                && !applied
                    .iter()
                    .any(|fresh| fresh.name_any() == job.name_any())
        })
        .map(|job| RenderJob::clone(job))
        .collect();
    current.extend(applied);
    current
}

fn preview_state(
    shot: &RenderShot,
    previous: &RenderShotStatus,
    validated: &ValidatedShot,
    pod_name: &str,
    context: &Context,
) -> PreviewState {
    let prefix = validated
        .settings
        .output
        .location()
        .map(|location| location.key().to_owned())
        .unwrap_or_default();
    let (contact_sheet_key, animation_key) = preview_keys(&prefix, &validated.name);
    let made = || PreviewState::Made {
        contact_sheet_key: contact_sheet_key.clone(),
        animation_key: animation_key.clone(),
    };
    let pod = gather::preview_pod(shot, pod_name, context);
    let phase = pod
        .as_ref()
        .and_then(|pod| pod.status.as_ref())
        .and_then(|status| status.phase.clone());
    match (pod, phase.as_deref()) {
        (Some(_), Some("Succeeded")) => made(),
        (Some(pod), Some("Failed")) => PreviewState::Failed(format!(
            "the preview pod {} failed; see `kubectl logs {}`",
            pod.name_any(),
            pod.name_any()
        )),
        (Some(_), _) => PreviewState::Running,
        (None, _) => match &previous.preview {
            Some(preview)
                if preview.animation_key.is_some()
                    && previous.render_hash.as_ref() == Some(&validated.render_hash) =>
            {
                made()
            }
            _ => PreviewState::NotStarted,
        },
    }
}

/// An invalid shot: status says why; nothing is planned, running work is left alone.
async fn stall(
    shot: &RenderShot,
    previous: &RenderShotStatus,
    jobs: &[Arc<RenderJob>],
    invalid: &Invalid,
    context: &Context,
) -> Result<Requeue, ShotError> {
    let hash = previous.render_hash.clone().unwrap_or_default();
    let current: Vec<&RenderJob> = jobs
        .iter()
        .filter(|job| job.labels().get(RENDER_HASH_LABEL) == Some(&hash))
        .map(AsRef::as_ref)
        .collect();
    let found = FrameSet::new();
    let preview = PreviewState::NotStarted;
    let input = RollupInput {
        shot,
        validated: Err(invalid),
        jobs: &current,
        found: &found,
        found_generation: previous.found_generation,
        retained: &FrameSet::from_status(previous.retained_frames.as_deref()),
        retry_token: None,
        remaining_chunks: 0,
        overwrite: previous.overwrite_existing == Some(true),
        preview: &preview,
        now: jiff::Timestamp::now(),
    };
    let next = roll_up(&input);
    report::write_status(shot, previous, next, context).await?;
    Ok(Requeue::requeue(if is_retryable(invalid) {
        RECHECK
    } else {
        // Secrets are not watched: look again now and then.
        RECHECK * 3
    }))
}
