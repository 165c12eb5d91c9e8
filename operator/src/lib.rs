//! The Framefarm operator: a RenderShot controller that splits shots into RenderJobs and rolls
//! their progress up, and a RenderJob controller that runs each job as one pod per attempt.

pub mod config;
pub mod context;
pub mod dashboard;
pub mod http;
pub mod job;
pub mod leader;
pub mod metrics;
pub mod names;
pub mod pods;
pub mod run;
pub mod shot;
pub mod storage;
