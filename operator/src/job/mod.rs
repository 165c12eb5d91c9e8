//! The RenderJob controller: one pod per attempt, retries for the frames still missing.

pub mod attempts;
pub mod reconcile;

pub use reconcile::JobError;
