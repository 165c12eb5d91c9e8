//! How a run of the agent ends, as an error kind with its own exit code, so the operator,
//! scripts and an artist all tell "scene missing" from "disk full" from "engine crashed on
//! frame 57" without reading logs. The codes are documented in docs/node-agent.md.

use framefarm_crds::FrameSet;
use thiserror::Error;

use crate::cache::CacheError;
use crate::destination::DestinationError;
use crate::engine::EngineError;
use crate::install::InstallError;
use crate::order::OrderError;
use crate::preview::PreviewError;
use crate::report::ReportError;
use crate::scene::SceneError;
use crate::storage::StorageError;

/// Exit codes, one per kind of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitKind {
    Internal = 1,
    InvalidSpec = 10,
    SceneMissing = 11,
    BadCredentials = 12,
    BucketMissing = 13,
    EngineMissing = 14,
    EngineCrashed = 15,
    DiskFull = 16,
    StorageUnreachable = 17,
    UploadFailed = 18,
    StatusFailed = 19,
    NoThumbnails = 20,
    /// 128 + SIGTERM, as a shell reports a process ended by SIGTERM.
    Interrupted = 143,
}

impl ExitKind {
    /// Every kind, so that other components can name an exit code.
    pub const ALL: [ExitKind; 13] = [
        ExitKind::Internal,
        ExitKind::InvalidSpec,
        ExitKind::SceneMissing,
        ExitKind::BadCredentials,
        ExitKind::BucketMissing,
        ExitKind::EngineMissing,
        ExitKind::EngineCrashed,
        ExitKind::DiskFull,
        ExitKind::StorageUnreachable,
        ExitKind::UploadFailed,
        ExitKind::StatusFailed,
        ExitKind::NoThumbnails,
        ExitKind::Interrupted,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    /// The kind a process exit code stands for, if it is one of the agent's.
    pub fn from_code(code: i32) -> Option<ExitKind> {
        Self::ALL
            .into_iter()
            .find(|kind| i32::from(kind.code()) == code)
    }

    /// A PascalCase reason for status and events.
    pub fn reason(self) -> &'static str {
        match self {
            ExitKind::Internal => "InternalError",
            ExitKind::InvalidSpec => "InvalidSpec",
            ExitKind::SceneMissing => "SceneMissing",
            ExitKind::BadCredentials => "BadCredentials",
            ExitKind::BucketMissing => "BucketMissing",
            ExitKind::EngineMissing => "EngineMissing",
            ExitKind::EngineCrashed => "EngineCrashed",
            ExitKind::DiskFull => "DiskFull",
            ExitKind::StorageUnreachable => "StorageUnreachable",
            ExitKind::UploadFailed => "UploadFailed",
            ExitKind::StatusFailed => "StatusFailed",
            ExitKind::NoThumbnails => "NoThumbnails",
            ExitKind::Interrupted => "Interrupted",
        }
    }
}

/// Why the agent did not render every frame it was given.
#[derive(Debug, Error)]
pub enum AgentError {
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Scene(#[from] SceneError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Install(#[from] InstallError),
    #[error(transparent)]
    Preview(#[from] PreviewError),
    #[error("failed to read RenderJob {namespace}/{name}: {source}")]
    GetJob {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to read RenderShot {namespace}/{name}: {source}")]
    GetShot {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to connect to the Kubernetes API: {0}")]
    KubeClient(#[source] kube::Error),
    #[error(
        "failed to find the {what}: set {variable} (the operator sets it in the pod) or pass \
         --{flag}"
    )]
    NotNamed {
        what: &'static str,
        variable: &'static str,
        flag: &'static str,
    },
    #[error(
        "failed to make the preview of RenderShot {shot}: no thumbnail of frames {frames} could \
         be read under {location}; thumbnails are made of PNG, JPEG and OpenEXR frames"
    )]
    NoThumbnails {
        shot: String,
        location: String,
        frames: FrameSet,
    },
    #[error("failed to build the preview: {0}")]
    PreviewTask(#[source] tokio::task::JoinError),
    #[error("failed to prepare the work folder {path}: {source}")]
    WorkFolder {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the engine failed{} with {exit}{}; rendered {rendered} frame(s), which are kept; \
         the engine log is at {log}",
        frame.map(|frame| format!(" on frame {frame}")).unwrap_or_default(),
        detail.as_deref().map(|detail| format!(": {detail}")).unwrap_or_default()
    )]
    EngineCrashed {
        frame: Option<u64>,
        exit: String,
        detail: Option<String>,
        rendered: u64,
        log: String,
    },
    #[error("failed to check which frames are already rendered: {0}")]
    CheckOutputs(#[source] DestinationError),
    #[error("frames {frames} could not be stored ({first}); the frames that were stored are kept")]
    Upload {
        frames: FrameSet,
        #[source]
        first: Box<DestinationError>,
    },
    #[error(
        "stopped on request after rendering {rendered} frame(s); frames {missing} are left for \
         the next attempt"
    )]
    Interrupted { rendered: u64, missing: FrameSet },
}

