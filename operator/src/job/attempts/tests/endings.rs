//! How jobs end: rendered, failed, suspended, or unable to run.

use std::collections::BTreeSet;

use framefarm_crds::job::JobPhase;
use serde_json::json;

use super::super::*;
use super::fixtures::*;

#[test]
fn every_frame_rendered_ends_the_job_succeeded() {
    let job = job(json!({"attempt": 1, "renderedFrames": "1-10", "phase": "Running"}));
    let pods = [ended(
        1,
        "Succeeded",
        0,
        "Completed",
        "2025-03-01T10:08:00Z",
    )];
    let decision = decide_at(&job, &pods, "2025-03-01T10:08:05Z");
    assert_eq!(decision.action, Action::Nothing);
    let status = &decision.status;
    assert_eq!(status.phase, Some(JobPhase::Succeeded));
    assert_eq!(status.failed_frames, None);
    assert_eq!(
        status.completion_time.as_ref().unwrap().0,
        at("2025-03-01T10:08:05Z")
    );
    assert_eq!(condition(status, READY).0, "True");
    assert_eq!(condition(status, RECONCILING).0, "False");
    assert_eq!(condition(status, STALLED).0, "False");
    assert!(
        reasons(&decision).is_empty(),
        "the shot reports the success, not each RenderJob"
    );
    // The completion time stays when the job is looked at later, even after its pod is gone.
    let job = assert_idle_after(&job, &decision, &pods, "2025-03-01T11:00:00Z");
    let later = decide_at(&job, &[], "2025-03-02T00:00:00Z");
    assert_eq!(later.status, decision.status);
}

#[test]
fn a_pod_still_uploading_keeps_the_job_running() {
    let job = job(json!({"attempt": 1, "renderedFrames": "1-10"}));
    let decision = decide_at(&job, &[running(1)], "2025-03-01T10:08:00Z");
    assert_eq!(decision.action, Action::Nothing);
    assert_eq!(decision.status.phase, Some(JobPhase::Running));
    assert_eq!(decision.status.completion_time, None);
    assert_eq!(
        decision.status,
        decide_at(
            &self::job(json!({"attempt": 1, "renderedFrames": "1-4"})),
            &[running(1)],
            "2025-03-01T10:08:00Z"
        )
        .status,
        "no status write while the agent finishes its uploads"
    );
    assert_eq!(condition(&decision.status, RECONCILING).1, "Rendering");
}

#[test]
fn a_frame_that_failed_every_attempt_is_left_out_and_fails_the_job() {
    let failures = json!([
        failure(5, 1, "node-a"),
        failure(5, 2, "node-b"),
        failure(5, 3, "node-c"),
    ]);
    let job_with = |rendered: &str| {
        job(json!({
            "attempt": 3,
            "renderedFrames": rendered,
            "failures": failures.clone(),
        }))
    };
    let pods = [ended(3, "Failed", 15, "Error", "2025-03-01T10:09:00Z")];

    // Frames remain: they are retried without frame 5, which the status now lists as failed.
    let job = job_with("1-4");
    let decision = decide_at(&job, &pods, "2025-03-01T10:30:00Z");
    assert_eq!(
        decision.action,
        Action::CreatePod {
            attempt: 4,
            avoid_nodes: avoid(&["node-a", "node-b", "node-c"])
        }
    );
    assert_eq!(decision.status.failed_frames.as_deref(), Some("5"));
    let started = decision.events.last().unwrap();
    assert!(
        started.message.contains("frames 6-10"),
        "{}",
        started.message
    );

    // Every other frame is rendered: the job has failed, naming the frame and why.
    let job = job_with("1-4,6-10");
    let decision = decide_at(&job, &pods, "2025-03-01T10:30:00Z");
    assert_eq!(decision.action, Action::Nothing);
    let status = &decision.status;
    assert_eq!(status.phase, Some(JobPhase::Failed));
    assert_eq!(status.failed_frames.as_deref(), Some("5"));
    assert!(status.completion_time.is_some());
    let (stalled, reason, message) = condition(status, STALLED);
    assert_eq!((stalled, reason), ("True", "FramesFailed"));
    assert!(message.contains("frames 5 failed"), "{message}");
    assert!(
        message.contains("Blender segfaulted on frame 5"),
        "{message}"
    );
    assert_eq!(condition(status, READY).0, "False");
    assert_eq!(condition(status, RECONCILING).0, "False");
    assert_eq!(reasons(&decision), ["FramesFailed"]);
    assert_idle_after(&job, &decision, &pods, "2025-03-01T11:00:00Z");
}

