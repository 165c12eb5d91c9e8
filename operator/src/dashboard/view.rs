//! What the dashboard shows of a shot, computed from its status alone: phase, progress,
//! counts, ETA, the message of a stalled shot, and which frames one page of the thumbnail
//! grid holds. Pure: no I/O, no HTML, no URLs.

use framefarm_crds::conditions::find_condition;
use framefarm_crds::shot::ShotPhase;
use framefarm_crds::{FrameSet, RenderShot};
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use serde::Serialize;

/// Thumbnails on one page of a shot's frame grid.
pub const THUMBNAILS_PER_PAGE: u64 = 48;

/// One shot as the overview lists it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShotRow {
    pub namespace: String,
    pub name: String,
    /// `Pending` until the operator has written a phase.
    pub phase: String,
    pub rendered: u64,
    pub failed: u64,
    pub total: u64,
    /// Rendered frames in percent of the total, 0 to 100.
    pub percent: f64,
    /// When the remaining frames should be done, as "in 3 min".
    pub eta: Option<String>,
    /// Why the shot cannot go on (a Stalled condition's message), or why it waits.
    pub message: Option<String>,
    /// The most recently rendered frame and the object key of its thumbnail.
    pub last_frame: Option<u64>,
    pub last_thumbnail_key: Option<String>,
    /// The object key of the last rendered frame itself.
    pub last_frame_key: Option<String>,
}

/// Rendered frames in percent of `total`: 0 for an empty shot, never above 100.
pub fn percent(rendered: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    (rendered.min(total) as f64 * 100.0) / total as f64
}

/// A duration in words an artist reads at a glance: "45 s", "3 min", "2 h 5 min", "3 d 4 h".
pub fn duration_words(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    if seconds < 60 {
        format!("{seconds} s")
    } else if seconds < 3600 {
        format!("{} min", seconds / 60)
    } else if days == 0 {
        format!("{hours} h {minutes} min")
    } else {
        format!("{days} d {hours} h")
    }
}

/// The shot's ETA relative to `now`, while it renders.
pub fn eta(shot: &RenderShot, now: Timestamp) -> Option<String> {
    let status = shot.status.as_ref()?;
    if status.phase != Some(ShotPhase::Rendering) {
        return None;
    }
    let expected = status.estimated_completion_time.as_ref()?.0;
    let left = expected.as_second() - now.as_second();
    Some(if left <= 0 {
        "any moment".to_owned()
    } else {
        format!("in {}", duration_words(left))
    })
}

/// The overview row of `shot` at `now`.
pub fn shot_row(shot: &RenderShot, now: Timestamp) -> ShotRow {
    let status = shot.status.clone().unwrap_or_default();
    let total = if status.frames.total > 0 {
        status.frames.total
    } else {
        FrameSet::parse(&shot.spec.frames).map_or(0, |frames| frames.len())
    };
    let phase = status.phase.map_or("Pending", phase_name).to_owned();
    let message = find_condition(&status.conditions, "Stalled")
        .filter(|stalled| stalled.status == "True")
        .or_else(|| {
            find_condition(&status.conditions, "Reconciling")
                .filter(|reconciling| reconciling.reason == "Unschedulable")
        })
        .map(|condition| condition.message.clone())
        .filter(|message| !message.is_empty());
    let last = status.last_frame.as_ref();
    ShotRow {
        namespace: shot.namespace().unwrap_or_default(),
        name: shot.name_any(),
        phase,
        rendered: status.frames.rendered,
        failed: status.frames.failed,
        total,
        percent: percent(status.frames.rendered, total),
        eta: eta(shot, now),
        message,
        last_frame: last.map(|last| last.frame),
        last_thumbnail_key: last.and_then(|last| last.thumbnail_key.clone()),
        last_frame_key: last.map(|last| last.key.clone()),
    }
}

fn phase_name(phase: ShotPhase) -> &'static str {
    match phase {
        ShotPhase::Pending => "Pending",
        ShotPhase::Rendering => "Rendering",
        ShotPhase::Succeeded => "Succeeded",
        ShotPhase::Failed => "Failed",
        ShotPhase::Suspended => "Suspended",
    }
}

