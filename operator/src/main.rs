//! The Framefarm operator binary: reads its settings and runs the controllers.

use std::process::ExitCode;

use clap::Parser;
use framefarm_operator::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    match framefarm_operator::run::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the operator stopped");
            eprintln!("framefarm-operator: {error}");
            ExitCode::FAILURE
        }
    }
}
