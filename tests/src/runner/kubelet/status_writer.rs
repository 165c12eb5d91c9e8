//! Writes a pod's status the way the kubelet's status manager does: one writer per pod,
//! changes applied to the runner's record and sent as a status patch only when the built status
//! differs from the last one sent. Each write re-reads the pod so that conditions other
//! components added (an eviction's `DisruptionTarget`) are kept, and carries its
//! `resourceVersion` so a concurrent change makes it retry instead of overwriting.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::state::PodRuntime;
use super::status::build_pod_status;

/// Attempts at a status write that keeps meeting concurrent changes.
const CONFLICT_RETRIES: usize = 5;

struct Written {
    runtime: PodRuntime,
    last_sent: Option<Value>,
    /// The pod is gone or the runner is shutting down: record, but write nothing.
    muted: bool,
}

pub struct StatusWriter {
    api: Api<Pod>,
    name: String,
    state: Mutex<Written>,
}

impl std::fmt::Debug for StatusWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusWriter")
            .field("pod", &self.name)
            .finish_non_exhaustive()
    }
}

impl StatusWriter {
    pub fn new(client: Client, namespace: &str, name: &str) -> Self {
        StatusWriter {
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            state: Mutex::new(Written {
                runtime: PodRuntime::default(),
                last_sent: None,
                muted: false,
            }),
        }
    }

    /// Applies `change` to the record and writes the resulting status as the kubelet.
    pub async fn update(&self, change: impl FnOnce(&mut PodRuntime)) {
        self.update_as("kubelet", change).await;
    }

    /// Applies `change` and writes the status under another field manager (the control
    /// plane's writes for a lost node).
    pub async fn update_as(&self, manager: &str, change: impl FnOnce(&mut PodRuntime)) {
        let mut state = self.state.lock().await;
        change(&mut state.runtime);
        if state.muted {
            return;
        }
        for _ in 0..CONFLICT_RETRIES {
            let pod = match self.api.get_opt(&self.name).await {
                Ok(Some(pod)) => pod,
                Ok(None) => {
                    state.muted = true;
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, pod = self.name, "failed to read pod before writing its status");
                    return;
                }
            };
            let status = build_pod_status(&pod, &state.runtime, Timestamp::now());
            let status = serde_json::to_value(&status).unwrap_or(Value::Null);
            if state.last_sent.as_ref() == Some(&status) {
                return;
            }
            let patch = json!({
                "metadata": {"resourceVersion": pod.metadata.resource_version},
                "status": status,
            });
            let params = PatchParams {
                field_manager: Some(manager.to_owned()),
                ..PatchParams::default()
            };
            match self
                .api
                .patch_status(&self.name, &params, &Patch::Merge(&patch))
                .await
            {
                Ok(_) => {
                    state.last_sent = Some(status);
                    return;
                }
                Err(kube::Error::Api(status)) if status.is_conflict() => continue,
                Err(kube::Error::Api(status)) if status.is_not_found() => {
                    state.muted = true;
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, pod = self.name, "failed to write pod status");
                    return;
                }
            }
        }
        tracing::warn!(
            pod = self.name,
            "gave up writing pod status after repeated conflicts"
        );
    }

    /// Applies `change` to the record without writing: the kubelet of a lost node, or of a
    /// runner shutting down, can tell the API nothing.
    pub async fn record(&self, change: impl FnOnce(&mut PodRuntime)) {
        change(&mut self.state.lock().await.runtime);
    }

    /// Stops writing: the pod is gone or the runner is going away.
    pub async fn mute(&self) {
        self.state.lock().await.muted = true;
    }

    pub async fn runtime(&self) -> PodRuntime {
        self.state.lock().await.runtime.clone()
    }
}
