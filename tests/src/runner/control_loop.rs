//! The runner's heartbeat: every half second, or as soon as a watch reports a pod change, it
//! lists pods and nodes, schedules what is pending (unless paused), syncs the kubelet, and
//! keeps node status current. Errors are logged and the next pass retries.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{ListParams, WatchEvent, WatchParams};
use tokio::sync::{Notify, watch};

use super::kubelet::Kubelet;
use super::node::NodeFleet;
use super::scheduler::Scheduler;

const PASS_EVERY: Duration = Duration::from_millis(500);
const NODE_STATUS_EVERY: Duration = Duration::from_secs(10);
const WATCH_RETRY: Duration = Duration::from_secs(1);

/// What the loop drives.
pub struct Parts {
    pub client: kube::Client,
    pub scheduler: Scheduler,
    pub kubelet: Kubelet,
    pub nodes: Arc<NodeFleet>,
    pub paused: AtomicBool,
    pub wake: Notify,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts")
            .field("nodes", &self.nodes)
            .field("paused", &self.paused)
            .finish_non_exhaustive()
    }
}

pub async fn run(parts: Arc<Parts>, mut stop: watch::Receiver<bool>) {
    let pods_api: Api<Pod> = Api::all(parts.client.clone());
    let nodes_api: Api<Node> = Api::all(parts.client.clone());
    let mut last_node_report = tokio::time::Instant::now();
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        let (pods, nodes) = match (
            pods_api.list(&ListParams::default()).await,
            nodes_api.list(&ListParams::default()).await,
        ) {
            (Ok(pods), Ok(nodes)) => (pods.items, nodes.items),
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "failed to list pods and nodes");
                (Vec::new(), Vec::new())
            }
        };
        let mut again = false;
        if !pods.is_empty() || !nodes.is_empty() {
            let paused = parts.paused.load(Ordering::SeqCst);
            if !paused {
                again = parts.scheduler.schedule_pending(&pods, &nodes).await;
            }
            parts.kubelet.sync(&pods, paused).await;
        }
        if last_node_report.elapsed() >= NODE_STATUS_EVERY {
            parts.nodes.report_all().await;
            last_node_report = tokio::time::Instant::now();
        }
        if again {
            // Newly bound pods start on the next pass, at once.
            continue;
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = parts.wake.notified() => {}
            () = tokio::time::sleep(PASS_EVERY) => {}
        }
    }
}

/// Wakes the loop on every pod change the API server reports.
pub async fn watch_pods(parts: Arc<Parts>, mut stop: watch::Receiver<bool>) {
    let api: Api<Pod> = Api::all(parts.client.clone());
    loop {
        let watched = async {
            let listed = api.list(&ListParams::default().limit(1)).await?;
            let version = listed
                .metadata
                .resource_version
                .unwrap_or_else(|| "0".to_owned());
            let mut events = api
                .watch(&WatchParams::default().timeout(290), &version)
                .await?
                .boxed();
            while let Some(event) = events.next().await {
                match event? {
                    WatchEvent::Error(status) => {
                        tracing::debug!(?status, "pod watch ended with an error");
                        break;
                    }
                    WatchEvent::Bookmark(_) => {}
                    _ => parts.wake.notify_one(),
                }
            }
            Ok::<(), kube::Error>(())
        };
        tokio::select! {
            _ = stop.changed() => return,
            result = watched => {
                if let Err(error) = result {
                    tracing::debug!(%error, "pod watch failed; retrying");
                }
            }
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(WATCH_RETRY) => {}
        }
    }
}
