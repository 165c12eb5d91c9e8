//! The Framefarm node-agent: renders the frames of one RenderJob with one engine process,
//! uploads every frame and its thumbnail as soon as it is saved, and reports frame by frame.
//! Usable in a pod (`run`) and on a workstation (`render`); it also makes a shot's preview
//! (`preview`) and installs itself into an engine's container (`install`).

pub mod cache;
pub mod cli;
pub mod delivery;
pub mod destination;
pub mod engine;
pub mod frame_plan;
pub mod install;
pub mod order;
pub mod outcome;
pub mod preview;
pub mod render;
pub mod report;
pub mod scene;
pub mod shot_preview;
pub mod storage;
pub mod thumbnail;