/// Shots in the order the overview lists them: by namespace, then name.
pub fn sorted_rows(shots: &[impl AsRef<RenderShot>], now: Timestamp) -> Vec<ShotRow> {
    let mut rows: Vec<ShotRow> = shots
        .iter()
        .map(|shot| shot_row(shot.as_ref(), now))
        .collect();
    rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    rows
}

/// One page of a shot's frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FramePage {
    /// Page number, from 1.
    pub number: u64,
    /// Pages in all, at least 1.
    pub count: u64,
    pub frames: Vec<u64>,
}

/// Page `number` (from 1; out-of-range numbers are clamped) of `frames`, `per_page` at a time.
/// Walks the set's runs, so a page deep into a 1,000,000-frame shot costs no more than the
/// first.
pub fn frame_page(frames: &FrameSet, number: u64, per_page: u64) -> FramePage {
    let per_page = per_page.max(1);
    let count = frames.len().div_ceil(per_page).max(1);
    let number = number.clamp(1, count);
    let mut skip = (number - 1) * per_page;
    let mut page = Vec::new();
    for run in frames.runs() {
        if skip >= run.len() {
            skip -= run.len();
            continue;
        }
        let take = (run.len() - skip).min(per_page - page.len() as u64);
        page.extend((skip..skip + take).map(|index| run.first() + index * run.step()));
        skip = 0;
        if page.len() as u64 == per_page {
            break;
        }
    }
    FramePage {
        number,
        count,
        frames: page,
    }
}

/// Where a frame of the grid stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameState {
    Rendered,
    Failed,
    Pending,
}

