//! The Framefarm node-agent binary. This build carries the command line only: fetching scenes,
//! running engines and uploading frames are added on top of the API types in `framefarm-crds`.

use std::process::ExitCode;

use clap::Parser;

/// Framefarm node-agent: renders the frames of one RenderJob, uploads each frame and its
/// thumbnail as soon as it is saved, and reports progress on the RenderJob.
#[derive(Debug, Parser)]
#[command(name = "node-agent", version)]
struct Cli {}

fn main() -> ExitCode {
    let _cli = Cli::parse();
    eprintln!(
        "node-agent {}: this build cannot render yet, so there is nothing to run",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::from(2)
}
