//! The RenderShot controller: gather → validate → plan → apply → roll up status.

mod apply;
mod gather;
pub mod plan;
pub mod reconcile;
pub mod rollup;
pub mod validate;

pub use reconcile::ShotError;
