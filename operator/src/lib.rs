//! The Framefarm operator: a RenderShot controller that splits shots into RenderJobs and rolls
//! their progress up, and a RenderJob controller that runs each job as one pod per attempt.

pub mod job;
pub mod names;
pub mod pods;
pub mod shot;
