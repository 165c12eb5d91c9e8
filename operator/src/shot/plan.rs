//! Decides which RenderJobs a shot needs now: chunks of the frames nobody covers yet, up to
//! `parallelism` unfinished jobs; settings pushed to unfinished jobs; jobs of an old render
//! hash or of dropped frames removed. Pure and deterministic: applying and deleting is the
//! apply step's work.

use std::collections::BTreeMap;

use framefarm_crds::job::JobPhase;
use framefarm_crds::{FrameSet, RenderJob, RenderJobSpec, RenderSettings, RenderShotStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::ResourceExt;

use super::validate::ValidatedShot;
use crate::names::{
    self, MANAGED_BY, MANAGED_BY_LABEL, OVERWRITE_ANNOTATION, RENDER_COMPONENT, RENDER_HASH_LABEL,
    SHOT_LABEL,
};

/// What the apply step should do for one shot.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// New RenderJobs and unfinished ones whose spec must change, in frame order.
    pub apply: Vec<RenderJob>,
    /// Names of RenderJobs to delete, sorted.
    pub delete: Vec<String>,
    /// Chunks not created yet; they count in `status.jobs.total`.
    pub remaining_chunks: u64,
    /// Whether this render replaces files rendered with other settings.
    pub overwrite: bool,
}

/// Whether a RenderJob is done for good: rendered, or out of attempts.
pub fn is_finished(job: &RenderJob) -> bool {
    matches!(phase(job), Some(JobPhase::Succeeded | JobPhase::Failed))
}

/// Whether a RenderJob has had a pod: its frames may be partly rendered.
pub fn is_started(job: &RenderJob) -> bool {
    job.status
        .as_ref()
        .is_some_and(|status| status.attempt.is_some())
}

fn phase(job: &RenderJob) -> Option<JobPhase> {
    job.status.as_ref().and_then(|status| status.phase)
}

/// Whether the current render overwrites existing files: it follows a render with other
/// settings, or continues one that did.
pub fn overwrites(shot: &ValidatedShot, status: &RenderShotStatus) -> bool {
    match &status.render_hash {
        Some(hash) if *hash != shot.render_hash => true,
        Some(_) => status.overwrite_existing == Some(true),
        None => false,
    }
}

/// Plans the RenderJobs of `shot`. `jobs` are all RenderJobs labelled with the shot (every
/// render hash); `found` are the frames already in the output, ignored when overwriting;
/// `retained` are the frames rendered by RenderJobs a retry replaced, never planned again.
pub fn plan_jobs(
    shot: &ValidatedShot,
    status: &RenderShotStatus,
    jobs: &[&RenderJob],
    found: &FrameSet,
    retained: &FrameSet,
) -> Plan {
    let overwrite = overwrites(shot, status);
    let mut delete = Vec::new();
    let mut current = Vec::with_capacity(jobs.len());
    for job in jobs {
        if job.labels().get(RENDER_HASH_LABEL) == Some(&shot.render_hash) {
            current.push(CurrentJob::new(job));
        } else {
            delete.push(job.name_any());
        }
    }
    // The cache hands jobs over in no particular order; the plan must not depend on it.
    current.sort_by(|a, b| (a.frames.first(), a.name).cmp(&(b.frames.first(), b.name)));

    let covered = FrameSet::union_all(current.iter().map(|job| &job.frames));
    let mut candidates = shot.frames.difference(&covered).difference(retained);
    if !overwrite {
        candidates = candidates.difference(found);
    }

    let desired = desired_settings(shot);
    let mut apply = Vec::new();
    let mut unfinished = 0_usize;
    for job in current.iter().filter(|job| !is_finished(job.job)) {
        if !is_started(job.job) && !overlaps(&job.frames, &shot.frames) {
            delete.push(job.name.to_owned());
            continue;
        }
        unfinished += 1;
        if job.job.spec.render != desired {
            apply.push(named_job(
                shot,
                job.name.to_owned(),
                job.job.spec.frames.clone(),
                overwrite,
            ));
        }
    }

    let chunks = candidates.len().div_ceil(shot.chunk_size.max(1));
    let slots = if shot.suspend {
        0
    } else {
        shot.parallelism.saturating_sub(unfinished)
    };
    let created: Vec<RenderJob> = candidates
        .chunks(shot.chunk_size)
        .take(slots)
        .map(|chunk| build_job(shot, &chunk, overwrite))
        .collect();
    let remaining_chunks = chunks.saturating_sub(created.len() as u64);
    apply.extend(created);

    delete.sort_unstable();
    delete.dedup();
    Plan {
        apply,
        delete,
        remaining_chunks,
        overwrite,
    }
}

