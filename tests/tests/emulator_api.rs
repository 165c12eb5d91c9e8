//! Conformance of the emulated apiserver as `kube::Client` sees it: each test starts an
//! emulator, works in its own namespace and asserts on what a client of a real cluster would
//! observe — status codes and reasons, resource versions, watch events, field ownership,
//! deletion and garbage collection, CRD validation, paging and selectors.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails on the first unexpected answer"
)]

#[allow(dead_code, reason = "each suite uses the helpers it needs")]
mod support_emulator;

mod emulator_api {
    pub mod apply;
    pub mod custom_resources;
    pub mod deletion;
    pub mod lists;
    pub mod pods;
    pub mod rbac;
    pub mod watches;
    pub mod writes;
}
