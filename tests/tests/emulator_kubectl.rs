//! Conformance of the emulated apiserver as `kubectl` sees it: each test starts an emulator,
//! runs the installed kubectl with its default flags in a namespace of its own, and asserts on
//! what kubectl prints — as a user working against a real cluster would read it.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails on the first unexpected answer"
)]

#[allow(dead_code, reason = "each suite uses the helpers it needs")]
mod support_emulator;

mod emulator_kubectl {
    pub mod apply;
    pub mod create;
    pub mod kubectl;
    pub mod lifecycle;
    pub mod observe;
}
