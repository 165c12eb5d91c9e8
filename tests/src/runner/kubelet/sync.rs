//! The kubelet's pod sync, for every emulated node at once: starts a worker for each pod bound
//! to a ready node, passes deletions on to workers (or deletes pods that never started or have
//! finished), kills the processes of pods that vanished, and evicts the pods of a lost node.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::context::{Directive, KillCause, KubeletShared, PodContext};
use super::state::PodRuntime;
use super::status_writer::StatusWriter;
use super::worker::{delete_for_good, lost_node_disruption, run_pod};
use crate::runner::node::NODE_CONTROLLER_MANAGER;

/// How long shutdown waits for a worker to notice it must stop.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);
/// A pod's grace period when its deletion names none.
const DEFAULT_GRACE: Duration = Duration::from_secs(30);

struct Worker {
    node: String,
    directive: watch::Sender<Directive>,
    task: JoinHandle<()>,
}

#[derive(Default)]
struct Workers {
    running: HashMap<String, Worker>,
    /// Pods whose worker has ended: never started again.
    finished: HashSet<String>,
}

pub struct Kubelet {
    shared: Arc<KubeletShared>,
    workers: Mutex<Workers>,
    /// Held by a sync pass and by node kills, so a worker is never started on a node being
    /// killed.
    sync_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Kubelet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kubelet")
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

fn uid_of(pod: &Pod) -> String {
    pod.metadata.uid.clone().unwrap_or_default()
}

fn node_of(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|spec| spec.node_name.as_deref())
        .unwrap_or_default()
}

fn is_finished(pod: &Pod) -> bool {
    matches!(
        pod.status
            .as_ref()
            .and_then(|status| status.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

impl Kubelet {
    pub fn new(shared: Arc<KubeletShared>) -> Self {
        Kubelet {
            shared,
            workers: Mutex::new(Workers::default()),
            sync_lock: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Workers> {
        // Only plain bookkeeping lives behind the lock; it stays usable after a panic.
        self.workers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One pass over every pod as listed. `paused` holds back new pods.
    pub async fn sync(&self, pods: &[Pod], paused: bool) {
        let _sync = self.sync_lock.lock().await;
        let mut final_deletes = Vec::new();
        {
            let mut workers = self.lock();
            let ended: Vec<String> = workers
                .running
                .iter()
                .filter(|(_, worker)| worker.task.is_finished())
                .map(|(uid, _)| uid.clone())
                .collect();
            for uid in ended {
                workers.running.remove(&uid);
                workers.finished.insert(uid);
            }
            let listed: HashSet<String> = pods.iter().map(uid_of).collect();
            workers.finished.retain(|uid| listed.contains(uid));
            for (uid, worker) in &workers.running {
                if !listed.contains(uid) {
                    worker
                        .directive
                        .send_replace(Directive::Kill(KillCause::Vanished));
                }
            }
            for pod in pods {
                let node = node_of(pod);
                if node.is_empty() || !self.shared.nodes.is_ready(node) {
                    continue;
                }
                let uid = uid_of(pod);
                let deleting = pod.metadata.deletion_timestamp.is_some();
                if let Some(worker) = workers.running.get(&uid) {
                    if deleting {
                        let grace = pod
                            .metadata
                            .deletion_grace_period_seconds
                            .and_then(|s| u64::try_from(s).ok())
                            .map_or(DEFAULT_GRACE, Duration::from_secs);
                        let deadline = Instant::now() + grace;
                        worker
                            .directive
                            .send_if_modified(|directive| match directive {
                                Directive::Run => {
                                    *directive = Directive::Stop { deadline };
                                    true
                                }
                                Directive::Stop { deadline: current } if deadline < *current => {
                                    *current = deadline;
                                    true
                                }
                                _ => false,
                            });
                    }
                    continue;
                }
                if deleting {
                    // Never started, or already finished: nothing to stop.
                    final_deletes.push(pod.clone());
                    continue;
                }
                if workers.finished.contains(&uid) || is_finished(pod) || paused {
                    continue;
                }
                let (sender, receiver) = watch::channel(Directive::Run);
                let context = Arc::new(PodContext::new(
                    Arc::clone(&self.shared),
                    pod.clone(),
                    node,
                    receiver,
                ));
                let task = tokio::spawn(run_pod(context));
                workers.running.insert(
                    uid,
                    Worker {
                        node: node.to_owned(),
                        directive: sender,
                        task,
                    },
                );
            }
        }
        for pod in final_deletes {
            delete_for_good(&self.shared.client, &pod).await;
        }
    }

    /// Kills every process of the node's pods, then fails and deletes its pods as the taint
    /// manager would (at once rather than after the default 300 s toleration).
    pub async fn kill_node(&self, node: &str) {
        let _sync = self.sync_lock.lock().await;
        let doomed: Vec<(String, Worker)> = {
            let mut workers = self.lock();
            let uids: Vec<String> = workers
                .running
                .iter()
                .filter(|(_, worker)| worker.node == node)
                .map(|(uid, _)| uid.clone())
                .collect();
            uids.into_iter()
                .filter_map(|uid| workers.running.remove(&uid).map(|worker| (uid, worker)))
                .collect()
        };
        let mut handled = HashSet::new();
        for (uid, worker) in doomed {
            worker
                .directive
                .send_replace(Directive::Kill(KillCause::NodeLost));
            if let Err(error) = worker.task.await {
                tracing::warn!(%error, uid, "a pod worker ended abnormally");
            }
            handled.insert(uid.clone());
            self.lock().finished.insert(uid);
        }
        let pods = match Api::<Pod>::all(self.shared.client.clone())
            .list(&ListParams::default())
            .await
        {
            Ok(pods) => pods.items,
            Err(error) => {
                tracing::warn!(%error, node, "failed to list the pods of a lost node");
                return;
            }
        };
        for pod in pods
            .iter()
            .filter(|pod| node_of(pod) == node && !handled.contains(&uid_of(pod)))
        {
            evict_unstarted(&self.shared, pod).await;
        }
    }

    /// Kills every process at once and waits for the workers; writes nothing. A worker stuck
    /// on an unresponsive API server is aborted, which kills its processes too.
    pub async fn shutdown(&self) {
        let workers: Vec<Worker> = self
            .lock()
            .running
            .drain()
            .map(|(_, worker)| worker)
            .collect();
        for worker in &workers {
            worker
                .directive
                .send_replace(Directive::Kill(KillCause::Shutdown));
        }
        for worker in workers {
            let abort = worker.task.abort_handle();
            if tokio::time::timeout(SHUTDOWN_WAIT, worker.task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    /// Stops every worker without waiting (the runner was dropped); their processes die as
    /// the tasks are dropped.
    pub fn abort(&self) {
        for (_, worker) in self.lock().running.drain() {
            worker.task.abort();
        }
    }
}

/// A pod of a lost node that had no worker (not started yet, or finished): marked as the
/// taint manager marks it, then deleted.
async fn evict_unstarted(shared: &KubeletShared, pod: &Pod) {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    if !is_finished(pod) {
        let writer = StatusWriter::new(shared.client.clone(), &namespace, &name);
        writer
            .update_as(NODE_CONTROLLER_MANAGER, |runtime: &mut PodRuntime| {
                runtime.start_time = pod
                    .status
                    .as_ref()
                    .and_then(|status| status.start_time.clone())
                    .map(|time| time.0)
                    .or(Some(Timestamp::now()));
                runtime.terminal = true;
                runtime.disruption = Some(lost_node_disruption());
            })
            .await;
    }
    delete_for_good(&shared.client, pod).await;
}
