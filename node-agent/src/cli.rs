//! The command line: `render` a manifest on a workstation, `run` a RenderJob in a pod,
//! `preview` a RenderShot, `install` the agent for an engine image, `fetch` one object into
//! the cache and `thumbnail` one image. Each command gathers its settings, builds the pieces
//! (storage, cache, destination, reporter) and hands over to the module doing the work.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use framefarm_crds::{FrameSet, RenderJob, RenderShot};
use kube::Api;
use tokio::sync::watch;

use crate::cache::Cache;
use crate::destination::Destination;
use crate::frame_plan::status_frame_set;
use crate::order::{OrderError, WorkOrder};
use crate::outcome::AgentError;
use crate::render::{RunSettings, Summary, render_chunk};
use crate::report::{Reporter, StatusBook, StatusSink};
use crate::scene::SceneSource;
use crate::shot_preview::{PreviewOutcome, make_shot_preview};
use crate::storage::{Storage, StorageCredentials, TransferSettings};

/// Framefarm node-agent: renders the frames of one RenderJob, uploads each frame and its
/// thumbnail as soon as it is saved, and reports progress frame by frame.
#[derive(Debug, Parser)]
#[command(name = "node-agent", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a RenderShot or RenderJob manifest on this machine.
    Render(RenderArgs),
    /// Render the RenderJob named by the environment (inside a pod started by the operator).
    Run(RunArgs),
    /// Make the contact sheet and animated preview of the RenderShot named by the environment.
    Preview(PreviewArgs),
    /// Copy this program to a path, e.g. into a volume shared with an engine's container.
    Install(InstallArgs),
    /// Download an object into the node cache, e.g. to warm a node before a shot starts.
    Fetch(FetchArgs),
    /// Make a thumbnail of one image (PNG, JPEG or OpenEXR).
    Thumbnail(ThumbnailArgs),
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The object, s3://bucket/key.
    pub uri: String,
    /// The S3-compatible endpoint, e.g. https://s3.eu-central-2.wasabisys.com.
    #[arg(long, env = "FRAMEFARM_S3_ENDPOINT")]
    pub endpoint: String,
    /// The region requests are signed for.
    #[arg(long, default_value = framefarm_crds::storage::DEFAULT_SIGNING_REGION)]
    pub region: String,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The manifest: a RenderShot or RenderJob YAML file.
    pub manifest: PathBuf,
    /// Write frames, thumbnails and logs into this folder instead of the output bucket.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Use this local scene file instead of downloading spec.scene.uri.
    #[arg(long)]
    pub scene: Option<PathBuf>,
    /// Render only these frames of the manifest, e.g. 1-10 or 1-100x10.
    #[arg(long)]
    pub frames: Option<String>,
    /// Write the status (as it would appear on a RenderJob) to this JSON file.
    #[arg(long)]
    pub status_file: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The RenderJob to render.
    #[arg(long, env = "FRAMEFARM_JOB_NAME")]
    pub job: Option<String>,
    /// Its namespace.
    #[arg(long, env = "FRAMEFARM_JOB_NAMESPACE")]
    pub namespace: Option<String>,
    /// The attempt this pod is, counting from 1.
    #[arg(long, env = "FRAMEFARM_ATTEMPT", default_value_t = 1)]
    pub attempt: u32,
    /// The node this pod runs on.
    #[arg(long, env = "FRAMEFARM_NODE_NAME")]
    pub node: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The RenderShot to preview.
    #[arg(long, env = "FRAMEFARM_SHOT_NAME")]
    pub shot: Option<String>,
    /// Its namespace.
    #[arg(long, env = "FRAMEFARM_SHOT_NAMESPACE")]
    pub namespace: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Where to put the program, e.g. /framefarm/bin/node-agent; folders are created.
    pub dest: PathBuf,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Node-local cache of scenes and assets, shared by the agents of a node.
    #[arg(
        long,
        env = "FRAMEFARM_CACHE_DIR",
        default_value = "/var/cache/framefarm"
    )]
    pub cache_dir: PathBuf,
    /// Largest size of the cache in GiB; least recently used files are evicted beyond it.
    #[arg(long, env = "FRAMEFARM_CACHE_GIB", default_value_t = 50.0)]
    pub cache_gib: f64,
    /// Folder for the scene, the frames being uploaded and the engine log (default: a new
    /// temporary folder).
    #[arg(long, env = "FRAMEFARM_WORK_DIR")]
    pub work_dir: Option<PathBuf>,
    /// Render frames whose files already exist in the output (frames this RenderJob rendered
    /// already are never rendered again).
    #[arg(
        long,
        env = "FRAMEFARM_OVERWRITE",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub overwrite: bool,
    /// The Blender program.
    #[arg(long, env = "FRAMEFARM_BLENDER", default_value = crate::engine::blender::DEFAULT_PROGRAM)]
    pub blender: String,
    /// Bytes per ranged GET and per upload part, in MiB.
    #[arg(long, env = "FRAMEFARM_PART_MIB", default_value_t = 16)]
    pub part_mib: u64,
    /// Ranged GETs or upload parts in flight per object.
    #[arg(long, env = "FRAMEFARM_TRANSFER_CONCURRENCY", default_value_t = 8)]
    pub concurrency: usize,
    /// Seconds the engine gets to exit after SIGTERM before it is killed.
    #[arg(long, env = "FRAMEFARM_ENGINE_KILL_AFTER", default_value_t = 20)]
    pub engine_kill_after: u64,
}

