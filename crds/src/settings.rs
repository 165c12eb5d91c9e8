//! The part of a spec that RenderShots and RenderJobs share: what to render, with what, where
//! the results go, and how pods are placed and retried. A RenderJob carries a full copy, so a
//! node-agent needs nothing but its RenderJob.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use crate::engine::EngineSpec;
use crate::output::{OutputSpec, ThumbnailSpec};
use crate::placement::PodPlacement;
use crate::rules;
use crate::scene::SceneSpec;
use crate::storage::StorageSpec;
use crate::validation::Checker;

/// Everything about a render except which frames.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct RenderSettings {
    /// The scene file in object storage and the assets beside it.
    pub scene: SceneSpec,

    /// The engine that renders the frames: `blender` or `command`.
    pub engine: EngineSpec,

    /// Where rendered frames are written and what they are called.
    pub output: OutputSpec,

    /// Thumbnails made of every frame, under the output's `thumbs/` prefix.
    #[serde(default)]
    pub thumbnails: ThumbnailSpec,

    /// The S3-compatible store holding the scene and the output.
    pub storage: StorageSpec,

    /// Pod resources, node selection, priority and metadata.
    #[serde(flatten)]
    pub placement: PodPlacement,

    /// How often a frame is tried and how long to wait between attempts.
    #[serde(default)]
    pub retries: RetryPolicy,

    /// Stop running pods (they upload what they have saved) and start no new ones. Set back
    /// to false to render the frames that are still missing.
    #[serde(default)]
    pub suspend: bool,
}

impl RenderSettings {
    pub(crate) fn check(&self, at: &str, checker: &mut Checker) {
        self.scene.check(&format!("{at}.scene"), checker);
        self.engine.check(&format!("{at}.engine"), checker);
        self.output.check(&format!("{at}.output"), checker);
        self.storage.check(&format!("{at}.storage"), checker);
        self.placement.check(at, checker);
        self.retries.check(&format!("{at}.retries"), checker);
    }
}

/// Attempts per frame and the exponential backoff between them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rules::on_field(
    "self.maxBackoffSeconds >= self.initialBackoffSeconds",
    ".maxBackoffSeconds",
    "must be at least initialBackoffSeconds",
))]
pub struct RetryPolicy {
    /// Attempts at rendering a frame before it is marked failed. A pod evicted or drained
    /// does not count as an attempt.
    #[serde(default = "default_max_attempts")]
    #[schemars(range(min = 1, max = crate::limits::MAX_ATTEMPTS_PER_FRAME))]
    pub max_attempts_per_frame: u32,

    /// Wait before the second attempt, in seconds; each further attempt waits twice as long.
    #[serde(default = "default_initial_backoff")]
    #[schemars(range(min = 1, max = crate::limits::MAX_BACKOFF_SECONDS))]
    pub initial_backoff_seconds: u32,

    /// Longest wait between attempts, in seconds.
    #[serde(default = "default_max_backoff")]
    #[schemars(range(min = 1, max = crate::limits::MAX_BACKOFF_SECONDS))]
    pub max_backoff_seconds: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts_per_frame: default_max_attempts(),
            initial_backoff_seconds: default_initial_backoff(),
            max_backoff_seconds: default_max_backoff(),
        }
    }
}

fn default_max_attempts() -> u32 {
    3
}

fn default_initial_backoff() -> u32 {
    10
}

fn default_max_backoff() -> u32 {
    600
}

impl RetryPolicy {
    /// Seconds to wait before `attempt` (1-based); the first attempt starts at once.
    pub fn backoff_before(&self, attempt: u32) -> u32 {
        let doublings = attempt.saturating_sub(2).min(31);
        match attempt {
            0 | 1 => 0,
            _ => self
                .initial_backoff_seconds
                .saturating_mul(1 << doublings)
                .min(self.max_backoff_seconds),
        }
    }

    fn check(&self, at: &str, checker: &mut Checker) {
        use crate::limits::{MAX_ATTEMPTS_PER_FRAME, MAX_BACKOFF_SECONDS};
        if !(1..=MAX_ATTEMPTS_PER_FRAME).contains(&self.max_attempts_per_frame) {
            checker.error(
                format!("{at}.maxAttemptsPerFrame"),
                format!("must be between 1 and {MAX_ATTEMPTS_PER_FRAME}"),
            );
        }
        for (field, seconds) in [
            ("initialBackoffSeconds", self.initial_backoff_seconds),
            ("maxBackoffSeconds", self.max_backoff_seconds),
        ] {
            if !(1..=MAX_BACKOFF_SECONDS).contains(&seconds) {
                checker.error(
                    format!("{at}.{field}"),
                    format!("must be between 1 and {MAX_BACKOFF_SECONDS} seconds"),
                );
            }
        }
        if self.max_backoff_seconds < self.initial_backoff_seconds {
            checker.error(
                format!("{at}.maxBackoffSeconds"),
                "must be at least initialBackoffSeconds",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let policy = RetryPolicy::default();
        let waits: Vec<u32> = (1..=9)
            .map(|attempt| policy.backoff_before(attempt))
            .collect();
        assert_eq!(waits, [0, 10, 20, 40, 80, 160, 320, 600, 600]);
        assert_eq!(
            policy.backoff_before(100),
            600,
            "no overflow on long retry chains"
        );
    }
}
