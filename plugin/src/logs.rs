//! `logs`: the engine logs the node-agent uploaded for each attempt of each RenderJob, read
//! from storage so they outlive the pods; with `--frame`, only the log of the attempt that
//! rendered that frame, or that last failed on it. Choosing the logs is pure.

use framefarm_crds::{FrameSet, RenderJob};
use framefarm_node_agent::order::{OrderError, WorkOrder};
use framefarm_node_agent::storage::StorageError;
use kube::ResourceExt;
use thiserror::Error;

use crate::cluster::{Cluster, ClusterError};
use crate::files::{FilesError, ShotFiles};

#[derive(Debug, Error)]
pub enum LogsError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Files(#[from] FilesError),
    #[error(
        "frame {frame} is in no RenderJob of RenderShot {shot}: its frames are {frames}, and a \
         frame found in the output before rendering has no log"
    )]
    FrameNotPlanned {
        shot: String,
        frame: u64,
        frames: String,
    },
    #[error(
        "RenderJob {job} of RenderShot {shot} has not started an attempt yet, so there is no \
         log; follow it with `kubectl framefarm status {shot}`"
    )]
    NotStarted { shot: String, job: String },
    #[error("RenderShot {shot} has no RenderJob that started yet, so there are no logs")]
    NoLogs { shot: String },
    #[error("failed to resolve the log of RenderJob {job}: {source}")]
    Order {
        job: String,
        #[source]
        source: Box<OrderError>,
    },
    #[error("failed to read the log {uri}: {source}")]
    Read {
        uri: String,
        #[source]
        source: Box<StorageError>,
    },
}

/// One attempt's log to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogChoice {
    pub job: String,
    pub attempt: u32,
}

/// The logs to show: every attempt of every job, or the one attempt that matters for `frame`.
pub fn choose_logs(
    shot: &str,
    jobs: &[RenderJob],
    frame: Option<u64>,
) -> Result<Vec<LogChoice>, LogsError> {
    let Some(frame) = frame else {
        let all: Vec<LogChoice> = jobs
            .iter()
            .flat_map(|job| {
                let attempts = job.status.as_ref().and_then(|s| s.attempt).unwrap_or(0);
                (1..=attempts).map(|attempt| LogChoice {
                    job: job.name_any(),
                    attempt,
                })
            })
            .collect();
        if all.is_empty() {
            return Err(LogsError::NoLogs { shot: shot.into() });
        }
        return Ok(all);
    };
    let job = jobs
        .iter()
        .find(|job| FrameSet::from_status(Some(&job.spec.frames)).contains(frame))
        .ok_or_else(|| LogsError::FrameNotPlanned {
            shot: shot.into(),
            frame,
            frames: jobs
                .iter()
                .map(|job| job.spec.frames.as_str())
                .collect::<Vec<_>>()
                .join(","),
        })?;
    let status = job.status.clone().unwrap_or_default();
    let rendered_in = status
        .frame_records
        .iter()
        .find(|record| record.frame == frame)
        .map(|record| record.attempt);
    let failed_in = status
        .failures
        .iter()
        .filter(|failure| failure.frame == frame)
        .map(|failure| failure.attempt)
        .max();
    let attempt = rendered_in
        .or(failed_in)
        .or(status.attempt)
        .ok_or_else(|| LogsError::NotStarted {
            shot: shot.into(),
            job: job.name_any(),
        })?;
    Ok(vec![LogChoice {
        job: job.name_any(),
        attempt,
    }])
}