impl AgentError {
    pub fn kind(&self) -> ExitKind {
        if caused_by_full_disk(self) {
            return ExitKind::DiskFull;
        }
        match self {
            AgentError::Order(_) => ExitKind::InvalidSpec,
            AgentError::Storage(error) => storage_kind(error),
            AgentError::Scene(SceneError::Cache(CacheError::Storage(error))) => {
                match storage_kind(error) {
                    ExitKind::Internal => ExitKind::Internal,
                    kind => kind,
                }
            }
            AgentError::Scene(SceneError::LocalScene { .. }) => ExitKind::SceneMissing,
            AgentError::Scene(_) => ExitKind::Internal,
            AgentError::Engine(EngineError::NotInstalled { .. }) => ExitKind::EngineMissing,
            AgentError::Engine(_) => ExitKind::Internal,
            AgentError::EngineCrashed { .. } => ExitKind::EngineCrashed,
            AgentError::Upload { first, .. } => match first.as_ref() {
                DestinationError::Storage(error) => match storage_kind(error) {
                    ExitKind::Internal => ExitKind::UploadFailed,
                    kind => kind,
                },
                DestinationError::Local { .. } => ExitKind::UploadFailed,
            },
            AgentError::CheckOutputs(DestinationError::Storage(error)) => storage_kind(error),
            AgentError::CheckOutputs(DestinationError::Local { .. }) => ExitKind::Internal,
            AgentError::Report(_)
            | AgentError::GetJob { .. }
            | AgentError::GetShot { .. }
            | AgentError::KubeClient(_) => ExitKind::StatusFailed,
            AgentError::NotNamed { .. } => ExitKind::InvalidSpec,
            AgentError::NoThumbnails { .. }
            | AgentError::Preview(PreviewError::NoThumbnails { .. }) => ExitKind::NoThumbnails,
            AgentError::Preview(PreviewError::Encode { .. })
            | AgentError::PreviewTask(_)
            | AgentError::Install(_)
            | AgentError::WorkFolder { .. } => ExitKind::Internal,
            AgentError::Interrupted { .. } => ExitKind::Interrupted,
        }
    }
}

/// Whether a full disk is anywhere among the causes, wherever the write happened.
fn caused_by_full_disk(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        let full = error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull);
        if full {
            return true;
        }
        cause = error.source();
    }
    false
}

fn storage_kind(error: &StorageError) -> ExitKind {
    match error {
        StorageError::Settings { .. } => ExitKind::InvalidSpec,
        StorageError::NoSuchKey { .. } => ExitKind::SceneMissing,
        StorageError::NoSuchBucket { .. } => ExitKind::BucketMissing,
        StorageError::MissingCredentials { .. }
        | StorageError::BadCredentials { .. }
        | StorageError::AccessDenied { .. } => ExitKind::BadCredentials,
        StorageError::Unreachable { .. } => ExitKind::StorageUnreachable,
        StorageError::Rejected { .. }
        | StorageError::Corrupted { .. }
        | StorageError::LocalFile { .. } => ExitKind::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exit_code_is_distinct() {
        let all = ExitKind::ALL;
        let mut codes: Vec<u8> = all.iter().map(|kind| kind.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn a_full_disk_is_reported_as_such_wherever_it_happens() {
        let error = AgentError::WorkFolder {
            path: "/work".into(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        assert_eq!(error.kind(), ExitKind::DiskFull);
    }
}
