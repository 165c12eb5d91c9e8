//! How planning answers new shots, finished jobs, suspension, settings and render-hash changes,
//! shrunk and extended frame sets, and a shot of 100,000 frames.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use framefarm_crds::job::JobPhase;
use framefarm_crds::{FrameSet, RenderJob, RenderShotStatus};
use kube::ResourceExt;

use super::*;
use crate::shot::validate::fixtures::{frames, job, validated};

fn plan(shot: &ValidatedShot, jobs: &[RenderJob], found: &str) -> Plan {
    let jobs: Vec<&RenderJob> = jobs.iter().collect();
    let found = if found.is_empty() {
        FrameSet::new()
    } else {
        frames(found)
    };
    plan_jobs(shot, &status_of(shot), &jobs, &found, &FrameSet::new())
}

/// The status of a shot that has been rendering with its current settings.
fn status_of(shot: &ValidatedShot) -> RenderShotStatus {
    RenderShotStatus {
        render_hash: Some(shot.render_hash.clone()),
        ..RenderShotStatus::default()
    }
}

fn started(mut job: RenderJob) -> RenderJob {
    job.status.get_or_insert_default().attempt = Some(1);
    job
}

fn applied(plan: &Plan) -> Vec<(String, &str)> {
    plan.apply
        .iter()
        .map(|job| (job.name_any(), job.spec.frames.as_str()))
        .collect()
}

/// RenderJob has no `PartialEq`; its JSON form compares everything the apply step sends.
fn as_json(plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "apply": plan.apply,
        "delete": plan.delete,
        "remainingChunks": plan.remaining_chunks,
        "overwrite": plan.overwrite,
    })
}

fn name(shot: &ValidatedShot, first: u64) -> String {
    names::job_name(&shot.name, &shot.render_hash, first)
}

