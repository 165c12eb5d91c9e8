//! Bounds that keep every field of the API from making the operator or the agent allocate
//! without limit. The CRD schema, its CEL rules and the Rust validators all use these numbers.

/// Largest frame number a frame set may name (seven digits; Blender stops at 1,048,574).
pub const MAX_FRAME_NUMBER: u64 = 9_999_999;

/// Most frames one RenderShot may render.
pub const MAX_FRAMES_PER_SHOT: u64 = 1_000_000;

/// Most frames one RenderJob may render; also the largest `chunkSize`.
pub const MAX_FRAMES_PER_JOB: u64 = 1_000;

/// Most RenderJobs one RenderShot may be split into (frames / chunkSize, rounded up).
pub const MAX_JOBS_PER_SHOT: u64 = 10_000;

/// Longest frame set string in a spec. Long enough for a 1,000-frame chunk with arbitrary holes.
pub const MAX_FRAME_SET_LENGTH: usize = 8_192;

/// Most RenderJobs of one shot rendering at once.
pub const MAX_PARALLELISM: u64 = MAX_JOBS_PER_SHOT;

/// Longest `s3://` URI (bucket names go to 63 characters, S3 keys to 1,024 bytes).
pub const MAX_URI_LENGTH: usize = 1_100;

/// Most extra asset paths fetched beside a scene.
pub const MAX_ASSETS: usize = 64;

/// Most extra arguments passed to Blender.
pub const MAX_EXTRA_ARGS: usize = 32;

/// Most arguments in a command engine's template.
pub const MAX_COMMAND_ARGS: usize = 64;

/// Most typed parameters a command engine may declare.
pub const MAX_PARAMETERS: usize = 32;

/// Longest single argument or parameter value.
pub const MAX_ARG_LENGTH: usize = 512;

/// Most attempts at rendering one frame before it is marked failed.
pub const MAX_ATTEMPTS_PER_FRAME: u32 = 10;

/// Longest wait between two attempts, in seconds (one day).
pub const MAX_BACKOFF_SECONDS: u32 = 86_400;

/// Most per-frame records kept on a RenderJob's status (one per frame of a full chunk).
pub const MAX_FRAME_RECORDS: usize = MAX_FRAMES_PER_JOB as usize;

/// Most failure records kept on a RenderJob's status.
pub const MAX_FAILURE_RECORDS: usize = 100;

/// Most labels, annotations or node-selector entries on a spec.
pub const MAX_POD_METADATA_ENTRIES: usize = 64;

/// Most tolerations on a spec.
pub const MAX_TOLERATIONS: usize = 32;

/// Longest frame set string the operator writes to status; longer sets are summarised.
pub const MAX_STATUS_FRAME_SET_LENGTH: usize = 2_048;
