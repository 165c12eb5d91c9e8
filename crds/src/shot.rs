//! RenderShot: what a user applies. A frame set of one scene, split by the operator into
//! RenderJobs of `chunkSize` frames, at most `parallelism` of them rendering at once.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::frameset::FrameSet;
use crate::limits::{MAX_FRAMES_PER_JOB, MAX_JOBS_PER_SHOT};
use crate::settings::RenderSettings;
use crate::validation::{Checker, FieldErrors};

/// Label on every RenderJob and pod of a shot: the shot's name, so
/// `kubectl get renderjobs -l framefarm.io/shot=sh010` lists its chunks.
pub const SHOT_LABEL: &str = "framefarm.io/shot";

/// Label on every RenderJob of a shot: the render hash it renders with (see
/// `status.renderHash`); jobs of another hash belong to earlier settings.
pub const RENDER_HASH_LABEL: &str = "framefarm.io/render-hash";

/// Annotation asking the operator to render a shot's failed frames again. Any new value (a
/// token, e.g. a timestamp) is acted on once: the RenderJobs holding failed frames are
/// replaced by RenderJobs of only those frames, and the value is recorded in
/// `status.retryToken`.
pub const RETRY_FAILED_ANNOTATION: &str = "framefarm.io/retry-failed";

/// A shot to render: a scene, a frame set, an engine and an output location.
#[derive(CustomResource, KubeSchema, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(
    clippy::duplicated_attributes,
    reason = "every printcolumn(...) entry repeats the same keys"
)]
#[kube(
    group = "framefarm.io",
    version = "v1alpha1",
    kind = "RenderShot",
    namespaced,
    shortname = "rshot",
    category = "framefarm",
    status = "RenderShotStatus",
    doc = "A shot to render: a scene in object storage, a frame set, an engine and an output \
           location. The operator splits it into RenderJobs of chunkSize frames.",
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(
        name = "Progress",
        type_ = "string",
        json_path = ".status.progress",
        description = "Rendered frames out of the total"
    ),
    printcolumn(name = "Frames", type_ = "string", json_path = ".spec.frames"),
    printcolumn(
        name = "ETA",
        type_ = "date",
        json_path = ".status.estimatedCompletionTime",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = crate::frame_rules::job_count())]
pub struct RenderShotSpec {
    /// Frames to render: frame numbers, ranges and stepped ranges separated by commas, e.g.
    /// `1-240`, `1-240x2` (every other frame) or `1,5,10-20`. Frames go up to 9999999 and a
    /// shot renders at most 1000000 of them. Extending the set renders only the new frames;
    /// frames already in the output are never rendered again.
    #[schemars(length(min = 1, max = crate::limits::MAX_FRAME_SET_LENGTH))]
    #[x_kube(
        validation = crate::frame_rules::syntax(),
        validation = crate::frame_rules::step(),
        validation = crate::frame_rules::range_order(),
        validation = crate::frame_rules::range_size(
            crate::limits::MAX_FRAMES_PER_SHOT,
            "split the work into several shots",
        ),
    )]
    pub frames: String,

    /// Frames per RenderJob (one engine process renders a whole chunk, so scene loading is
    /// paid once per chunk). At most 1000; a shot is split into at most 10000 RenderJobs.
    #[serde(default = "default_chunk_size")]
    #[schemars(range(min = 1, max = crate::limits::MAX_FRAMES_PER_JOB))]
    pub chunk_size: u32,

    /// Most RenderJobs rendering at once; the others wait.
    #[serde(default = "default_parallelism")]
    #[schemars(range(min = 1, max = crate::limits::MAX_PARALLELISM))]
    pub parallelism: u32,

    #[serde(flatten)]
    pub render: RenderSettings,
}

fn default_chunk_size() -> u32 {
    10
}

fn default_parallelism() -> u32 {
    10
}

