//! Frame sets: the `1-240`, `1-240x2`, `1,5,10-20` syntax users write, one canonical compact
//! form, and set algebra (union, difference, intersection, chunking) computed on runs of
//! frames. Nothing here expands a range into a list of frames, so `0-9999999` costs the same
//! as `0-9`.
//!
//! Canonical form: frames in ascending order, grouped greedily into the longest arithmetic runs
//! (a run needs at least three frames; two lone frames print as `a,b`). Two equal sets always
//! print the same string, so the string is safe to compare, store in status, and diff.

mod algebra;
mod compress;
mod parse;

use std::fmt;
use std::str::FromStr;

pub use parse::FrameSetError;

use compress::Compressor;

/// A frame number.
pub type Frame = u64;

/// Largest frame a [`FrameSet`] can hold, so that every frame is an exact integer in JSON
/// (dashboards read status with JavaScript) and run arithmetic cannot overflow.
pub const MAX_REPRESENTABLE_FRAME: Frame = (1 << 53) - 1;

/// An arithmetic run of frames: `first`, `first + step`, … (`count` frames).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameRun {
    first: Frame,
    step: u64,
    count: u64,
}

impl FrameRun {
    /// A run of `count` frames from `first` with `step`; `None` for an empty run, a zero step,
    /// or a last frame beyond [`MAX_REPRESENTABLE_FRAME`].
    pub fn new(first: Frame, step: u64, count: u64) -> Option<Self> {
        if count == 0 || step == 0 {
            return None;
        }
        let span = u128::from(step) * u128::from(count - 1);
        if u128::from(first) + span > u128::from(MAX_REPRESENTABLE_FRAME) {
            return None;
        }
        // A lone frame has no step; fix it at 1 so equal runs compare equal.
        let step = if count == 1 { 1 } else { step };
        Some(Self { first, step, count })
    }

    /// The run `start`, `start + step`, … up to `end` inclusive (`end` need not be on the step).
    pub fn from_range(start: Frame, end: Frame, step: u64) -> Option<Self> {
        if end < start || step == 0 {
            return None;
        }
        Self::new(start, step, (end - start) / step + 1)
    }

    fn single(frame: Frame) -> Self {
        Self {
            first: frame,
            step: 1,
            count: 1,
        }
    }

    pub fn first(&self) -> Frame {
        self.first
    }

    pub fn last(&self) -> Frame {
        self.nth(self.count - 1)
    }

    pub fn step(&self) -> u64 {
        self.step
    }

    /// Number of frames in the run.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Always false: a run holds at least one frame.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn contains(&self, frame: Frame) -> bool {
        frame >= self.first
            && frame <= self.last()
            && (frame - self.first).is_multiple_of(self.step)
    }

    /// The frames of the run, in order.
    pub fn frames(&self) -> impl DoubleEndedIterator<Item = Frame> + use<> {
        let run = *self;
        (0..run.count).map(move |i| run.nth(i))
    }

    fn nth(&self, index: u64) -> Frame {
        self.first + index * self.step
    }
}

impl fmt::Display for FrameRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.count, self.step) {
            (1, _) => write!(f, "{}", self.first),
            (2, _) => write!(f, "{},{}", self.first, self.last()),
            (_, 1) => write!(f, "{}-{}", self.first, self.last()),
            (_, step) => write!(f, "{}-{}x{}", self.first, self.last(), step),
        }
    }
}

/// A set of frames kept as canonical arithmetic runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FrameSet {
    runs: Vec<FrameRun>,
}

