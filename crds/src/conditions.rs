//! Status conditions in the shape kstatus, Flux, Argo CD and `kubectl wait` read: `Ready`
//! (the work is done), `Reconciling` (work is in flight) and `Stalled` (it cannot proceed
//! without a change from the user), each with a PascalCase reason and a message.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// True once every frame is rendered (and, for a shot, its preview is made).
pub const READY: &str = "Ready";
/// True while frames are being planned, rendered or retried.
pub const RECONCILING: &str = "Reconciling";
/// True when work cannot continue until the spec or the cluster changes.
pub const STALLED: &str = "Stalled";

/// Condition status values.
pub const TRUE: &str = "True";
pub const FALSE: &str = "False";

/// The desired state of one condition, without the timestamp bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionUpdate<'a> {
    pub type_: &'a str,
    pub status: bool,
    pub reason: &'a str,
    pub message: String,
    pub observed_generation: Option<i64>,
}

/// Sets a condition in `conditions`, keeping `lastTransitionTime` unless the status flips.
/// Returns whether anything other than timestamps changed, so an idle reconcile can skip the
/// status write.
pub fn set_condition(
    conditions: &mut Vec<Condition>,
    update: ConditionUpdate<'_>,
    now: &Time,
) -> bool {
    let status = if update.status { TRUE } else { FALSE };
    let existing = conditions
        .iter_mut()
        .find(|condition| condition.type_ == update.type_);
    let Some(existing) = existing else {
        conditions.push(Condition {
            type_: update.type_.into(),
            status: status.into(),
            reason: update.reason.into(),
            message: update.message,
            observed_generation: update.observed_generation,
            last_transition_time: now.clone(),
        });
        return true;
    };
    let unchanged = existing.status == status
        && existing.reason == update.reason
        && existing.message == update.message
        && existing.observed_generation == update.observed_generation;
    if unchanged {
        return false;
    }
    if existing.status != status {
        existing.last_transition_time = now.clone();
    }
    existing.status = status.into();
    existing.reason = update.reason.into();
    existing.message = update.message;
    existing.observed_generation = update.observed_generation;
    true
}

/// The condition of `type_`, if present.
pub fn find_condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|condition| condition.type_ == type_)
}

/// Whether the condition of `type_` is present and `True`.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find_condition(conditions, type_).is_some_and(|condition| condition.status == TRUE)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::jiff::Timestamp;

    use super::*;

    fn at(seconds: i64) -> Time {
        Time(Timestamp::from_second(seconds).unwrap())
    }

    fn ready(status: bool, reason: &'static str) -> ConditionUpdate<'static> {
        ConditionUpdate {
            type_: READY,
            status,
            reason,
            message: format!("{reason} message"),
            observed_generation: Some(1),
        }
    }

    #[test]
    fn transition_time_moves_only_when_the_status_flips() {
        let mut conditions = Vec::new();
        assert!(set_condition(
            &mut conditions,
            ready(false, "Rendering"),
            &at(10)
        ));
        assert!(
            !set_condition(&mut conditions, ready(false, "Rendering"), &at(20)),
            "no-op"
        );
        assert_eq!(conditions[0].last_transition_time, at(10));

        assert!(set_condition(
            &mut conditions,
            ready(false, "Retrying"),
            &at(30)
        ));
        assert_eq!(
            conditions[0].last_transition_time,
            at(10),
            "same status, new reason"
        );

        assert!(set_condition(
            &mut conditions,
            ready(true, "Rendered"),
            &at(40)
        ));
        assert_eq!(conditions[0].last_transition_time, at(40));
        assert!(is_true(&conditions, READY));
        assert!(!is_true(&conditions, STALLED));
        assert_eq!(conditions.len(), 1);
    }
}
