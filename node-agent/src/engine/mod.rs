//! Runs the render engine for a chunk and reports each frame the moment its file is complete,
//! while the engine goes on rendering. Blender's saved frames are read from its console
//! output; a command engine's from files appearing in the output folder. The engine's whole
//! console output goes to a log file. It does not upload anything.

pub mod blender;
pub mod blender_log;
pub mod command;
mod folder;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use thiserror::Error;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::sync::{mpsc, watch};

use blender_log::{LogEvent, frame_of_file_name, parse_line};

/// One program run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub program: String,
    pub args: Vec<String>,
}

/// How finished frames are noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// `Saved: '…'` lines on the console (Blender).
    ConsoleLog,
    /// New files in the output folder; a file is complete once a later one appears or the
    /// program exits successfully.
    OutputFolder,
}

/// Everything needed to render a chunk.
#[derive(Clone, Debug)]
pub struct EnginePlan {
    pub invocations: Vec<Invocation>,
    pub detection: Detection,
    pub output_dir: PathBuf,
    pub work_dir: PathBuf,
    /// Frames the plan renders; once all are saved the engine has nothing left to do.
    pub frames: BTreeSet<u64>,
    /// How long to wait for the program to exit on its own after its last frame, before
    /// ending it (it is only tidying up by then).
    pub exit_grace: Duration,
    /// How long the program gets to exit after SIGTERM before it is killed.
    pub kill_after: Duration,
}

/// Something the engine did.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineEvent {
    Rendering {
        frame: u64,
    },
    Saved {
        frame: u64,
        path: PathBuf,
        render_seconds: f64,
    },
}

/// How the engine run ended.
#[derive(Clone, Debug, Default)]
pub struct EngineOutcome {
    /// The exit status of the invocation that failed, if one did.
    pub failed_exit: Option<String>,
    /// Whether the agent stopped the engine because it was asked to terminate.
    pub terminated: bool,
    /// The frame being rendered when a failed invocation ended.
    pub rendering: Option<u64>,
    /// The last error line the engine printed.
    pub last_error: Option<String>,
}

