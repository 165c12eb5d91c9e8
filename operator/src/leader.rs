//! Leader election with a Lease: the operator acts only while it holds the Lease, so two
//! replicas never reconcile at once. A replica that loses the Lease stops at once and exits
//! with an error, and Kubernetes restarts it as a standby.

use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};
use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::names::OPERATOR_MANAGER;

#[derive(Debug, Error)]
pub enum LeaderError {
    #[error("failed to set up Lease {namespace}/{name}: {source}")]
    Setup {
        namespace: String,
        name: String,
        #[source]
        source: kube_lease_manager::LeaseManagerError,
    },
    #[error("failed to release Lease {namespace}/{name}: {source}")]
    Release {
        namespace: String,
        name: String,
        #[source]
        source: kube_lease_manager::LeaseManagerError,
    },
}

/// A Lease this replica campaigns for.
#[derive(Debug)]
pub struct Leadership {
    namespace: String,
    name: String,
    holding: watch::Receiver<bool>,
    task: JoinHandle<Result<LeaseManager, kube_lease_manager::LeaseManagerError>>,
}

impl Leadership {
    pub async fn campaign(
        client: Client,
        namespace: &str,
        name: &str,
        identity: &str,
        lease_seconds: u64,
    ) -> Result<Self, LeaderError> {
        let manager = LeaseManagerBuilder::new(client, name)
            .with_namespace(namespace)
            .with_identity(identity)
            .with_duration(lease_seconds)
            .with_grace(lease_seconds.div_ceil(3).max(1))
            .with_field_manager(OPERATOR_MANAGER)
            .build()
            .await
            .map_err(|source| LeaderError::Setup {
                namespace: namespace.into(),
                name: name.into(),
                source,
            })?;
        let (holding, task) = manager.watch().await;
        Ok(Leadership {
            namespace: namespace.into(),
            name: name.into(),
            holding,
            task,
        })
    }

    /// Waits until this replica holds the Lease.
    pub async fn acquired(&mut self) {
        while !*self.holding.borrow_and_update() {
            if self.holding.changed().await.is_err() {
                // The manager stopped; wait forever rather than act without the Lease.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Resolves when the Lease is lost.
    pub async fn lost(&mut self) {
        loop {
            if !*self.holding.borrow_and_update() {
                return;
            }
            if self.holding.changed().await.is_err() {
                return;
            }
        }
    }

    /// Gives the Lease up, so a standby takes over without waiting for it to expire.
    pub async fn release(self) -> Result<(), LeaderError> {
        drop(self.holding);
        let manager = match tokio::time::timeout(Duration::from_secs(10), self.task).await {
            Ok(Ok(Ok(manager))) => manager,
            _ => return Ok(()),
        };
        manager
            .release()
            .await
            .map_err(|source| LeaderError::Release {
                namespace: self.namespace,
                name: self.name,
                source,
            })
    }
}
