//! The end of a shot's files: the finalizer of shots with `retention: Delete` removes what
//! the shot wrote to storage before the shot goes (running it twice deletes nothing more),
//! and is taken off again when `retention` goes back to `Retain`.

use framefarm_crds::RenderShot;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action as Requeue;
use kube::{Resource, ResourceExt};

use super::ShotError;
use super::gather;
use super::reconcile::shot_key;
use crate::context::Context;
use crate::names::CLEANUP_FINALIZER;
use crate::storage::ShotStorage;

/// `retention` went from Delete to Retain: the files stay, so the finalizer goes.
pub async fn remove_finalizer(shot: &RenderShot, context: &Context) -> Result<(), ShotError> {
    let namespace = shot.namespace().unwrap_or_default();
    let kept: Vec<&String> = shot
        .finalizers()
        .iter()
        .filter(|f| *f != CLEANUP_FINALIZER)
        .collect();
    let patch = serde_json::json!({"metadata": {
        "finalizers": kept,
        "resourceVersion": shot.resource_version(),
    }});
    Api::<RenderShot>::namespaced(context.client.clone(), &namespace)
        .patch(
            &shot.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .map(drop)
        .map_err(|source| ShotError::RemoveFinalizer {
            namespace,
            shot: shot.name_any(),
            source,
        })
}

/// Removes the shot's files. A missing Secret cannot be waited for (it usually goes with
/// its namespace), so the files are then kept and a Warning event says so.
pub async fn cleanup(shot: &RenderShot, context: &Context) -> Result<Requeue, ShotError> {
    context.forget_shot(&shot_key(shot));
    let reference = shot.object_ref(&());
    let credentials = gather::credentials(shot, context).await?;
    let secret_gone = credentials
        .check
        .as_ref()
        .is_some_and(|check| credentials.keys.is_none() && check.keys.is_none());
    if secret_gone {
        let note = format!(
            "kept the files under {}: the Secret with the storage credentials is gone",
            shot.spec.render.output.uri
        );
        context.publish(&reference, true, "OutputKept", note).await;
        return Ok(Requeue::await_change());
    }
    let storage = ShotStorage::connect(shot, credentials.keys)?;
    let deleted = storage.delete_outputs().await?;
    let note = format!(
        "deleted {deleted} file(s) of the shot under {}",
        shot.spec.render.output.uri
    );
    tracing::info!(deleted, "deleted the shot's files");
    context
        .publish(&reference, false, "OutputDeleted", note)
        .await;
    Ok(Requeue::await_change())
}
