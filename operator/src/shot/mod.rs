//! The RenderShot controller: gather → validate → plan → apply → roll up status.

pub mod plan;
pub mod rollup;
pub mod validate;
