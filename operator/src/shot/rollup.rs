//! Rolls a shot's RenderJobs up into its status: counters, compact frame sets, timing, the last
//! frame, the preview and the Ready / Reconciling / Stalled conditions. Pure: the update-status
//! step decides with [`needs_write`] whether and when the result is written.

mod urgency;

use framefarm_crds::conditions::{self, ConditionUpdate, READY, RECONCILING, STALLED};
use framefarm_crds::job::{FrameFailure, FrameRecord, JobPhase};
use framefarm_crds::limits::MAX_STATUS_FRAME_SET_LENGTH;
use framefarm_crds::shot::{JobCounts, LastFrame, Preview, ShotPhase};
use framefarm_crds::{FrameSet, RenderJob, RenderShot, RenderShotStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

pub use urgency::{WriteUrgency, needs_write};

use super::validate::{Invalid, ValidatedShot};

/// Reason while frames are planned and rendered.
pub const RENDERING: &str = "Rendering";
/// Reason while RenderJobs wait for a node the scheduler cannot find.
pub const UNSCHEDULABLE: &str = "Unschedulable";
/// Reason while `spec.suspend` holds the shot.
pub const SUSPENDED: &str = "Suspended";
/// Reason while the contact sheet and animation are made.
pub const MAKING_PREVIEW: &str = "MakingPreview";
/// Reason when rendering ended with frames that failed every attempt.
pub const FRAMES_FAILED: &str = "FramesFailed";
/// Reason when every frame is rendered.
pub const RENDERED: &str = "Rendered";

/// Longest failed-frame list and failure message quoted in a condition message.
const MAX_QUOTED_LENGTH: usize = 512;

/// Where the shot's preview stands, as the controller found its pod and objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreviewState {
    NotStarted,
    Running,
    Made {
        contact_sheet_key: String,
        animation_key: String,
    },
    /// The preview could not be made; the text says why. The frames are still rendered.
    Failed(String),
}

/// Everything the roll-up reads.
#[derive(Clone, Copy, Debug)]
pub struct RollupInput<'a> {
    /// The shot, with the status last written.
    pub shot: &'a RenderShot,
    pub validated: Result<&'a ValidatedShot, &'a Invalid>,
    /// RenderJobs of the current render hash, after the plan was applied.
    pub jobs: &'a [&'a RenderJob],
    /// Frames found in the output; ignored when `overwrite`.
    pub found: &'a FrameSet,
    /// The generation `found` was looked up for, when it was looked up in this reconcile;
    /// `None` keeps the recorded one.
    pub found_generation: Option<i64>,
    /// Frames rendered by RenderJobs a retry replaced; they count as rendered.
    pub retained: &'a FrameSet,
    /// The `framefarm.io/retry-failed` value acted on, if any; `None` keeps the recorded one.
    pub retry_token: Option<&'a str>,
    /// Chunks the plan has not created yet.
    pub remaining_chunks: u64,
    /// Whether this render overwrites files of earlier settings.
    pub overwrite: bool,
    pub preview: &'a PreviewState,
    pub now: jiff::Timestamp,
}

/// Whether every frame is rendered or failed and no RenderJob is still rendering.
pub fn all_frames_done(status: &RenderShotStatus) -> bool {
    let frames = &status.frames;
    frames.total > 0 && frames.rendered + frames.failed >= frames.total && status.jobs.active == 0
}

/// The status the shot should have now. Fields the jobs cannot tell (start and completion
/// times, the found-frames generation) carry over from the shot's current status.
pub fn roll_up(input: &RollupInput<'_>) -> RenderShotStatus {
    let previous = input.shot.status.clone().unwrap_or_default();
    let (mut next, failed) = match input.validated {
        // Without a valid spec nothing new is known about the frames: keep what was counted.
        Err(_) => {
            let kept = RenderShotStatus {
                phase: Some(previous.phase.unwrap_or(ShotPhase::Pending)),
                ..previous.clone()
            };
            (kept, FrameSet::new())
        }
        Ok(shot) => progress(input, shot, &previous),
    };
    next.observed_generation = input.shot.metadata.generation;
    next.found_generation = input.found_generation.or(previous.found_generation);
    next.retry_token = input
        .retry_token
        .map(str::to_owned)
        .or(previous.retry_token);
    next.conditions = conditions_for(input, &next, &failed, previous.conditions);
    next
}

