//! Pods the operator runs: render pods (one per RenderJob attempt) and preview pods.

pub mod preview;
pub mod render;
