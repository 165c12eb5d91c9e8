//! The pod runner against the emulated API server, as a user of a cluster sees it: pods are
//! scheduled onto emulated nodes, run as local processes, and report status, events and logs
//! through the API. Each test has its own emulator, runner and namespace.

#![allow(
    clippy::unwrap_used,
    reason = "helpers of integration tests fail the test on unexpected input"
)]

mod farm;
mod faults;
mod running;
mod scheduling;
