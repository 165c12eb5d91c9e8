#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod endings;
mod fixtures;
mod retries;

use std::collections::BTreeSet;

use framefarm_crds::conditions::find_condition;
use framefarm_crds::job::JobPhase;
use serde_json::json;

use super::*;
use fixtures::*;

#[test]
fn a_new_job_starts_its_first_attempt() {
    let job = job(json!(null));
    let decision = decide_at(&job, &[], "2025-03-01T10:00:00.700Z");
    assert_eq!(
        decision.action,
        Action::CreatePod {
            attempt: 1,
            avoid_nodes: BTreeSet::new()
        }
    );
    let status = &decision.status;
    assert_eq!(status.phase, Some(JobPhase::Pending));
    assert_eq!(status.attempt, Some(1));
    assert_eq!(status.pod_name.as_deref(), Some("sh010-0123abcd-1-1"));
    assert_eq!(status.observed_generation, Some(2));
    assert_eq!(
        status.start_time.as_ref().unwrap().0,
        at("2025-03-01T10:00:00Z"),
        "whole seconds, as the API stores them"
    );
    assert_eq!(condition(status, RECONCILING).0, "True");
    assert_eq!(condition(status, READY).0, "False");
    assert_eq!(condition(status, STALLED).0, "False");
    assert!(
        reasons(&decision).is_empty(),
        "a first attempt is routine: no event for each of a shot's RenderJobs"
    );

    // The pod is not in the controller's cache yet: the same pod is applied again, which
    // meets the one already created instead of starting a second attempt.
    assert_idle_after(&job, &decision, &[], "2025-03-01T10:00:02Z");
}

#[test]
fn the_agents_fields_are_left_to_the_agent() {
    let job = job(json!({
        "attempt": 1,
        "renderedFrames": "1-3",
        "progress": "3/10",
        "frameRecords": [rendered(1, 1)],
        "failures": [failure(4, 1, "node-a")],
    }));
    let decision = decide_at(&job, &[running(1)], "2025-03-01T10:05:00Z");
    let status = &decision.status;
    assert_eq!(status.rendered_frames, None);
    assert_eq!(status.progress, None);
    assert!(status.frame_records.is_empty());
    assert!(status.failures.is_empty());
}

#[test]
fn a_running_pod_makes_a_running_job_on_its_node() {
    let job = job(json!({"attempt": 1}));
    let pods = [running(1)];
    let decision = decide_at(&job, &pods, "2025-03-01T10:01:00Z");
    assert_eq!(decision.action, Action::Nothing);
    assert_eq!(decision.status.phase, Some(JobPhase::Running));
    assert_eq!(decision.status.node_name.as_deref(), Some("node-a"));
    let (status, reason, message) = condition(&decision.status, RECONCILING);
    assert_eq!((status, reason), ("True", "Rendering"));
    assert!(message.contains("node-a"), "{message}");
    assert_eq!(decision.requeue_after, None);
    assert_idle_after(&job, &decision, &pods, "2025-03-01T10:02:00Z");
}

#[test]
fn an_unschedulable_pod_shows_the_schedulers_message_once() {
    let job = job(json!({"attempt": 1}));
    let scheduler = "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.";
    let pods = [pod(
        1,
        None,
        json!({
            "phase": "Pending",
            "conditions": [{
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": scheduler,
            }],
        }),
    )];
    let decision = decide_at(&job, &pods, "2025-03-01T10:01:00Z");
    assert_eq!(decision.action, Action::Nothing);
    assert_eq!(decision.status.phase, Some(JobPhase::Pending));
    let (status, reason, message) = condition(&decision.status, RECONCILING);
    assert_eq!((status, reason), ("True", "Unschedulable"));
    assert!(message.contains(scheduler), "{message}");
    assert_eq!(reasons(&decision), ["Unschedulable"]);
    assert!(decision.events[0].warning);
    assert_idle_after(&job, &decision, &pods, "2025-03-01T10:03:00Z");
}

#[test]
fn a_pod_that_cannot_pull_its_image_says_so() {
    let job = job(json!({"attempt": 1}));
    let pods = [pod(
        1,
        Some("node-a"),
        json!({
            "phase": "Pending",
            "containerStatuses": [{
                "name": "render", "image": "blender:9", "imageID": "", "ready": false,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ErrImagePull", "message": "not found"}},
            }],
        }),
    )];
    let decision = decide_at(&job, &pods, "2025-03-01T10:01:00Z");
    let (_, reason, message) = condition(&decision.status, RECONCILING);
    assert_eq!(reason, "ImagePullBackOff");
    assert!(message.contains("not found"), "{message}");
    assert_eq!(reasons(&decision), ["ImagePullBackOff"]);
}

#[test]
fn a_stopping_pod_ends_before_another_attempt_starts() {
    let job = job(json!({"attempt": 1, "nodeName": "node-a"}));
    let pods = [deleting(running(1))];
    let decision = decide_at(&job, &pods, "2025-03-01T10:05:00Z");
    assert_eq!(decision.action, Action::Nothing);
    assert_eq!(condition(&decision.status, RECONCILING).1, "Stopping");
}

#[test]
fn condition_times_are_kept_while_the_status_holds() {
    let job = job(json!({"attempt": 1}));
    let first = decide_at(&job, &[running(1)], "2025-03-01T10:01:00Z");
    let job = applied(&job, &first);
    let later = decide_at(&job, &[running(1)], "2025-03-01T10:30:00Z");
    let reconciling = find_condition(&later.status.conditions, RECONCILING).unwrap();
    assert_eq!(
        reconciling.last_transition_time.0,
        at("2025-03-01T10:01:00Z")
    );
}