/// Why the engine could not be run.
#[derive(Debug, Error)]
pub enum EngineError {
    #[error(
        "failed to start the engine: '{program}' is not installed or not on PATH; use an \
         engine image that has it, or install it on this workstation"
    )]
    NotInstalled { program: String },
    #[error("failed to start the engine '{program}': {source}")]
    Start {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to read the output of the engine '{program}': {source}")]
    ReadOutput {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write the engine log {path}: {source}")]
    WriteLog {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to watch the output folder {path}: {source}")]
    WatchOutput {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Runs every invocation of `plan` in turn, sending events as frames finish. `stop` turning
/// true forwards SIGTERM to the engine and runs nothing further.
pub async fn run(
    plan: &EnginePlan,
    log_path: &Path,
    events: mpsc::UnboundedSender<EngineEvent>,
    mut stop: watch::Receiver<bool>,
) -> Result<EngineOutcome, EngineError> {
    let log_file =
        tokio::fs::File::create(log_path)
            .await
            .map_err(|source| EngineError::WriteLog {
                path: log_path.to_owned(),
                source,
            })?;
    let mut log = BufWriter::new(log_file);
    let mut tracker = Tracker::new(plan, events);
    // One watcher for all invocations, so files of earlier ones are not seen anew.
    let mut watcher = folder::Watcher::new(&plan.output_dir);
    let mut outcome = EngineOutcome::default();
    for invocation in &plan.invocations {
        if *stop.borrow() {
            outcome.terminated = true;
            break;
        }
        let status = run_one(
            plan,
            invocation,
            &mut log,
            log_path,
            &mut tracker,
            &mut watcher,
            &mut stop,
            &mut outcome,
        )
        .await?;
        if outcome.terminated {
            break;
        }
        if let Some(status) = status.filter(|status| !status.success()) {
            outcome.failed_exit = Some(describe(status));
            // Blender goes on to the next frame after some errors; the first frame begun and
            // never saved is the one that failed.
            // A crash while Blender changes frames comes before the frame's first line; then
            // the failed frame is the first one not saved (frames render in ascending order).
            outcome.rendering = tracker
                .unfinished
                .first()
                .copied()
                .or_else(|| tracker.expected.difference(&tracker.saved).next().copied());
            break;
        }
    }
    outcome.last_error = tracker.last_error.take();
    log.flush().await.map_err(|source| EngineError::WriteLog {
        path: log_path.to_owned(),
        source,
    })?;
    Ok(outcome)
}

/// Runs one invocation; `None` when it was ended by the agent after its last frame.
#[allow(clippy::too_many_arguments, reason = "the state of one engine run")]
async fn run_one(
    plan: &EnginePlan,
    invocation: &Invocation,
    log: &mut BufWriter<tokio::fs::File>,
    log_path: &Path,
    tracker: &mut Tracker,
    watcher: &mut folder::Watcher,
    stop: &mut watch::Receiver<bool>,
    outcome: &mut EngineOutcome,
) -> Result<Option<ExitStatus>, EngineError> {
    let program = invocation.program.clone();
    let mut child = tokio::process::Command::new(&invocation.program)
        .args(&invocation.args)
        .current_dir(&plan.work_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so signals reach whatever the engine starts too.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => EngineError::NotInstalled {
                program: program.clone(),
            },
            _ => EngineError::Start {
                program: program.clone(),
                source,
            },
        })?;
    let group = child.id().map(|id| Pid::from_raw(id as i32));
    let signal = |signal: Signal| {
        if let Some(group) = group {
            let _ = killpg(group, signal);
        }
    };
    let read_failed = |source| EngineError::ReadOutput {
        program: program.clone(),
        source,
    };
    let log_failed = |source| EngineError::WriteLog {
        path: log_path.to_owned(),
        source,
    };
    let mut stdout = child.stdout.take().map(|out| BufReader::new(out).lines());
    let mut stderr = child.stderr.take().map(|err| BufReader::new(err).lines());
    let mut poll = tokio::time::interval(Duration::from_millis(100));
    let mut kill_at: Option<tokio::time::Instant> = None;
    let mut ended_by_agent = false;
    let mut watching_stop = true;
    tracker.invocation_started();
    let status = loop {
        let kill_deadline =
            kill_at.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400));
        tokio::select! {
            line = next_line(&mut stdout) => match line.map_err(read_failed)? {
                Some(line) => tracker.console_line(&line, log).await.map_err(log_failed)?,
                None => stdout = None,
            },
            line = next_line(&mut stderr) => match line.map_err(read_failed)? {
                Some(line) => tracker.console_line(&line, log).await.map_err(log_failed)?,
                None => stderr = None,
            },
            status = child.wait(), if stdout.is_none() && stderr.is_none() => {
                break status.map_err(read_failed)?;
            }
            _ = poll.tick(), if plan.detection == Detection::OutputFolder => {
                let found = watcher.new_files().map_err(|source| EngineError::WatchOutput {
                    path: plan.output_dir.clone(),
                    source,
                })?;
                tracker.files_appeared(found);
            }
            changed = stop.changed(), if watching_stop && !outcome.terminated => {
                match changed {
                    Ok(()) if *stop.borrow() => {
                        outcome.terminated = true;
                        signal(Signal::SIGTERM);
                        kill_at = Some(tokio::time::Instant::now() + plan.kill_after);
                    }
                    Ok(()) => {}
                    // Nobody can ask for a stop any more.
                    Err(_) => watching_stop = false,
                }
            }
            _ = tokio::time::sleep_until(kill_deadline), if kill_at.is_some() => {
                signal(Signal::SIGKILL);
                kill_at = None;
            }
        }
        if kill_at.is_none() && !outcome.terminated && tracker.all_saved() {
            // Every frame is on disk; do not wait long for the engine's own shutdown.
            kill_at = Some(tokio::time::Instant::now() + plan.exit_grace);
            ended_by_agent = true;
        }
    };
    if plan.detection == Detection::OutputFolder {
        let found = watcher
            .new_files()
            .map_err(|source| EngineError::WatchOutput {
                path: plan.output_dir.clone(),
                source,
            })?;
        tracker.files_appeared(found);
        // The newest file is complete only if the program says it finished well.
        tracker.program_exited(status.success() && !outcome.terminated);
    }
    let line = format!("framefarm: '{}' exited: {}\n", program, describe(status));
    log.write_all(line.as_bytes()).await.map_err(log_failed)?;
    Ok((!ended_by_agent || !tracker.all_saved()).then_some(status))
}

async fn next_line<R>(lines: &mut Option<tokio::io::Lines<R>>) -> std::io::Result<Option<String>>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    match lines {
        Some(lines) => lines.next_line().await,
        None => std::future::pending().await,
    }
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => Signal::try_from(signal).map_or_else(
            |_| format!("signal {signal}"),
            |signal| format!("signal {signal}"),
        ),
        _ => status.to_string(),
    }
}

