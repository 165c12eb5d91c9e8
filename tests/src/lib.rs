//! Test tooling for Framefarm: checks of manifests against the generated CRDs as an apiserver
//! would admit them, and loaders for the manifests under `examples/` and `tests/manifests/`.
//! Never a dependency of the product.

pub mod admission;
pub mod manifests;