pub async fn run(cluster: &Cluster, name: &str, frame: Option<u64>) -> Result<(), LogsError> {
    let shot = cluster.shot(name).await?;
    let jobs = cluster.current_jobs(&shot).await?;
    let choices = choose_logs(name, &jobs, frame)?;
    let files = ShotFiles::connect(&shot, cluster.storage_keys(&shot).await?)?;
    for choice in choices {
        let Some(job) = jobs.iter().find(|job| job.name_any() == choice.job) else {
            continue;
        };
        let order = WorkOrder::from_job(job).map_err(|source| LogsError::Order {
            job: choice.job.clone(),
            source: Box::new(source),
        })?;
        let key = order.log_key(choice.attempt);
        let uri = files.uri(&key);
        println!(
            "==> RenderJob {}, attempt {}: {uri} <==",
            choice.job, choice.attempt
        );
        match files.storage.get_bytes(&order.output_bucket, &key).await {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                print!("{text}");
                if !text.ends_with('\n') {
                    println!();
                }
            }
            // The agent uploads the log when the attempt ends.
            Err(StorageError::NoSuchKey { .. }) => {
                println!("(no log yet: the agent uploads it when the attempt ends)");
            }
            Err(source) => {
                return Err(LogsError::Read {
                    uri,
                    source: Box::new(source),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use framefarm_crds::RenderJobStatus;
    use framefarm_crds::job::{FrameFailure, FrameRecord};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;

    fn job(name: &str, frames: &str, status: Option<RenderJobStatus>) -> RenderJob {
        let mut job: RenderJob = serde_json::from_value(serde_json::json!({
            "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderJob",
            "metadata": {"name": name, "namespace": "studio"},
            "spec": {
                "frames": frames,
                "scene": {"uri": "s3://studio/a.blend"},
                "engine": {"blender": {}},
                "output": {"uri": "s3://studio/out/"},
                "storage": {"endpoint": "http://127.0.0.1:3900"}
            }
        }))
        .unwrap();
        job.status = status;
        job
    }

    fn at() -> Time {
        Time(jiff::Timestamp::UNIX_EPOCH)
    }

    fn crashed_then_rendered() -> Vec<RenderJob> {
        let status = RenderJobStatus {
            attempt: Some(3),
            frame_records: vec![FrameRecord {
                frame: 2,
                output_key: "out/frame_0002.png".into(),
                thumbnail_key: None,
                bytes: 1,
                render_seconds: 1.0,
                finished_at: at(),
                node: None,
                attempt: 1,
            }],
            failures: [1, 2]
                .map(|attempt| FrameFailure {
                    frame: 3,
                    attempt,
                    node: None,
                    reason: "EngineCrashed".into(),
                    message: "segfault".into(),
                    at: at(),
                })
                .to_vec(),
            ..RenderJobStatus::default()
        };
        vec![job("sh-1", "1-4", Some(status)), job("sh-5", "5-8", None)]
    }

    fn choice(job: &str, attempt: u32) -> LogChoice {
        LogChoice {
            job: job.into(),
            attempt,
        }
    }

    #[test]
    fn a_rendered_frame_shows_the_attempt_that_rendered_it() {
        let logs = choose_logs("sh", &crashed_then_rendered(), Some(2)).unwrap();
        assert_eq!(logs, [choice("sh-1", 1)]);
    }

    #[test]
    fn a_failed_frame_shows_its_last_failed_attempt() {
        let logs = choose_logs("sh", &crashed_then_rendered(), Some(3)).unwrap();
        assert_eq!(logs, [choice("sh-1", 2)]);
    }

    #[test]
    fn a_frame_still_rendering_shows_the_current_attempt() {
        let logs = choose_logs("sh", &crashed_then_rendered(), Some(4)).unwrap();
        assert_eq!(logs, [choice("sh-1", 3)]);
    }

    #[test]
    fn without_a_frame_every_attempt_of_every_started_job_is_shown() {
        let logs = choose_logs("sh", &crashed_then_rendered(), None).unwrap();
        assert_eq!(
            logs,
            [choice("sh-1", 1), choice("sh-1", 2), choice("sh-1", 3)]
        );
    }

    #[test]
    fn frames_without_a_log_say_why() {
        let jobs = crashed_then_rendered();
        let error = choose_logs("sh", &jobs, Some(6)).unwrap_err().to_string();
        assert!(error.contains("not started"), "{error}");
        let error = choose_logs("sh", &jobs, Some(9)).unwrap_err().to_string();
        assert!(error.contains("frame 9 is in no RenderJob"), "{error}");
        assert!(error.contains("1-4,5-8"), "{error}");
        let error = choose_logs("sh", &jobs[1..], None).unwrap_err().to_string();
        assert!(error.contains("no RenderJob that started"), "{error}");
    }
}
