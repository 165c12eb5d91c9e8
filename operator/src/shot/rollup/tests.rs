//! What the roll-up reports for each stage of a shot: pending, rendering, waiting for nodes,
//! suspended, invalid, making its preview, done and failed; and that it stays small.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use framefarm_crds::conditions::{FALSE, TRUE, find_condition};
use framefarm_crds::job::{FrameFailure, FrameRecord, JobPhase};
use framefarm_crds::shot::{FrameCounts, JobCounts, ShotPhase};
use framefarm_crds::{FrameSet, RenderJob, RenderShot, RenderShotStatus};
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::*;
use crate::shot::validate::fixtures::{frames, job, secret, shot};
use crate::shot::validate::{Invalid, SceneCheck, ValidatedShot, validate_shot};

/// When the first job of every case started.
const START: i64 = 1_750_000_000;

fn at(second: i64) -> Time {
    Time(Timestamp::from_second(second).unwrap())
}

/// One roll-up's inputs, owned, with a shot that validates.
struct Case {
    shot: RenderShot,
    validated: Result<ValidatedShot, Invalid>,
    jobs: Vec<RenderJob>,
    found: FrameSet,
    found_generation: Option<i64>,
    remaining_chunks: u64,
    overwrite: bool,
    preview: PreviewState,
    now: i64,
}

impl Case {
    fn new(spec_overrides: &str) -> Self {
        let shot = shot(spec_overrides);
        let validated = validate_shot(&shot, Some(&secret()), &SceneCheck::Found);
        Self {
            shot,
            validated,
            jobs: Vec::new(),
            found: FrameSet::new(),
            found_generation: None,
            remaining_chunks: 0,
            overwrite: false,
            preview: PreviewState::NotStarted,
            now: START + 100,
        }
    }

    fn valid(&self) -> &ValidatedShot {
        self.validated.as_ref().unwrap()
    }

    /// Adds a job of the shot in `phase`, its agent having rendered and failed these frames.
    fn job(
        &mut self,
        frames: &str,
        phase: JobPhase,
        rendered: &str,
        failed: &str,
    ) -> &mut RenderJob {
        let mut job = job(self.valid(), frames, Some(phase));
        let status = job.status.as_mut().unwrap();
        status.rendered_frames = (!rendered.is_empty()).then(|| rendered.to_owned());
        status.failed_frames = (!failed.is_empty()).then(|| failed.to_owned());
        status.start_time = Some(at(START));
        self.jobs.push(job);
        self.jobs.last_mut().unwrap()
    }

    fn roll(&self) -> RenderShotStatus {
        let jobs: Vec<&RenderJob> = self.jobs.iter().collect();
        roll_up(&RollupInput {
            shot: &self.shot,
            validated: self.validated.as_ref(),
            jobs: &jobs,
            found: &self.found,
            found_generation: self.found_generation,
            retained: &FrameSet::new(),
            retry_token: None,
            remaining_chunks: self.remaining_chunks,
            overwrite: self.overwrite,
            preview: &self.preview,
            now: Timestamp::from_second(self.now).unwrap(),
        })
    }

    /// Writes `status` to the shot, as the update-status step does.
    fn written(&mut self, status: RenderShotStatus) {
        self.shot.status = Some(status);
    }
}

fn record(frame: u64, seconds: f64, finished: i64) -> FrameRecord {
    FrameRecord {
        frame,
        output_key: format!("sh010/frame_{frame:04}.png"),
        thumbnail_key: Some(format!("sh010/thumbs/frame_{frame:04}.jpg")),
        bytes: 1_000,
        render_seconds: seconds,
        finished_at: at(finished),
        node: None,
        attempt: 1,
    }
}

/// `(status, reason, message)` of a condition, which must be present with the shot's generation.
fn condition(status: &RenderShotStatus, type_: &str) -> (String, String, String) {
    let found: &Condition = find_condition(&status.conditions, type_).unwrap();
    assert_eq!(found.observed_generation, Some(3), "{type_}");
    (
        found.status.clone(),
        found.reason.clone(),
        found.message.clone(),
    )
}

fn said(status: &str, reason: &str, message: &str) -> (String, String, String) {
    (status.into(), reason.into(), message.into())
}

