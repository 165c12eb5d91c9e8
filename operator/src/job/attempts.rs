//! What a RenderJob needs next, decided from the job and its pods alone: start an attempt,
//! wait (for a pod, or for the backoff after a failed attempt), stop a pod (suspension), or
//! nothing because the job has finished; with the operator's part of the job's status and
//! the events to record. Pure and deterministic: the same observation gives the same
//! decision, so an idle reconcile writes nothing. It neither reads nor writes the API.

mod ending;
mod pod_state;
mod records;
mod retry;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::time::Duration;

use framefarm_crds::conditions::{
    ConditionUpdate, READY, RECONCILING, STALLED, find_condition, set_condition,
};
use framefarm_crds::job::JobPhase;
use framefarm_crds::{FrameSet, RenderJob, RenderJobStatus};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

use crate::names::pod_name;
use pod_state::{Blocked, Failure, PodState, attempt_of, is_active, node_of, pod_state};
use records::Tally;

const STARTING: &str = "Starting";
const RENDERING: &str = "Rendering";
const STOPPING: &str = "Stopping";
const RETRYING: &str = "Retrying";
const SUSPENDED: &str = "Suspended";
const RENDERED: &str = "Rendered";
const FRAMES_FAILED: &str = "FramesFailed";
const INVALID_SPEC: &str = "InvalidSpec";

/// What the RenderJob controller gathered about one job.
#[derive(Clone, Debug)]
pub struct Observation<'a> {
    pub job: &'a RenderJob,
    /// Pods labelled with the job's name, of any attempt.
    pub pods: Vec<&'a Pod>,
    pub now: Timestamp,
}

/// The one change to the cluster a job needs now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Nothing,
    /// Apply the render pod of `attempt`, preferring nodes other than `avoid_nodes`.
    CreatePod {
        attempt: u32,
        avoid_nodes: BTreeSet<String>,
    },
    /// Delete a pod gracefully: its agent uploads what it saved (suspension).
    DeletePod {
        name: String,
    },
}

/// A Kubernetes event to record on the job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobEvent {
    pub warning: bool,
    /// PascalCase, e.g. `AttemptFailed`.
    pub reason: &'static str,
    pub message: String,
}

/// What to do, and the status to apply as the operator's field manager.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub action: Action,
    /// Only the operator-owned fields; the agent's (rendered frames, progress, frame and
    /// failure records) stay empty.
    pub status: RenderJobStatus,
    /// When to look again even if nothing changes, e.g. at the end of a backoff.
    pub requeue_after: Option<Duration>,
    pub events: Vec<JobEvent>,
}

/// The operator-owned fields of `status`, to compare with [`Decision::status`].
pub fn operator_owned(status: &RenderJobStatus) -> RenderJobStatus {
    RenderJobStatus {
        rendered_frames: None,
        progress: None,
        frame_records: Vec::new(),
        failures: Vec::new(),
        ..status.clone()
    }
}

/// Decides what `observation.job` needs next; see docs/operator.md, "Attempts, retries and
/// the blocklist".
pub fn decide(observation: &Observation<'_>) -> Decision {
    let job = observation.job;
    let stored = job.status.clone().unwrap_or_default();
    let mut pods: Vec<(u32, &Pod)> = observation
        .pods
        .iter()
        .filter_map(|pod| Some((attempt_of(pod)?, *pod)))
        .collect();
    pods.sort_by_key(|(attempt, _)| *attempt);
    let current = pods
        .last()
        .map_or(0, |(attempt, _)| *attempt)
        .max(stored.attempt.unwrap_or(0));
    let decider = Decider {
        name: job.name_any(),
        generation: job.metadata.generation,
        // Status times are whole seconds; so are the decisions, or a stored time would
        // never equal a new one.
        now: Timestamp::from_second(observation.now.as_second()).unwrap_or(observation.now),
        current,
        current_pod: pods
            .iter()
            .find(|(attempt, _)| *attempt == current)
            .map(|(_, pod)| *pod),
        active: pods
            .iter()
            .filter(|(_, pod)| is_active(pod))
            .map(|(_, pod)| *pod)
            .collect(),
        first_created: pods
            .iter()
            .filter_map(|(_, pod)| pod.metadata.creation_timestamp.clone())
            .min_by_key(|time| time.0),
        max_attempts: job.spec.render.retries.max_attempts_per_frame,
        stored,
    };
    let frames = match FrameSet::parse(&job.spec.frames) {
        Ok(frames) => frames,
        Err(error) => return decider.invalid_frames(&error),
    };
    let mut tally = Tally::new(frames, &decider.stored, decider.max_attempts);
    let state = decider.current_pod.map(pod_state);
    let counted = match &state {
        Some(PodState::Failed(failure)) => Some(failure.clone()),
        Some(PodState::Succeeded { finished_at }) if !tally.remaining.is_empty() => Some(Failure {
            reason: "FramesMissing".into(),
            description: format!(
                "FramesMissing: the agent exited without rendering frames {}",
                tally.remaining
            ),
            finished_at: *finished_at,
        }),
        _ => None,
    };
    let gave_up = counted.is_some()
        && records::made_no_progress(&decider.stored, current, decider.max_attempts);
    if gave_up {
        tally.fail_remaining();
    }

    if tally.remaining.is_empty() && decider.active.is_empty() {
        return decider.finished(&tally, counted.as_ref(), gave_up);
    }
    if job.spec.render.suspend {
        return decider.suspended(&tally);
    }
    if tally.remaining.is_empty() {
        return decider.finishing(&tally);
    }
    match (state, counted) {
        (_, Some(failure)) => decider.after_failure(&tally, &failure, &job.spec.render.retries),
        (None, _) => decider.replace_missing(&tally),
        (Some(PodState::Pending { blocked }), _) => decider.waiting(&tally, blocked),
        (Some(PodState::Running), _) => decider.running(&tally),
        (Some(PodState::Interrupted { evicted, detail }), _) => {
            decider.after_interruption(&tally, evicted, &detail)
        }
        (Some(PodState::Stopping { .. } | PodState::Succeeded { .. } | PodState::Failed(_)), _) => {
            decider.stopping(&tally)
        }
    }
}

