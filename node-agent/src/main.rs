//! The node-agent binary: parses the command line, wires SIGTERM and Ctrl-C to a graceful
//! stop of a render, runs the command and turns its outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use framefarm_node_agent::cli::{self, Cli, Command};
use framefarm_node_agent::outcome::AgentError;
use framefarm_node_agent::render::Summary;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // On a terminal the progress bar tells the story; logs would tear it.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let default_level = if terminal { "warn" } else { "info" };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(terminal)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FRAMEFARM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .init();
    match cli.command {
        Command::Thumbnail(args) => match cli::thumbnail(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("node-agent: {message}");
                ExitCode::FAILURE
            }
        },
        Command::Fetch(args) => fetch(args),
        Command::Install(args) => match cli::install(&args) {
            Ok(bytes) => {
                eprintln!(
                    "node-agent: installed {} ({bytes} bytes)",
                    args.dest.display()
                );
                ExitCode::SUCCESS
            }
            Err(error) => exit_with(&error),
        },
        Command::Preview(args) => preview(args),
        Command::Render(args) => run_until_done(|stop| cli::render(args, stop)),
        Command::Run(args) => run_until_done(|stop| cli::run(args, stop)),
    }
}

/// Runs `fetch` and prints where the object is and how many bytes were downloaded.
fn fetch(args: cli::FetchArgs) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(cli::fetch(args)) {
        Ok((path, downloaded)) => {
            println!("{}", path.display());
            eprintln!("node-agent: downloaded {downloaded} bytes");
            ExitCode::SUCCESS
        }
        Err(error) => exit_with(&error),
    }
}

/// Runs `preview` and says what it stored and which frames it shows.
fn preview(args: cli::PreviewArgs) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(cli::preview(args)) {
        Ok(outcome) => {
            println!("{}", outcome.contact_sheet);
            println!("{}", outcome.animation);
            let missing = if outcome.missing.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} without a thumbnail ({})",
                    outcome.missing.len(),
                    outcome.missing
                )
            };
            eprintln!(
                "node-agent: preview of {} frame(s) ({}){missing}",
                outcome.shown.len(),
                outcome.shown
            );
            ExitCode::SUCCESS
        }
        Err(error) => exit_with(&error),
    }
}

/// Runs a render command on a runtime, with SIGTERM and Ctrl-C turned into a graceful stop.
fn run_until_done<F, Fut>(command: F) -> ExitCode
where
    F: FnOnce(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = Result<Summary, AgentError>>,
{
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let (stop_tx, stop) = watch::channel(false);
        tokio::spawn(async move {
            // SIGTERM is how Kubernetes asks a pod to stop; Ctrl-C is the same on a desk.
            let Ok(mut terminate) = signal(SignalKind::terminate()) else {
                return;
            };
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            tracing::warn!("asked to stop: ending the engine and uploading the frames it saved");
            let _ = stop_tx.send(true);
        });
        match command(stop).await {
            Ok(summary) => {
                let skipped = if summary.skipped.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", skipped {} already rendered ({})",
                        summary.skipped.len(),
                        summary.skipped
                    )
                };
                let failed = if summary.failed.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", left out {} that failed every attempt ({})",
                        summary.failed.len(),
                        summary.failed
                    )
                };
                eprintln!(
                    "node-agent: rendered {} frame(s){skipped}{failed}, downloaded {} bytes",
                    summary.rendered.len(),
                    summary.downloaded
                );
                ExitCode::SUCCESS
            }
            Err(error) => exit_with(&error),
        }
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("node-agent: failed to start the async runtime: {error}");
            ExitCode::FAILURE
        })
}

/// Says why the agent stopped and exits with the code of that kind of failure.
fn exit_with(error: &AgentError) -> ExitCode {
    let kind = error.kind();
    eprintln!("node-agent: {} ({}): {error}", kind.reason(), kind.code());
    ExitCode::from(kind.code())
}
