//! What follows an attempt that ended with frames left: an interruption (eviction, deletion,
//! a lost node) starts the next attempt at once; a failure waits its backoff first. Frames
//! and nodes to avoid come from the records; starting the pod is `Decider::start`'s.

use std::time::Duration;

use framefarm_crds::job::JobPhase;
use framefarm_crds::settings::RetryPolicy;
use jiff::{SignedDuration, Timestamp};

use super::pod_state::Failure;
use super::records::{self, Tally};
use super::{Action, Decider, Decision, RETRYING, event};
use crate::names::pod_name;

impl Decider<'_> {
    /// The current pod is gone. One seen on a node was deleted or lost with its node: the
    /// next attempt starts at once. One never seen on a node may not be in the cache yet,
    /// so the same attempt is applied again, which meets the pod if it exists.
    pub(super) fn replace_missing(&self, tally: &Tally) -> Decision {
        if self.current == 0 || self.node().is_none() {
            return self.start(tally, self.current.max(1), Vec::new());
        }
        let detail = format!(
            "pod {} is gone (deleted, or lost with its node)",
            pod_name(&self.name, self.current)
        );
        self.after_interruption(tally, false, &detail)
    }

    pub(super) fn after_interruption(
        &self,
        tally: &Tally,
        evicted: bool,
        detail: &str,
    ) -> Decision {
        let next = self.current + 1;
        let mut events = Vec::new();
        if self.is_new_attempt(next) && self.stored.phase != Some(JobPhase::Suspended) {
            let reason = if evicted { "Evicted" } else { "Interrupted" };
            events.push(event(
                true,
                reason,
                format!(
                    "attempt {} was interrupted ({detail}); attempt {next} starts now and the \
                     interruption does not count as a failure",
                    self.current
                ),
            ));
        }
        self.start(tally, next, events)
    }

    pub(super) fn after_failure(
        &self,
        tally: &Tally,
        failure: &Failure,
        retries: &RetryPolicy,
    ) -> Decision {
        let attempt = self.current;
        let failed = records::failed_attempts(&self.stored, attempt);
        let wait = SignedDuration::from_secs(i64::from(retries.backoff_before(failed + 1)));
        let stored_next = self
            .stored
            .next_attempt_time
            .as_ref()
            .filter(|_| self.stored.attempt == Some(attempt))
            .map(|time| time.0);
        let next = match (failure.finished_at, stored_next) {
            (Some(finished), _) => finished.checked_add(wait).unwrap_or(Timestamp::MAX),
            (None, Some(stored)) => stored,
            (None, None) => self.now.checked_add(wait).unwrap_or(Timestamp::MAX),
        };
        let next_attempt = attempt + 1;
        let mut events = Vec::new();
        if stored_next.is_none() {
            events.push(event(
                true,
                "AttemptFailed",
                format!(
                    "attempt {attempt} failed: {}; attempt {next_attempt} starts at {next}",
                    failure.description
                ),
            ));
        }
        if self.now >= next {
            return self.start(tally, next_attempt, events);
        }
        let mut summary = self.summary(
            JobPhase::Pending,
            RETRYING,
            format!(
                "attempt {attempt} failed: {}; attempt {next_attempt} starts at {next}",
                failure.description
            ),
        );
        summary.next_attempt_time = Some(next);
        let mut decision = self.decide(Action::Nothing, tally, summary, events);
        decision.requeue_after = Duration::try_from(next.duration_since(self.now)).ok();
        decision
    }
}
