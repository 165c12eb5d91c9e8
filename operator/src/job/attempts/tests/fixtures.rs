//! Small RenderJobs and pods for the attempt rules, as a controller would observe them.

use std::collections::BTreeSet;

use framefarm_crds::conditions::find_condition;
use framefarm_crds::{RenderJob, RenderJobStatus};
use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

use super::super::{Decision, Observation, decide, operator_owned};

pub const JOB_NAME: &str = "sh010-0123abcd-1";

const JOB: &str = r#"
apiVersion: framefarm.io/v1alpha1
kind: RenderJob
metadata:
  name: sh010-0123abcd-1
  namespace: studio
  uid: job-uid
  generation: 2
  labels:
    framefarm.io/shot: sh010
spec:
  frames: "1-10"
  scene:
    uri: s3://studio/sh010.blend
  engine:
    blender: {}
  output:
    uri: s3://renders/sh010/
    naming: "sh010_{frame:04}"
  storage:
    endpoint: http://10.0.0.5:9000
  retries:
    maxAttemptsPerFrame: 3
    initialBackoffSeconds: 10
    maxBackoffSeconds: 600
"#;

/// The job of frames 1-10, with `status` (JSON, as the API holds it).
pub fn job(status: Value) -> RenderJob {
    let mut job: RenderJob = serde_saphyr::from_str(JOB).unwrap();
    job.status = serde_json::from_value(status).unwrap();
    job
}

pub fn at(time: &str) -> jiff::Timestamp {
    time.parse().unwrap()
}

/// The pod of `attempt`, on `node` when scheduled, with `status`.
pub fn pod(attempt: u32, node: Option<&str>, status: Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": {
            "name": format!("{JOB_NAME}-{attempt}"),
            "namespace": "studio",
            "creationTimestamp": "2025-03-01T10:00:00Z",
            "labels": {
                "framefarm.io/job": JOB_NAME,
                "framefarm.io/attempt": attempt.to_string(),
            },
        },
        "spec": {"containers": [], "nodeName": node},
        "status": status,
    }))
    .unwrap()
}

pub fn running(attempt: u32) -> Pod {
    pod(attempt, Some("node-a"), json!({"phase": "Running"}))
}

/// A pod whose render container ended with `exit_code` at `finished`.
pub fn ended(attempt: u32, phase: &str, exit_code: i32, reason: &str, finished: &str) -> Pod {
    pod(
        attempt,
        Some("node-a"),
        json!({
            "phase": phase,
            "containerStatuses": [{
                "name": "render",
                "image": "blender",
                "imageID": "",
                "ready": false,
                "restartCount": 0,
                "state": {"terminated": {
                    "exitCode": exit_code,
                    "reason": reason,
                    "finishedAt": finished,
                }},
            }],
        }),
    )
}

pub fn deleting(mut pod: Pod) -> Pod {
    pod.metadata.deletion_timestamp = pod.metadata.creation_timestamp.clone();
    pod
}

pub fn decide_at(job: &RenderJob, pods: &[Pod], now: &str) -> Decision {
    decide(&Observation {
        job,
        pods: pods.iter().collect(),
        now: at(now),
    })
}

/// The job after the controller applied `decision`'s status beside the agent's fields, as
/// read back from the API (so times are whole seconds).
pub fn applied(job: &RenderJob, decision: &Decision) -> RenderJob {
    let agent = job.status.clone().unwrap_or_default();
    let mut job = job.clone();
    job.status = Some(RenderJobStatus {
        rendered_frames: agent.rendered_frames,
        progress: agent.progress,
        frame_records: agent.frame_records,
        failures: agent.failures,
        ..decision.status.clone()
    });
    serde_json::from_value(serde_json::to_value(&job).unwrap()).unwrap()
}

/// A frame failure record, as the agent writes it.
pub fn failure(frame: u64, attempt: u32, node: &str) -> Value {
    json!({
        "frame": frame,
        "attempt": attempt,
        "node": node,
        "reason": "EngineCrashed",
        "message": format!("Blender segfaulted on frame {frame}"),
        "at": "2025-03-01T10:04:00Z",
    })
}

/// A rendered frame record, as the agent writes it.
pub fn rendered(frame: u64, attempt: u32) -> Value {
    json!({
        "frame": frame,
        "outputKey": format!("sh010/sh010_{frame:04}.png"),
        "bytes": 1000,
        "renderSeconds": 12.5,
        "finishedAt": "2025-03-01T10:03:00Z",
        "attempt": attempt,
    })
}

pub fn condition<'a>(status: &'a RenderJobStatus, type_: &str) -> (&'a str, &'a str, &'a str) {
    let condition = find_condition(&status.conditions, type_).unwrap();
    (
        condition.status.as_str(),
        condition.reason.as_str(),
        condition.message.as_str(),
    )
}

pub fn reasons(decision: &Decision) -> Vec<&'static str> {
    decision.events.iter().map(|event| event.reason).collect()
}

/// Applies `decision` and decides again with the same pods: nothing new may come out.
pub fn assert_idle_after(
    job: &RenderJob,
    decision: &Decision,
    pods: &[Pod],
    now: &str,
) -> RenderJob {
    let job = applied(job, decision);
    let again = decide_at(&job, pods, now);
    assert_eq!(again.status, decision.status, "the status is stable");
    assert_eq!(again.action, decision.action, "the action is stable");
    assert_eq!(again.events, [], "events are recorded once");
    assert_eq!(
        operator_owned(job.status.as_ref().unwrap()),
        again.status,
        "an idle reconcile has nothing to write"
    );
    job
}

pub fn avoid(nodes: &[&str]) -> BTreeSet<String> {
    nodes.iter().map(|node| (*node).to_owned()).collect()
}
