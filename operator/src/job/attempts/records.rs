//! What a RenderJob's status records say: which frames are rendered, failed or still to
//! render, how many attempts failed, which nodes frames failed on, and whether recent
//! attempts rendered anything. Arithmetic on the status only.

use std::collections::{BTreeMap, BTreeSet};

use framefarm_crds::{FrameSet, RenderJobStatus};

/// The frames of a job, by what happened to them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub frames: FrameSet,
    pub rendered: FrameSet,
    pub failed: FrameSet,
    pub remaining: FrameSet,
}

impl Tally {
    /// Rendered: what the agent reported, as a set or as records. Failed: what the status
    /// already says, plus frames that failed in `max_attempts` distinct attempts. A frame
    /// rendered after failing counts as rendered.
    pub fn new(frames: FrameSet, status: &RenderJobStatus, max_attempts: u32) -> Tally {
        let recorded =
            FrameSet::from_frames(status.frame_records.iter().map(|record| record.frame));
        let rendered = FrameSet::from_status(status.rendered_frames.as_deref())
            .union(&recorded)
            .intersection(&frames);
        let failed = FrameSet::from_status(status.failed_frames.as_deref())
            .union(&frames_out_of_attempts(status, max_attempts))
            .intersection(&frames)
            .difference(&rendered);
        let remaining = frames.difference(&rendered).difference(&failed);
        Tally {
            frames,
            rendered,
            failed,
            remaining,
        }
    }

    /// Gives up on every remaining frame.
    pub fn fail_remaining(&mut self) {
        self.failed = self.failed.union(&self.remaining);
        self.remaining = FrameSet::new();
    }
}

/// Frames with failure records from at least `max_attempts` distinct attempts.
fn frames_out_of_attempts(status: &RenderJobStatus, max_attempts: u32) -> FrameSet {
    let mut attempts: BTreeMap<u64, BTreeSet<u32>> = BTreeMap::new();
    for failure in &status.failures {
        attempts
            .entry(failure.frame)
            .or_default()
            .insert(failure.attempt);
    }
    FrameSet::from_frames(
        attempts
            .into_iter()
            .filter(|(_, attempts)| attempts.len() >= max_attempts as usize)
            .map(|(frame, _)| frame),
    )
}

/// Failed attempts so far: those that recorded a frame failure, plus `current` when it
/// failed without one.
pub fn failed_attempts(status: &RenderJobStatus, current: u32) -> u32 {
    let mut attempts: BTreeSet<u32> = status
        .failures
        .iter()
        .map(|failure| failure.attempt)
        .collect();
    attempts.insert(current);
    u32::try_from(attempts.len()).unwrap_or(u32::MAX)
}

/// Whether the failed attempt `attempt` ends a run of `max_attempts` attempts that rendered
/// nothing, without the agent naming a frame that failed (e.g. the engine ran out of memory
/// while loading the scene): retrying further would only repeat it.
pub fn made_no_progress(status: &RenderJobStatus, attempt: u32, max_attempts: u32) -> bool {
    let named_a_frame = status
        .failures
        .iter()
        .any(|failure| failure.attempt == attempt);
    let window_start = attempt.saturating_sub(max_attempts);
    !named_a_frame
        && attempt >= max_attempts
        && status
            .frame_records
            .iter()
            .all(|record| record.attempt <= window_start)
}

/// Nodes where frames of the job failed, for later attempts to avoid.
pub fn failure_nodes(status: &RenderJobStatus) -> BTreeSet<String> {
    status
        .failures
        .iter()
        .filter_map(|failure| failure.node.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

    use serde_json::json;

    use super::*;

    #[test]
    fn a_frame_rendered_after_failing_counts_as_rendered() {
        let failures: Vec<_> = [1, 2, 3]
            .map(|attempt| {
                json!({
                    "frame": 2, "attempt": attempt, "reason": "EngineCrashed", "message": "",
                    "at": "2025-03-01T10:00:00Z",
                })
            })
            .into();
        let status: RenderJobStatus = serde_json::from_value(json!({
            "renderedFrames": "1-3",
            "failedFrames": "3,9",
            "failures": failures,
        }))
        .unwrap();
        let tally = Tally::new(FrameSet::parse("1-10").unwrap(), &status, 3);
        assert_eq!(tally.rendered.to_string(), "1-3");
        assert_eq!(tally.failed.to_string(), "9");
        assert_eq!(tally.remaining.to_string(), "4-8,10");
        assert_eq!(failed_attempts(&status, 4), 4);
        assert_eq!(failed_attempts(&status, 3), 3, "attempt 3 is counted once");
    }
}
