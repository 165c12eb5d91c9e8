//! The cluster side: a client built from the user's kubeconfig the way kubectl builds it
//! (`--kubeconfig`, `--context`, `--namespace`), and the reads every command starts with: the
//! RenderShot, its RenderJobs of the current render, and the access keys of its storage.

use framefarm_crds::shot::{RENDER_HASH_LABEL, SHOT_LABEL};
use framefarm_crds::storage::secret_value;
use framefarm_crds::{RenderJob, RenderShot};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config, ResourceExt};
use thiserror::Error;

use crate::cli::Connection;

#[derive(Debug, Error)]
pub enum ClusterError {
    #[error("failed to read the kubeconfig: {0}; pass --kubeconfig or set KUBECONFIG")]
    Kubeconfig(String),
    #[error("failed to create a Kubernetes client: {source}")]
    Client {
        #[source]
        source: Box<kube::Error>,
    },
    #[error(
        "RenderShot {namespace}/{shot} not found; list the shots with \
         `kubectl get rendershots -n {namespace}` or pass -n NAMESPACE"
    )]
    ShotNotFound { namespace: String, shot: String },
    #[error("failed to read RenderShot {namespace}/{shot}: {source}")]
    GetShot {
        namespace: String,
        shot: String,
        #[source]
        source: Box<kube::Error>,
    },
    #[error("failed to list the RenderJobs of RenderShot {namespace}/{shot}: {source}")]
    ListJobs {
        namespace: String,
        shot: String,
        #[source]
        source: Box<kube::Error>,
    },
    #[error(
        "failed to read Secret {namespace}/{secret} (spec.storage.credentialsSecret of RenderShot {shot}): {source}"
    )]
    GetSecret {
        namespace: String,
        secret: String,
        shot: String,
        #[source]
        source: Box<kube::Error>,
    },
    #[error(
        "Secret {namespace}/{secret}, named by spec.storage.credentialsSecret of RenderShot \
         {shot}, does not exist; create it with the keys {keys}"
    )]
    SecretNotFound {
        namespace: String,
        secret: String,
        shot: String,
        keys: String,
    },
    #[error(
        "Secret {namespace}/{secret} of RenderShot {shot} has no non-empty key {key}; add it, \
         or set spec.storage.credentialsSecret.{field} to the key that holds it"
    )]
    SecretKeyMissing {
        namespace: String,
        secret: String,
        shot: String,
        key: String,
        field: &'static str,
    },
}

/// A client and the namespace commands work in.
#[derive(Clone)]
pub struct Cluster {
    pub client: Client,
    pub namespace: String,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Connects as kubectl would with the same flags.
    pub async fn connect(connection: &Connection) -> Result<Self, ClusterError> {
        let options = KubeConfigOptions {
            context: connection.context.clone(),
            ..KubeConfigOptions::default()
        };
        let config = match (&connection.kubeconfig, &connection.context) {
            (Some(path), _) => {
                let kubeconfig = Kubeconfig::read_from(path).map_err(|error| {
                    ClusterError::Kubeconfig(format!("{}: {error}", path.display()))
                })?;
                Config::from_custom_kubeconfig(kubeconfig, &options)
                    .await
                    .map_err(|error| ClusterError::Kubeconfig(error.to_string()))?
            }
            (None, Some(_)) => Config::from_kubeconfig(&options)
                .await
                .map_err(|error| ClusterError::Kubeconfig(error.to_string()))?,
            (None, None) => Config::infer()
                .await
                .map_err(|error| ClusterError::Kubeconfig(error.to_string()))?,
        };
        let namespace = connection
            .namespace
            .clone()
            .unwrap_or_else(|| config.default_namespace.clone());
        let client = Client::try_from(config).map_err(|source| ClusterError::Client {
            source: Box::new(source),
        })?;
        Ok(Cluster { client, namespace })
    }

    pub fn shots(&self) -> Api<RenderShot> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// The shot, or an error that says how to find the right name.
    pub async fn shot(&self, name: &str) -> Result<RenderShot, ClusterError> {
        self.shots()
            .get_opt(name)
            .await
            .map_err(|source| ClusterError::GetShot {
                namespace: self.namespace.clone(),
                shot: name.into(),
                source: Box::new(source),
            })?
            .ok_or_else(|| ClusterError::ShotNotFound {
                namespace: self.namespace.clone(),
                shot: name.into(),
            })
    }

    /// The shot's RenderJobs of its current render (the status's render hash), by name.
    pub async fn current_jobs(&self, shot: &RenderShot) -> Result<Vec<RenderJob>, ClusterError> {
        let name = shot.name_any();
        let mut selector = format!("{SHOT_LABEL}={name}");
        if let Some(hash) = shot.status.as_ref().and_then(|s| s.render_hash.as_deref()) {
            selector.push_str(&format!(",{RENDER_HASH_LABEL}={hash}"));
        }
        let uid = shot.metadata.uid.clone();
        let mut jobs: Vec<RenderJob> =
            Api::<RenderJob>::namespaced(self.client.clone(), &self.namespace)
                .list(&ListParams::default().labels(&selector))
                .await
                .map_err(|source| ClusterError::ListJobs {
                    namespace: self.namespace.clone(),
                    shot: name,
                    source: Box::new(source),
                })?
                .items
                .into_iter()
                // A shot deleted and applied again under the same name owns none of the old jobs.
                .filter(|job| {
                    job.owner_references()
                        .iter()
                        .any(|owner| Some(&owner.uid) == uid.as_ref())
                })
                .collect();
        jobs.sort_by_key(|job| job.name_any());
        Ok(jobs)
    }

    /// The access keys in the Secret the shot names, or `None` when it names none (the
    /// environment's keys are used then, as the operator uses its own).
    pub async fn storage_keys(
        &self,
        shot: &RenderShot,
    ) -> Result<Option<(String, String)>, ClusterError> {
        let Some(reference) = &shot.spec.render.storage.credentials_secret else {
            return Ok(None);
        };
        let secret = Api::<Secret>::namespaced(self.client.clone(), &self.namespace)
            .get_opt(&reference.name)
            .await
            .map_err(|source| ClusterError::GetSecret {
                namespace: self.namespace.clone(),
                secret: reference.name.clone(),
                shot: shot.name_any(),
                source: Box::new(source),
            })?
            .ok_or_else(|| ClusterError::SecretNotFound {
                namespace: self.namespace.clone(),
                secret: reference.name.clone(),
                shot: shot.name_any(),
                keys: format!(
                    "{} and {}",
                    reference.access_key_id_key, reference.secret_access_key_key
                ),
            })?;
        let data = secret.data.unwrap_or_default();
        let value = |key: &str, field: &'static str| {
            secret_value(&data, key).ok_or_else(|| ClusterError::SecretKeyMissing {
                namespace: self.namespace.clone(),
                secret: reference.name.clone(),
                shot: shot.name_any(),
                key: key.into(),
                field,
            })
        };
        Ok(Some((
            value(&reference.access_key_id_key, "accessKeyIdKey")?,
            value(&reference.secret_access_key_key, "secretAccessKeyKey")?,
        )))
    }
}
