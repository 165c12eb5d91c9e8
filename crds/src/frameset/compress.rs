//! Builds the canonical run list from frames or runs fed in ascending order.
//!
//! The canonical form is defined by one greedy pass over the sorted frames: extend the current
//! run while the gap stays equal to its step; a run that breaks with only two frames gives up
//! its first frame as a lone frame and restarts from its second. Feeding whole runs is O(1)
//! each: after at most four frames the pass is aligned with the run and takes the rest at once.

use super::{Frame, FrameRun, FrameSet};

#[derive(Debug, Default)]
pub(super) struct Compressor {
    done: Vec<FrameRun>,
    pending: Pending,
}

#[derive(Debug, Default, Clone, Copy)]
enum Pending {
    #[default]
    Nothing,
    One(Frame),
    /// At least two frames; `count >= 2`.
    Run {
        first: Frame,
        step: u64,
        count: u64,
    },
}

impl Compressor {
    /// Feeds one frame; it must be greater than every frame fed before.
    pub(super) fn push_frame(&mut self, frame: Frame) {
        self.pending = match self.pending {
            Pending::Nothing => Pending::One(frame),
            Pending::One(first) => Pending::Run {
                first,
                step: frame - first,
                count: 2,
            },
            Pending::Run { first, step, count } => {
                let last = first + step * (count - 1);
                if frame - last == step {
                    Pending::Run {
                        first,
                        step,
                        count: count + 1,
                    }
                } else if count == 2 {
                    self.emit_single(first);
                    Pending::Run {
                        first: last,
                        step: frame - last,
                        count: 2,
                    }
                } else {
                    self.emit_run(first, step, count);
                    Pending::One(frame)
                }
            }
        };
    }

    /// Feeds a whole run; its first frame must be greater than every frame fed before.
    pub(super) fn push_run(&mut self, run: FrameRun) {
        for index in 0..run.len() {
            let frame = run.nth(index);
            self.push_frame(frame);
            if let Pending::Run { step, count, .. } = &mut self.pending
                && *step == run.step()
            {
                // Aligned: every remaining frame of `run` extends the pending run.
                *count += run.len() - index - 1;
                return;
            }
        }
    }

    pub(super) fn finish(mut self) -> FrameSet {
        match self.pending {
            Pending::Nothing => {}
            Pending::One(frame) => self.emit_single(frame),
            Pending::Run {
                first,
                step,
                count: 2,
            } => {
                self.emit_single(first);
                self.emit_single(first + step);
            }
            Pending::Run { first, step, count } => self.emit_run(first, step, count),
        }
        FrameSet { runs: self.done }
    }

    fn emit_single(&mut self, frame: Frame) {
        self.done.push(FrameRun::single(frame));
    }

    fn emit_run(&mut self, first: Frame, step: u64, count: u64) {
        self.done.push(FrameRun { first, step, count });
    }
}
