//! The `kubectl-framefarm` binary: parses the command line, runs it, and prints an error as
//! kubectl does (`error: …`, exit code 1).

use std::process::ExitCode;

use clap::Parser;
use kubectl_framefarm::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match kubectl_framefarm::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