#[test]
fn a_new_shot_gets_parallelism_chunks_in_frame_order() {
    let shot = validated(r#"{frames: "1-240", chunkSize: 10, parallelism: 4}"#);
    let planned = plan(&shot, &[], "");
    assert_eq!(
        applied(&planned),
        [
            (name(&shot, 1), "1-10"),
            (name(&shot, 11), "11-20"),
            (name(&shot, 21), "21-30"),
            (name(&shot, 31), "31-40"),
        ]
    );
    assert_eq!(planned.remaining_chunks, 20);
    assert!(planned.delete.is_empty());
    assert!(!planned.overwrite);
}

#[test]
fn a_planned_job_is_labelled_owned_and_carries_the_shot_settings() {
    let shot = validated(r#"{frames: "1-240x2", chunkSize: 10, parallelism: 1}"#);
    let planned = plan(&shot, &[], "");
    let [job] = planned.apply.as_slice() else {
        panic!("one job expected: {planned:?}")
    };
    assert_eq!(job.spec.frames, "1-19x2");
    assert_eq!(job.namespace().as_deref(), Some("studio"));
    assert_eq!(job.spec.render, shot.settings);
    let labels = job.labels();
    assert_eq!(labels[SHOT_LABEL], "sh010");
    assert_eq!(labels[RENDER_HASH_LABEL], shot.render_hash);
    assert_eq!(labels[MANAGED_BY_LABEL], "framefarm-operator");
    assert_eq!(labels[names::COMPONENT_LABEL], "render");
    assert!(
        job.annotations().is_empty(),
        "no overwrite on a first render"
    );
    let owner = &job.owner_references()[0];
    assert_eq!(
        (owner.api_version.as_str(), owner.kind.as_str()),
        ("framefarm.io/v1alpha1", "RenderShot")
    );
    assert_eq!(
        (owner.name.as_str(), owner.uid.as_str()),
        ("sh010", shot.uid.as_str())
    );
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );
}

#[test]
fn frames_found_in_the_output_are_never_scheduled() {
    let shot = validated(r#"{frames: "1-40", chunkSize: 10, parallelism: 10}"#);
    let planned = plan(&shot, &[], "1-15,30");
    assert_eq!(
        applied(&planned),
        [
            (name(&shot, 16), "16-25"),
            (name(&shot, 26), "26-29,31-36"),
            (name(&shot, 37), "37-40"),
        ]
    );
    assert_eq!(planned.remaining_chunks, 0);
}

#[test]
fn unfinished_jobs_use_up_parallelism_and_finished_ones_free_it() {
    let shot = validated(r#"{frames: "1-100", chunkSize: 10, parallelism: 3}"#);
    let jobs = [
        job(&shot, "1-10", Some(JobPhase::Succeeded)),
        job(&shot, "11-20", Some(JobPhase::Failed)),
        started(job(&shot, "21-30", Some(JobPhase::Running))),
        job(&shot, "31-40", None),
    ];
    let planned = plan(&shot, &jobs, "");
    assert_eq!(applied(&planned), [(name(&shot, 41), "41-50")]);
    assert_eq!(planned.remaining_chunks, 5);
    assert!(planned.delete.is_empty());

    let full = [jobs[2].clone(), jobs[3].clone(), job(&shot, "41-50", None)];
    let planned = plan(&shot, &full, "");
    assert!(planned.apply.is_empty(), "{:?}", applied(&planned));
    assert_eq!(planned.remaining_chunks, 7, "1-20 are no longer covered");
}

#[test]
fn the_plan_does_not_depend_on_the_order_jobs_are_listed_in() {
    let shot = validated(r#"{frames: "1-100", chunkSize: 10, parallelism: 6}"#);
    let mut changed = shot.clone();
    changed.settings.placement.priority_class_name = Some("render-high".into());
    let mut jobs: Vec<RenderJob> = ["41-50", "1-10", "21-30", "11-20"]
        .iter()
        .map(|text| job(&shot, text, None))
        .collect();
    let mut old = job(&shot, "91-100", None);
    old.labels_mut()
        .insert(RENDER_HASH_LABEL.into(), "0ld0ld00".into());
    old.metadata.name = Some("sh010-0ld0ld00-91".into());
    jobs.push(old);
    let forward = plan(&changed, &jobs, "");
    jobs.reverse();
    assert_eq!(as_json(&plan(&changed, &jobs, "")), as_json(&forward));
    let planned: Vec<&str> = forward
        .apply
        .iter()
        .map(|job| job.spec.frames.as_str())
        .collect();
    assert_eq!(
        planned,
        ["1-10", "11-20", "21-30", "41-50", "31-40", "51-60"]
    );
    assert_eq!(forward.delete, ["sh010-0ld0ld00-91"]);
}

#[test]
fn suspending_creates_nothing_and_suspends_unfinished_jobs_only() {
    let running = validated(r#"{frames: "1-100", chunkSize: 10, parallelism: 4}"#);
    let mut jobs = [
        job(&running, "1-10", Some(JobPhase::Succeeded)),
        started(job(&running, "11-20", Some(JobPhase::Running))),
    ];
    let suspended = validated(r#"{frames: "1-100", chunkSize: 10, parallelism: 4, suspend: true}"#);
    assert_eq!(suspended.render_hash, running.render_hash);
    let planned = plan(&suspended, &jobs, "");
    assert_eq!(applied(&planned), [(name(&running, 11), "11-20")]);
    assert!(planned.apply[0].spec.render.suspend);
    assert_eq!(planned.remaining_chunks, 8);

    jobs[1].spec = planned.apply[0].spec.clone();
    let resumed = plan(&running, &jobs, "");
    assert_eq!(
        resumed.apply.len(),
        4,
        "the job resumes and three chunks are created"
    );
    assert_eq!(resumed.apply[0].spec.frames, "11-20");
    assert!(!resumed.apply[0].spec.render.suspend);
}

#[test]
fn placement_changes_reach_unfinished_jobs_with_their_frames_kept() {
    let shot = validated(r#"{frames: "1-30", chunkSize: 10, parallelism: 3}"#);
    let jobs = [
        job(&shot, "1-10", Some(JobPhase::Succeeded)),
        started(job(&shot, "11-20", Some(JobPhase::Running))),
        job(&shot, "21-30", Some(JobPhase::Pending)),
    ];
    let idle = plan(&shot, &jobs, "");
    assert!(
        idle.apply.is_empty() && idle.delete.is_empty(),
        "nothing to do: {idle:?}"
    );
    assert_eq!(idle.remaining_chunks, 0);

    let mut changed = shot.clone();
    changed.settings.retries.max_attempts_per_frame = 5;
    assert_eq!(changed.render_hash, names::render_hash(&changed.settings));
    let planned = plan(&changed, &jobs, "");
    assert_eq!(
        applied(&planned),
        [(name(&shot, 11), "11-20"), (name(&shot, 21), "21-30")]
    );
    assert!(
        planned
            .apply
            .iter()
            .all(|job| job.spec.render.retries.max_attempts_per_frame == 5)
    );
}

#[test]
fn a_new_render_hash_deletes_old_jobs_and_overwrites_every_frame() {
    let old = validated(r#"{frames: "1-30", chunkSize: 10, parallelism: 2}"#);
    let new = validated(
        r#"{frames: "1-30", chunkSize: 10, parallelism: 2, scene: {uri: "s3://studio/shots/sh010/v2.blend"}}"#,
    );
    assert_ne!(old.render_hash, new.render_hash);
    let jobs = [
        job(&old, "1-10", Some(JobPhase::Succeeded)),
        started(job(&old, "11-20", Some(JobPhase::Running))),
    ];
    let jobs: Vec<&RenderJob> = jobs.iter().collect();
    let planned = plan_jobs(
        &new,
        &status_of(&old),
        &jobs,
        &frames("1-30"),
        &FrameSet::new(),
    );
    assert!(planned.overwrite);
    let mut expected = vec![name(&old, 1), name(&old, 11)];
    expected.sort();
    assert_eq!(planned.delete, expected);
    assert_eq!(
        applied(&planned),
        [(name(&new, 1), "1-10"), (name(&new, 11), "11-20")]
    );
    assert!(
        planned
            .apply
            .iter()
            .all(|job| job.annotations()[OVERWRITE_ANNOTATION] == "true")
    );
    assert_eq!(planned.remaining_chunks, 1, "found frames are old renders");
}

#[test]
fn overwriting_continues_until_the_render_hash_changes_again() {
    let shot = validated(r#"{frames: "1-10"}"#);
    let mut status = status_of(&shot);
    assert!(!overwrites(&shot, &status));
    status.overwrite_existing = Some(true);
    assert!(overwrites(&shot, &status));
    assert!(
        !overwrites(&shot, &RenderShotStatus::default()),
        "a first render"
    );
    status.render_hash = Some("0ld0ld00".into());
    status.overwrite_existing = None;
    assert!(overwrites(&shot, &status));
}

#[test]
fn extending_the_frames_plans_only_the_new_ones() {
    let before = validated(r#"{frames: "1-20", chunkSize: 10}"#);
    let jobs = [
        job(&before, "1-10", Some(JobPhase::Succeeded)),
        job(&before, "11-20", Some(JobPhase::Succeeded)),
    ];
    let after = validated(r#"{frames: "1-35", chunkSize: 10}"#);
    assert_eq!(
        applied(&plan(&after, &jobs, "")),
        [(name(&after, 21), "21-30"), (name(&after, 31), "31-35")]
    );
}

#[test]
fn shrinking_deletes_only_unstarted_jobs_holding_dropped_frames() {
    let before = validated(r#"{frames: "1-60", chunkSize: 10, parallelism: 6}"#);
    let jobs = [
        job(&before, "1-10", Some(JobPhase::Succeeded)),
        job(&before, "21-30", Some(JobPhase::Pending)),
        job(&before, "31-40", Some(JobPhase::Pending)),
        started(job(&before, "41-50", Some(JobPhase::Pending))),
        job(&before, "51-60", Some(JobPhase::Succeeded)),
    ];
    let after = validated(r#"{frames: "1-25", chunkSize: 10, parallelism: 3}"#);
    let planned = plan(&after, &jobs, "");
    assert_eq!(planned.delete, [name(&before, 31)]);
    assert_eq!(
        applied(&planned),
        [(name(&after, 11), "11-20")],
        "21-30 still holds kept frames and 41-50 has started: both keep a slot"
    );
}

#[test]
fn a_long_shot_plans_its_first_and_its_last_chunks() {
    let shot = validated(r#"{frames: "1-100000", chunkSize: 10, parallelism: 10}"#);
    let planned = plan(&shot, &[], "");
    assert_eq!(planned.apply.len(), 10);
    assert_eq!(planned.apply[9].spec.frames, "91-100");
    assert_eq!(planned.remaining_chunks, 9_990);

    let jobs: Vec<RenderJob> = (0..9_990_u64)
        .map(|index| {
            let first = index * 10 + 1;
            let phase = if index < 9_985 {
                JobPhase::Succeeded
            } else {
                JobPhase::Running
            };
            started(job(&shot, &format!("{first}-{}", first + 9), Some(phase)))
        })
        .collect();
    let planned = plan(&shot, &jobs, "");
    assert_eq!(
        applied(&planned),
        [
            (name(&shot, 99_901), "99901-99910"),
            (name(&shot, 99_911), "99911-99920"),
            (name(&shot, 99_921), "99921-99930"),
            (name(&shot, 99_931), "99931-99940"),
            (name(&shot, 99_941), "99941-99950"),
        ]
    );
    assert_eq!(planned.remaining_chunks, 5);
    assert!(planned.delete.is_empty());
}
