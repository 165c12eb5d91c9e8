//! Union, intersection and difference of frame sets, computed run by run.
//!
//! The number line is cut at every run boundary of both sets; inside one segment each set is
//! at most one arithmetic run, and two runs combine with arithmetic (CRT for the intersection).
//! Only when two runs with unrelated steps interleave does a segment fall back to walking its
//! frames — and then the canonical result itself has about that many runs.

use super::compress::Compressor;
use super::{Frame, FrameRun, FrameSet};

impl FrameSet {
    /// Frames in either set.
    pub fn union(&self, other: &FrameSet) -> FrameSet {
        combine(self, other, |left, right, out| match (left, right) {
            (Some(run), None) | (None, Some(run)) => out.push_run(run),
            (Some(left), Some(right)) => union_of_runs(left, right, out),
            (None, None) => {}
        })
    }

    /// Frames in both sets.
    pub fn intersection(&self, other: &FrameSet) -> FrameSet {
        combine(self, other, |left, right, out| {
            if let (Some(left), Some(right)) = (left, right)
                && let Some(common) = intersect_runs(left, right)
            {
                out.push_run(common);
            }
        })
    }

    /// Frames in `self` that are not in `other`: e.g. the frames of a shot still to render.
    pub fn difference(&self, other: &FrameSet) -> FrameSet {
        combine(self, other, |left, right, out| match (left, right) {
            (Some(left), None) => out.push_run(left),
            (Some(left), Some(right)) => difference_of_runs(left, right, out),
            (None, _) => {}
        })
    }

    /// Whether every frame of `self` is in `other`.
    pub fn is_subset(&self, other: &FrameSet) -> bool {
        self.difference(other).is_empty()
    }

    /// The union of many sets. Sets whose runs do not overlap (the chunks of one shot) are
    /// joined in O(runs · log runs); overlapping ones are folded pairwise.
    pub fn union_all<'a>(sets: impl IntoIterator<Item = &'a FrameSet>) -> FrameSet {
        Self::from_runs(
            sets.into_iter()
                .flat_map(|set| set.runs.iter().copied())
                .collect(),
        )
    }

    /// The set of frames in any of `runs`, given in any order.
    pub(super) fn from_runs(mut runs: Vec<FrameRun>) -> FrameSet {
        runs.sort_unstable_by_key(FrameRun::first);
        let disjoint = runs.windows(2).all(|pair| pair[0].last() < pair[1].first());
        if disjoint {
            let mut compressor = Compressor::default();
            runs.into_iter().for_each(|run| compressor.push_run(run));
            return compressor.finish();
        }
        runs.into_iter().fold(FrameSet::new(), |set, run| {
            set.union(&FrameSet::from_run(run))
        })
    }
}

/// Walks the segments between consecutive run boundaries of `left` and `right`, handing the
/// part of each set's run inside the segment to `segment_op`, which feeds its result in order.
fn combine(
    left: &FrameSet,
    right: &FrameSet,
    mut segment_op: impl FnMut(Option<FrameRun>, Option<FrameRun>, &mut Compressor),
) -> FrameSet {
    let mut cuts: Vec<Frame> = left
        .runs
        .iter()
        .chain(&right.runs)
        .flat_map(|run| [run.first(), run.last() + 1])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Compressor::default();
    let (mut left_index, mut right_index) = (0, 0);
    for segment in cuts.windows(2) {
        let (start, end) = (segment[0], segment[1]);
        let left_part = part_in_segment(&left.runs, &mut left_index, start, end);
        let right_part = part_in_segment(&right.runs, &mut right_index, start, end);
        segment_op(left_part, right_part, &mut out);
    }
    out.finish()
}

/// The frames of the run covering `[start, end)`, if any; `index` advances monotonically.
fn part_in_segment(
    runs: &[FrameRun],
    index: &mut usize,
    start: Frame,
    end: Frame,
) -> Option<FrameRun> {
    while runs.get(*index).is_some_and(|run| run.last() < start) {
        *index += 1;
    }
    let run = runs.get(*index)?;
    if run.first() >= end {
        return None;
    }
    clip(*run, start, end)
}

/// The frames of `run` within `[start, end)`.
fn clip(run: FrameRun, start: Frame, end: Frame) -> Option<FrameRun> {
    let first_index = if start <= run.first() {
        0
    } else {
        (start - run.first()).div_ceil(run.step())
    };
    if end <= run.first() {
        return None;
    }
    let last_index = ((end - 1 - run.first()) / run.step()).min(run.len() - 1);
    if first_index > last_index {
        return None;
    }
    FrameRun::new(
        run.nth(first_index),
        run.step(),
        last_index - first_index + 1,
    )
}