#[derive(Debug, Args)]
pub struct ThumbnailArgs {
    pub input: PathBuf,
    /// The thumbnail: .png or .jpg.
    pub output: PathBuf,
    #[arg(long, default_value_t = 320)]
    pub width: u32,
}

impl CommonArgs {
    fn transfer(&self) -> TransferSettings {
        TransferSettings {
            part_size: self.part_mib.max(1) * 1024 * 1024,
            concurrency: self.concurrency.max(1),
            ..TransferSettings::default()
        }
    }

    fn cache(&self) -> Result<Cache, AgentError> {
        let bytes = (self.cache_gib.max(0.0) * 1024.0 * 1024.0 * 1024.0) as u64;
        Cache::open(&self.cache_dir, bytes)
            .map_err(|error| AgentError::Scene(crate::scene::SceneError::Cache(error)))
    }

    fn settings(&self, attempt: u32, node: Option<String>, work_dir: PathBuf) -> RunSettings {
        RunSettings {
            attempt,
            node,
            work_dir,
            overwrite: self.overwrite,
            blender_program: self.blender.clone(),
            exit_grace: Duration::from_millis(100),
            kill_after: Duration::from_secs(self.engine_kill_after),
            deliveries: 4,
        }
    }
}

/// A work folder: the one asked for, or a temporary one removed afterwards.
fn work_folder(
    asked: Option<&PathBuf>,
) -> Result<(PathBuf, Option<tempfile::TempDir>), AgentError> {
    match asked {
        Some(path) => Ok((path.clone(), None)),
        None => {
            let temporary = tempfile::Builder::new()
                .prefix("framefarm-")
                .tempdir()
                .map_err(|source| AgentError::WorkFolder {
                    path: std::env::temp_dir(),
                    source,
                })?;
            Ok((temporary.path().to_owned(), Some(temporary)))
        }
    }
}

/// `node-agent render`.
pub async fn render(args: RenderArgs, stop: watch::Receiver<bool>) -> Result<Summary, AgentError> {
    let mut order = WorkOrder::from_manifest(&args.manifest)?;
    if let Some(frames) = &args.frames {
        let subset = FrameSet::parse(frames).map_err(|error| {
            AgentError::Order(OrderError::Invalid {
                kind: order.kind,
                name: order.name.clone(),
                errors: framefarm_crds::FieldErrors::single("--frames", error),
            })
        })?;
        order.frames = order.frames.intersection(&subset);
    }
    let storage = || {
        Storage::new(
            &order.settings.storage,
            StorageCredentials::from_env()?,
            args.common.transfer(),
        )
    };
    let scene_source = match &args.scene {
        Some(path) => SceneSource::LocalFile(path.clone()),
        None => SceneSource::Bucket {
            storage: storage()?,
            cache: args.common.cache()?,
        },
    };
    let destination = match &args.out {
        Some(root) => {
            order.write_to_folder_root();
            Destination::Folder { root: root.clone() }
        }
        None => Destination::Bucket {
            storage: storage()?,
            bucket: order.output_bucket.clone(),
        },
    };
    let (work_dir, _temporary) = work_folder(args.common.work_dir.as_ref())?;
    let node = hostname();
    let settings = args.common.settings(1, node, work_dir);
    let sink = args
        .status_file
        .clone()
        .map_or(StatusSink::Nowhere, StatusSink::File);
    let book = StatusBook::new(order.frames.clone());
    let start = |book| Reporter::start(book, sink, Duration::from_secs(1), true);
    render_chunk(
        order,
        &settings,
        &scene_source,
        destination,
        book,
        start,
        stop,
    )
    .await
}

/// A client of the cluster the agent runs in, and the namespace to work in (the one given,
/// else the client's).
async fn connect(namespace: Option<String>) -> Result<(kube::Client, String), AgentError> {
    let client = kube::Client::try_default()
        .await
        .map_err(AgentError::KubeClient)?;
    let namespace = namespace.unwrap_or_else(|| client.default_namespace().to_owned());
    Ok((client, namespace))
}