/// A RenderJob of the current render hash with its frames parsed once.
struct CurrentJob<'a> {
    job: &'a RenderJob,
    name: &'a str,
    frames: FrameSet,
}

impl<'a> CurrentJob<'a> {
    fn new(job: &'a RenderJob) -> Self {
        // The CRD schema rejects unparsable frames; an empty set covers nothing and is replanned.
        let frames = FrameSet::parse(&job.spec.frames).unwrap_or_default();
        let name = job.metadata.name.as_deref().unwrap_or_default();
        Self { job, name, frames }
    }
}

/// Whether the two sets share a frame, looking only at the runs of `shot` that can reach
/// `job`'s runs: a job holds a handful of runs, a shot may hold thousands.
fn overlaps(job: &FrameSet, shot: &FrameSet) -> bool {
    let shot_runs = shot.runs();
    job.runs().iter().any(|run| {
        let start = shot_runs.partition_point(|candidate| candidate.last() < run.first());
        shot_runs[start..]
            .iter()
            .take_while(|candidate| candidate.first() <= run.last())
            .any(|candidate| {
                !FrameSet::from_run(*candidate)
                    .intersection(&FrameSet::from_run(*run))
                    .is_empty()
            })
    })
}

/// The settings every unfinished RenderJob of `shot` should carry.
fn desired_settings(shot: &ValidatedShot) -> RenderSettings {
    RenderSettings {
        suspend: shot.suspend,
        ..shot.settings.clone()
    }
}

/// The RenderJob rendering `frames` of `shot`, named after its first frame.
pub fn build_job(shot: &ValidatedShot, frames: &FrameSet, overwrite: bool) -> RenderJob {
    let first = frames.first().unwrap_or_default();
    named_job(
        shot,
        names::job_name(&shot.name, &shot.render_hash, first),
        frames.to_string(),
        overwrite,
    )
}

pub(super) fn named_job(
    shot: &ValidatedShot,
    name: String,
    frames: String,
    overwrite: bool,
) -> RenderJob {
    let mut job = RenderJob::new(
        &name,
        RenderJobSpec {
            frames,
            render: desired_settings(shot),
        },
    );
    let metadata = &mut job.metadata;
    metadata.namespace = Some(shot.namespace.clone());
    metadata.labels = Some(BTreeMap::from([
        (SHOT_LABEL.to_owned(), shot.name.clone()),
        (RENDER_HASH_LABEL.to_owned(), shot.render_hash.clone()),
        (MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned()),
        (
            names::COMPONENT_LABEL.to_owned(),
            RENDER_COMPONENT.to_owned(),
        ),
    ]));
    if overwrite {
        metadata.annotations = Some(BTreeMap::from([(
            OVERWRITE_ANNOTATION.to_owned(),
            "true".to_owned(),
        )]));
    }
    metadata.owner_references = Some(vec![OwnerReference {
        api_version: format!("{}/{}", framefarm_crds::GROUP, framefarm_crds::VERSION),
        kind: "RenderShot".to_owned(),
        name: shot.name.clone(),
        uid: shot.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }]);
    job
}

#[cfg(test)]
mod tests;