/// Counters, frame sets and timing from the current RenderJobs, and the failed frames in full.
fn progress(
    input: &RollupInput<'_>,
    shot: &ValidatedShot,
    previous: &RenderShotStatus,
) -> (RenderShotStatus, FrameSet) {
    let same_render = previous.render_hash.as_deref() == Some(shot.render_hash.as_str());
    let found = if input.overwrite {
        FrameSet::new()
    } else {
        input.found.intersection(&shot.frames)
    };
    let retained = input.retained.intersection(&shot.frames);
    let tally = Tally::of(input.jobs, &shot.frames);
    let rendered = tally.rendered.union(&found).union(&retained);
    let failed = tally.failed.difference(&rendered);
    let total = shot.frames.len();
    let mut status = RenderShotStatus {
        progress: Some(format!("{}/{total}", rendered.len())),
        rendered_frames: bounded(&rendered),
        failed_frames: bounded(&failed),
        render_hash: Some(shot.render_hash.clone()),
        overwrite_existing: input.overwrite.then_some(true),
        found_frames: bounded(&found),
        retained_frames: bounded(&retained),
        start_time: previous
            .start_time
            .clone()
            .filter(|_| same_render)
            .or(tally.start_time),
        render_seconds: (tally.records > 0).then(|| milliseconds(tally.render_seconds)),
        average_frame_seconds: (tally.records > 0)
            .then(|| milliseconds(tally.render_seconds / tally.records as f64)),
        last_frame: tally.last_frame.map(|record| LastFrame {
            frame: record.frame,
            key: record.output_key.clone(),
            thumbnail_key: record.thumbnail_key.clone(),
            finished_at: Some(record.finished_at.clone()),
        }),
        preview: match input.preview {
            PreviewState::Made {
                contact_sheet_key,
                animation_key,
            } => Some(Preview {
                contact_sheet_key: Some(contact_sheet_key.clone()),
                animation_key: Some(animation_key.clone()),
            }),
            _ => None,
        },
        ..RenderShotStatus::default()
    };
    status.frames.total = total;
    status.frames.rendered = rendered.len();
    status.frames.failed = failed.len();
    status.frames.running = tally.running;
    status.jobs = JobCounts {
        total: tally.jobs.total + input.remaining_chunks,
        waiting: tally.jobs.waiting + input.remaining_chunks,
        ..tally.jobs
    };
    let done = all_frames_done(&status);
    let preview_settled = matches!(
        input.preview,
        PreviewState::Made { .. } | PreviewState::Failed(_)
    );
    // A shot with failed frames gets no preview wait: it needs the user before it is complete.
    status.phase = Some(if done && !failed.is_empty() {
        ShotPhase::Failed
    } else if done && preview_settled {
        ShotPhase::Succeeded
    } else if shot.suspend {
        ShotPhase::Suspended
    } else if rendered.is_empty() && status.jobs.active == 0 {
        ShotPhase::Pending
    } else {
        ShotPhase::Rendering
    });
    let finished = matches!(status.phase, Some(ShotPhase::Succeeded | ShotPhase::Failed));
    status.completion_time = finished.then(|| {
        previous
            .completion_time
            .clone()
            .filter(|_| same_render)
            .unwrap_or(Time(input.now))
    });
    if !done && !shot.suspend {
        let remaining = total.saturating_sub(rendered.len() + failed.len());
        status.estimated_completion_time = estimate(
            tally.rendered.len(),
            remaining,
            status.start_time.as_ref(),
            input.now,
        );
    }
    (status, failed)
}

