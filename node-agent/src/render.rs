//! One attempt at a chunk, start to finish: skip frames already in the output, stage the
//! scene, run the engine once, deliver each frame as it is saved, upload the engine log,
//! write the final status, and say how it ended. The same steps serve a pod and a workstation.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use framefarm_crds::FrameSet;
use framefarm_crds::engine::Engine;
use framefarm_crds::job::FrameFailure;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::delivery::{Delivery, DeliveryError};
use crate::destination::Destination;
use crate::engine::command::Places;
use crate::engine::{self, Detection, EngineEvent, EnginePlan, blender, command};
use crate::order::{OrderError, WorkOrder};
use crate::outcome::AgentError;
use crate::report::{Reporter, StatusBook, Update, now};
use crate::scene::{SceneSource, stage_scene};

/// How the agent works, apart from what it renders.
#[derive(Clone, Debug)]
pub struct RunSettings {
    pub attempt: u32,
    pub node: Option<String>,
    pub work_dir: PathBuf,
    /// Render frames even when their files exist already.
    pub overwrite: bool,
    pub blender_program: String,
    pub exit_grace: Duration,
    pub kill_after: Duration,
    /// Frames delivered at the same time.
    pub deliveries: usize,
}

/// What a finished attempt did.
#[derive(Clone, Debug)]
pub struct Summary {
    pub rendered: FrameSet,
    pub skipped: FrameSet,
    pub downloaded: u64,
}

/// Renders `order`'s frames that are missing from `destination`.
pub async fn render_chunk(
    order: WorkOrder,
    settings: &RunSettings,
    scene_source: &SceneSource,
    destination: Destination,
    mut book: StatusBook,
    start_reporter: impl FnOnce(StatusBook) -> Reporter,
    stop: watch::Receiver<bool>,
) -> Result<Summary, AgentError> {
    let order = Arc::new(order);
    let skipped = if settings.overwrite {
        FrameSet::new()
    } else {
        destination
            .existing_frames(&order, &order.frames)
            .await
            .map_err(|error| AgentError::Upload {
                frames: order.frames.clone(),
                first: Box::new(error),
            })?
    };
    let to_render = order.frames.difference(&skipped);
    book.already_rendered(&skipped);
    tracing::info!(
        frames = %order.frames,
        already_rendered = %skipped,
        to_render = %to_render,
        "starting"
    );
    let reporter = start_reporter(book);
    if to_render.is_empty() {
        reporter.finish().await?;
        return Ok(Summary {
            rendered: FrameSet::new(),
            skipped,
            downloaded: 0,
        });
    }
    let work_dir = &settings.work_dir;
    let output_dir = work_dir.join("out");
    let temp_dir = work_dir.join("tmp");
    for folder in [work_dir, &output_dir, &temp_dir] {
        std::fs::create_dir_all(folder).map_err(|source| AgentError::WorkFolder {
            path: folder.clone(),
            source,
        })?;
    }
    let staged = stage_scene(&order, scene_source, work_dir).await?;
    tracing::info!(scene = %staged.scene.display(), downloaded = staged.downloaded, "scene ready");
    let places = Places {
        scene: &staged.scene,
        scene_dir: &staged.scene_dir,
        output_dir: &output_dir,
    };
    let plan = plan_engine(&order, settings, places, &temp_dir, &to_render, work_dir)?;
    let log_path = work_dir.join("engine.log");
    let delivery = Delivery {
        destination: destination.clone(),
        order: Arc::clone(&order),
        thumbnails: order.settings.thumbnails.clone(),
        attempt: settings.attempt,
        node: settings.node.clone(),
    };

    let (events_tx, mut events) = mpsc::unbounded_channel();
    let engine_task = {
        let plan = plan.clone();
        let log_path = log_path.clone();
        tokio::spawn(async move { engine::run(&plan, &log_path, events_tx, stop).await })
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(settings.deliveries.max(1)));
    let mut deliveries: JoinSet<Result<framefarm_crds::job::FrameRecord, DeliveryError>> =
        JoinSet::new();
    while let Some(event) = events.recv().await {
        match event {
            EngineEvent::Rendering { frame } => reporter.send(Update::Rendering { frame }),
            EngineEvent::Saved {
                frame,
                path,
                render_seconds,
            } => {
                let delivery = delivery.clone();
                let slots = Arc::clone(&slots);
                deliveries.spawn(async move {
                    let _slot = slots.acquire_owned().await;
                    delivery.deliver(frame, &path, render_seconds).await
                });
            }
        }
        // Report deliveries as they finish, not only at the end.
        while let Some(done) = deliveries.try_join_next() {
            report_delivery(&reporter, settings, done);
        }
    }
    let outcome = engine_task.await.map_err(|join| {
        AgentError::Engine(engine::EngineError::ReadOutput {
            program: "engine task".into(),
            source: std::io::Error::other(join),
        })
    })??;
    let mut upload_failures: Vec<DeliveryError> = Vec::new();
    while let Some(done) = deliveries.join_next().await {
        if let Some(error) = report_delivery(&reporter, settings, done) {
            upload_failures.push(error);
        }
    }

    let log_key = order.log_key(settings.attempt);
    if outcome.failed_exit.is_some() {
        append_crash_report(&log_path, &blender::crash_report(&temp_dir, &staged.scene)).await;
    }
    match tokio::fs::read(&log_path).await {
        Ok(log) => {
            if let Err(error) = destination
                .put_bytes(&log_key, Bytes::from(log), "text/plain; charset=utf-8")
                .await
            {
                tracing::warn!("engine log not stored: {error}");
            }
        }
        Err(error) => tracing::warn!("engine log unreadable: {error}"),
    }

    let crashed = outcome.failed_exit.is_some();
    if crashed {
        // The frame the engine was on when it died is the one that failed; frames after it
        // were never tried and stay missing for the next attempt.
        let frame = outcome.rendering;
        if let Some(frame) = frame {
            reporter.send(Update::Failed(FrameFailure {
                frame,
                attempt: settings.attempt,
                node: settings.node.clone(),
                reason: "EngineCrashed".into(),
                message: format!(
                    "{}{}",
                    outcome.failed_exit.clone().unwrap_or_default(),
                    outcome
                        .last_error
                        .as_deref()
                        .map(|line| format!(": {line}"))
                        .unwrap_or_default()
                ),
                at: now(),
            }));
        }
    }
    let book = reporter.finish().await?;
    let rendered = book.rendered().intersection(&to_render);
    let missing = to_render.difference(&rendered);
    let log = destination.describe(&log_key);
    if let Some(exit) = outcome.failed_exit {
        return Err(AgentError::EngineCrashed {
            frame: outcome.rendering,
            exit,
            detail: outcome.last_error,
            rendered: rendered.len(),
            log,
        });
    }
    if let Some(first) = upload_failures.into_iter().next() {
        return Err(AgentError::Upload {
            frames: missing,
            first: Box::new(first.source),
        });
    }
    if !missing.is_empty() {
        if outcome.terminated {
            return Err(AgentError::Interrupted {
                rendered: rendered.len(),
                missing,
            });
        }
        return Err(AgentError::EngineCrashed {
            frame: missing.first(),
            exit: "exit code 0".into(),
            detail: Some(format!("frames {missing} were never saved")),
            rendered: rendered.len(),
            log,
        });
    }
    Ok(Summary {
        rendered,
        skipped,
        downloaded: staged.downloaded,
    })
}

