//! `status`: what a shot is doing, for a person (a progress bar, counts, timing, conditions
//! and every failed frame with its reason) or for a script (`-o json`). The view is built and
//! formatted by pure functions; only `run` reads the cluster.

use std::fmt::Write as _;

use framefarm_crds::job::FrameFailure;
use framefarm_crds::shot::{FrameCounts, JobCounts, ShotPhase};
use framefarm_crds::{FrameSet, RenderJob, RenderShot};
use kube::ResourceExt;
use serde::Serialize;
use thiserror::Error;

use crate::cli::OutputFormat;
use crate::cluster::{Cluster, ClusterError};
use crate::format::{format_duration, progress_bar};

/// Width of the progress bar in cells.
const BAR_WIDTH: usize = 40;

#[derive(Debug, Error)]
pub enum StatusError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("failed to write the status of RenderShot {shot} as JSON: {source}")]
    Json {
        shot: String,
        #[source]
        source: serde_json::Error,
    },
}

/// What `status` shows, also its JSON form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    pub namespace: String,
    pub shot: String,
    pub phase: String,
    pub frames: FrameCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered_frames: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub render_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_frame_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<jiff::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_time: Option<jiff::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_completion_time: Option<jiff::Timestamp>,
    pub jobs: JobCounts,
    pub conditions: Vec<ConditionView>,
    pub failed_frames: Vec<FailedFrame>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionView {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
}

/// A frame that failed every attempt, with its last failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedFrame {
    pub frame: u64,
    pub job: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub reason: String,
    pub message: String,
}

pub async fn run(cluster: &Cluster, name: &str, output: OutputFormat) -> Result<(), StatusError> {
    let shot = cluster.shot(name).await?;
    let jobs = cluster.current_jobs(&shot).await?;
    let view = build_view(&shot, &jobs);
    match output {
        OutputFormat::Json => {
            let text = serde_json::to_string_pretty(&view).map_err(|source| StatusError::Json {
                shot: name.into(),
                source,
            })?;
            println!("{text}");
        }
        OutputFormat::Text => print!("{}", render_text(&view, jiff::Timestamp::now())),
    }
    Ok(())
}

/// The view of a shot and its current RenderJobs.
pub fn build_view(shot: &RenderShot, jobs: &[RenderJob]) -> StatusView {
    let status = shot.status.clone().unwrap_or_default();
    let failed = FrameSet::from_status(status.failed_frames.as_deref());
    StatusView {
        namespace: shot.namespace().unwrap_or_default(),
        shot: shot.name_any(),
        phase: status
            .phase
            .map_or_else(|| "Unknown".to_owned(), phase_name),
        frames: status.frames.clone(),
        rendered_frames: status.rendered_frames.clone(),
        render_seconds: status.render_seconds,
        average_frame_seconds: status.average_frame_seconds,
        start_time: status.start_time.as_ref().map(|time| time.0),
        completion_time: status.completion_time.as_ref().map(|time| time.0),
        estimated_completion_time: status.estimated_completion_time.as_ref().map(|time| time.0),
        jobs: status.jobs.clone(),
        conditions: status
            .conditions
            .iter()
            .map(|condition| ConditionView {
                type_: condition.type_.clone(),
                status: condition.status.clone(),
                reason: condition.reason.clone(),
                message: condition.message.clone(),
            })
            .collect(),
        failed_frames: failed_frames(&failed, jobs),
    }
}

fn phase_name(phase: ShotPhase) -> String {
    format!("{phase:?}")
}

/// Each failed frame with the newest failure any RenderJob recorded for it.
pub fn failed_frames(failed: &FrameSet, jobs: &[RenderJob]) -> Vec<FailedFrame> {
    failed
        .frames()
        .map(|frame| {
            let newest = jobs
                .iter()
                .filter_map(|job| job.status.as_ref().map(|status| (job, status)))
                .flat_map(|(job, status)| {
                    status
                        .failures
                        .iter()
                        .filter(move |failure| failure.frame == frame)
                        .map(move |failure| (job, failure))
                })
                .max_by_key(|(_, failure)| (failure.at.0, failure.attempt));
            match newest {
                Some((job, failure)) => failed_frame(job, failure),
                None => FailedFrame {
                    frame,
                    job: job_holding(frame, jobs).unwrap_or_default(),
                    attempt: None,
                    node: None,
                    reason: "Unknown".into(),
                    message: "no failure record is left; see `kubectl framefarm logs` with --frame"
                        .into(),
                },
            }
        })
        .collect()
}