/// Rounded to milliseconds: the sum's last bits depend on the order jobs are listed in, and
/// must not make an otherwise idle status look changed.
fn milliseconds(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

fn bounded(frames: &FrameSet) -> Option<String> {
    (!frames.is_empty()).then(|| frames.to_bounded_string(MAX_STATUS_FRAME_SET_LENGTH))
}

/// When the `remaining` frames will be done at the pace of `rendered` frames since `start`.
fn estimate(
    rendered: u64,
    remaining: u64,
    start: Option<&Time>,
    now: jiff::Timestamp,
) -> Option<Time> {
    let elapsed_ms = now.as_millisecond() - start?.0.as_millisecond();
    if rendered == 0 || elapsed_ms <= 0 {
        return None;
    }
    let seconds_left = remaining as f64 * elapsed_ms as f64 / 1000.0 / rendered as f64;
    // Whole seconds: status timestamps have no finer resolution, and the ETA then only moves
    // when the pace does. A pace so slow it overflows the calendar has no ETA.
    let at = now.as_second().checked_add(seconds_left.ceil() as i64)?;
    jiff::Timestamp::from_second(at).ok().map(Time)
}

/// What the RenderJobs say, summed up once.
#[derive(Default)]
struct Tally<'a> {
    /// Rendered by the jobs, within the shot's frames.
    rendered: FrameSet,
    failed: FrameSet,
    running: u64,
    jobs: JobCounts,
    render_seconds: f64,
    records: u64,
    last_frame: Option<&'a FrameRecord>,
    start_time: Option<Time>,
}

