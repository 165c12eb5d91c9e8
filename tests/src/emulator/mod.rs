//! An emulated Kubernetes API server for end-to-end tests and the demo: it serves the real
//! wire formats on loopback so that unmodified clients (`kube::Client` from a kubeconfig,
//! `kubectl` with its default flags) work against it as against a cluster. Built-in kinds are
//! stored generically; custom resources are served from the CRDs applied to it, validated
//! against their structural schemas and CEL rules. Where it differs from a real apiserver is
//! listed in `tests/README.md`.
//!
//! Test and demo tooling only; the product never links it.

pub mod api_error;
pub mod apply;
pub mod discovery;
pub mod openapi;
pub mod patch;
pub mod rbac;
pub mod registry;
pub mod table;

mod http;
mod server;
pub mod store;
pub mod tokens;

/// A short random suffix for generated names (`generateName`, test namespaces).
pub fn random_suffix() -> String {
    store::generated_suffix()
}

pub use server::{Emulator, EmulatorConfig, EmulatorError, kubeconfig_text, kubeconfig_with_token};
