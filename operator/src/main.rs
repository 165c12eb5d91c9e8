//! The Framefarm operator binary. This build carries the command line only: the RenderShot and
//! RenderJob controllers are added on top of the API types in `framefarm-crds`.

use std::process::ExitCode;

use clap::Parser;

/// Framefarm operator: splits RenderShots into RenderJobs and runs each as a pod with the
/// node-agent.
#[derive(Debug, Parser)]
#[command(name = "framefarm-operator", version)]
struct Cli {}

fn main() -> ExitCode {
    let _cli = Cli::parse();
    eprintln!(
        "framefarm-operator {}: this build has no controllers yet, so there is nothing to run",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::from(2)
}
