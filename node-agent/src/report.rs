//! Progress reporting: a book of what happened to each frame, and a reporter task that writes
//! it out — as RenderJob status through the API (server-side apply with the agent's own field
//! manager, so the operator's fields are never touched), as a JSON file, and as a progress
//! bar — coalescing bursts to at most one write per interval.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use framefarm_crds::job::{FrameFailure, FrameRecord};
use framefarm_crds::limits::{MAX_FAILURE_RECORDS, MAX_FRAME_SET_LENGTH};
use framefarm_crds::{FrameSet, RenderJob};
use indicatif::{ProgressBar, ProgressStyle};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The field manager of everything the agent writes into RenderJob status.
pub const FIELD_MANAGER: &str = "framefarm-node-agent";

/// Why status could not be written.
#[derive(Debug, Error)]
pub enum ReportError {
    #[error("failed to patch the status of RenderJob {namespace}/{name}: {source}")]
    PatchJobStatus {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to write the status file {path}: {source}")]
    WriteStatusFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to finish reporting: {0}")]
    Task(String),
}

/// What happened to each frame of the job so far.
#[derive(Clone, Debug)]
pub struct StatusBook {
    total: FrameSet,
    rendered: FrameSet,
    records: BTreeMap<u64, FrameRecord>,
    failures: Vec<FrameFailure>,
}

impl StatusBook {
    pub fn new(total: FrameSet) -> Self {
        Self {
            total,
            rendered: FrameSet::new(),
            records: BTreeMap::new(),
            failures: Vec::new(),
        }
    }

    /// Keeps the records an earlier attempt wrote, for frames of this job.
    pub fn seed(&mut self, records: impl IntoIterator<Item = FrameRecord>) {
        for record in records {
            if self.total.contains(record.frame) {
                self.rendered.insert(record.frame);
                self.records.insert(record.frame, record);
            }
        }
    }

    /// Failures of earlier attempts. They must be sent again: server-side apply drops list
    /// entries a manager stops sending, and the operator counts attempts per frame from them.
    pub fn seed_failures(&mut self, failures: impl IntoIterator<Item = FrameFailure>) {
        for failure in failures {
            self.fail(failure);
        }
    }

    /// Frames found already rendered, without records of their own.
    pub fn already_rendered(&mut self, frames: &FrameSet) {
        self.rendered = self.rendered.union(&self.total.intersection(frames));
    }

    pub fn rendered(&self) -> &FrameSet {
        &self.rendered
    }

    pub fn failures(&self) -> &[FrameFailure] {
        &self.failures
    }

    pub fn record(&mut self, record: FrameRecord) {
        self.rendered.insert(record.frame);
        self.records.insert(record.frame, record);
    }

    pub fn fail(&mut self, failure: FrameFailure) {
        self.failures
            .retain(|known| (known.frame, known.attempt) != (failure.frame, failure.attempt));
        self.failures.push(failure);
        let excess = self.failures.len().saturating_sub(MAX_FAILURE_RECORDS);
        self.failures.drain(..excess);
    }

    /// The status fields the agent owns, complete: server-side apply removes whatever a
    /// manager stops sending.
    pub fn status(&self) -> Value {
        json!({
            "renderedFrames": self.rendered.to_bounded_string(MAX_FRAME_SET_LENGTH),
            "progress": format!("{}/{}", self.rendered.len(), self.total.len()),
            "frameRecords": self.records.values().collect::<Vec<_>>(),
            "failures": self.failures,
        })
    }
}

/// A change to report.
#[derive(Debug)]
pub enum Update {
    Rendering { frame: u64 },
    Rendered(FrameRecord),
    Failed(FrameFailure),
}

/// Where status goes.
#[derive(Clone, Debug)]
pub enum StatusSink {
    Job {
        api: Box<Api<RenderJob>>,
        namespace: String,
        name: String,
    },
    File(PathBuf),
    Nowhere,
}

/// The reporter task and its inbox.
#[derive(Debug)]
pub struct Reporter {
    inbox: mpsc::UnboundedSender<Update>,
    task: JoinHandle<Result<StatusBook, ReportError>>,
}

impl Reporter {
    pub fn start(book: StatusBook, sink: StatusSink, interval: Duration, progress: bool) -> Self {
        let (inbox, updates) = mpsc::unbounded_channel();
        let bar = progress.then(|| progress_bar(&book));
        let task = tokio::spawn(report(book, sink, interval, updates, bar));
        Self { inbox, task }
    }

    pub fn send(&self, update: Update) {
        let _ = self.inbox.send(update);
    }