fn report_delivery(
    reporter: &Reporter,
    settings: &RunSettings,
    done: Result<Result<framefarm_crds::job::FrameRecord, DeliveryError>, tokio::task::JoinError>,
) -> Option<DeliveryError> {
    match done {
        Ok(Ok(record)) => {
            reporter.send(Update::Rendered(record));
            None
        }
        Ok(Err(error)) => {
            tracing::error!("{error}");
            reporter.send(Update::Failed(FrameFailure {
                frame: error.frame,
                attempt: settings.attempt,
                node: settings.node.clone(),
                reason: "UploadFailed".into(),
                message: error.source.to_string(),
                at: now(),
            }));
            Some(error)
        }
        Err(join) => {
            tracing::error!("a delivery task failed: {join}");
            None
        }
    }
}

/// Adds Blender's crash report, if it wrote one, to the engine log that is stored.
async fn append_crash_report(log_path: &Path, report: &Path) {
    let Ok(text) = tokio::fs::read_to_string(report).await else {
        return;
    };
    let appended = async {
        let mut log = tokio::fs::OpenOptions::new()
            .append(true)
            .open(log_path)
            .await?;
        let heading = format!(
            "\nframefarm: Blender's crash report ({}):\n",
            report.display()
        );
        log.write_all(heading.as_bytes()).await?;
        log.write_all(text.as_bytes()).await?;
        log.flush().await
    };
    if let Err(error) = appended.await {
        tracing::warn!("could not add the crash report to the engine log: {error}");
    }
}

fn plan_engine(
    order: &WorkOrder,
    settings: &RunSettings,
    places: Places<'_>,
    temp_dir: &Path,
    frames: &FrameSet,
    work_dir: &Path,
) -> Result<EnginePlan, AgentError> {
    let invalid = |field: &str, message: String| {
        AgentError::Order(OrderError::Invalid {
            kind: order.kind,
            name: order.name.clone(),
            errors: framefarm_crds::FieldErrors::single(field, message),
        })
    };
    let (invocations, detection) = match order.settings.engine.selected() {
        Some(Engine::Blender(engine)) => (
            vec![blender::invocation(
                &settings.blender_program,
                engine,
                places.scene,
                places.output_dir,
                temp_dir,
                frames,
            )],
            Detection::ConsoleLog,
        ),
        Some(Engine::Command(engine)) => {
            let invocations = command::invocations(engine, places, frames)
                .map_err(|error| invalid("spec.engine.command.args", error.to_string()))?;
            (invocations, Detection::OutputFolder)
        }
        None => {
            return Err(invalid(
                "spec.engine",
                "set exactly one engine: blender or command".into(),
            ));
        }
    };
    Ok(EnginePlan {
        invocations,
        detection,
        output_dir: places.output_dir.to_owned(),
        work_dir: work_dir.to_owned(),
        frames: frames.frames().collect::<BTreeSet<_>>(),
        exit_grace: settings.exit_grace,
        kill_after: settings.kill_after,
    })
}
