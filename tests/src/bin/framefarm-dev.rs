//! `framefarm-dev`: an emulated cluster on this machine for trying Framefarm without a real
//! one — the Kubernetes API emulator with Framefarm's CRDs installed, the pod runner with its
//! emulated nodes, and a Garage S3 server with a bucket. Prints the kubeconfig and the S3
//! endpoint and keys (also written to `<dir>/env.sh`), then runs until interrupted.
//!
//! `cargo run -p framefarm-tests --bin framefarm-dev -- [--dir D] [--port P] [--nodes FILE]`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use framefarm_tests::cluster::{Cluster, ClusterConfig};
use framefarm_tests::runner::RunnerConfig;

#[derive(Debug, Parser)]
#[command(about = "Run an emulated Kubernetes cluster with a pod runner and Garage for Framefarm")]
struct Args {
    /// Folder for the API's kubeconfig, container logs, node and pod folders.
    #[arg(long, default_value = ".framefarm-dev")]
    dir: PathBuf,
    /// Loopback port of the API server (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// A YAML file of nodes and images (see `RunnerConfig::from_yaml`); two CPU nodes by default.
    #[arg(long)]
    nodes: Option<PathBuf>,
    /// Bucket to create in Garage.
    #[arg(long, default_value = "renders")]
    bucket: String,
    /// Folder of CRD YAML files to install at start.
    #[arg(long, default_value = "crds")]
    crds: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("framefarm-dev: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    // A stale env file would point scripts at a cluster that is gone.
    let env_file = absolute(&args.dir)?.join("env.sh");
    let _ = std::fs::remove_file(&env_file);
    let mut config = ClusterConfig {
        dir: Some(absolute(&args.dir)?),
        port: (args.port != 0).then_some(args.port),
        ..ClusterConfig::default()
    };
    if let Some(path) = &args.nodes {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("failed to read --nodes {}: {error}", path.display()))?;
        let runner = RunnerConfig::from_yaml(&text)
            .map_err(|error| format!("--nodes {}: {error}", path.display()))?;
        config.nodes = runner.nodes;
        config.images = runner.images;
    }
    let cluster = Cluster::start(config)
        .await
        .map_err(|error| format!("{error}: {}", source_chain(&error)))?;
    let output = cluster
        .kubectl(&["apply", "-f", &args.crds.display().to_string()])
        .map_err(|error| {
            format!(
                "failed to install the CRDs from {}: {error}",
                args.crds.display()
            )
        })?;
    print!("{}", String::from_utf8_lossy(&output.stdout));
    let garage = cluster
        .garage()
        .ok_or_else(|| "Garage did not start".to_owned())?;
    garage
        .create_bucket(&args.bucket)
        .map_err(|error| format!("failed to create bucket {}: {error}", args.bucket))?;
    let env = format!(
        "export KUBECONFIG={}\nexport S3_ENDPOINT={}\nexport AWS_ACCESS_KEY_ID={}\nexport AWS_SECRET_ACCESS_KEY={}\nexport AWS_REGION={}\nexport FRAMEFARM_BUCKET={}\n",
        cluster.kubeconfig().display(),
        garage.endpoint(),
        garage.access_key_id(),
        garage.secret_access_key(),
        garage.region(),
        args.bucket,
    );
    std::fs::write(&env_file, &env)
        .map_err(|error| format!("failed to write {}: {error}", env_file.display()))?;
    print!("{env}");
    println!("# also in {}; stop with Ctrl-C", env_file.display());
    println!("ready");
    wait_for_interrupt().await?;
    cluster.stop().await;
    Ok(())
}

async fn wait_for_interrupt() -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|error| format!("failed to listen for SIGTERM: {error}"))?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.map_err(|error| format!("failed to listen for Ctrl-C: {error}")),
        _ = terminate.recv() => Ok(()),
    }
}

fn absolute(path: &std::path::Path) -> Result<PathBuf, String> {
    std::path::absolute(path).map_err(|error| format!("bad path {}: {error}", path.display()))
}

fn source_chain(error: &dyn std::error::Error) -> String {
    let mut causes = Vec::new();
    let mut current = error.source();
    while let Some(cause) = current {
        causes.push(cause.to_string());
        current = cause.source();
    }
    causes.join(": ")
}
