//! Framefarm's API: the RenderShot and RenderJob custom resources, the frame set type that
//! every component shares, and small pure helpers that define what the fields mean.
//! No client calls and no reconcile logic live here.

pub mod conditions;
pub mod crd;
pub mod engine;
mod frame_rules;
pub mod frameset;
pub mod job;
pub mod limits;
pub mod output;
pub mod patterns;
pub mod placement;
mod rules;
pub mod scene;
pub mod settings;
pub mod shot;
pub mod storage;
pub mod template;
pub mod validation;

pub use frameset::{Frame, FrameRun, FrameSet, FrameSetError};
pub use job::{RenderJob, RenderJobSpec, RenderJobStatus};
pub use settings::RenderSettings;
pub use shot::{RenderShot, RenderShotSpec, RenderShotStatus};
pub use validation::{FieldError, FieldErrors};

/// API group of Framefarm's custom resources.
pub const GROUP: &str = "framefarm.io";
/// API version of the types in this crate.
pub const VERSION: &str = "v1alpha1";