#[test]
fn a_shot_is_pending_until_a_job_runs_or_a_frame_is_rendered() {
    let mut case = Case::new(r#"{frames: "1-240", chunkSize: 10}"#);
    case.remaining_chunks = 24;
    let status = case.roll();
    assert_eq!(status.phase, Some(ShotPhase::Pending));
    assert_eq!(status.progress.as_deref(), Some("0/240"));
    assert_eq!(status.observed_generation, Some(3));
    assert_eq!(
        status.render_hash.as_deref(),
        Some(case.valid().render_hash.as_str())
    );
    assert_eq!(
        status.jobs,
        JobCounts {
            total: 24,
            waiting: 24,
            ..JobCounts::default()
        }
    );
    let message = "0/240 frames rendered; 0 RenderJobs active";
    assert_eq!(condition(&status, READY), said(FALSE, RENDERING, message));
    assert_eq!(
        condition(&status, RECONCILING),
        said(TRUE, RENDERING, message)
    );
    assert_eq!(condition(&status, STALLED), said(FALSE, RENDERING, message));
    assert_eq!(status.estimated_completion_time, None);
    assert_eq!(status.start_time, None);
}

#[test]
fn counters_follow_the_jobs_and_the_chunks_still_to_create() {
    let mut case = Case::new(r#"{frames: "1-50", chunkSize: 10}"#);
    case.job("1-10", JobPhase::Succeeded, "1-10", "");
    case.job("11-20", JobPhase::Running, "11-14", "15");
    case.job("21-30", JobPhase::Pending, "", "");
    case.job("31-40", JobPhase::Failed, "31-39", "40");
    case.remaining_chunks = 1;
    let status = case.roll();
    assert_eq!(status.phase, Some(ShotPhase::Rendering));
    assert_eq!(status.progress.as_deref(), Some("23/50"));
    assert_eq!(
        status.frames,
        FrameCounts {
            total: 50,
            rendered: 23,
            failed: 2,
            running: 5
        }
    );
    assert_eq!(
        status.jobs,
        JobCounts {
            total: 5,
            waiting: 2,
            active: 1,
            succeeded: 1,
            failed: 1
        }
    );
    assert_eq!(status.rendered_frames.as_deref(), Some("1-14,31-39"));
    assert_eq!(status.failed_frames.as_deref(), Some("15,40"));
    assert_eq!(
        condition(&status, RECONCILING),
        said(TRUE, RENDERING, "23/50 frames rendered; 1 RenderJob active")
    );
}

#[test]
fn frames_outside_the_shot_and_failures_later_rendered_are_not_counted() {
    let mut case = Case::new(r#"{frames: "1-15"}"#);
    case.job("1-10", JobPhase::Succeeded, "1-10", "3");
    case.job("11-20", JobPhase::Running, "11-20", "");
    let status = case.roll();
    assert_eq!(status.frames.rendered, 15);
    assert_eq!(status.frames.failed, 0);
    assert_eq!(status.rendered_frames.as_deref(), Some("1-15"));
    assert_eq!(status.failed_frames, None);
}

#[test]
fn found_frames_count_as_rendered_unless_the_render_overwrites_them() {
    let mut case = Case::new(r#"{frames: "1-20"}"#);
    case.found = frames("1-5,90");
    case.found_generation = Some(3);
    case.job("6-15", JobPhase::Running, "6-7", "");
    let status = case.roll();
    assert_eq!(status.rendered_frames.as_deref(), Some("1-7"));
    assert_eq!(status.found_frames.as_deref(), Some("1-5"));
    assert_eq!(status.found_generation, Some(3));
    assert_eq!(status.overwrite_existing, None);

    case.written(status);
    case.found_generation = None;
    assert_eq!(
        case.roll().found_generation,
        Some(3),
        "kept until looked up again"
    );

    case.overwrite = true;
    let status = case.roll();
    assert_eq!(status.rendered_frames.as_deref(), Some("6,7"));
    assert_eq!(status.found_frames, None);
    assert_eq!(status.overwrite_existing, Some(true));
}

#[test]
fn render_time_last_frame_and_eta_come_from_the_frame_records() {
    let mut case = Case::new(r#"{frames: "1-40"}"#);
    let first = case.job("1-10", JobPhase::Succeeded, "1-10", "");
    first.status.as_mut().unwrap().frame_records =
        vec![record(1, 2.0, START + 20), record(10, 4.0, START + 40)];
    let second = case.job("11-20", JobPhase::Running, "", "");
    second.status.as_mut().unwrap().start_time = Some(at(START - 50));
    second.status.as_mut().unwrap().frame_records = vec![record(11, 6.0, START + 60)];
    case.now = START + 50;
    let status = case.roll();
    assert_eq!(status.render_seconds, Some(12.0));
    assert_eq!(status.average_frame_seconds, Some(4.0));
    let last = status.last_frame.as_ref().unwrap();
    assert_eq!(
        (last.frame, last.finished_at.clone()),
        (11, Some(at(START + 60)))
    );
    assert_eq!(last.key, "sh010/frame_0011.png");
    assert_eq!(
        last.thumbnail_key.as_deref(),
        Some("sh010/thumbs/frame_0011.jpg")
    );
    assert_eq!(
        status.start_time,
        Some(at(START - 50)),
        "the earliest job start"
    );
    // 10 frames in 100 s; 30 frames left take 300 s more.
    assert_eq!(status.estimated_completion_time, Some(at(START + 350)));
}

#[test]
fn the_start_time_is_kept_for_a_render_and_reset_by_a_new_one() {
    let mut case = Case::new(r#"{frames: "1-40"}"#);
    case.job("1-10", JobPhase::Running, "1-2", "");
    let mut earlier = case.roll();
    earlier.start_time = Some(at(START - 1_000));
    case.written(earlier.clone());
    assert_eq!(case.roll().start_time, Some(at(START - 1_000)));

    earlier.render_hash = Some("0ld0ld00".into());
    case.written(earlier);
    assert_eq!(case.roll().start_time, Some(at(START)));
}

#[test]
fn no_eta_before_the_first_frame() {
    let mut case = Case::new(r#"{frames: "1-40"}"#);
    case.job("1-10", JobPhase::Running, "", "");
    let status = case.roll();
    assert_eq!(status.phase, Some(ShotPhase::Rendering), "a job is active");
    assert_eq!(status.estimated_completion_time, None);
}

#[test]
fn jobs_waiting_for_a_node_say_what_the_scheduler_said() {
    let mut case = Case::new(r#"{frames: "1-30"}"#);
    case.job("1-10", JobPhase::Running, "1-3", "");
    for (frames, message) in [
        (
            "21-30",
            "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
        ),
        (
            "11-20",
            "0/3 nodes are available: 2 Insufficient nvidia.com/gpu.",
        ),
    ] {
        let job = case.job(frames, JobPhase::Pending, "", "");
        job.status.as_mut().unwrap().conditions = vec![Condition {
            type_: RECONCILING.into(),
            status: TRUE.into(),
            reason: UNSCHEDULABLE.into(),
            message: message.into(),
            observed_generation: Some(1),
            last_transition_time: at(START),
        }];
    }
    let status = case.roll();
    assert_eq!(
        condition(&status, RECONCILING),
        said(
            TRUE,
            UNSCHEDULABLE,
            "3/30 frames rendered; 2 RenderJobs wait for a node: 0/3 nodes are available: 2 \
             Insufficient nvidia.com/gpu."
        )
    );
    assert_eq!(condition(&status, READY).1, RENDERING);
}

#[test]
fn with_every_frame_rendered_the_shot_waits_for_its_preview() {
    let mut case = Case::new(r#"{frames: "1-20"}"#);
    case.job("1-10", JobPhase::Succeeded, "1-10", "");
    case.job("11-20", JobPhase::Succeeded, "11-20", "");
    case.preview = PreviewState::Running;
    let status = case.roll();
    assert!(all_frames_done(&status));
    assert_eq!(status.phase, Some(ShotPhase::Rendering));
    let message = "20/20 frames rendered; making the contact sheet and animation";
    assert_eq!(
        condition(&status, READY),
        said(FALSE, MAKING_PREVIEW, message)
    );
    assert_eq!(
        condition(&status, RECONCILING),
        said(TRUE, MAKING_PREVIEW, message)
    );
    assert_eq!(status.completion_time, None);
    assert_eq!(status.estimated_completion_time, None);
}

#[test]
fn a_shot_with_its_preview_made_is_ready() {
    let mut case = Case::new(r#"{frames: "1-20"}"#);
    case.job("1-20", JobPhase::Succeeded, "1-20", "");
    case.preview = PreviewState::Made {
        contact_sheet_key: "sh010/preview/sh010-contact-sheet.png".into(),
        animation_key: "sh010/preview/sh010-preview.gif".into(),
    };
    let status = case.roll();
    assert_eq!(status.phase, Some(ShotPhase::Succeeded));
    assert_eq!(
        condition(&status, READY),
        said(TRUE, RENDERED, "20 frames rendered")
    );
    assert_eq!(condition(&status, RECONCILING).0, FALSE);
    assert_eq!(condition(&status, STALLED).0, FALSE);
    let preview = status.preview.as_ref().unwrap();
    assert_eq!(
        preview.animation_key.as_deref(),
        Some("sh010/preview/sh010-preview.gif")
    );
    assert_eq!(status.completion_time, Some(at(START + 100)));

    case.written(status);
    case.now += 60;
    assert_eq!(case.roll().completion_time, Some(at(START + 100)), "kept");
}

#[test]
fn a_failed_preview_is_mentioned_but_the_frames_are_rendered() {
    let mut case = Case::new(r#"{frames: "1-20"}"#);
    case.job("1-20", JobPhase::Succeeded, "1-20", "");
    case.preview = PreviewState::Failed("pod sh010-0123abcd-preview was OOMKilled".into());
    let status = case.roll();
    assert_eq!(status.phase, Some(ShotPhase::Succeeded));
    assert_eq!(status.preview, None);
    assert_eq!(
        condition(&status, READY),
        said(
            TRUE,
            RENDERED,
            "20 frames rendered; the preview failed: pod sh010-0123abcd-preview was OOMKilled"
        )
    );
}

#[test]
fn frames_that_failed_every_attempt_stall_the_shot_with_the_newest_failure() {
    let mut case = Case::new(r#"{frames: "51-60"}"#);
    let job = case.job("51-60", JobPhase::Failed, "51-56,58-60", "57");
    let failure = |attempt: u32, seconds: i64, message: &str| FrameFailure {
        frame: 57,
        attempt,
        node: Some("node-a".into()),
        reason: "EngineCrashed".into(),
        message: message.into(),
        at: at(START + seconds),
    };
    job.status.as_mut().unwrap().failures = vec![
        failure(3, 30, "Error: out of GPU memory"),
        failure(1, 10, "Segmentation fault"),
    ];
    let status = case.roll();
    assert_eq!(status.phase, Some(ShotPhase::Failed));
    let message = "frames 57 failed every attempt: Error: out of GPU memory";
    assert_eq!(
        condition(&status, STALLED),
        said(TRUE, FRAMES_FAILED, message)
    );
    assert_eq!(
        condition(&status, READY),
        said(FALSE, FRAMES_FAILED, message)
    );
    assert_eq!(condition(&status, RECONCILING).0, FALSE);
    assert_eq!(status.completion_time, Some(at(START + 100)));
    assert!(all_frames_done(&status));
}

#[test]
fn a_suspended_shot_says_so_and_has_no_eta() {
    let mut case = Case::new(r#"{frames: "1-40", suspend: true}"#);
    case.job("1-10", JobPhase::Suspended, "1-4", "");
    let status = case.roll();
    assert_eq!(status.phase, Some(ShotPhase::Suspended));
    let message = "suspended with 4/40 frames rendered";
    assert_eq!(condition(&status, READY), said(FALSE, SUSPENDED, message));
    assert_eq!(
        condition(&status, RECONCILING),
        said(FALSE, SUSPENDED, message)
    );
    assert_eq!(condition(&status, STALLED), said(FALSE, SUSPENDED, message));
    assert_eq!(status.estimated_completion_time, None);
}

#[test]
fn an_invalid_shot_is_stalled_and_keeps_its_counted_progress() {
    let mut case = Case::new(r#"{frames: "1-40"}"#);
    case.job("1-10", JobPhase::Running, "1-4", "");
    let counted = case.roll();
    case.written(counted.clone());
    case.validated = validate_shot(&case.shot, Some(&secret()), &SceneCheck::Missing);
    let status = case.roll();
    let message = "spec.scene.uri: no object at s3://studio/shots/sh010/scene.blend; upload the \
                   scene or fix the uri";
    assert_eq!(
        condition(&status, STALLED),
        said(TRUE, "SceneMissing", message)
    );
    assert_eq!(
        condition(&status, READY),
        said(FALSE, "SceneMissing", message)
    );
    assert_eq!(
        condition(&status, RECONCILING),
        said(FALSE, "SceneMissing", message)
    );
    assert_eq!(status.phase, counted.phase);
    assert_eq!((status.frames, status.jobs), (counted.frames, counted.jobs));
}

#[test]
fn conditions_keep_their_transition_time_while_their_status_holds() {
    let mut case = Case::new(r#"{frames: "1-40"}"#);
    case.job("1-10", JobPhase::Running, "1-4", "");
    let first = case.roll();
    case.written(first.clone());
    case.now += 30;
    case.jobs[0].status.as_mut().unwrap().rendered_frames = Some("1-6".into());
    let later = case.roll();
    let times = |status: &RenderShotStatus| -> Vec<Time> {
        status
            .conditions
            .iter()
            .map(|c| c.last_transition_time.clone())
            .collect()
    };
    assert_eq!(times(&later), times(&first));
    assert_eq!(later.conditions.len(), 3);
    assert_ne!(condition(&later, READY).2, condition(&first, READY).2);
}

#[test]
fn a_hundred_thousand_frames_with_holes_fit_in_a_small_status() {
    let mut case = Case::new(r#"{frames: "1-100000", chunkSize: 10}"#);
    for index in 0..10_000_u64 {
        let base = index * 10;
        let rendered = format!(
            "{}-{},{},{}-{}",
            base + 1,
            base + 3,
            base + 5,
            base + 7,
            base + 10
        );
        let failed = format!("{},{}", base + 4, base + 6);
        let frames = format!("{}-{}", base + 1, base + 10);
        let job = case.job(&frames, JobPhase::Failed, &rendered, &failed);
        job.status.as_mut().unwrap().frame_records = vec![record(base + 1, 1.5, START + 1)];
    }
    let status = case.roll();
    assert_eq!(status.frames.rendered, 80_000);
    assert_eq!(status.frames.failed, 20_000);
    let rendered = status.rendered_frames.as_deref().unwrap();
    assert!(rendered.len() <= MAX_STATUS_FRAME_SET_LENGTH);
    assert!(rendered.starts_with("1-3,5,7-13,15,17-23,"), "{rendered}");
    assert!(rendered.contains("more frames"), "{rendered}");
    assert!(status.failed_frames.as_deref().unwrap().len() <= MAX_STATUS_FRAME_SET_LENGTH);
    assert!(condition(&status, STALLED).2.len() < 2 * MAX_QUOTED_LENGTH);
    assert_eq!(status.render_seconds, Some(15_000.0));
    let size = serde_json::to_vec(&status).unwrap().len();
    assert!(size < 16 * 1024, "{size} bytes");
}

#[test]
fn only_a_status_with_every_frame_settled_and_no_active_job_is_done() {
    let status = |rendered, failed, active| RenderShotStatus {
        frames: FrameCounts {
            total: 10,
            rendered,
            failed,
            running: 0,
        },
        jobs: JobCounts {
            active,
            ..JobCounts::default()
        },
        ..RenderShotStatus::default()
    };
    assert!(all_frames_done(&status(10, 0, 0)));
    assert!(all_frames_done(&status(7, 3, 0)));
    assert!(!all_frames_done(&status(9, 0, 0)));
    assert!(
        !all_frames_done(&status(10, 0, 1)),
        "a job is still uploading"
    );
    assert!(
        !all_frames_done(&RenderShotStatus::default()),
        "nothing counted yet"
    );
}
