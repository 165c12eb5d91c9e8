//! `kubectl framefarm`: a kubectl plugin to follow and use RenderShots without reading YAML:
//! `status`, `logs`, `open`, `download` and `retry`. It talks to the cluster with the user's
//! kubeconfig and to object storage with the keys of the shot's Secret; it changes nothing but
//! the retry annotation.

pub mod cli;
pub mod cluster;
pub mod download;
pub mod files;
pub mod format;
pub mod logs;
pub mod open;
pub mod retry;
pub mod status;

use thiserror::Error;

use crate::cli::{Cli, Command};
use crate::cluster::{Cluster, ClusterError};

/// Why a command failed; each module's error says what and how to fix it.
#[derive(Debug, Error)]
pub enum PluginError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Status(#[from] status::StatusError),
    #[error(transparent)]
    Logs(#[from] logs::LogsError),
    #[error(transparent)]
    Open(#[from] open::OpenError),
    #[error(transparent)]
    Download(#[from] download::DownloadError),
    #[error(transparent)]
    Retry(#[from] retry::RetryError),
}

/// Runs one command line.
pub async fn run(cli: Cli) -> Result<(), PluginError> {
    // Checked before connecting: a mistyped validity needs no cluster to be refused.
    if let Command::Open { expires, .. } = &cli.command {
        open::validity(expires)?;
    }
    let cluster = Cluster::connect(&cli.connection).await?;
    match cli.command {
        Command::Status { shot, output } => status::run(&cluster, &shot, output).await?,
        Command::Logs { shot, frame } => logs::run(&cluster, &shot, frame).await?,
        Command::Open { shot, expires } => open::run(&cluster, &shot, &expires).await?,
        Command::Download {
            shot,
            frames,
            thumbnails,
            to,
            zip,
            parallel,
        } => {
            let request = download::DownloadRequest {
                frames,
                thumbnails,
                to,
                zip,
                parallel,
            };
            download::run(&cluster, &shot, &request).await?;
        }
        Command::Retry { shot, failed: _ } => retry::run(&cluster, &shot).await?,
    }
    Ok(())
}
