//! Decides whether a rolled-up status is worth a write, and how soon: what users and other
//! reconciles act on goes out at once, progress counters at most once a second, and an
//! idle reconcile writes nothing.

use framefarm_crds::RenderShotStatus;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// An ETA that moves by less than this is not news.
const ETA_TOLERANCE_SECONDS: i64 = 5;

/// How soon a status has to be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteUrgency {
    /// Nothing changed.
    None,
    /// Only progress changed: counters, frame sets of rendered frames, timing, the last frame.
    Throttled,
    /// Something a user, a tool or the next plan acts on changed.
    Now,
}

/// Compares the written status with the rolled-up one.
pub fn needs_write(previous: &RenderShotStatus, next: &RenderShotStatus) -> WriteUrgency {
    let urgent = previous.phase != next.phase
        || !same_conditions(&previous.conditions, &next.conditions)
        || previous.preview != next.preview
        || previous.failed_frames != next.failed_frames
        || previous.render_hash != next.render_hash
        || previous.overwrite_existing != next.overwrite_existing
        || previous.found_frames != next.found_frames
        || previous.found_generation != next.found_generation
        || previous.retained_frames != next.retained_frames
        || previous.retry_token != next.retry_token
        || previous.completion_time != next.completion_time
        || previous.observed_generation != next.observed_generation;
    if urgent {
        return WriteUrgency::Now;
    }
    // A condition message that only counts progress ("120/240 frames rendered") is progress;
    // transition times alone are nothing.
    let mut settled = next.clone();
    for condition in &mut settled.conditions {
        if let Some(before) = previous
            .conditions
            .iter()
            .find(|c| c.type_ == condition.type_)
        {
            condition
                .last_transition_time
                .clone_from(&before.last_transition_time);
        }
    }
    if close(
        previous.estimated_completion_time.as_ref(),
        next.estimated_completion_time.as_ref(),
    ) {
        settled
            .estimated_completion_time
            .clone_from(&previous.estimated_completion_time);
    }
    if settled == *previous {
        WriteUrgency::None
    } else {
        WriteUrgency::Throttled
    }
}

/// Equal in type, status, reason and generation, in the same order: what tools act on.
fn same_conditions(previous: &[Condition], next: &[Condition]) -> bool {
    previous.len() == next.len()
        && previous.iter().zip(next).all(|(a, b)| {
            (&a.type_, &a.status, &a.reason, a.observed_generation)
                == (&b.type_, &b.status, &b.reason, b.observed_generation)
        })
}

fn close(previous: Option<&Time>, next: Option<&Time>) -> bool {
    match (previous, next) {
        (Some(a), Some(b)) => (a.0.as_second() - b.0.as_second()).abs() < ETA_TOLERANCE_SECONDS,
        (a, b) => a == b,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
mod tests {
    use framefarm_crds::conditions::{READY, RECONCILING};
    use framefarm_crds::shot::{Preview, ShotPhase};
    use jiff::{SignedDuration, Timestamp};

    use super::*;

    fn at(second: i64) -> Time {
        Time(Timestamp::from_second(second).unwrap())
    }

    fn condition(type_: &str, status: &str) -> Condition {
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: "Rendering".into(),
            message: "4/40 frames rendered; 1 RenderJob active".into(),
            observed_generation: Some(3),
            last_transition_time: at(1_000),
        }
    }

    fn rendering() -> RenderShotStatus {
        RenderShotStatus {
            observed_generation: Some(3),
            phase: Some(ShotPhase::Rendering),
            progress: Some("4/40".into()),
            rendered_frames: Some("1-4".into()),
            estimated_completion_time: Some(at(5_000)),
            render_hash: Some("0123abcd".into()),
            conditions: vec![condition(READY, "False"), condition(RECONCILING, "True")],
            ..RenderShotStatus::default()
        }
    }

    #[test]
    fn an_unchanged_status_is_not_written() {
        let status = rendering();
        assert_eq!(needs_write(&status, &status.clone()), WriteUrgency::None);
        let mut moved = status.clone();
        moved.conditions[0].last_transition_time = at(2_000);
        assert_eq!(needs_write(&status, &moved), WriteUrgency::None);
    }

    #[test]
    fn progress_is_written_throttled() {
        let status = rendering();
        let mut next = status.clone();
        next.frames.rendered = 5;
        next.progress = Some("5/40".into());
        next.rendered_frames = Some("1-5".into());
        assert_eq!(needs_write(&status, &next), WriteUrgency::Throttled);
        let mut next = status.clone();
        next.render_seconds = Some(1.0);
        assert_eq!(needs_write(&status, &next), WriteUrgency::Throttled);
        let mut next = status.clone();
        next.conditions[1].message = "5/40 frames rendered; 1 RenderJob active".into();
        assert_eq!(
            needs_write(&status, &next),
            WriteUrgency::Throttled,
            "a message counting progress is progress"
        );
    }

    #[test]
    fn an_eta_moving_by_a_few_seconds_is_not_news() {
        let status = rendering();
        let eta = status.estimated_completion_time.clone().unwrap().0;
        let mut next = status.clone();
        next.estimated_completion_time = Some(Time(eta + SignedDuration::from_secs(4)));
        assert_eq!(needs_write(&status, &next), WriteUrgency::None);
        next.estimated_completion_time = Some(Time(eta - SignedDuration::from_secs(5)));
        assert_eq!(needs_write(&status, &next), WriteUrgency::Throttled);
        next.estimated_completion_time = None;
        assert_eq!(needs_write(&status, &next), WriteUrgency::Throttled);
    }

    #[test]
    fn what_users_and_the_planner_act_on_is_written_now() {
        let status = rendering();
        let changes: [fn(&mut RenderShotStatus); 11] = [
            |s| s.phase = Some(ShotPhase::Suspended),
            |s| s.conditions[1].reason = "Unschedulable".into(),
            |s| s.conditions[1].status = "False".into(),
            |s| s.preview = Some(Preview::default()),
            |s| s.failed_frames = Some("3".into()),
            |s| s.render_hash = Some("0ld0ld00".into()),
            |s| s.overwrite_existing = Some(true),
            |s| s.found_frames = Some("1".into()),
            |s| s.found_generation = Some(3),
            |s| s.completion_time = Some(at(9_000)),
            |s| s.observed_generation = Some(4),
        ];
        for (index, change) in changes.iter().enumerate() {
            let mut next = status.clone();
            change(&mut next);
            assert_eq!(
                needs_write(&status, &next),
                WriteUrgency::Now,
                "change {index}"
            );
        }
    }
}
