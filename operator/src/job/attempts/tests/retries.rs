//! What follows an attempt that ended early: interruptions, failures, backoff, give-up.

use std::collections::BTreeSet;
use std::time::Duration;

use framefarm_crds::job::JobPhase;
use serde_json::json;

use super::super::*;
use super::fixtures::*;

#[test]
fn a_failed_attempt_waits_its_backoff_then_retries_the_missing_frames() {
    let job = job(json!({
        "attempt": 1,
        "phase": "Running",
        "nodeName": "node-a",
        "renderedFrames": "1-4",
        "failures": [failure(5, 1, "node-a")],
    }));
    let pods = [ended(1, "Failed", 15, "Error", "2025-03-01T10:05:00Z")];

    let decision = decide_at(&job, &pods, "2025-03-01T10:05:04Z");
    assert_eq!(decision.action, Action::Nothing);
    let status = &decision.status;
    assert_eq!(status.phase, Some(JobPhase::Pending));
    assert_eq!(
        status.next_attempt_time.as_ref().unwrap().0,
        at("2025-03-01T10:05:10Z"),
        "10 s after the container ended"
    );
    assert_eq!(decision.requeue_after, Some(Duration::from_secs(6)));
    let (_, reason, message) = condition(status, RECONCILING);
    assert_eq!(reason, "Retrying");
    assert!(
        message.contains("EngineCrashed (exit code 15)"),
        "{message}"
    );
    assert_eq!(reasons(&decision), ["AttemptFailed"]);
    assert!(decision.events[0].warning);

    let job = applied(&job, &decision);
    let still_waiting = decide_at(&job, &pods, "2025-03-01T10:05:07Z");
    assert_eq!(still_waiting.status, decision.status);
    assert_eq!(still_waiting.events, []);
    assert_eq!(still_waiting.requeue_after, Some(Duration::from_secs(3)));

    let retry = decide_at(&job, &pods, "2025-03-01T10:05:10Z");
    assert_eq!(
        retry.action,
        Action::CreatePod {
            attempt: 2,
            avoid_nodes: avoid(&["node-a"])
        }
    );
    assert_eq!(retry.status.attempt, Some(2));
    assert_eq!(retry.status.next_attempt_time, None);
    assert_eq!(retry.status.node_name, None);
    assert_eq!(
        reasons(&retry),
        ["AttemptStarted"],
        "the failure was told once"
    );
    assert!(retry.events[0].message.contains("frames 5-10"));
}

#[test]
fn each_further_failed_attempt_waits_twice_as_long() {
    let job = job(json!({
        "attempt": 2,
        "failures": [failure(5, 1, "node-a"), failure(5, 2, "node-b")],
    }));
    let pods = [
        ended(1, "Failed", 15, "Error", "2025-03-01T10:05:00Z"),
        ended(2, "Failed", 15, "Error", "2025-03-01T10:07:00Z"),
    ];
    let decision = decide_at(&job, &pods, "2025-03-01T10:07:00Z");
    assert_eq!(
        decision.status.next_attempt_time.as_ref().unwrap().0,
        at("2025-03-01T10:07:20Z")
    );
}

#[test]
fn an_out_of_memory_kill_is_named_as_such() {
    let job = job(json!({"attempt": 1, "nodeName": "node-a"}));
    let pods = [ended(1, "Failed", 137, "OOMKilled", "2025-03-01T10:05:00Z")];
    let decision = decide_at(&job, &pods, "2025-03-01T10:05:01Z");
    assert!(
        decision.events[0]
            .message
            .contains("OOMKilled (exit code 137)"),
        "{:?}",
        decision.events
    );
}

#[test]
fn an_agent_that_exits_with_frames_missing_has_failed_its_attempt() {
    let job = job(json!({"attempt": 1, "renderedFrames": "1-8"}));
    let pods = [ended(
        1,
        "Succeeded",
        0,
        "Completed",
        "2025-03-01T10:05:00Z",
    )];
    let decision = decide_at(&job, &pods, "2025-03-01T10:05:01Z");
    assert_eq!(decision.action, Action::Nothing);
    assert_eq!(condition(&decision.status, RECONCILING).1, "Retrying");
    assert!(decision.events[0].message.contains("frames 9,10"));
}

