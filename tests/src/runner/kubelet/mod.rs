//! The emulated kubelet: runs the pods bound to the runner's nodes as local processes and
//! reports their status, events and logs as a kubelet does.

mod container;
pub mod context;
pub mod downward;
pub mod environment;
pub mod expansion;
pub mod identity;
pub mod launch;
pub mod paths;
pub mod process;
pub mod sources;
pub mod state;
pub mod status;
mod status_writer;
mod sync;
pub mod volumes;
mod worker;

pub use sync::Kubelet;
