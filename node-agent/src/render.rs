//! One attempt at a chunk, start to finish: leave out the frames earlier attempts settled and
//! those already in the output, stage the scene, run the engine once, deliver each frame as
//! it is saved, upload the engine log, write the final status, and say how it ended. The same
//! steps serve a pod and a workstation.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use framefarm_crds::FrameSet;
use framefarm_crds::engine::Engine;
use framefarm_crds::job::{FrameFailure, FrameRecord};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::delivery::{Delivery, DeliveryError};
use crate::destination::Destination;
use crate::engine::command::Places;
use crate::engine::{self, Detection, EngineEvent, EngineOutcome, EnginePlan, blender, command};
use crate::frame_plan::{FramePlan, plan_frames, unsettled};
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
    /// Rendered before: by an earlier attempt, or found in the output.
    pub skipped: FrameSet,
    /// Left out because they failed every attempt.
    pub failed: FrameSet,
    pub downloaded: u64,
}

/// Renders `order`'s frames that no earlier attempt settled and, unless overwriting, that
/// are missing from `destination`. The final status is written however the attempt ends.
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
    let existing = if settings.overwrite {
        FrameSet::new()
    } else {
        let unsettled = unsettled(&order.frames, &order.prior);
        destination
            .existing_frames(&order, &unsettled)
            .await
            .map_err(AgentError::CheckOutputs)?
    };
    let plan = plan_frames(&order.frames, &order.prior, &existing, settings.overwrite);
    let skipped = plan.already_rendered();
    let to_render = plan.to_render.clone();
    book.already_rendered(&skipped);
    log_plan(&order.frames, &plan);
    let reporter = start_reporter(book);
    let attempt = if to_render.is_empty() {
        Ok(Attempt::default())
    } else {
        let chunk = Chunk {
            order: &order,
            settings,
            destination: &destination,
            reporter: &reporter,
            frames: &to_render,
        };
        chunk.run(scene_source, stop).await
    };
    let book = reporter.finish().await;
    let attempt = attempt?;
    let rendered = book?.rendered().intersection(&to_render);
    conclude(attempt, &to_render, rendered, skipped, plan.failed)
}

/// Says which frames the attempt leaves out, and why.
fn log_plan(frames: &FrameSet, plan: &FramePlan) {
    if !plan.rendered_before.is_empty() {
        tracing::info!(frames = %plan.rendered_before, "left out: rendered by an earlier attempt of this job");
    }
    if !plan.failed.is_empty() {
        tracing::info!(frames = %plan.failed, "left out: failed every attempt");
    }
    if !plan.found.is_empty() {
        tracing::info!(frames = %plan.found, "left out: already in the output");
    }
    tracing::info!(frames = %frames, to_render = %plan.to_render, "starting");
}

/// How the attempt ended, as the agent's result.
fn conclude(
    attempt: Attempt,
    to_render: &FrameSet,
    rendered: FrameSet,
    skipped: FrameSet,
    failed: FrameSet,
) -> Result<Summary, AgentError> {
    let missing = to_render.difference(&rendered);
    let outcome = attempt.engine;
    if let Some(exit) = outcome.failed_exit {
        return Err(AgentError::EngineCrashed {
            frame: outcome.rendering,
            exit,
            detail: outcome.last_error,
            rendered: rendered.len(),
            log: attempt.log,
        });
    }
    if let Some(first) = attempt.upload_failures.into_iter().next() {
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
            log: attempt.log,
        });
    }
    Ok(Summary {
        rendered,
        skipped,
        failed,
        downloaded: attempt.downloaded,
    })
}

/// What running the engine and delivering its frames came to.
#[derive(Debug, Default)]
struct Attempt {
    engine: EngineOutcome,
    upload_failures: Vec<DeliveryError>,
    /// Where the engine log was stored.
    log: String,
    downloaded: u64,
}

/// The frames of one attempt and what it reports to.
struct Chunk<'a> {
    order: &'a Arc<WorkOrder>,
    settings: &'a RunSettings,
    destination: &'a Destination,
    reporter: &'a Reporter,
    frames: &'a FrameSet,
}