fn union_of_runs(left: FrameRun, right: FrameRun, out: &mut Compressor) {
    let common = intersect_runs(left, right).map_or(0, |run| run.len());
    if common == right.len() {
        out.push_run(left);
    } else if common == left.len() {
        out.push_run(right);
    } else {
        merge_frames(left.frames(), right.frames(), out);
    }
}

fn difference_of_runs(left: FrameRun, right: FrameRun, out: &mut Compressor) {
    let Some(common) = intersect_runs(left, right) else {
        out.push_run(left);
        return;
    };
    if common.len() == left.len() {
        return;
    }
    let step = left.step();
    let before = clip(left, left.first(), common.first());
    let after = clip(left, common.last() + 1, left.last() + 1);
    if common.len() == 1 || common.step() == step {
        // `common` is a contiguous block of `left`: keep what lies around it.
        before.into_iter().for_each(|run| out.push_run(run));
        after.into_iter().for_each(|run| out.push_run(run));
    } else if common.step() == 2 * step {
        // Every other frame of `left` is removed: the others form one run of twice the step.
        before.into_iter().for_each(|run| out.push_run(run));
        let kept = FrameRun::new(common.first() + step, common.step(), common.len() - 1);
        kept.into_iter().for_each(|run| out.push_run(run));
        after.into_iter().for_each(|run| out.push_run(run));
    } else {
        for frame in left.frames().filter(|frame| !common.contains(*frame)) {
            out.push_frame(frame);
        }
    }
}

/// Feeds the sorted union of two ascending frame sequences.
fn merge_frames(
    left: impl Iterator<Item = Frame>,
    right: impl Iterator<Item = Frame>,
    out: &mut Compressor,
) {
    let (mut left, mut right) = (left.peekable(), right.peekable());
    loop {
        let next = match (left.peek(), right.peek()) {
            (Some(&a), Some(&b)) if a == b => {
                right.next();
                left.next()
            }
            (Some(&a), Some(&b)) if a < b => left.next(),
            (Some(_), Some(_)) | (None, Some(_)) => right.next(),
            (Some(_), None) => left.next(),
            (None, None) => None,
        };
        match next {
            Some(frame) => out.push_frame(frame),
            None => return,
        }
    }
}

/// The frames two runs share, which form a run themselves (Chinese remainder theorem).
pub(super) fn intersect_runs(left: FrameRun, right: FrameRun) -> Option<FrameRun> {
    if left.len() == 1 {
        return right.contains(left.first()).then_some(left);
    }
    if right.len() == 1 {
        return left.contains(right.first()).then_some(right);
    }
    let low = left.first().max(right.first());
    let high = left.last().min(right.last());
    if low > high {
        return None;
    }
    let (a0, a_step) = (i128::from(left.first()), i128::from(left.step()));
    let (b0, b_step) = (i128::from(right.first()), i128::from(right.step()));
    let (gcd, inverse, _) = extended_gcd(a_step, b_step);
    if (b0 - a0) % gcd != 0 {
        return None;
    }
    let lcm = a_step / gcd * b_step;
    // a0 + k·a_step ≡ b0 (mod b_step)  ⇔  k ≡ (b0 − a0)/gcd · inverse (mod b_step/gcd)
    let modulus = b_step / gcd;
    let k = ((b0 - a0) / gcd % modulus * (inverse % modulus)).rem_euclid(modulus);
    let solution = a0 + k * a_step;
    let (low, high) = (i128::from(low), i128::from(high));
    let first = low + (solution - low).rem_euclid(lcm);
    if first > high {
        return None;
    }
    let count = (high - first) / lcm + 1;
    // A lone common frame has no step, and the lcm of two large steps may not fit a u64.
    let step = if count == 1 { 1 } else { lcm };
    FrameRun::new(
        u64::try_from(first).ok()?,
        u64::try_from(step).ok()?,
        u64::try_from(count).ok()?,
    )
}

/// `(gcd, x, y)` with `a·x + b·y = gcd`, for positive `a` and `b`.
fn extended_gcd(a: i128, b: i128) -> (i128, i128, i128) {
    if b == 0 {
        (a, 1, 0)
    } else {
        let (gcd, x, y) = extended_gcd(b, a % b);
        (gcd, y, x - (a / b) * y)
    }
}