impl<'a> Tally<'a> {
    fn of(jobs: &[&'a RenderJob], frames: &FrameSet) -> Self {
        let mut tally = Self::default();
        let mut rendered = Vec::with_capacity(jobs.len());
        let mut failed = Vec::new();
        for job in jobs {
            tally.jobs.total += 1;
            let Some(status) = &job.status else {
                tally.jobs.waiting += 1;
                continue;
            };
            let job_rendered = FrameSet::from_status(status.rendered_frames.as_deref());
            let job_failed = FrameSet::from_status(status.failed_frames.as_deref());
            match status.phase {
                Some(JobPhase::Running) => {
                    tally.jobs.active += 1;
                    tally.running += FrameSet::from_status(Some(&job.spec.frames))
                        .difference(&job_rendered)
                        .difference(&job_failed)
                        .len();
                }
                Some(JobPhase::Succeeded) => tally.jobs.succeeded += 1,
                Some(JobPhase::Failed) => tally.jobs.failed += 1,
                Some(JobPhase::Pending | JobPhase::Suspended) | None => tally.jobs.waiting += 1,
            }
            for record in &status.frame_records {
                tally.render_seconds += record.render_seconds;
                tally.records += 1;
                let newer = tally.last_frame.is_none_or(|last| {
                    (&record.finished_at.0, record.frame) > (&last.finished_at.0, last.frame)
                });
                if newer {
                    tally.last_frame = Some(record);
                }
            }
            if let Some(start) = &status.start_time
                && tally
                    .start_time
                    .as_ref()
                    .is_none_or(|first| start.0 < first.0)
            {
                tally.start_time = Some(start.clone());
            }
            rendered.push(job_rendered);
            failed.push(job_failed);
        }
        tally.rendered = FrameSet::union_all(&rendered).intersection(frames);
        tally.failed = FrameSet::union_all(&failed).intersection(frames);
        tally
    }
}

/// Ready, Reconciling and Stalled for the rolled-up status.
fn conditions_for(
    input: &RollupInput<'_>,
    status: &RenderShotStatus,
    failed: &FrameSet,
    mut conditions: Vec<Condition>,
) -> Vec<Condition> {
    let generation = input.shot.metadata.generation;
    let now = Time(input.now);
    let (ready, reconciling, stalled) = match input.validated {
        Err(invalid) => {
            let said = (invalid.reason, invalid.to_string());
            (said.clone(), said.clone(), Some(said))
        }
        Ok(_) => states(input, status, failed),
    };
    let mut set = |type_, status, (reason, message): Said| {
        conditions::set_condition(
            &mut conditions,
            ConditionUpdate {
                type_,
                status,
                reason,
                message,
                observed_generation: generation,
            },
            &now,
        );
    };
    let is_ready = matches!(status.phase, Some(ShotPhase::Succeeded)) && input.validated.is_ok();
    let is_reconciling = input.validated.is_ok()
        && matches!(
            status.phase,
            Some(ShotPhase::Pending | ShotPhase::Rendering)
        );
    // A shot that is not stalled says why it is where it is, as Ready does.
    let (is_stalled, stalled) = stalled.map_or_else(|| (false, ready.clone()), |said| (true, said));
    set(READY, is_ready, ready);
    set(RECONCILING, is_reconciling, reconciling);
    set(STALLED, is_stalled, stalled);
    conditions
}

/// A condition's reason and message.
type Said = (&'static str, String);

/// Reasons and messages of Ready and Reconciling, and of Stalled when it is true.
fn states(
    input: &RollupInput<'_>,
    status: &RenderShotStatus,
    failed: &FrameSet,
) -> (Said, Said, Option<Said>) {
    let frames = &status.frames;
    let rendered = format!("{}/{} frames rendered", frames.rendered, frames.total);
    match status.phase {
        Some(ShotPhase::Succeeded) => {
            let mut message = format!("{} frames rendered", frames.rendered);
            if let PreviewState::Failed(why) = input.preview {
                message.push_str(&format!("; the preview failed: {}", quoted(why)));
            }
            ((RENDERED, message.clone()), (RENDERED, message), None)
        }
        Some(ShotPhase::Failed) => {
            let failed = failed.to_bounded_string(MAX_QUOTED_LENGTH);
            let mut message = format!("frames {failed} failed every attempt");
            if let Some(failure) = newest_failure(input.jobs) {
                message.push_str(&format!(": {}", quoted(&failure.message)));
            }
            let said = (FRAMES_FAILED, message);
            (said.clone(), said.clone(), Some(said))
        }
        Some(ShotPhase::Suspended) => {
            let said = (SUSPENDED, format!("suspended with {rendered}"));
            (said.clone(), said, None)
        }
        _ if all_frames_done(status) => {
            let said = (
                MAKING_PREVIEW,
                format!("{rendered}; making the contact sheet and animation"),
            );
            (said.clone(), said, None)
        }
        _ => {
            let said = match unschedulable(input.jobs) {
                Some((waiting, scheduler)) => (
                    UNSCHEDULABLE,
                    format!(
                        "{rendered}; {} for a node: {}",
                        plural(waiting, "RenderJob waits", "RenderJobs wait"),
                        quoted(scheduler)
                    ),
                ),
                None => (
                    RENDERING,
                    format!(
                        "{rendered}; {} active",
                        plural(status.jobs.active, "RenderJob", "RenderJobs")
                    ),
                ),
            };
            ((RENDERING, said.1.clone()), said, None)
        }
    }
}

/// How many unfinished RenderJobs the scheduler cannot place, and its message for the first
/// of them by name.
fn unschedulable<'a>(jobs: &[&'a RenderJob]) -> Option<(u64, &'a str)> {
    let mut waiting = 0;
    let mut first: Option<(&str, &str)> = None;
    for job in jobs {
        let Some(status) = &job.status else { continue };
        if matches!(status.phase, Some(JobPhase::Succeeded | JobPhase::Failed)) {
            continue;
        }
        let Some(condition) = conditions::find_condition(&status.conditions, RECONCILING)
            .filter(|condition| condition.reason == UNSCHEDULABLE)
        else {
            continue;
        };
        waiting += 1;
        let name = job.metadata.name.as_deref().unwrap_or_default();
        if first.is_none_or(|(first_name, _)| name < first_name) {
            first = Some((name, condition.message.as_str()));
        }
    }
    first.map(|(_, message)| (waiting, message))
}

/// The newest failure record of any failed RenderJob.
fn newest_failure<'a>(jobs: &[&'a RenderJob]) -> Option<&'a FrameFailure> {
    jobs.iter()
        .filter_map(|job| job.status.as_ref())
        .filter(|status| status.phase == Some(JobPhase::Failed))
        .flat_map(|status| &status.failures)
        .max_by_key(|failure| (failure.at.0, failure.frame))
}

fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// `text` cut at a character boundary so one engine's long error line keeps conditions small.
fn quoted(text: &str) -> &str {
    let mut end = text.len().min(MAX_QUOTED_LENGTH);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests;
