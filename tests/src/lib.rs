//! Test tooling for Framefarm: checks of manifests against the generated CRDs as an apiserver
//! would admit them, loaders for the manifests under `examples/` and `tests/manifests/`, and the
//! real components end-to-end tests run against (a Garage S3 server, Blender test scenes).
//! Never a dependency of the product.

pub mod admission;
pub mod blender;
pub mod cluster;
pub mod command;
pub mod emulator;
pub mod garage;
pub mod manifests;
pub mod runner;
