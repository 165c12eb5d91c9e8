//! Which frames an attempt renders: the job's frames less those earlier attempts of the same
//! RenderJob settled — rendered (its records and `renderedFrames`) or failed for good
//! (`failedFrames`, written by the operator) — and, unless overwriting, less those whose
//! files are already in the output. Pure: reading the status and listing the output happen
//! elsewhere.

use framefarm_crds::{FrameSet, RenderJobStatus};

/// What earlier attempts of a RenderJob settled, as its status says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriorAttempts {
    /// Frames this job rendered already, with the current settings.
    pub rendered: FrameSet,
    /// Frames that failed every attempt; the operator gave up on them.
    pub failed: FrameSet,
}

impl PriorAttempts {
    pub fn from_status(status: &RenderJobStatus) -> Self {
        let recorded =
            FrameSet::from_frames(status.frame_records.iter().map(|record| record.frame));
        let listed = status_frame_set(status.rendered_frames.as_deref(), "renderedFrames");
        Self {
            rendered: recorded.union(&listed),
            failed: status_frame_set(status.failed_frames.as_deref(), "failedFrames"),
        }
    }
}

/// The frames of one attempt, each in exactly one set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FramePlan {
    pub to_render: FrameSet,
    /// Rendered by an earlier attempt of this job.
    pub rendered_before: FrameSet,
    /// Failed every attempt; left out.
    pub failed: FrameSet,
    /// Found in the output (only when not overwriting).
    pub found: FrameSet,
}

impl FramePlan {
    /// Frames reported as rendered without rendering them now.
    pub fn already_rendered(&self) -> FrameSet {
        self.rendered_before.union(&self.found)
    }
}

/// Frames worth looking for in the output: those no earlier attempt settled.
pub fn unsettled(frames: &FrameSet, prior: &PriorAttempts) -> FrameSet {
    frames.difference(&prior.rendered).difference(&prior.failed)
}

/// Sorts `frames` into what this attempt renders and why it leaves the rest. Frames this job
/// rendered are never rendered again, even when overwriting: they were rendered with the
/// current settings. `existing` (frames whose files are in the output) counts only when not
/// overwriting.
pub fn plan_frames(
    frames: &FrameSet,
    prior: &PriorAttempts,
    existing: &FrameSet,
    overwrite: bool,
) -> FramePlan {
    let rendered_before = frames.intersection(&prior.rendered);
    // A frame both rendered and marked failed was rendered after all.
    let failed = frames
        .intersection(&prior.failed)
        .difference(&rendered_before);
    let unsettled = unsettled(frames, prior);
    let found = if overwrite {
        FrameSet::new()
    } else {
        unsettled.intersection(existing)
    };
    FramePlan {
        to_render: unsettled.difference(&found),
        rendered_before,
        failed,
        found,
    }
}

