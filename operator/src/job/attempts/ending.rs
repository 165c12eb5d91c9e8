//! How a RenderJob stops: every frame rendered (Succeeded), frames failed every attempt
//! (Failed, naming them and the last failure), suspended, or a spec that cannot run. No new
//! attempt starts from here; suspension only stops the running pod.

use framefarm_crds::conditions::{STALLED, find_condition};
use framefarm_crds::job::JobPhase;
use framefarm_crds::{FrameSet, FrameSetError};
use kube::ResourceExt;

use super::pod_state::Failure;
use super::records::Tally;
use super::{Action, Decider, Decision, FRAMES_FAILED, INVALID_SPEC, RENDERED, SUSPENDED, event};

impl Decider<'_> {
    pub(super) fn finished(
        &self,
        tally: &Tally,
        counted: Option<&Failure>,
        gave_up: bool,
    ) -> Decision {
        let mut events = Vec::new();
        let summary = if tally.failed.is_empty() {
            let message = format!("rendered {} frames: {}", tally.frames.len(), tally.frames);
            // No event for a routine success: the shot reports its own, once.
            self.summary(JobPhase::Succeeded, RENDERED, message)
        } else {
            let message = self.frames_failed_message(tally, counted, gave_up);
            if self.stored.phase != Some(JobPhase::Failed) {
                events.push(event(true, FRAMES_FAILED, message.clone()));
            }
            self.summary(JobPhase::Failed, FRAMES_FAILED, message)
        };
        self.decide(Action::Nothing, tally, summary, events)
    }

    /// The failed frames and the most telling failure; the stored message while the failed
    /// frames are unchanged, so the pod's garbage collection does not rewrite it.
    fn frames_failed_message(
        &self,
        tally: &Tally,
        counted: Option<&Failure>,
        gave_up: bool,
    ) -> String {
        let failed = tally.failed.to_string();
        let stalled = find_condition(&self.stored.conditions, STALLED);
        if let Some(stalled) = stalled
            && stalled.reason == FRAMES_FAILED
            && self.stored.failed_frames.as_deref() == Some(failed.as_str())
        {
            return stalled.message.clone();
        }
        let last_record = self
            .stored
            .failures
            .iter()
            .rev()
            .find(|failure| tally.failed.contains(failure.frame));
        let last = match (counted, last_record) {
            (Some(counted), _) if gave_up => Some(format!(
                "the last {} attempts rendered no frame; attempt {} ended with {}",
                self.max_attempts, self.current, counted.description
            )),
            (_, Some(record)) => Some(format!(
                "frame {} failed in attempt {}{}: {}: {}",
                record.frame,
                record.attempt,
                record
                    .node
                    .as_deref()
                    .map(|node| format!(" on node {node}"))
                    .unwrap_or_default(),
                record.reason,
                record.message
            )),
            (Some(counted), None) => Some(counted.description.clone()),
            (None, None) => None,
        };
        match last {
            Some(last) => format!("frames {failed} failed; last failure: {last}"),
            None => format!("frames {failed} failed"),
        }
    }

    pub(super) fn suspended(&self, tally: &Tally) -> Decision {
        let running = self
            .active
            .iter()
            .find(|pod| pod.metadata.deletion_timestamp.is_none());
        let action = running.map_or(Action::Nothing, |pod| Action::DeletePod {
            name: pod.name_any(),
        });
        let mut events = Vec::new();
        if self.stored.phase != Some(JobPhase::Suspended) {
            let message = match running {
                Some(pod) => format!(
                    "suspended: pod {} stops and uploads the frames it saved",
                    pod.name_any()
                ),
                None => "suspended".into(),
            };
            events.push(event(false, SUSPENDED, message));
        }
        let summary = self.summary(
            JobPhase::Suspended,
            SUSPENDED,
            "suspended: no pod runs until spec.suspend is false".into(),
        );
        self.decide(action, tally, summary, events)
    }

    pub(super) fn invalid_frames(&self, error: &FrameSetError) -> Decision {
        let message = format!("spec.frames: {error}");
        let stalled = find_condition(&self.stored.conditions, STALLED);
        let mut events = Vec::new();
        if stalled.is_none_or(|condition| condition.reason != INVALID_SPEC) {
            events.push(event(true, INVALID_SPEC, message.clone()));
        }
        let tally = Tally {
            frames: FrameSet::new(),
            rendered: FrameSet::new(),
            failed: FrameSet::new(),
            remaining: FrameSet::new(),
        };
        let summary = self.summary(JobPhase::Failed, INVALID_SPEC, message);
        self.decide(Action::Nothing, &tally, summary, events)
    }
}
