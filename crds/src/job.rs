//! RenderJob: one chunk of a shot, rendered by one pod at a time. Self-contained, so that a
//! node-agent needs nothing but the RenderJob (and the credentials it is given) to work.
//!
//! Status has two writers with separate field managers: the operator owns the phase, attempt,
//! pod and conditions; the node-agent owns the frame sets and per-frame records.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::frameset::FrameSet;
use crate::limits::MAX_FRAMES_PER_JOB;
use crate::settings::RenderSettings;
use crate::validation::{Checker, FieldErrors};

/// One chunk of frames of a shot, rendered by one engine process per attempt.
#[derive(CustomResource, KubeSchema, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(
    clippy::duplicated_attributes,
    reason = "every printcolumn(...) entry repeats the same keys"
)]
#[kube(
    group = "framefarm.io",
    version = "v1alpha1",
    kind = "RenderJob",
    namespaced,
    shortname = "rjob",
    category = "framefarm",
    status = "RenderJobStatus",
    doc = "One chunk of frames, rendered by one pod at a time running the node-agent. Usually \
           created by the operator from a RenderShot; a RenderJob can also be applied on its \
           own.",
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Frames", type_ = "string", json_path = ".spec.frames"),
    printcolumn(
        name = "Progress",
        type_ = "string",
        json_path = ".status.progress",
        description = "Rendered frames out of the total"
    ),
    printcolumn(name = "Attempt", type_ = "integer", json_path = ".status.attempt"),
    printcolumn(name = "Node", type_ = "string", json_path = ".status.nodeName"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct RenderJobSpec {
    /// Frames of this job, in frame set form, e.g. `1-10` or `1-19x2`: at most 1000.
    /// Cannot change once created.
    #[schemars(length(min = 1, max = crate::limits::MAX_FRAME_SET_LENGTH))]
    #[x_kube(
        validation = crate::frame_rules::syntax(),
        validation = crate::frame_rules::step(),
        validation = crate::frame_rules::range_order(),
        validation = crate::frame_rules::range_size(
            crate::limits::MAX_FRAMES_PER_JOB,
            "split it, or use a RenderShot with a chunkSize",
        ),
        validation = crate::frame_rules::immutable(),
    )]
    pub frames: String,

    #[serde(flatten)]
    pub render: RenderSettings,
}

impl RenderJobSpec {
    /// Checks what the CRD schema cannot: the frame set's meaning and size, placeholder
    /// names, argument sequences, and every string field's parse.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut checker = Checker::default();
        match FrameSet::parse(&self.frames) {
            Ok(frames) if frames.len() > MAX_FRAMES_PER_JOB => checker.error(
                "spec.frames",
                format!(
                    "lists {} frames; a RenderJob renders at most {MAX_FRAMES_PER_JOB}, so split \
                     it or use a RenderShot with a chunkSize",
                    frames.len()
                ),
            ),
            Ok(_) => {}
            Err(error) => checker.error("spec.frames", error),
        }
        self.render.check("spec", &mut checker);
        checker.finish()
    }
}

/// What happened to a RenderJob, attempt by attempt and frame by frame.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct RenderJobStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Pending, Running, Succeeded, Failed or Suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<JobPhase>,

    /// Rendered frames out of the total, e.g. `4/10`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,

    /// The current attempt, counting from 1. Each attempt renders only the frames still
    /// missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,

    /// The pod of the current attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,

    /// The node the current attempt runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,

    /// When the next attempt may start, while backing off after a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_time: Option<Time>,

    /// Frames rendered and uploaded, in frame set form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::MAX_FRAME_SET_LENGTH))]
    pub rendered_frames: Option<String>,

    /// Frames that failed every attempt, in frame set form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::MAX_FRAME_SET_LENGTH))]
    pub failed_frames: Option<String>,

    /// One record per rendered frame.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = crate::limits::MAX_FRAME_RECORDS))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["frame".into()]))]
    pub frame_records: Vec<FrameRecord>,

    /// The most recent failed frame attempts, newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = crate::limits::MAX_FAILURE_RECORDS))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["frame".into(), "attempt".into()]))]
    pub failures: Vec<FrameFailure>,

    /// When the first attempt started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,

    /// When the job finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_time: Option<Time>,

    /// Ready, Reconciling and Stalled, as kstatus, Flux and Argo CD read them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
}

/// Where a RenderJob is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JobPhase {
    // Waiting for a slot, for its backoff, or for its pod to be scheduled.
    Pending,
    // A pod is rendering.
    Running,
    // Every frame is rendered.
    Succeeded,
    // Frames failed every attempt; the others are rendered.
    Failed,
    // The shot or job is suspended: no pod runs.
    Suspended,
}

/// A rendered frame, as a render farm dashboard shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FrameRecord {
    pub frame: u64,
    /// Object key of the frame in the output bucket.
    pub output_key: String,
    /// Object key of its thumbnail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_key: Option<String>,
    /// Size of the frame file.
    pub bytes: u64,
    /// Engine time spent on the frame.
    pub render_seconds: f64,
    /// When the frame was uploaded.
    pub finished_at: Time,
    /// Node that rendered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Attempt that rendered it.
    pub attempt: u32,
}

/// One failed attempt at a frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FrameFailure {
    pub frame: u64,
    pub attempt: u32,
    /// Node the attempt ran on; later attempts avoid it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// PascalCase reason, e.g. `EngineCrashed`.
    pub reason: String,
    /// What happened, e.g. the engine's last error line.
    pub message: String,
    pub at: Time,
}
