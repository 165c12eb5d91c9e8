//! The RenderShot controller: gather → validate → plan (retry, chunks) → apply → roll up status.

mod apply;
mod cleanup;
pub(crate) mod gather;
pub mod plan;
pub mod reconcile;
mod report;
pub mod retry;
pub mod rollup;
pub mod validate;

pub use reconcile::ShotError;