    /// Writes the final status and returns the book.
    pub async fn finish(self) -> Result<StatusBook, ReportError> {
        drop(self.inbox);
        self.task
            .await
            .map_err(|join| ReportError::Task(join.to_string()))?
    }
}

async fn report(
    mut book: StatusBook,
    sink: StatusSink,
    interval: Duration,
    mut updates: mpsc::UnboundedReceiver<Update>,
    bar: Option<ProgressBar>,
) -> Result<StatusBook, ReportError> {
    let mut dirty = true;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            update = updates.recv() => match update {
                Some(update) => {
                    apply(&mut book, update, bar.as_ref());
                    dirty = true;
                }
                None => break,
            },
            _ = tick.tick(), if dirty => {
                match write(&sink, &book).await {
                    Ok(()) => dirty = false,
                    // The next tick tries again; losing one write loses nothing.
                    Err(error) => tracing::warn!("{error}"),
                }
            }
        }
    }
    if let Some(bar) = &bar {
        bar.finish();
    }
    write(&sink, &book).await?;
    Ok(book)
}

fn apply(book: &mut StatusBook, update: Update, bar: Option<&ProgressBar>) {
    match update {
        Update::Rendering { frame } => {
            if let Some(bar) = bar {
                bar.set_message(format!("rendering frame {frame}"));
            }
        }
        Update::Rendered(record) => {
            book.record(record);
            if let Some(bar) = bar {
                bar.set_position(book.rendered.len());
            }
        }
        Update::Failed(failure) => {
            if let Some(bar) = bar {
                bar.println(format!(
                    "frame {} failed: {}",
                    failure.frame, failure.message
                ));
            }
            book.fail(failure);
        }
    }
}

async fn write(sink: &StatusSink, book: &StatusBook) -> Result<(), ReportError> {
    match sink {
        StatusSink::Job {
            api,
            namespace,
            name,
        } => {
            let body = json!({
                "apiVersion": "framefarm.io/v1alpha1",
                "kind": "RenderJob",
                "metadata": { "name": name },
                "status": book.status(),
            });
            api.patch_status(
                name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(body),
            )
            .await
            .map(|_| ())
            .map_err(|source| ReportError::PatchJobStatus {
                namespace: namespace.clone(),
                name: name.clone(),
                source,
            })
        }
        StatusSink::File(path) => {
            let failed = |source| ReportError::WriteStatusFile {
                path: path.clone(),
                source,
            };
            let text = serde_json::to_vec_pretty(&json!({ "status": book.status() }))
                .map_err(|error| failed(std::io::Error::other(error)))?;
            let staging = path.with_extension("partial");
            tokio::fs::write(&staging, text).await.map_err(failed)?;
            tokio::fs::rename(&staging, path).await.map_err(failed)
        }
        StatusSink::Nowhere => Ok(()),
    }
}

fn progress_bar(book: &StatusBook) -> ProgressBar {
    let bar = ProgressBar::new(book.total.len());
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} frames, ETA {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_position(book.rendered.len());
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// Now, as Kubernetes writes times.
pub fn now() -> Time {
    Time(jiff::Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(frame: u64) -> FrameRecord {
        FrameRecord {
            frame,
            output_key: format!("out/f_{frame:04}.png"),
            thumbnail_key: None,
            bytes: 10,
            render_seconds: 0.5,
            finished_at: now(),
            node: None,
            attempt: 2,
        }
    }

    #[test]
    fn status_counts_records_and_frames_found_already_rendered() {
        let mut book = StatusBook::new(FrameSet::parse("1-10").unwrap());
        book.seed([record(1), record(42)]);
        book.already_rendered(&FrameSet::parse("2-3,50").unwrap());
        book.record(record(7));
        let status = book.status();
        assert_eq!(status["renderedFrames"], "1-3,7");
        assert_eq!(status["progress"], "4/10");
        let frames: Vec<u64> = status["frameRecords"]
            .as_array()
            .unwrap()
            .iter()
            .map(|record| record["frame"].as_u64().unwrap())
            .collect();
        assert_eq!(frames, [1, 7]);
    }

    #[test]
    fn failures_of_earlier_attempts_are_kept_beside_new_ones() {
        let mut book = StatusBook::new(FrameSet::parse("1-10").unwrap());
        let failure = |attempt: u32| FrameFailure {
            frame: 3,
            attempt,
            node: Some("node-a".into()),
            reason: "EngineCrashed".into(),
            message: "crashed".into(),
            at: now(),
        };
        book.seed_failures([failure(1), failure(2)]);
        book.fail(failure(3));
        let attempts: Vec<u32> = book.failures().iter().map(|f| f.attempt).collect();
        assert_eq!(attempts, [1, 2, 3]);
        assert_eq!(book.status()["failures"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn a_failure_is_recorded_once_per_frame_and_attempt() {
        let mut book = StatusBook::new(FrameSet::parse("1-10").unwrap());
        let failure = |message: &str| FrameFailure {
            frame: 4,
            attempt: 1,
            node: None,
            reason: "EngineCrashed".into(),
            message: message.into(),
            at: now(),
        };
        book.fail(failure("first"));
        book.fail(failure("second"));
        assert_eq!(book.failures().len(), 1);
        assert_eq!(book.failures()[0].message, "second");
    }
}