impl FrameSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The set holding one run's frames.
    pub fn from_run(run: FrameRun) -> Self {
        Self { runs: vec![run] }
    }

    /// The set of the given frames, in any order, duplicates allowed. Frames beyond
    /// [`MAX_REPRESENTABLE_FRAME`] are dropped.
    pub fn from_frames(frames: impl IntoIterator<Item = Frame>) -> Self {
        let mut frames: Vec<Frame> = frames
            .into_iter()
            .filter(|frame| *frame <= MAX_REPRESENTABLE_FRAME)
            .collect();
        frames.sort_unstable();
        frames.dedup();
        let mut compressor = Compressor::default();
        for frame in frames {
            compressor.push_frame(frame);
        }
        compressor.finish()
    }

    /// Parses the frame set syntax, rejecting sets beyond the product limits in
    /// [`crate::limits`]. Same as `text.parse::<FrameSet>()`.
    pub fn parse(text: &str) -> Result<Self, FrameSetError> {
        parse::parse(text)
    }

    /// Number of frames in the set.
    pub fn len(&self) -> u64 {
        self.runs.iter().map(FrameRun::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    pub fn first(&self) -> Option<Frame> {
        self.runs.first().map(FrameRun::first)
    }

    pub fn last(&self) -> Option<Frame> {
        self.runs.last().map(FrameRun::last)
    }

    pub fn contains(&self, frame: Frame) -> bool {
        let index = self.runs.partition_point(|run| run.last() < frame);
        self.runs.get(index).is_some_and(|run| run.contains(frame))
    }

    /// The canonical runs, in ascending order. An engine that renders ranges with a step
    /// (Blender's `-s`/`-e`/`-j`) is invoked once per run.
    pub fn runs(&self) -> &[FrameRun] {
        &self.runs
    }

    /// Every frame, in ascending order, produced lazily.
    pub fn frames(&self) -> impl Iterator<Item = Frame> + '_ {
        self.runs.iter().flat_map(FrameRun::frames)
    }

    /// Splits the set, in frame order, into consecutive sets of `size` frames (the last may be
    /// smaller). Lazily; each chunk costs O(runs it touches). `size` 0 yields nothing.
    pub fn chunks(&self, size: u64) -> Chunks<'_> {
        Chunks {
            runs: &self.runs,
            run_index: 0,
            taken_from_run: 0,
            size,
        }
    }

    /// Adds one frame. O(runs); use [`FrameSet::from_frames`] to build a set from many.
    pub fn insert(&mut self, frame: Frame) {
        if frame <= MAX_REPRESENTABLE_FRAME && !self.contains(frame) {
            *self = self.union(&Self::from_run(FrameRun::single(frame)));
        }
    }

    /// The canonical string, cut at a run boundary so it is at most `max_len` bytes, with a
    /// note saying how many frames were left out (only the note, when not even one run fits).
    /// For status fields that must stay small.
    pub fn to_bounded_string(&self, max_len: usize) -> String {
        let full = self.to_string();
        if full.len() <= max_len {
            return full;
        }
        let total = self.len();
        let mut shown = String::new();
        let mut shown_frames = 0;
        for run in &self.runs {
            let piece = run.to_string();
            let hidden = total - shown_frames - run.len();
            let note = truncation_note(hidden);
            let separator = usize::from(!shown.is_empty());
            if shown.len() + separator + piece.len() + note.len() > max_len {
                break;
            }
            if separator == 1 {
                shown.push(',');
            }
            shown.push_str(&piece);
            shown_frames += run.len();
        }
        shown.push_str(&truncation_note(total - shown_frames));
        shown.trim_start().to_owned()
    }
}

/// Where a truncation note begins (after the space that separates it from the frames).
const TRUNCATION_MARK: &str = "…and ";

fn truncation_note(hidden_frames: u64) -> String {
    format!(" {TRUNCATION_MARK}{hidden_frames} more frames")
}

impl FrameSet {
    /// Reads what [`FrameSet::to_bounded_string`] wrote: the frames listed before a truncation
    /// note, and whether there was a note (frames were left out).
    pub fn parse_bounded(text: &str) -> Result<(Self, bool), FrameSetError> {
        let (listed, cut) = match text.find(TRUNCATION_MARK) {
            Some(index) => (text[..index].trim_end(), true),
            None => (text, false),
        };
        if listed.is_empty() {
            return Ok((FrameSet::new(), cut));
        }
        Ok((FrameSet::parse(listed)?, cut))
    }

    /// A frame set from a status field that components write: the frames it lists, empty when
    /// it is absent or unreadable, so that one bad value does not stop a roll-up.
    pub fn from_status(text: Option<&str>) -> Self {
        text.and_then(|text| Self::parse_bounded(text).ok())
            .map(|(frames, _)| frames)
            .unwrap_or_default()
    }
}

impl fmt::Display for FrameSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, run) in self.runs.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{run}")?;
        }
        Ok(())
    }
}

impl FromStr for FrameSet {
    type Err = FrameSetError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse::parse(text)
    }
}

/// Iterator returned by [`FrameSet::chunks`].
#[derive(Debug)]
pub struct Chunks<'a> {
    runs: &'a [FrameRun],
    run_index: usize,
    taken_from_run: u64,
    size: u64,
}

impl Iterator for Chunks<'_> {
    type Item = FrameSet;

    fn next(&mut self) -> Option<FrameSet> {
        if self.size == 0 {
            return None;
        }
        let mut compressor = Compressor::default();
        let mut wanted = self.size;
        while wanted > 0 {
            let run = self.runs.get(self.run_index)?;
            let available = run.len() - self.taken_from_run;
            let take = available.min(wanted);
            let piece = FrameRun::new(run.nth(self.taken_from_run), run.step, take);
            if let Some(piece) = piece {
                compressor.push_run(piece);
            }
            wanted -= take;
            self.taken_from_run += take;
            if self.taken_from_run == run.len() {
                self.run_index += 1;
                self.taken_from_run = 0;
            }
            if self.run_index == self.runs.len() {
                break;
            }
        }
        let chunk = compressor.finish();
        (!chunk.is_empty()).then_some(chunk)
    }
}

#[cfg(test)]
mod tests;
