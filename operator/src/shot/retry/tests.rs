//! How a retry request replaces failed RenderJobs: only failed frames are rendered again,
//! rendered frames are retained, and a token is acted on once.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use framefarm_crds::job::JobPhase;
use framefarm_crds::{FrameSet, RenderJob, RenderShotStatus};
use kube::ResourceExt;

use super::*;
use crate::names::{self, RETAINED_ANNOTATION};
use crate::shot::plan::plan_jobs;
use crate::shot::validate::fixtures::{frames, job, validated};

fn status_of(shot: &ValidatedShot) -> RenderShotStatus {
    RenderShotStatus {
        render_hash: Some(shot.render_hash.clone()),
        ..RenderShotStatus::default()
    }
}

fn finished(
    shot: &ValidatedShot,
    frames_text: &str,
    phase: JobPhase,
    rendered: &str,
    failed: &str,
) -> RenderJob {
    let mut job = job(shot, frames_text, Some(phase));
    let status = job.status.as_mut().unwrap();
    status.attempt = Some(2);
    status.rendered_frames = (!rendered.is_empty()).then(|| rendered.to_owned());
    status.failed_frames = (!failed.is_empty()).then(|| failed.to_owned());
    job
}

#[test]
fn a_new_token_replaces_each_failed_job_by_one_of_its_failed_frames_only() {
    let shot = validated(r#"{frames: "1-30", chunkSize: 10}"#);
    let jobs = [
        finished(&shot, "1-10", JobPhase::Failed, "1-2,4-10", "3"),
        finished(&shot, "11-20", JobPhase::Succeeded, "11-20", ""),
        finished(&shot, "21-30", JobPhase::Failed, "21-24,27-30", "25-26"),
    ];
    let refs: Vec<&RenderJob> = jobs.iter().collect();
    let retry = plan_retry(&shot, Some("t1"), &status_of(&shot), &refs, false).unwrap();

    assert_eq!(retry.token, "t1");
    assert_eq!(retry.delete, [jobs[0].name_any(), jobs[2].name_any()]);
    let created: Vec<(String, &str)> = retry
        .create
        .iter()
        .map(|job| (job.name_any(), job.spec.frames.as_str()))
        .collect();
    let name = |first| names::job_name(&shot.name, &shot.render_hash, first);
    assert_eq!(
        created,
        [
            (format!("{}-r1", name(3)), "3"),
            (format!("{}-r1", name(25)), "25,26"),
        ]
    );
    assert_eq!(retry.retained, frames("1-2,4-10,21-24,27-30"));
    assert_eq!(
        retry.create[0].annotations().get(RETAINED_ANNOTATION),
        Some(&"1,2,4-10".to_owned()),
        "the replacement carries what its predecessor rendered"
    );
    assert_eq!(
        retry.create[0].owner_references()[0].uid,
        shot.uid,
        "replacements are owned by the shot like planned jobs"
    );
}

#[test]
fn after_a_retry_the_planner_renders_nothing_the_replaced_jobs_had_rendered() {
    let shot = validated(r#"{frames: "1-20", chunkSize: 10, parallelism: 4}"#);
    let jobs = [
        finished(&shot, "1-10", JobPhase::Failed, "1-2,4-10", "3"),
        finished(&shot, "11-20", JobPhase::Succeeded, "11-20", ""),
    ];
    let refs: Vec<&RenderJob> = jobs.iter().collect();
    let status = status_of(&shot);
    let retry = plan_retry(&shot, Some("t1"), &status, &refs, false).unwrap();

    // The next reconcile sees the replacement, not the replaced job, and a status that does
    // not record the retry yet: the frames are retained all the same.
    let after: Vec<&RenderJob> = vec![&retry.create[0], &jobs[1]];
    let retained = retained_frames(&shot, &status, &after);
    assert_eq!(retained, frames("1-2,4-10"));
    let plan = plan_jobs(&shot, &status, &after, &FrameSet::new(), &retained);
    assert!(plan.apply.is_empty(), "{:?}", plan.apply);
    assert_eq!(plan.remaining_chunks, 0);
    assert!(plan.delete.is_empty());
}

#[test]
fn a_token_is_acted_on_once_and_an_absent_one_never() {
    let shot = validated(r#"{frames: "1-10", chunkSize: 10}"#);
    let jobs = [finished(&shot, "1-10", JobPhase::Failed, "1-2", "3-10")];
    let refs: Vec<&RenderJob> = jobs.iter().collect();
    let handled = RenderShotStatus {
        retry_token: Some("t1".into()),
        ..status_of(&shot)
    };
    assert!(plan_retry(&shot, Some("t1"), &handled, &refs, false).is_none());
    assert!(plan_retry(&shot, None, &status_of(&shot), &refs, false).is_none());
    let again = plan_retry(&shot, Some("t2"), &handled, &refs, false).unwrap();
    assert_eq!(again.delete.len(), 1);
}

#[test]
fn a_token_with_nothing_failed_is_recorded_and_changes_nothing() {
    let shot = validated(r#"{frames: "1-20", chunkSize: 10}"#);
    let jobs = [
        finished(&shot, "1-10", JobPhase::Succeeded, "1-10", ""),
        finished(&shot, "11-20", JobPhase::Running, "11", ""),
    ];
    let refs: Vec<&RenderJob> = jobs.iter().collect();
    let retry = plan_retry(&shot, Some("t1"), &status_of(&shot), &refs, false).unwrap();
    assert_eq!(retry.token, "t1");
    assert!(retry.delete.is_empty() && retry.create.is_empty());
    assert!(retry.retained.is_empty());
}

#[test]
fn a_replacement_that_fails_again_is_replaced_one_round_later() {
    let shot = validated(r#"{frames: "1-10", chunkSize: 10}"#);
    let first = plan_retry(
        &shot,
        Some("t1"),
        &status_of(&shot),
        &[&finished(&shot, "1-10", JobPhase::Failed, "2-10", "1")],
        false,
    )
    .unwrap();
    let mut replacement = first.create[0].clone();
    let status = replacement.status.get_or_insert_default();
    status.phase = Some(JobPhase::Failed);
    status.failed_frames = Some("1".into());
    let recorded = RenderShotStatus {
        retry_token: Some("t1".into()),
        retained_frames: Some("2-10".into()),
        ..status_of(&shot)
    };
    let second = plan_retry(&shot, Some("t2"), &recorded, &[&replacement], false).unwrap();
    let name = names::job_name(&shot.name, &shot.render_hash, 1);
    assert_eq!(second.delete, [format!("{name}-r1")]);
    assert_eq!(second.create[0].name_any(), format!("{name}-r2"));
    assert_eq!(second.retained, frames("2-10"));
}

#[test]
fn jobs_of_earlier_settings_are_not_retried_and_their_frames_not_retained() {
    let old = validated(r#"{frames: "1-10", chunkSize: 10}"#);
    let new = validated(r#"{frames: "1-10", chunkSize: 10, scene: {uri: "s3://studio/v2.blend"}}"#);
    let jobs = [finished(&old, "1-10", JobPhase::Failed, "1-9", "10")];
    let refs: Vec<&RenderJob> = jobs.iter().collect();
    let recorded = RenderShotStatus {
        retained_frames: Some("1-5".into()),
        ..status_of(&old)
    };
    let retry = plan_retry(&new, Some("t1"), &recorded, &refs, false).unwrap();
    assert!(retry.delete.is_empty());
    assert!(retry.retained.is_empty());
}