impl RenderShotSpec {
    /// Checks what the CRD schema cannot: the frame set's meaning and size, placeholder
    /// names, argument sequences, and every string field's parse.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut checker = Checker::default();
        match FrameSet::parse(&self.frames) {
            Ok(frames) => {
                let chunk_size = u64::from(self.chunk_size.max(1));
                let jobs = frames.len().div_ceil(chunk_size);
                if jobs > MAX_JOBS_PER_SHOT {
                    checker.error(
                        "spec.chunkSize",
                        format!(
                            "{} frames in chunks of {} make {jobs} RenderJobs; at most \
                             {MAX_JOBS_PER_SHOT} are allowed, so raise chunkSize to at least {}",
                            frames.len(),
                            self.chunk_size,
                            frames.len().div_ceil(MAX_JOBS_PER_SHOT)
                        ),
                    );
                }
            }
            Err(error) => checker.error("spec.frames", error),
        }
        if !(1..=MAX_FRAMES_PER_JOB).contains(&u64::from(self.chunk_size)) {
            checker.error(
                "spec.chunkSize",
                format!("must be between 1 and {MAX_FRAMES_PER_JOB} frames per RenderJob"),
            );
        }
        if !(1..=MAX_JOBS_PER_SHOT).contains(&u64::from(self.parallelism)) {
            checker.error(
                "spec.parallelism",
                format!("must be between 1 and {MAX_JOBS_PER_SHOT} RenderJobs at once"),
            );
        }
        self.render.check("spec", &mut checker);
        checker.finish()
    }
}

/// What the operator observed and did for a shot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct RenderShotStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Pending, Rendering, Succeeded, Failed or Suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<ShotPhase>,

    /// Rendered frames out of the total, e.g. `120/240`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,

    /// Frame counters.
    #[serde(default)]
    pub frames: FrameCounts,

    /// Frames rendered and uploaded, in frame set form, e.g. `1-120,200`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::MAX_STATUS_FRAME_SET_LENGTH))]
    pub rendered_frames: Option<String>,

    /// Frames that failed every attempt, in frame set form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::MAX_STATUS_FRAME_SET_LENGTH))]
    pub failed_frames: Option<String>,

    /// RenderJob counters.
    #[serde(default)]
    pub jobs: JobCounts,

    /// Engine time spent on rendered frames, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_seconds: Option<f64>,

    /// Average engine time per rendered frame, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_frame_seconds: Option<f64>,

    /// When the remaining frames are expected to be done at the current pace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_completion_time: Option<Time>,

    /// The most recently rendered frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_frame: Option<LastFrame>,

    /// Hash of the settings that decide the pixels (scene, engine, output, thumbnails) the
    /// current RenderJobs render with. When it changes, every frame is rendered again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub render_hash: Option<String>,

    /// True when the current render replaces frames rendered with earlier settings: its
    /// RenderJobs render every frame even where a file exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overwrite_existing: Option<bool>,

    /// Frames whose files were already in the output when they were planned, so no
    /// RenderJob renders them, in frame set form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::MAX_STATUS_FRAME_SET_LENGTH))]
    pub found_frames: Option<String>,

    /// The `metadata.generation` whose frames were looked up in the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_generation: Option<i64>,

    /// Frames rendered by RenderJobs that were replaced to render their failed frames again
    /// (see the `framefarm.io/retry-failed` annotation), in frame set form. They count as
    /// rendered and are not planned again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::MAX_STATUS_FRAME_SET_LENGTH))]
    pub retained_frames: Option<String>,

    /// The last value of the `framefarm.io/retry-failed` annotation the operator acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub retry_token: Option<String>,

    /// Contact sheet and animated preview, made when every frame is rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<Preview>,

    /// When the first RenderJob started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,

    /// When the shot finished rendering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_time: Option<Time>,

    /// Ready, Reconciling and Stalled, as kstatus, Flux and Argo CD read them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
}

/// Where a shot is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ShotPhase {
    // Accepted, no frame rendering yet.
    Pending,
    // Frames are being rendered.
    Rendering,
    // Every frame is rendered.
    Succeeded,
    // Rendering ended with frames that failed every attempt.
    Failed,
    // `spec.suspend` is set: no pods run.
    Suspended,
}

/// How many frames are in each state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FrameCounts {
    pub total: u64,
    pub rendered: u64,
    pub failed: u64,
    pub running: u64,
}

/// How many RenderJobs are in each state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobCounts {
    pub total: u64,
    /// Waiting for a slot under `parallelism`, or for their retry backoff.
    pub waiting: u64,
    /// With a pod pending or running.
    pub active: u64,
    pub succeeded: u64,
    pub failed: u64,
}

/// The most recently rendered frame and its thumbnail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastFrame {
    pub frame: u64,
    /// Object key of the frame in the output bucket.
    pub key: String,
    /// Object key of its thumbnail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Time>,
}

/// Object keys of the shot's previews in the output bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// A grid of every frame's thumbnail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_sheet_key: Option<String>,
    /// The thumbnails as an animation (GIF or APNG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animation_key: Option<String>,
}
