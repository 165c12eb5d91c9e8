//! Rendering failed frames again on request: when the shot's `framefarm.io/retry-failed`
//! annotation holds a value its status has not recorded, each RenderJob of the current render
//! that ended Failed is replaced by a RenderJob of only its failed frames, and the frames the
//! replaced job did render are retained in the status so they are never planned again. Pure:
//! the apply step deletes and creates, the roll-up records the token and retained frames.

use framefarm_crds::job::JobPhase;
use framefarm_crds::shot::{RENDER_HASH_LABEL, RETRY_FAILED_ANNOTATION};
use framefarm_crds::{FrameSet, RenderJob, RenderShot, RenderShotStatus};
use kube::ResourceExt;

use super::plan::named_job;
use super::validate::ValidatedShot;
use crate::names::{RETAINED_ANNOTATION, retry_job_name};

/// What acting on a retry request does.
#[derive(Clone, Debug, Default)]
pub struct RetryPlan {
    /// The annotation value acted on, recorded in `status.retryToken`.
    pub token: String,
    /// Failed RenderJobs to delete, sorted.
    pub delete: Vec<String>,
    /// One RenderJob per deleted one, holding only its failed frames.
    pub create: Vec<RenderJob>,
    /// Frames kept from earlier retries and rendered by the deleted jobs.
    pub retained: FrameSet,
}

/// The retry token the user asked for, when the annotation holds one.
pub fn requested_token(shot: &RenderShot) -> Option<&str> {
    shot.annotations()
        .get(RETRY_FAILED_ANNOTATION)
        .map(|token| token.trim())
        .filter(|token| !token.is_empty())
}

/// Frames retained from replaced RenderJobs of the current render: those the status records,
/// and those the replacements carry, which a reconcile reading a status older than its
/// RenderJobs would otherwise miss.
pub fn retained_frames(
    shot: &ValidatedShot,
    status: &RenderShotStatus,
    jobs: &[&RenderJob],
) -> FrameSet {
    let mut sets: Vec<FrameSet> = jobs
        .iter()
        .filter(|job| job.labels().get(RENDER_HASH_LABEL) == Some(&shot.render_hash))
        .filter_map(|job| job.annotations().get(RETAINED_ANNOTATION))
        .map(|frames| FrameSet::from_status(Some(frames)))
        .collect();
    if status.render_hash.as_deref() == Some(shot.render_hash.as_str()) {
        sets.push(FrameSet::from_status(status.retained_frames.as_deref()));
    }
    FrameSet::union_all(&sets).intersection(&shot.frames)
}

/// Plans the retry asked for by `requested`, or `None` when it has been handled already.
/// `jobs` are the shot's RenderJobs of every render hash; `overwrite` is the plan's.
pub fn plan_retry(
    shot: &ValidatedShot,
    requested: Option<&str>,
    status: &RenderShotStatus,
    jobs: &[&RenderJob],
    overwrite: bool,
) -> Option<RetryPlan> {
    let token = requested?;
    if status.retry_token.as_deref() == Some(token) {
        return None;
    }
    let mut failed_jobs: Vec<(&RenderJob, FrameSet, FrameSet)> = jobs
        .iter()
        .filter(|job| job.labels().get(RENDER_HASH_LABEL) == Some(&shot.render_hash))
        .filter_map(|job| {
            let status = job.status.as_ref()?;
            if status.phase != Some(JobPhase::Failed) {
                return None;
            }
            let rendered = FrameSet::from_status(status.rendered_frames.as_deref());
            let failed = FrameSet::from_status(status.failed_frames.as_deref())
                .difference(&rendered)
                .intersection(&shot.frames);
            Some((*job, rendered.intersection(&shot.frames), failed))
        })
        .collect();
    failed_jobs.sort_by_key(|(job, _, failed)| (failed.first(), job.name_any()));

    let mut plan = RetryPlan {
        token: token.to_owned(),
        retained: retained_frames(shot, status, jobs),
        ..RetryPlan::default()
    };
    let mut kept = vec![plan.retained.clone()];
    for (job, rendered, failed) in failed_jobs {
        let name = job.name_any();
        if let Some(first) = failed.first() {
            let replacement = retry_job_name(&shot.name, &shot.render_hash, first, &name);
            let mut replacement = named_job(shot, replacement, failed.to_string(), overwrite);
            if !rendered.is_empty() {
                replacement
                    .metadata
                    .annotations
                    .get_or_insert_default()
                    .insert(RETAINED_ANNOTATION.to_owned(), rendered.to_string());
            }
            plan.create.push(replacement);
        }
        kept.push(rendered);
        plan.delete.push(name);
    }
    plan.retained = FrameSet::union_all(&kept);
    plan.delete.sort_unstable();
    Some(plan)
}

#[cfg(test)]
mod tests;
