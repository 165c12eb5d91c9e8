//! `retry --failed`: asks the operator to render a shot's failed frames again by setting the
//! `framefarm.io/retry-failed` annotation to a new token. The operator acts on each token
//! once; this command only asks.

use std::collections::BTreeMap;

use framefarm_crds::FrameSet;
use framefarm_crds::shot::RETRY_FAILED_ANNOTATION;
use kube::api::{Patch, PatchParams};
use thiserror::Error;

use crate::cluster::{Cluster, ClusterError};

/// Field manager of the annotation, so `kubectl apply` of the shot leaves it alone.
const FIELD_MANAGER: &str = "kubectl-framefarm";

#[derive(Debug, Error)]
pub enum RetryError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(
        "RenderShot {shot} has no failed frames to render again (phase {phase}); see \
         `kubectl framefarm status {shot}`"
    )]
    NothingFailed { shot: String, phase: String },
    #[error(
        "failed to annotate RenderShot {namespace}/{shot} with {RETRY_FAILED_ANNOTATION}: {source}"
    )]
    Annotate {
        namespace: String,
        shot: String,
        #[source]
        source: Box<kube::Error>,
    },
}

/// A token no earlier request used: the time, to the nanosecond.
pub fn new_token(now: jiff::Timestamp) -> String {
    now.as_nanosecond().to_string()
}

pub async fn run(cluster: &Cluster, name: &str) -> Result<(), RetryError> {
    let shot = cluster.shot(name).await?;
    let status = shot.status.clone().unwrap_or_default();
    let failed = FrameSet::from_status(status.failed_frames.as_deref());
    if failed.is_empty() {
        return Err(RetryError::NothingFailed {
            shot: name.into(),
            phase: status
                .phase
                .map_or_else(|| "unknown".into(), |phase| format!("{phase:?}")),
        });
    }
    let token = new_token(jiff::Timestamp::now());
    let patch = serde_json::json!({
        "metadata": {"annotations": BTreeMap::from([(RETRY_FAILED_ANNOTATION, &token)])}
    });
    cluster
        .shots()
        .patch(
            name,
            &PatchParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..PatchParams::default()
            },
            &Patch::Merge(&patch),
        )
        .await
        .map_err(|source| RetryError::Annotate {
            namespace: cluster.namespace.clone(),
            shot: name.into(),
            source: Box::new(source),
        })?;
    println!(
        "asked the operator to render failed frames {failed} of RenderShot {}/{name} again \
         ({RETRY_FAILED_ANNOTATION}={token}); follow it with `kubectl framefarm status {name}`",
        cluster.namespace
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_from_one_moment_to_the_next() {
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap_or_default();
        let later = now
            .checked_add(jiff::SignedDuration::from_nanos(1))
            .unwrap_or_default();
        assert_ne!(new_token(now), new_token(later));
        assert!(new_token(now).len() <= 253, "fits status.retryToken");
    }
}