#[test]
fn suspension_deletes_the_pod_and_resuming_starts_the_next_attempt() {
    let mut suspended = job(json!({"attempt": 1, "nodeName": "node-a", "phase": "Running"}));
    suspended.spec.render.suspend = true;
    let decision = decide_at(&suspended, &[running(1)], "2025-03-01T10:05:00Z");
    assert_eq!(
        decision.action,
        Action::DeletePod {
            name: "sh010-0123abcd-1-1".into()
        }
    );
    let status = &decision.status;
    assert_eq!(status.phase, Some(JobPhase::Suspended));
    assert_eq!(
        condition(status, RECONCILING),
        (
            "False",
            "Suspended",
            "suspended: no pod runs until spec.suspend is false"
        )
    );
    assert_eq!(reasons(&decision), ["Suspended"]);

    // While the pod stops, and once it has stopped, nothing more is done.
    let suspended = applied(&suspended, &decision);
    for pods in [
        vec![deleting(running(1))],
        vec![ended(1, "Failed", 143, "Error", "2025-03-01T10:05:15Z")],
        vec![],
    ] {
        let waiting = decide_at(&suspended, &pods, "2025-03-01T10:06:00Z");
        assert_eq!(waiting.action, Action::Nothing);
        assert_eq!(waiting.status, decision.status);
        assert_eq!(waiting.events, []);
    }

    // Resuming: the interrupted attempt does not count, the next one starts at once.
    let mut resumed = suspended.clone();
    resumed.spec.render.suspend = false;
    let pods = [ended(1, "Failed", 143, "Error", "2025-03-01T10:05:15Z")];
    let decision = decide_at(&resumed, &pods, "2025-03-01T12:00:00Z");
    assert_eq!(
        decision.action,
        Action::CreatePod {
            attempt: 2,
            avoid_nodes: BTreeSet::new()
        }
    );
    assert_eq!(decision.status.next_attempt_time, None);
    assert_eq!(reasons(&decision), ["Resumed", "AttemptStarted"]);
    assert_idle_after(&resumed, &decision, &pods, "2025-03-01T12:00:01Z");
}

#[test]
fn a_suspended_job_that_never_ran_starts_nothing() {
    let mut job = job(json!(null));
    job.spec.render.suspend = true;
    let decision = decide_at(&job, &[], "2025-03-01T10:00:00Z");
    assert_eq!(decision.action, Action::Nothing);
    assert_eq!(decision.status.phase, Some(JobPhase::Suspended));
    assert_eq!(decision.status.attempt, None);
    assert_eq!(decision.status.start_time, None);
    assert_idle_after(&job, &decision, &[], "2025-03-01T10:01:00Z");
}

#[test]
fn frames_that_do_not_parse_stall_the_job() {
    let mut job = job(json!(null));
    job.spec.frames = "10-1".into();
    let decision = decide_at(&job, &[], "2025-03-01T10:00:00Z");
    assert_eq!(decision.action, Action::Nothing);
    let (stalled, reason, message) = condition(&decision.status, STALLED);
    assert_eq!((stalled, reason), ("True", "InvalidSpec"));
    assert!(message.starts_with("spec.frames: "), "{message}");
    assert_eq!(reasons(&decision), ["InvalidSpec"]);
    assert_idle_after(&job, &decision, &[], "2025-03-01T10:01:00Z");
}