/// The state of `frame`: a frame with a thumbnail is rendered even where the status' frame
/// set was cut short; otherwise the status decides.
pub fn frame_state(
    frame: u64,
    has_thumbnail: bool,
    rendered: &FrameSet,
    failed: &FrameSet,
) -> FrameState {
    if has_thumbnail || rendered.contains(frame) {
        FrameState::Rendered
    } else if failed.contains(frame) {
        FrameState::Failed
    } else {
        FrameState::Pending
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn shot(status: serde_json::Value) -> RenderShot {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
            "metadata": {"name": "sh010", "namespace": "studio"},
            "spec": {
                "frames": "1-240",
                "scene": {"uri": "s3://studio/a.blend"},
                "engine": {"blender": {}},
                "output": {"uri": "s3://studio/out/"},
                "storage": {"endpoint": "http://127.0.0.1:3900"}
            },
            "status": status
        }))
        .unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn progress_is_a_percentage_of_the_total_and_never_above_100() {
        assert_eq!(percent(0, 240), 0.0);
        assert_eq!(percent(60, 240), 25.0);
        assert_eq!(percent(240, 240), 100.0);
        assert_eq!(percent(300, 240), 100.0);
        assert_eq!(percent(0, 0), 0.0);
    }

    #[test]
    fn durations_read_in_the_largest_useful_units() {
        assert_eq!(duration_words(-5), "0 s");
        assert_eq!(duration_words(45), "45 s");
        assert_eq!(duration_words(200), "3 min");
        assert_eq!(duration_words(2 * 3600 + 5 * 60 + 7), "2 h 5 min");
        assert_eq!(duration_words(3 * 86_400 + 4 * 3600), "3 d 4 h");
    }

    #[test]
    fn a_rendering_shot_shows_its_counts_eta_and_last_frame() {
        let shot = shot(serde_json::json!({
            "phase": "Rendering",
            "frames": {"total": 240, "rendered": 60, "failed": 2, "running": 4},
            "estimatedCompletionTime": "2025-01-01T10:03:20Z",
            "lastFrame": {"frame": 60, "key": "out/frame_0060.png",
                          "thumbnailKey": "out/thumbs/frame_0060.jpg"}
        }));
        let row = shot_row(&shot, at("2025-01-01T10:00:00Z"));
        assert_eq!(row.phase, "Rendering");
        assert_eq!((row.rendered, row.failed, row.total), (60, 2, 240));
        assert_eq!(row.percent, 25.0);
        assert_eq!(row.eta.as_deref(), Some("in 3 min"));
        assert_eq!(row.last_frame, Some(60));
        assert_eq!(
            row.last_thumbnail_key.as_deref(),
            Some("out/thumbs/frame_0060.jpg")
        );
        let late = shot_row(&shot, at("2025-01-01T11:00:00Z"));
        assert_eq!(late.eta.as_deref(), Some("any moment"));
    }

    #[test]
    fn a_new_shot_is_pending_with_the_total_of_its_spec_and_no_eta() {
        let row = shot_row(&shot(serde_json::json!({})), at("2025-01-01T10:00:00Z"));
        assert_eq!(row.phase, "Pending");
        assert_eq!((row.rendered, row.total), (0, 240));
        assert_eq!(row.eta, None);
        assert_eq!(row.last_frame, None);
    }

    #[test]
    fn a_stalled_shot_carries_the_message_that_says_why() {
        let stalled = shot(serde_json::json!({
            "phase": "Pending",
            "conditions": [{
                "type": "Stalled", "status": "True", "reason": "SecretMissing",
                "message": "the Secret studio-storage does not exist",
                "lastTransitionTime": "2025-01-01T10:00:00Z"
            }]
        }));
        let row = shot_row(&stalled, at("2025-01-01T10:00:00Z"));
        assert_eq!(
            row.message.as_deref(),
            Some("the Secret studio-storage does not exist")
        );
        let finished = shot(serde_json::json!({
            "phase": "Succeeded",
            "estimatedCompletionTime": "2025-01-01T10:03:20Z",
            "conditions": [{
                "type": "Stalled", "status": "False", "reason": "Rendered", "message": "done",
                "lastTransitionTime": "2025-01-01T10:00:00Z"
            }]
        }));
        let row = shot_row(&finished, at("2025-01-01T10:00:00Z"));
        assert_eq!((row.message, row.eta), (None, None));
    }

    #[test]
    fn pages_cut_the_frames_in_order_and_clamp_the_page_number() {
        let frames = FrameSet::parse("1-5,10-20x2,100").unwrap();
        let first = frame_page(&frames, 1, 4);
        assert_eq!((first.number, first.count), (1, 3));
        assert_eq!(first.frames, [1, 2, 3, 4]);
        assert_eq!(frame_page(&frames, 2, 4).frames, [5, 10, 12, 14]);
        assert_eq!(frame_page(&frames, 3, 4).frames, [16, 18, 20, 100]);
        assert_eq!(frame_page(&frames, 99, 4).number, 3);
        assert_eq!(frame_page(&frames, 0, 4).number, 1);
        let empty = frame_page(&FrameSet::new(), 1, 4);
        assert_eq!((empty.count, empty.frames.len()), (1, 0));
    }

    #[test]
    fn a_page_of_a_huge_shot_holds_only_its_own_frames() {
        let frames = FrameSet::parse("1-1000000").unwrap();
        let page = frame_page(&frames, 20_000, THUMBNAILS_PER_PAGE);
        assert_eq!(page.count, 20_834);
        assert_eq!(page.frames.len(), 48);
        assert_eq!(page.frames.first(), Some(&(19_999 * 48 + 1)));
        let last = frame_page(&frames, u64::MAX, THUMBNAILS_PER_PAGE);
        assert_eq!(last.frames, (999_985..=1_000_000).collect::<Vec<_>>());
    }

    #[test]
    fn a_frame_with_a_thumbnail_counts_as_rendered() {
        let rendered = FrameSet::parse("1-10").unwrap();
        let failed = FrameSet::parse("11").unwrap();
        assert_eq!(
            frame_state(5, false, &rendered, &failed),
            FrameState::Rendered
        );
        assert_eq!(
            frame_state(11, false, &rendered, &failed),
            FrameState::Failed
        );
        assert_eq!(
            frame_state(12, true, &rendered, &failed),
            FrameState::Rendered
        );
        assert_eq!(
            frame_state(12, false, &rendered, &failed),
            FrameState::Pending
        );
    }
}
