//! A shot's files in object storage: the client built from the shot's storage settings and
//! the keys of its Secret, and where its frames, thumbnails, logs and previews live, resolved
//! by the node-agent's work order exactly as the operator and the agent resolve them.

use framefarm_crds::RenderShot;
use framefarm_node_agent::order::{OrderError, WorkOrder};
use framefarm_node_agent::storage::{
    ListedObject, Storage, StorageCredentials, StorageError, TransferSettings,
};
use kube::ResourceExt;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum FilesError {
    #[error(
        "failed to find storage credentials for RenderShot {shot}: it names no \
         spec.storage.credentialsSecret, so AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must \
         be set in this shell ({source})"
    )]
    Credentials {
        shot: String,
        #[source]
        source: Box<StorageError>,
    },
    #[error("failed to connect to the storage of RenderShot {shot}: {source}")]
    Connect {
        shot: String,
        #[source]
        source: Box<StorageError>,
    },
    #[error("failed to resolve the output of RenderShot {shot}: {source}")]
    Order {
        shot: String,
        #[source]
        source: Box<OrderError>,
    },
    #[error("failed to list the output of RenderShot {shot}: {source}")]
    List {
        shot: String,
        #[source]
        source: Box<StorageError>,
    },
}

/// A storage client for one shot, with its resolved output.
#[derive(Debug, Clone)]
pub struct ShotFiles {
    pub shot: String,
    pub storage: Storage,
    pub order: WorkOrder,
}

impl ShotFiles {
    /// Connects with the keys from the shot's Secret, or the environment's when it names none.
    pub fn connect(shot: &RenderShot, keys: Option<(String, String)>) -> Result<Self, FilesError> {
        let name = shot.name_any();
        let credentials = StorageCredentials::from_keys_or_env(keys).map_err(|source| {
            FilesError::Credentials {
                shot: name.clone(),
                source: Box::new(source),
            }
        })?;
        let storage = Storage::new(
            &shot.spec.render.storage,
            credentials,
            TransferSettings::default(),
        )
        .map_err(|source| FilesError::Connect {
            shot: name.clone(),
            source: Box::new(source),
        })?;
        let order = WorkOrder::from_shot(shot).map_err(|source| FilesError::Order {
            shot: name.clone(),
            source: Box::new(source),
        })?;
        Ok(ShotFiles {
            shot: name,
            storage,
            order,
        })
    }

    pub fn bucket(&self) -> &str {
        &self.order.output_bucket
    }

    /// `s3://bucket/key`, for messages.
    pub fn uri(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket())
    }

    /// Every object under the output prefix.
    pub async fn list_output(&self) -> Result<Vec<ListedObject>, FilesError> {
        self.storage
            .list_prefix(self.bucket(), &self.order.output_prefix)
            .await
            .map_err(|source| FilesError::List {
                shot: self.shot.clone(),
                source: Box::new(source),
            })
    }
}
