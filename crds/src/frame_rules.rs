//! CEL rules for frame set strings. They check the syntax and the step; the frame count and
//! the order of range ends need arithmetic on each item, which the apiserver's cost
//! estimator cannot bound, so [`crate::FrameSet::parse`] checks those in the operator.

use kube::core::Rule;

use crate::patterns::{FRAME_SET, FRAME_SET_ZERO_STEP};
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
