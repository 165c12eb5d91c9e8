//! The last step of a shot reconcile: write the status when it changed (phase and condition
//! changes at once, progress at most once a second) and publish events for the transitions a
//! user should see in `kubectl describe`.

use std::time::Duration;

use framefarm_crds::conditions::{READY, STALLED, find_condition, is_true};
use framefarm_crds::shot::ShotPhase;
use framefarm_crds::{RenderShot, RenderShotStatus};
use kube::Resource;
use kube::runtime::controller::Action as Requeue;

use super::ShotError;
use super::apply;
use super::reconcile::shot_key;
use super::rollup::{WriteUrgency, needs_write};
use crate::context::Context;

/// How often a shot is looked at again when nothing else wakes it.
pub const RESYNC: Duration = Duration::from_secs(300);

/// Writes the status when it changed: at once for phase and condition changes, at most once
/// a second for progress. Publishes events for condition transitions.
pub async fn write_status(
    shot: &RenderShot,
    previous: &RenderShotStatus,
    next: RenderShotStatus,
    context: &Context,
) -> Result<Requeue, ShotError> {
    let key = shot_key(shot);
    match needs_write(previous, &next) {
        WriteUrgency::None => return Ok(requeue_for(&next)),
        WriteUrgency::Throttled => {
            let delay = context.progress_write_delay(&key);
            if !delay.is_zero() {
                return Ok(Requeue::requeue(delay));
            }
        }
        WriteUrgency::Now => context.status_written(&key),
    }
    apply::patch_status(shot, &next, context).await?;
    publish_transitions(shot, previous, &next, context).await;
    Ok(requeue_for(&next))
}

fn requeue_for(status: &RenderShotStatus) -> Requeue {
    match status.phase {
        // The ETA and progress move with the RenderJobs, which wake the shot themselves.
        Some(ShotPhase::Rendering) | Some(ShotPhase::Pending) => Requeue::requeue(RESYNC / 5),
        _ => Requeue::requeue(RESYNC),
    }
}

async fn publish_transitions(
    shot: &RenderShot,
    previous: &RenderShotStatus,
    next: &RenderShotStatus,
    context: &Context,
) {
    let reference = shot.object_ref(&());
    let reason_of = |status: &RenderShotStatus, type_: &str| {
        find_condition(&status.conditions, type_)
            .filter(|condition| condition.status == "True")
            .map(|condition| (condition.reason.clone(), condition.message.clone()))
    };
    if let Some((reason, message)) = reason_of(next, STALLED)
        && reason_of(previous, STALLED).map(|(reason, _)| reason) != Some(reason.clone())
    {
        context.publish(&reference, true, &reason, message).await;
    }
    let ready = READY;
    if is_true(&next.conditions, ready)
        && !is_true(&previous.conditions, ready)
        && let Some(condition) = find_condition(&next.conditions, ready)
    {
        context
            .publish(
                &reference,
                false,
                &condition.reason,
                condition.message.clone(),
            )
            .await;
    }
    if previous.jobs.total == 0 && next.jobs.total > 0 {
        let note = format!(
            "split frames {} into {} RenderJob(s) of up to {} frames; {} render at once",
            shot.spec.frames, next.jobs.total, shot.spec.chunk_size, shot.spec.parallelism
        );
        context.publish(&reference, false, "Planned", note).await;
    }
}