/// A frame set from a status field. Long sets are cut there with a note (`1-10,12 …and 40
/// more frames`); the frames before the note are kept, since the agent cannot know the rest.
/// An unreadable value counts as empty, with a warning: rendering a frame again is safer than
/// skipping it.
pub fn status_frame_set(text: Option<&str>, field: &str) -> FrameSet {
    let Some(text) = text.filter(|text| !text.is_empty()) else {
        return FrameSet::new();
    };
    match FrameSet::parse_bounded(text) {
        Ok((frames, truncated)) => {
            if truncated {
                tracing::warn!(
                    field,
                    "status.{field} is cut short; only the frames it lists are taken into account"
                );
            }
            frames
        }
        Err(error) => {
            tracing::warn!(
                field,
                value = text,
                "status.{field} is unreadable, ignored: {error}"
            );
            FrameSet::new()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use framefarm_crds::job::FrameRecord;
    use framefarm_crds::limits::MAX_FRAME_SET_LENGTH;

    use super::*;

    fn set(text: &str) -> FrameSet {
        if text.is_empty() {
            FrameSet::new()
        } else {
            FrameSet::parse(text).unwrap()
        }
    }

    fn prior(rendered: &str, failed: &str) -> PriorAttempts {
        PriorAttempts {
            rendered: set(rendered),
            failed: set(failed),
        }
    }

    #[test]
    fn a_first_attempt_renders_the_frames_missing_from_the_output() {
        let plan = plan_frames(&set("1-10"), &prior("", ""), &set("2-3,20"), false);
        assert_eq!(plan.to_render, set("1,4-10"));
        assert_eq!(plan.found, set("2-3"));
        assert_eq!(plan.already_rendered(), set("2-3"));
    }

    #[test]
    fn frames_this_job_rendered_or_gave_up_on_are_left_out() {
        let plan = plan_frames(&set("1-10"), &prior("1-3", "7"), &set("9"), false);
        assert_eq!(plan.to_render, set("4-6,8,10"));
        assert_eq!(plan.rendered_before, set("1-3"));
        assert_eq!(plan.failed, set("7"));
        assert_eq!(plan.found, set("9"));
        assert_eq!(plan.already_rendered(), set("1-3,9"));
    }

    #[test]
    fn overwriting_renders_existing_files_but_not_this_jobs_own_frames() {
        let plan = plan_frames(&set("1-10"), &prior("1-3", "7"), &set("1-10"), true);
        assert_eq!(plan.to_render, set("4-6,8-10"));
        assert_eq!(plan.found, FrameSet::new());
        assert_eq!(plan.already_rendered(), set("1-3"));
        assert_eq!(plan.failed, set("7"));
    }

    #[test]
    fn only_the_jobs_frames_are_sorted() {
        let plan = plan_frames(&set("5-8"), &prior("1-6", "8,20"), &set("30"), false);
        assert_eq!(plan.to_render, set("7"));
        assert_eq!(plan.rendered_before, set("5-6"));
        assert_eq!(plan.failed, set("8"));
        assert_eq!(plan.found, FrameSet::new());
    }

    #[test]
    fn a_frame_both_rendered_and_failed_counts_as_rendered() {
        let plan = plan_frames(&set("1-3"), &prior("2", "2-3"), &set(""), false);
        assert_eq!(plan.rendered_before, set("2"));
        assert_eq!(plan.failed, set("3"));
        assert_eq!(plan.to_render, set("1"));
        assert_eq!(unsettled(&set("1-3"), &prior("2", "2-3")), set("1"));
    }

    #[test]
    fn prior_attempts_come_from_records_and_the_frame_sets_of_the_status() {
        let record = |frame| FrameRecord {
            frame,
            output_key: format!("out/frame_{frame:04}.png"),
            thumbnail_key: None,
            bytes: 1,
            render_seconds: 1.0,
            finished_at: crate::report::now(),
            node: None,
            attempt: 1,
        };
        let status = RenderJobStatus {
            frame_records: vec![record(1), record(4)],
            rendered_frames: Some("1-2".into()),
            failed_frames: Some("9".into()),
            ..RenderJobStatus::default()
        };
        assert_eq!(PriorAttempts::from_status(&status), prior("1-2,4", "9"));
        assert_eq!(
            PriorAttempts::from_status(&RenderJobStatus::default()),
            PriorAttempts::default()
        );
    }

    #[test]
    fn a_status_set_cut_short_keeps_the_frames_it_shows() {
        let long = FrameSet::from_frames((1..=2000).map(|frame| frame * frame));
        let text = long.to_bounded_string(MAX_FRAME_SET_LENGTH);
        assert!(text.contains("more frames"), "the set is cut: {text}");
        let read = status_frame_set(Some(&text), "renderedFrames");
        assert!(!read.is_empty() && read.len() < long.len());
        assert!(read.is_subset(&long));
        assert_eq!(
            status_frame_set(Some("…and 5 more frames"), "failedFrames"),
            FrameSet::new()
        );
        assert_eq!(
            status_frame_set(Some("1-x"), "failedFrames"),
            FrameSet::new()
        );
        assert_eq!(status_frame_set(None, "failedFrames"), FrameSet::new());
    }
}