#[test]
fn an_evicted_pod_is_replaced_at_once_without_counting_a_failure() {
    let job = job(json!({"attempt": 1, "nodeName": "node-a", "renderedFrames": "1-3"}));
    let pods = [pod(
        1,
        Some("node-a"),
        json!({
            "phase": "Failed",
            "conditions": [{
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "EvictionByEvictionAPI",
                "message": "Eviction API: evicting",
            }],
        }),
    )];
    let decision = decide_at(&job, &pods, "2025-03-01T10:05:00Z");
    assert_eq!(
        decision.action,
        Action::CreatePod {
            attempt: 2,
            avoid_nodes: BTreeSet::new()
        }
    );
    assert_eq!(decision.status.next_attempt_time, None);
    assert_eq!(reasons(&decision), ["Evicted", "AttemptStarted"]);
    assert!(decision.events[0].message.contains("EvictionByEvictionAPI"));
}

#[test]
fn a_pod_deleted_after_it_ran_is_replaced_by_the_next_attempt() {
    let job = job(json!({"attempt": 1, "nodeName": "node-a", "phase": "Running"}));
    let decision = decide_at(&job, &[], "2025-03-01T10:05:00Z");
    assert_eq!(
        decision.action,
        Action::CreatePod {
            attempt: 2,
            avoid_nodes: BTreeSet::new()
        }
    );
    assert_eq!(reasons(&decision), ["Interrupted", "AttemptStarted"]);
    assert_idle_after(&job, &decision, &[], "2025-03-01T10:05:01Z");
}

#[test]
fn later_attempts_avoid_every_node_where_a_frame_failed() {
    let job = job(json!({
        "attempt": 2,
        "failures": [failure(3, 1, "node-b"), failure(7, 2, "node-a"), failure(8, 2, "node-a")],
    }));
    let pods = [ended(2, "Failed", 15, "Error", "2025-03-01T10:05:00Z")];
    let decision = decide_at(&job, &pods, "2025-03-01T11:00:00Z");
    assert_eq!(
        decision.action,
        Action::CreatePod {
            attempt: 3,
            avoid_nodes: avoid(&["node-a", "node-b"])
        }
    );
}

#[test]
fn attempts_that_render_nothing_and_name_no_frame_give_up_on_the_remaining_frames() {
    let oom = |attempt| ended(attempt, "Failed", 137, "OOMKilled", "2025-03-01T10:09:00Z");
    let job_with = |records| {
        job(json!({
            "attempt": 4,
            "renderedFrames": "1,2",
            "frameRecords": records,
        }))
    };

    // Attempts 2, 3 and 4 rendered nothing and named no frame.
    let stuck = job_with(json!([rendered(1, 1), rendered(2, 1)]));
    let decision = decide_at(&stuck, &[oom(4)], "2025-03-01T10:10:00Z");
    assert_eq!(decision.action, Action::Nothing);
    assert_eq!(decision.status.phase, Some(JobPhase::Failed));
    assert_eq!(decision.status.failed_frames.as_deref(), Some("3-10"));
    let (_, reason, message) = condition(&decision.status, STALLED);
    assert_eq!(reason, "FramesFailed");
    assert!(message.contains("OOMKilled (exit code 137)"), "{message}");
    assert!(
        message.contains("the last 3 attempts rendered no frame"),
        "{message}"
    );
    assert_eq!(reasons(&decision), ["FramesFailed"]);
    assert_idle_after(&stuck, &decision, &[oom(4)], "2025-03-01T10:11:00Z");

    // A frame rendered in attempt 2 is progress: attempt 5 is tried.
    let progressing = job_with(json!([rendered(1, 1), rendered(2, 2)]));
    let decision = decide_at(&progressing, &[oom(4)], "2025-03-01T10:10:00Z");
    assert_eq!(
        decision.action,
        Action::CreatePod {
            attempt: 5,
            avoid_nodes: BTreeSet::new()
        }
    );

    // So is an attempt whose agent named the frame that failed: frames fail one by one.
    let named = job(json!({"attempt": 4, "failures": [failure(3, 4, "node-a")]}));
    let decision = decide_at(&named, &[oom(4)], "2025-03-01T10:10:00Z");
    assert_eq!(decision.status.failed_frames, None);
    assert!(matches!(
        decision.action,
        Action::CreatePod { attempt: 5, .. }
    ));
}