/// Follows the engine's progress and turns it into events.
struct Tracker {
    events: mpsc::UnboundedSender<EngineEvent>,
    detection: Detection,
    expected: BTreeSet<u64>,
    saved: BTreeSet<u64>,
    rendering: Option<u64>,
    /// Frames begun and not saved, in the order they were begun.
    unfinished: Vec<u64>,
    started: Instant,
    pending_file: Option<(u64, PathBuf)>,
    last_error: Option<String>,
}

impl Tracker {
    fn new(plan: &EnginePlan, events: mpsc::UnboundedSender<EngineEvent>) -> Self {
        Self {
            events,
            detection: plan.detection,
            expected: plan.frames.clone(),
            saved: BTreeSet::new(),
            rendering: None,
            unfinished: Vec::new(),
            started: Instant::now(),
            pending_file: None,
            last_error: None,
        }
    }

    fn all_saved(&self) -> bool {
        self.detection == Detection::ConsoleLog && self.expected.is_subset(&self.saved)
    }

    fn invocation_started(&mut self) {
        self.started = Instant::now();
    }

    async fn console_line(
        &mut self,
        line: &str,
        log: &mut BufWriter<tokio::fs::File>,
    ) -> std::io::Result<()> {
        log.write_all(line.as_bytes()).await?;
        log.write_all(b"\n").await?;
        tracing::trace!(target: "engine", "{line}");
        if self.detection == Detection::OutputFolder {
            if !line.trim().is_empty() {
                self.last_error = Some(line.trim().to_owned());
            }
            return Ok(());
        }
        match parse_line(line) {
            Some(LogEvent::Rendering { frame }) if self.rendering != Some(frame) => {
                self.rendering = Some(frame);
                self.unfinished.push(frame);
                self.started = Instant::now();
                let _ = self.events.send(EngineEvent::Rendering { frame });
            }
            Some(LogEvent::Saved { path }) => {
                let frame = frame_of_file_name(path).or(self.rendering);
                if let Some(frame) = frame {
                    self.saved(frame, PathBuf::from(path));
                    self.rendering = None;
                }
            }
            Some(LogEvent::Error { message }) => self.last_error = Some(message.to_owned()),
            _ => {}
        }
        Ok(())
    }

    fn saved(&mut self, frame: u64, path: PathBuf) {
        let render_seconds = self.started.elapsed().as_secs_f64();
        self.started = Instant::now();
        self.saved.insert(frame);
        self.unfinished.retain(|begun| *begun != frame);
        tracing::info!(frame, render_seconds, "frame saved");
        let _ = self.events.send(EngineEvent::Saved {
            frame,
            path,
            render_seconds,
        });
    }

    fn files_appeared(&mut self, files: Vec<PathBuf>) {
        for path in files {
            let frame = frame_of_file_name(&path.to_string_lossy())
                .filter(|frame| self.expected.contains(frame) && !self.saved.contains(frame));
            let Some(frame) = frame else {
                tracing::warn!(file = %path.display(), "the engine wrote a file that is not a frame of this chunk; it is not uploaded");
                continue;
            };
            if let Some((done_frame, done_path)) = self.pending_file.replace((frame, path)) {
                self.saved(done_frame, done_path);
            }
            if self.rendering != Some(frame) {
                self.rendering = Some(frame);
                let _ = self.events.send(EngineEvent::Rendering { frame });
            }
        }
    }

    fn program_exited(&mut self, finished_well: bool) {
        if let Some((frame, path)) = self.pending_file.take() {
            if finished_well {
                self.saved(frame, path);
            } else {
                tracing::warn!(frame, file = %path.display(), "discarding the last file of an engine that did not finish: it may be incomplete");
            }
        }
    }
}
