//! Emulated nodes, scheduler and kubelet for the API emulator: a client of the API server that
//! registers Nodes, binds pending pods to them and runs their containers as local processes.
//! Knows nothing of Framefarm.

pub mod config;
pub mod events;
pub mod image;
pub mod kubelet;
pub mod node;
pub mod quantity;
pub mod resources;
pub mod scheduling;