/// The operator-owned status a decision writes, before conditions.
struct Summary {
    phase: JobPhase,
    attempt: u32,
    node_name: Option<String>,
    next_attempt_time: Option<Timestamp>,
    reason: &'static str,
    message: String,
}

struct Decider<'a> {
    name: String,
    generation: Option<i64>,
    now: Timestamp,
    stored: RenderJobStatus,
    /// The highest attempt in the status or among the pods; 0 before the first.
    current: u32,
    current_pod: Option<&'a Pod>,
    /// Pods whose containers may still run, by attempt.
    active: Vec<&'a Pod>,
    first_created: Option<Time>,
    max_attempts: u32,
}

impl Decider<'_> {
    /// Every frame is accounted for but a pod still runs: its agent is finishing uploads. The
    /// status stays as while rendering, which saves a status write per RenderJob.
    fn finishing(&self, tally: &Tally) -> Decision {
        self.running(tally)
    }

    fn waiting(&self, tally: &Tally, blocked: Option<Blocked>) -> Decision {
        let pod = pod_name(&self.name, self.current);
        let Some(blocked) = blocked else {
            let summary = self.summary(JobPhase::Pending, STARTING, self.starting_message());
            return self.decide(Action::Nothing, tally, summary, Vec::new());
        };
        let message = if blocked.reason == "Unschedulable" {
            format!("pod {pod} cannot be scheduled: {}", blocked.message)
        } else {
            format!("pod {pod} cannot start: {}", blocked.message)
        };
        let mut events = Vec::new();
        let reconciling = find_condition(&self.stored.conditions, RECONCILING);
        if reconciling.is_none_or(|condition| condition.reason != blocked.reason) {
            events.push(event(true, blocked.reason, message.clone()));
        }
        let summary = self.summary(JobPhase::Pending, blocked.reason, message);
        self.decide(Action::Nothing, tally, summary, events)
    }

    fn running(&self, tally: &Tally) -> Decision {
        let summary = self.summary(
            JobPhase::Running,
            RENDERING,
            format!(
                "attempt {} renders in pod {}{}",
                self.current,
                pod_name(&self.name, self.current),
                self.node()
                    .map(|node| format!(" on node {node}"))
                    .unwrap_or_default()
            ),
        );
        self.decide(Action::Nothing, tally, summary, Vec::new())
    }

    /// A pod is still running that must end before another starts.
    fn stopping(&self, tally: &Tally) -> Decision {
        let Some(pod) = self.active.first() else {
            return self.start(tally, self.current + 1, Vec::new());
        };
        let phase = match pod
            .status
            .as_ref()
            .and_then(|status| status.phase.as_deref())
        {
            Some("Running") => JobPhase::Running,
            _ => JobPhase::Pending,
        };
        let message = format!(
            "waiting for pod {} to end before the next attempt starts",
            pod.name_any()
        );
        let summary = self.summary(phase, STOPPING, message);
        self.decide(Action::Nothing, tally, summary, Vec::new())
    }

    /// Starts `attempt`, once no pod of the job runs any more.
    fn start(&self, tally: &Tally, attempt: u32, mut events: Vec<JobEvent>) -> Decision {
        if let Some(pod) = self.active.first() {
            let message = format!(
                "waiting for pod {} to end before the next attempt starts",
                pod.name_any()
            );
            let summary = self.summary(JobPhase::Pending, STOPPING, message);
            return self.decide(Action::Nothing, tally, summary, events);
        }
        let pod = pod_name(&self.name, attempt);
        if self.stored.phase == Some(JobPhase::Suspended) {
            events.push(event(
                false,
                "Resumed",
                format!("resumed: frames {} are left to render", tally.remaining),
            ));
        }
        // The first attempt is routine and has no event: a 10,000-job shot would write 10,000
        // of them. Retries are worth one.
        if self.is_new_attempt(attempt) && attempt > 1 {
            events.push(event(
                false,
                "AttemptStarted",
                format!(
                    "started attempt {attempt} in pod {pod} for frames {}",
                    tally.remaining
                ),
            ));
        }
        let summary = Summary {
            phase: JobPhase::Pending,
            attempt,
            node_name: None,
            next_attempt_time: None,
            reason: STARTING,
            message: starting_message(&pod, attempt),
        };
        let action = Action::CreatePod {
            attempt,
            avoid_nodes: records::failure_nodes(&self.stored),
        };
        self.decide(action, tally, summary, events)
    }

    fn is_new_attempt(&self, attempt: u32) -> bool {
        self.stored.attempt.unwrap_or(0) < attempt
    }

    fn starting_message(&self) -> String {
        starting_message(&pod_name(&self.name, self.current), self.current)
    }

    /// The node of the current attempt: its pod's, or the one recorded while it ran.
    fn node(&self) -> Option<String> {
        self.current_pod.and_then(node_of).or_else(|| {
            self.stored
                .node_name
                .clone()
                .filter(|_| self.stored.attempt == Some(self.current))
        })
    }

    /// The summary of the current attempt in `phase`.
    fn summary(&self, phase: JobPhase, reason: &'static str, message: String) -> Summary {
        Summary {
            phase,
            attempt: self.current,
            // Recorded once the pod runs: a pod is bound to a node moments before it starts,
            // and a separate status write for that is not worth it on a 10,000-job shot.
            node_name: self.node().filter(|_| phase != JobPhase::Pending),
            next_attempt_time: None,
            reason,
            message,
        }
    }

    fn decide(
        &self,
        action: Action,
        tally: &Tally,
        summary: Summary,
        events: Vec<JobEvent>,
    ) -> Decision {
        Decision {
            action,
            status: self.status(tally, summary),
            requeue_after: None,
            events,
        }
    }

    fn status(&self, tally: &Tally, summary: Summary) -> RenderJobStatus {
        let (ready, reconciling, stalled) = match summary.phase {
            JobPhase::Succeeded => (true, false, false),
            JobPhase::Failed => (false, false, true),
            JobPhase::Suspended => (false, false, false),
            JobPhase::Pending | JobPhase::Running => (false, true, false),
        };
        let finished = matches!(summary.phase, JobPhase::Succeeded | JobPhase::Failed);
        let mut conditions = self.stored.conditions.clone();
        let now = Time(self.now);
        for (type_, status) in [
            (READY, ready),
            (RECONCILING, reconciling),
            (STALLED, stalled),
        ] {
            let update = ConditionUpdate {
                type_,
                status,
                reason: summary.reason,
                message: summary.message.clone(),
                observed_generation: self.generation,
            };
            set_condition(&mut conditions, update, &now);
        }
        let started = summary.attempt > 0;
        RenderJobStatus {
            observed_generation: self.generation,
            phase: Some(summary.phase),
            attempt: started.then_some(summary.attempt),
            pod_name: started.then(|| pod_name(&self.name, summary.attempt)),
            node_name: summary.node_name,
            next_attempt_time: summary.next_attempt_time.map(Time),
            failed_frames: (!tally.failed.is_empty()).then(|| tally.failed.to_string()),
            start_time: self
                .stored
                .start_time
                .clone()
                .or_else(|| started.then(|| self.first_created.clone().unwrap_or(now.clone()))),
            completion_time: finished
                .then(|| self.stored.completion_time.clone().unwrap_or(now.clone())),
            conditions,
            ..RenderJobStatus::default()
        }
    }
}

fn starting_message(pod: &str, attempt: u32) -> String {
    format!("waiting for pod {pod} of attempt {attempt} to start")
}

fn event(warning: bool, reason: &'static str, message: String) -> JobEvent {
    JobEvent {
        warning,
        reason,
        message,
    }
}
