//! Gather, for one RenderShot: its RenderJobs and preview pod (from the caches), its Secret
//! (one GET), and from storage — only when the spec changed or a check is due — whether the
//! scene exists and which frames are already in the output.

use std::collections::BTreeSet;
use std::sync::Arc;

use framefarm_crds::storage::secret_value;
use framefarm_crds::{FrameSet, RenderJob, RenderShot};
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::Api;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};

use super::ShotError;
use super::validate::{SceneCheck, SecretCheck};
use crate::context::Context;
use crate::names::{COMPONENT_LABEL, PREVIEW_COMPONENT, SHOT_LABEL};
use crate::storage::ShotStorage;

/// The Secret named by the shot, with its access keys when both are there.
#[derive(Debug, Default)]
pub struct Credentials {
    pub check: Option<SecretCheck>,
    pub keys: Option<(String, String)>,
}

pub async fn credentials(shot: &RenderShot, context: &Context) -> Result<Credentials, ShotError> {
    let Some(reference) = &shot.spec.render.storage.credentials_secret else {
        return Ok(Credentials::default());
    };
    let namespace = shot.namespace().unwrap_or_default();
    let secrets: Api<Secret> = Api::namespaced(context.client.clone(), &namespace);
    let secret = secrets
        .get_opt(&reference.name)
        .await
        .map_err(|source| ShotError::GetSecret {
            namespace: namespace.clone(),
            secret: reference.name.clone(),
            source,
        })?;
    let Some(secret) = secret else {
        return Ok(Credentials {
            check: Some(SecretCheck {
                name: reference.name.clone(),
                keys: None,
            }),
            keys: None,
        });
    };
    let data = secret.data.unwrap_or_default();
    let keys = secret_value(&data, &reference.access_key_id_key)
        .zip(secret_value(&data, &reference.secret_access_key_key));
    Ok(Credentials {
        check: Some(SecretCheck {
            name: reference.name.clone(),
            keys: Some(data.keys().cloned().collect::<BTreeSet<_>>()),
        }),
        keys,
    })
}

/// The shot's RenderJobs, of every render hash, from the cache.
pub fn jobs(shot: &RenderShot, context: &Context) -> Vec<Arc<RenderJob>> {
    let namespace = shot.namespace();
    let name = shot.name_any();
    let uid = shot.meta().uid.clone();
    context
        .jobs
        .state()
        .into_iter()
        .filter(|job| {
            job.metadata.namespace == namespace
                && job.labels().get(SHOT_LABEL) == Some(&name)
                && job
                    .owner_references()
                    .iter()
                    .any(|owner| Some(&owner.uid) == uid.as_ref())
        })
        .collect()
}

/// The shot's preview pod for `pod_name`, from the cache.
pub fn preview_pod(shot: &RenderShot, pod_name: &str, context: &Context) -> Option<Arc<Pod>> {
    let reference = ObjectRef::new(pod_name).within(&shot.namespace().unwrap_or_default());
    context.pods.get(&reference).filter(|pod| {
        pod.labels().get(COMPONENT_LABEL).map(String::as_str) == Some(PREVIEW_COMPONENT)
    })
}

/// One HEAD of the scene.
pub async fn scene(storage: &ShotStorage) -> SceneCheck {
    storage.check_scene().await
}

/// The frames of `frames` already in the output.
pub async fn found_frames(storage: &ShotStorage, frames: &FrameSet) -> Result<FrameSet, ShotError> {
    storage
        .existing_frames(frames)
        .await
        .map_err(ShotError::Storage)
}
