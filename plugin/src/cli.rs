//! The command line: kubectl's connection flags and the five commands. Parsing only; each
//! command's work lives in its own module.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Watch, inspect and fetch Framefarm RenderShots: `kubectl framefarm status sh010`.
#[derive(Debug, Parser)]
#[command(name = "kubectl-framefarm", bin_name = "kubectl framefarm", version)]
pub struct Cli {
    #[command(flatten)]
    pub connection: Connection,
    #[command(subcommand)]
    pub command: Command,
}

/// How to reach the cluster, as kubectl takes it.
#[derive(Debug, Clone, Default, Args)]
pub struct Connection {
    /// Namespace of the shot; defaults to the kubeconfig context's namespace.
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
    /// Path to the kubeconfig file; defaults to $KUBECONFIG or ~/.kube/config.
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use; defaults to the current context.
    #[arg(long, global = true)]
    pub context: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Phase, progress, timing, RenderJobs, conditions and failed frames with their reasons.
    Status {
        shot: String,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
    /// The engine logs the node-agent uploaded, so they outlive the pods.
    Logs {
        shot: String,
        /// Only the log of the attempt that rendered (or last failed) this frame.
        #[arg(long)]
        frame: Option<u64>,
    },
    /// Presigned URLs of the contact sheet, the animated preview and the last frame.
    Open {
        shot: String,
        /// How long the URLs stay valid, e.g. 30m, 12h, 7d (at most 7 days).
        #[arg(long, default_value = "12h")]
        expires: String,
    },
    /// Downloads rendered frames, in parallel, into a folder and/or a zip file.
    Download {
        shot: String,
        /// Frames to fetch, e.g. 1-10,20; defaults to every rendered frame.
        #[arg(long)]
        frames: Option<String>,
        /// Fetch the thumbnails (under thumbs/) as well.
        #[arg(long)]
        thumbnails: bool,
        /// Folder to write the files into; defaults to ./<shot> unless --zip is given.
        #[arg(long)]
        to: Option<PathBuf>,
        /// Write the files into this zip file.
        #[arg(long)]
        zip: Option<PathBuf>,
        /// Files downloaded at once.
        #[arg(long, default_value_t = 8)]
        parallel: usize,
    },
    /// Asks the operator to render the shot's failed frames again.
    Retry {
        shot: String,
        /// Render the failed frames again (the only retry there is; named so it is asked for).
        #[arg(long, required = true)]
        failed: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}
