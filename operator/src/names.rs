//! The names, labels, annotations and field managers the operator puts on what it creates.
//! Deterministic: the same shot and chunk always give the same names, so a restarted operator
//! or a repeated reconcile finds its earlier work instead of duplicating it.

use framefarm_crds::RenderSettings;
use framefarm_crds::output::{OutputSpec, Retention};
use sha2::{Digest, Sha256};

/// Field manager of everything the operator applies (RenderJobs, pods, status).
pub const OPERATOR_MANAGER: &str = "framefarm-operator";

/// Shot a RenderJob or pod belongs to.
pub use framefarm_crds::shot::SHOT_LABEL;
/// RenderJob a pod renders.
pub const JOB_LABEL: &str = "framefarm.io/job";
/// Attempt number of a render pod, counting from 1.
pub const ATTEMPT_LABEL: &str = "framefarm.io/attempt";
/// Render hash of a RenderJob (see [`render_hash`]).
pub use framefarm_crds::shot::RENDER_HASH_LABEL;
/// `render` for render pods, `preview` for the preview pod.
pub const COMPONENT_LABEL: &str = "app.kubernetes.io/component";
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "framefarm-operator";
pub const RENDER_COMPONENT: &str = "render";
pub const PREVIEW_COMPONENT: &str = "preview";

/// On a RenderJob: render its frames even where files exist (set after a settings change).
pub const OVERWRITE_ANNOTATION: &str = "framefarm.io/overwrite";

/// On a RenderJob that replaced a failed one: the frames the replaced job rendered. The shot
/// records them in `status.retainedFrames`; this copy bridges a reconcile that reads the
/// RenderJobs before the status that recorded them.
pub const RETAINED_ANNOTATION: &str = "framefarm.io/retained-frames";

/// Finalizer of shots with `retention: Delete`: their files are removed before they go.
pub const CLEANUP_FINALIZER: &str = "framefarm.io/delete-output";

/// Longest shot name prefix in a RenderJob name; keeps job names valid label values
/// (63 characters) with room for the hash and a seven-digit frame number.
const SHOT_PREFIX_LENGTH: usize = 40;

/// Characters of the render hash used in names and labels.
const HASH_LENGTH: usize = 8;

/// Hash of the settings that decide the pixels: scene, engine, output and thumbnails.
/// Placement, retries, suspend and the output's retention do not change what a frame looks
/// like, so they are left out: turning `retention: Delete` on must not render a shot again.
pub fn render_hash(settings: &RenderSettings) -> String {
    let output = OutputSpec {
        retention: Retention::default(),
        ..settings.output.clone()
    };
    let mut hasher = Sha256::new();
    for part in [
        serde_json::to_vec(&settings.scene),
        serde_json::to_vec(&settings.engine),
        serde_json::to_vec(&output),
        serde_json::to_vec(&settings.thumbnails),
    ] {
        // Serializing plain data structs cannot fail; an empty part would still hash.
        hasher.update(part.unwrap_or_default());
        hasher.update([0]);
    }
    let digest = hex::encode(hasher.finalize());
    digest[..HASH_LENGTH].to_owned()
}

/// Name of the RenderJob for the chunk starting at `first_frame`.
pub fn job_name(shot: &str, hash: &str, first_frame: u64) -> String {
    format!("{}-{hash}-{first_frame}", shot_prefix(shot))
}

/// Name of the RenderJob that renders again the failed frames of the RenderJob `replaced`,
/// starting at `first_frame`. It is one retry round later than `replaced` (`-r1`, `-r2`, …),
/// so it never takes the name, and with it the pods, of a job before it; still at most 63
/// characters below round 10000.
pub fn retry_job_name(shot: &str, hash: &str, first_frame: u64, replaced: &str) -> String {
    let round = retry_round(replaced).saturating_add(1);
    format!("{}-r{round}", job_name(shot, hash, first_frame))
}

/// How many retries lie behind a RenderJob: 0 for a job of the plan, N for `…-rN`.
pub fn retry_round(job: &str) -> u32 {
    job.rsplit_once("-r")
        .filter(|(_, round)| !round.is_empty() && round.chars().all(|c| c.is_ascii_digit()))
        .and_then(|(_, round)| round.parse().ok())
        .unwrap_or(0)
}

/// Name of a RenderJob's pod for `attempt`.
pub fn pod_name(job: &str, attempt: u32) -> String {
    format!("{job}-{attempt}")
}

