//! Framefarm's API: the RenderShot and RenderJob custom resources, the frame set type that
//! every component shares, and small pure helpers that define what the fields mean.
//! No client calls and no reconcile logic live here.

pub mod frameset;
pub mod limits;

pub use frameset::{Frame, FrameRun, FrameSet, FrameSetError};
