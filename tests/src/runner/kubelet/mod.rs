//! The emulated kubelet: runs the pods bound to the runner's nodes as local processes and
//! reports their status, events and logs as a kubelet does.

pub mod downward;
pub mod environment;
pub mod expansion;
pub mod launch;
pub mod paths;
pub mod process;
pub mod sources;
pub mod state;
pub mod status;
pub mod volumes;