/// Name of the pod that builds a shot's preview. After a retry of failed frames
/// (`retry_token`) the preview is made again by a pod of its own name.
pub fn preview_pod_name(shot: &str, hash: &str, retry_token: Option<&str>) -> String {
    let base = format!("{}-{hash}-preview", shot_prefix(shot));
    match retry_token {
        None => base,
        Some(token) => {
            let digest = hex::encode(Sha256::digest(token.as_bytes()));
            format!("{base}-{}", &digest[..HASH_LENGTH])
        }
    }
}

/// Whether `job` is the name of one of `shot`'s RenderJobs (of any render hash).
pub fn is_job_of_shot(job: &str, shot: &str) -> bool {
    let Some(rest) = job
        .strip_prefix(shot_prefix(shot))
        .and_then(|rest| rest.strip_prefix('-'))
    else {
        return false;
    };
    let Some((hash, first_frame)) = rest.split_once('-') else {
        return false;
    };
    let first_frame = match first_frame.split_once("-r") {
        Some((frame, round)) if !round.is_empty() && round.chars().all(|c| c.is_ascii_digit()) => {
            frame
        }
        _ => first_frame,
    };
    hash.len() == HASH_LENGTH
        && hash.chars().all(|c| c.is_ascii_hexdigit())
        && !first_frame.is_empty()
        && first_frame.chars().all(|c| c.is_ascii_digit())
}

fn shot_prefix(shot: &str) -> &str {
    let mut end = shot.len().min(SHOT_PREFIX_LENGTH);
    while !shot.is_char_boundary(end) {
        end -= 1;
    }
    shot[..end].trim_end_matches(['-', '.'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_are_valid_label_values_even_for_long_shot_names() {
        let shot = "sh010-lighting-v003-with-a-very-long-name-that-goes-on.and-on";
        let name = job_name(shot, "0123abcd", 9_999_999);
        assert!(name.len() <= 63, "{name}");
        assert_eq!(
            name,
            "sh010-lighting-v003-with-a-very-long-nam-0123abcd-9999999"
        );
        assert_eq!(job_name("sh-", "0123abcd", 1), "sh-0123abcd-1");
    }

    #[test]
    fn job_names_are_told_apart_from_those_of_shots_with_longer_names() {
        let job = job_name("sh010", "0123abcd", 41);
        assert!(is_job_of_shot(&job, "sh010"));
        assert!(!is_job_of_shot(&job, "sh01"));
        assert!(!is_job_of_shot(
            &job_name("sh010-v2", "0123abcd", 41),
            "sh010"
        ));
        assert!(!is_job_of_shot("sh010-0123abcd-preview", "sh010"));
        let retried_preview = preview_pod_name("sh010", "0123abcd", Some("t1"));
        assert!(!is_job_of_shot(&retried_preview, "sh010"));
        assert_ne!(
            retried_preview,
            preview_pod_name("sh010", "0123abcd", Some("t2"))
        );
        let retry = retry_job_name("sh010", "0123abcd", 43, &job);
        assert!(is_job_of_shot(&retry, "sh010"));
        assert!(!is_job_of_shot(&retry, "sh01"));
        assert!(!is_job_of_shot("sh010-0123abcd-43-r", "sh010"));
    }

    #[test]
    fn each_retry_of_a_chunk_gets_a_name_no_job_before_it_had() {
        let job = job_name("sh010", "0123abcd", 41);
        assert_eq!(retry_round(&job), 0);
        let first = retry_job_name("sh010", "0123abcd", 41, &job);
        assert_eq!(first, "sh010-0123abcd-41-r1");
        let second = retry_job_name("sh010", "0123abcd", 41, &first);
        assert_eq!(second, "sh010-0123abcd-41-r2");
        assert_eq!(retry_round(&second), 2);
        // Shot names may hold "-r": only a suffix after the frame number counts.
        assert_eq!(retry_round(&job_name("sh-r2", "0123abcd", 7)), 0);
        let long = "sh010-lighting-v003-with-a-very-long-name-that-goes-on.and-on";
        let longest = retry_job_name(long, "0123abcd", 9_999_999, "x-r9998");
        assert_eq!(longest.len(), 63, "{longest}");
    }

    #[test]
    fn the_render_hash_ignores_placement_and_retention_and_follows_the_scene() {
        let mut settings = RenderSettings::default();
        let before = render_hash(&settings);
        settings.suspend = true;
        settings.placement.priority_class_name = Some("render-high".into());
        settings.output.retention = Retention::Delete;
        assert_eq!(render_hash(&settings), before);
        settings.scene.uri = "s3://studio/sh010_v004.blend".into();
        assert_ne!(render_hash(&settings), before);
        assert_eq!(before.len(), 8);
    }
}