fn failed_frame(job: &RenderJob, failure: &FrameFailure) -> FailedFrame {
    FailedFrame {
        frame: failure.frame,
        job: job.name_any(),
        attempt: Some(failure.attempt),
        node: failure.node.clone(),
        reason: failure.reason.clone(),
        message: failure.message.clone(),
    }
}

/// The RenderJob whose frames hold `frame`.
pub fn job_holding(frame: u64, jobs: &[RenderJob]) -> Option<String> {
    jobs.iter()
        .find(|job| FrameSet::from_status(Some(&job.spec.frames)).contains(frame))
        .map(ResourceExt::name_any)
}

/// The text `status` prints.
pub fn render_text(view: &StatusView, now: jiff::Timestamp) -> String {
    let mut out = String::new();
    let frames = &view.frames;
    let percent = (frames.rendered * 100)
        .checked_div(frames.total)
        .unwrap_or_default();
    let _ = writeln!(out, "RenderShot  {}/{}", view.namespace, view.shot);
    let _ = writeln!(out, "Phase       {}", view.phase);
    let _ = writeln!(
        out,
        "Progress    {} {}/{} frames ({percent}%)",
        progress_bar(frames.rendered, frames.failed, frames.total, BAR_WIDTH),
        frames.rendered,
        frames.total
    );
    let _ = writeln!(
        out,
        "Frames      {} rendered, {} rendering, {} failed",
        frames.rendered, frames.running, frames.failed
    );
    if let Some(seconds) = view.render_seconds {
        let average = view
            .average_frame_seconds
            .map(|average| format!(", {average:.1} s a frame"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "Render time {} of engine time{average}",
            format_duration(seconds)
        );
    }
    if let Some(start) = view.start_time {
        let end = view.completion_time.unwrap_or(now);
        let took = (end.as_second() - start.as_second()).max(0) as f64;
        let verb = if view.completion_time.is_some() {
            "took"
        } else {
            "running for"
        };
        let _ = writeln!(
            out,
            "Started     {} ({verb} {})",
            start.strftime("%Y-%m-%d %H:%M:%S UTC"),
            format_duration(took)
        );
    }
    let _ = writeln!(out, "ETA         {}", eta_text(view, now));
    let jobs = &view.jobs;
    let _ = writeln!(
        out,
        "RenderJobs  {} total: {} waiting, {} active, {} succeeded, {} failed",
        jobs.total, jobs.waiting, jobs.active, jobs.succeeded, jobs.failed
    );
    if !view.conditions.is_empty() {
        let _ = writeln!(out, "Conditions");
        for condition in &view.conditions {
            let _ = writeln!(
                out,
                "  {:<12} {:<6} {:<14} {}",
                condition.type_, condition.status, condition.reason, condition.message
            );
        }
    }
    if !view.failed_frames.is_empty() {
        let _ = writeln!(out, "Failed frames ({})", view.failed_frames.len());
        for failed in &view.failed_frames {
            let mut place = format!("RenderJob {}", failed.job);
            if let Some(attempt) = failed.attempt {
                let _ = write!(place, ", attempt {attempt}");
            }
            if let Some(node) = &failed.node {
                let _ = write!(place, " on {node}");
            }
            let _ = writeln!(
                out,
                "  frame {}: {} ({place}): {}",
                failed.frame, failed.reason, failed.message
            );
        }
        let _ = writeln!(
            out,
            "  see a frame's engine log with `kubectl framefarm logs {} --frame N`; render them \
             again with `kubectl framefarm retry {} --failed`",
            view.shot, view.shot
        );
    }
    out
}

/// When the shot should be done, as "in 3m 20s (at 14:05:10 UTC)", or why there is no ETA.
pub fn eta_text(view: &StatusView, now: jiff::Timestamp) -> String {
    if let Some(done) = view.completion_time {
        return format!("done at {}", done.strftime("%Y-%m-%d %H:%M:%S UTC"));
    }
    match view.estimated_completion_time {
        Some(eta) => {
            let left = (eta.as_second() - now.as_second()).max(0) as f64;
            format!(
                "in {} (at {})",
                format_duration(left),
                eta.strftime("%H:%M:%S UTC")
            )
        }
        None => "unknown until the first frames are rendered".into(),
    }
}

#[cfg(test)]
mod tests;