/// `node-agent run`.
pub async fn run(args: RunArgs, stop: watch::Receiver<bool>) -> Result<Summary, AgentError> {
    let name = args.job.clone().ok_or(AgentError::NotNamed {
        what: "RenderJob to render",
        variable: "FRAMEFARM_JOB_NAME",
        flag: "job",
    })?;
    let (client, namespace) = connect(args.namespace.clone()).await?;
    let api: Api<RenderJob> = Api::namespaced(client, &namespace);
    // Through the status subresource, which returns the whole object: the agent's Role grants
    // `renderjobs/status` only.
    let job = api
        .get_status(&name)
        .await
        .map_err(|source| AgentError::GetJob {
            namespace: namespace.clone(),
            name: name.clone(),
            source,
        })?;
    let order = WorkOrder::from_job(&job)?;
    let storage = Storage::new(
        &order.settings.storage,
        StorageCredentials::from_env()?,
        args.common.transfer(),
    )?;
    let scene_source = SceneSource::Bucket {
        storage: storage.clone(),
        cache: args.common.cache()?,
    };
    let destination = Destination::Bucket {
        storage,
        bucket: order.output_bucket.clone(),
    };
    let (work_dir, _temporary) = work_folder(args.common.work_dir.as_ref())?;
    let settings = args
        .common
        .settings(args.attempt, args.node.clone(), work_dir);
    let mut book = StatusBook::new(order.frames.clone());
    if let Some(status) = &job.status {
        book.seed(status.frame_records.iter().cloned());
        book.seed_failures(status.failures.iter().cloned());
    }
    let sink = StatusSink::Job {
        api: Box::new(api),
        namespace,
        name,
    };
    let start = |book| Reporter::start(book, sink, Duration::from_secs(1), false);
    render_chunk(
        order,
        &settings,
        &scene_source,
        destination,
        book,
        start,
        stop,
    )
    .await
}

/// `node-agent preview`.
pub async fn preview(args: PreviewArgs) -> Result<PreviewOutcome, AgentError> {
    let name = args.shot.clone().ok_or(AgentError::NotNamed {
        what: "RenderShot to preview",
        variable: "FRAMEFARM_SHOT_NAME",
        flag: "shot",
    })?;
    let (client, namespace) = connect(args.namespace.clone()).await?;
    let api: Api<RenderShot> = Api::namespaced(client, &namespace);
    // Through the status subresource, which returns the whole object: the agent's Role grants
    // `get` on `rendershots/status` and nothing else of the shot.
    let shot = api
        .get_status(&name)
        .await
        .map_err(|source| AgentError::GetShot {
            namespace: namespace.clone(),
            name: name.clone(),
            source,
        })?;
    let mut order = WorkOrder::from_shot(&shot)?;
    order.namespace.get_or_insert(namespace);
    let failed = status_frame_set(
        shot.status
            .as_ref()
            .and_then(|status| status.failed_frames.as_deref()),
        "failedFrames",
    );
    let storage = Storage::new(
        &order.settings.storage,
        StorageCredentials::from_env()?,
        args.common.transfer(),
    )?;
    make_shot_preview(&order, &failed, &storage).await
}

/// `node-agent install`: returns the bytes written.
pub fn install(args: &InstallArgs) -> Result<u64, AgentError> {
    Ok(crate::install::install_self(&args.dest)?)
}

/// `node-agent fetch`: returns the cached path and the bytes downloaded.
pub async fn fetch(args: FetchArgs) -> Result<(PathBuf, u64), AgentError> {
    let invalid = |field: &str, message: String| {
        AgentError::Order(OrderError::Invalid {
            kind: "object",
            name: args.uri.clone(),
            errors: framefarm_crds::FieldErrors::single(field, message),
        })
    };
    let location = framefarm_crds::storage::S3Uri::parse_object(&args.uri)
        .map_err(|error| invalid("uri", error.to_string()))?;
    let spec = framefarm_crds::storage::StorageSpec {
        endpoint: Some(args.endpoint.clone()),
        region: Some(args.region.clone()),
        ..Default::default()
    };
    let storage = Storage::new(
        &spec,
        StorageCredentials::from_env()?,
        args.common.transfer(),
    )?;
    let cached = args
        .common
        .cache()?
        .fetch(&storage, location.bucket(), location.key())
        .await
        .map_err(|error| AgentError::Scene(crate::scene::SceneError::Cache(error)))?;
    Ok((cached.path, cached.downloaded))
}

/// `node-agent thumbnail`.
pub fn thumbnail(args: &ThumbnailArgs) -> Result<(), String> {
    let format = crate::thumbnail::format_for_output_path(&args.output)
        .map_err(|error| error.to_string())?;
    let thumbnail = crate::thumbnail::make_thumbnail(&args.input, args.width, format)
        .map_err(|error| error.to_string())?;
    std::fs::write(&args.output, &thumbnail.bytes)
        .map_err(|error| format!("failed to write {}: {error}", args.output.display()))
}

fn hostname() -> Option<String> {
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
}