impl Chunk<'_> {
    /// Stages the scene, runs the engine, delivers each saved frame and stores the log.
    async fn run(
        &self,
        scene_source: &SceneSource,
        stop: watch::Receiver<bool>,
    ) -> Result<Attempt, AgentError> {
        let settings = self.settings;
        let work_dir = &settings.work_dir;
        let output_dir = work_dir.join("out");
        let temp_dir = work_dir.join("tmp");
        for folder in [work_dir, &output_dir, &temp_dir] {
            std::fs::create_dir_all(folder).map_err(|source| AgentError::WorkFolder {
                path: folder.clone(),
                source,
            })?;
        }
        let staged = stage_scene(self.order, scene_source, work_dir).await?;
        tracing::info!(scene = %staged.scene.display(), downloaded = staged.downloaded, "scene ready");
        let places = Places {
            scene: &staged.scene,
            scene_dir: &staged.scene_dir,
            output_dir: &output_dir,
        };
        let plan = plan_engine(
            self.order,
            settings,
            places,
            &temp_dir,
            self.frames,
            work_dir,
        )?;
        let log_path = work_dir.join("engine.log");
        let (engine, upload_failures) = self.render_and_deliver(&plan, &log_path, stop).await?;
        if engine.failed_exit.is_some() {
            append_crash_report(&log_path, &blender::crash_report(&temp_dir, &staged.scene)).await;
            // The frame the engine was on when it failed; frames after it were never tried
            // and stay missing for the next attempt.
            if let Some(frame) = engine.rendering {
                let detail = engine.last_error.as_deref().map(|line| format!(": {line}"));
                self.reporter.send(Update::Failed(FrameFailure {
                    frame,
                    attempt: settings.attempt,
                    node: settings.node.clone(),
                    reason: "EngineCrashed".into(),
                    message: format!(
                        "{}{}",
                        engine.failed_exit.as_deref().unwrap_or_default(),
                        detail.unwrap_or_default()
                    ),
                    at: now(),
                }));
            }
        }
        let log_key = self.order.log_key(settings.attempt);
        self.store_log(&log_path, &log_key).await;
        Ok(Attempt {
            engine,
            upload_failures,
            log: self.destination.describe(&log_key),
            downloaded: staged.downloaded,
        })
    }

    /// Runs the engine and hands each saved frame to a delivery while it renders on.
    async fn render_and_deliver(
        &self,
        plan: &EnginePlan,
        log_path: &Path,
        stop: watch::Receiver<bool>,
    ) -> Result<(EngineOutcome, Vec<DeliveryError>), AgentError> {
        let settings = self.settings;
        let delivery = Delivery {
            destination: self.destination.clone(),
            order: Arc::clone(self.order),
            thumbnails: self.order.settings.thumbnails.clone(),
            attempt: settings.attempt,
            node: settings.node.clone(),
        };
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let engine_task = {
            let plan = plan.clone();
            let log_path = log_path.to_owned();
            tokio::spawn(async move { engine::run(&plan, &log_path, events_tx, stop).await })
        };
        let slots = Arc::new(tokio::sync::Semaphore::new(settings.deliveries.max(1)));
        let mut deliveries: JoinSet<Result<FrameRecord, DeliveryError>> = JoinSet::new();
        let mut failures = Vec::new();
        while let Some(event) = events.recv().await {
            match event {
                EngineEvent::Rendering { frame } => {
                    self.reporter.send(Update::Rendering { frame });
                }
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
                failures.extend(self.report_delivery(done));
            }
        }
        // Frames already saved are delivered even when the engine failed.
        while let Some(done) = deliveries.join_next().await {
            failures.extend(self.report_delivery(done));
        }
        let outcome = engine_task.await.map_err(|join| {
            AgentError::Engine(engine::EngineError::ReadOutput {
                program: "engine task".into(),
                source: std::io::Error::other(join),
            })
        })??;
        Ok((outcome, failures))
    }

    fn report_delivery(
        &self,
        done: Result<Result<FrameRecord, DeliveryError>, tokio::task::JoinError>,
    ) -> Option<DeliveryError> {
        match done {
            Ok(Ok(record)) => {
                self.reporter.send(Update::Rendered(record));
                None
            }
            Ok(Err(error)) => {
                tracing::error!("{error}");
                self.reporter.send(Update::Failed(FrameFailure {
                    frame: error.frame,
                    attempt: self.settings.attempt,
                    node: self.settings.node.clone(),
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

    /// Stores the engine log; losing it costs the log, never the render.
    async fn store_log(&self, log_path: &Path, key: &str) {
        match tokio::fs::read(log_path).await {
            Ok(log) => {
                let stored = self
                    .destination
                    .put_bytes(key, Bytes::from(log), "text/plain; charset=utf-8")
                    .await;
                if let Err(error) = stored {
                    tracing::warn!("engine log not stored: {error}");
                }
            }
            Err(error) => tracing::warn!("engine log unreadable: {error}"),
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
