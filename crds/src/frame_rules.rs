//! CEL rules for frame set strings.
//!
//! Every frame set gets its syntax and steps checked. A set that is a single range (`1-240`,
//! `1-240x2`, by far the common case) also gets its order and size checked, with arithmetic on
//! the numbers `findAll()` extracts from the whole string, which the apiserver can cost. Lists
//! of items need arithmetic per item, whose cost the estimator cannot bound, so
//! [`crate::FrameSet::parse`] checks those in the operator.

use kube::core::{Message, Rule};

use crate::limits::MAX_JOBS_PER_SHOT;
use crate::patterns::{FRAME_NUMBER, FRAME_SET, FRAME_SET_SINGLE_RANGE, FRAME_SET_ZERO_STEP};
use crate::rules;

pub(crate) fn syntax() -> Rule {
    rules::matches(
        &FRAME_SET,
        "must be a frame set such as 1-240, 1-240x2 or 1,5,10-20: frame numbers 0 to 9999999, \
         ranges START-END with an optional step xN, items separated by commas, no spaces",
    )
}

pub(crate) fn step() -> Rule {
    rules::never_matches(
        &FRAME_SET_ZERO_STEP,
        "a range step (the number after x) must be at least 1, e.g. 1-240x2",
    )
}

pub(crate) fn immutable() -> Rule {
    Rule::new("self == oldSelf")
        .message("the frames of a RenderJob cannot change; create a new RenderJob instead")
}

/// The arithmetic of a single-range frame set held in `target`.
struct SingleRange<'a> {
    target: &'a str,
}

impl SingleRange<'_> {
    fn number(&self, index: usize) -> String {
        format!(
            "int({}[{index}])",
            FRAME_NUMBER.cel_matches_all(self.target)
        )
    }

    /// `(end - start) / step`: the frame count minus one.
    fn span_in_steps(&self) -> String {
        format!(
            "({} - {}) / ({}.contains('x') ? {} : 1)",
            self.number(1),
            self.number(0),
            self.target,
            self.number(2)
        )
    }

    /// `condition` must hold when `target` is one ordered range with a non-zero step.
    fn rule(&self, condition: &str) -> String {
        format!(
            "!{single} || {zero_step} || {end} < {start} || {condition}",
            single = FRAME_SET_SINGLE_RANGE.cel_matches(self.target),
            zero_step = FRAME_SET_ZERO_STEP.cel_matches(self.target),
            end = self.number(1),
            start = self.number(0),
        )
    }
}

/// A single range ends at or after its start.
pub(crate) fn range_order() -> Rule {
    let range = SingleRange { target: "self" };
    Rule::new(format!(
        "!{} || {} <= {}",
        FRAME_SET_SINGLE_RANGE.cel_matches("self"),
        range.number(0),
        range.number(1)
    ))
    .message("the range ends before it starts; write it low to high, e.g. 10-20")
}

/// A single range holds at most `max` frames.
pub(crate) fn range_size(max: u64, advice: &str) -> Rule {
    let range = SingleRange { target: "self" };
    Rule::new(range.rule(&format!("{} < {max}", range.span_in_steps()))).message(Message::Message(
        format!("lists more than {max} frames; {advice}"),
    ))
}

/// A shot whose frames are a single range makes at most [`MAX_JOBS_PER_SHOT`] RenderJobs.
pub(crate) fn job_count() -> Rule {
    let range = SingleRange {
        target: "self.frames",
    };
    let jobs = format!(
        "({} + self.chunkSize) / self.chunkSize <= {MAX_JOBS_PER_SHOT}",
        range.span_in_steps()
    );
    Rule::new(format!("self.chunkSize < 1 || {}", range.rule(&jobs)))
        .field_path(".chunkSize")
        .message(Message::Message(format!(
            "makes more than {MAX_JOBS_PER_SHOT} RenderJobs; raise chunkSize"
        )))
}
