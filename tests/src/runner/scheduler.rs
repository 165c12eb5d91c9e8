//! The scheduler loop's I/O: places pending pods in queue order (priority, then age) with the
//! pure decisions of `scheduling`, binds them through `pods/binding`, and reports pods it
//! cannot place as kube-scheduler does (`PodScheduled=False`, reason `Unschedulable`, and a
//! `FailedScheduling` event, once per distinct message).

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Binding, Node, ObjectReference, Pod, PodCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

use super::events::{EventRecorder, EventType, pod_reference};
use super::scheduling::{self, Cluster, Decision, SCHEDULER_NAME};

pub struct Scheduler {
    client: Client,
    events: EventRecorder,
    /// The last unschedulable message reported per pod UID.
    reported: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").finish_non_exhaustive()
    }
}

fn queue_order(pod: &Pod) -> (std::cmp::Reverse<i32>, Option<Timestamp>, String, String) {
    (
        std::cmp::Reverse(
            pod.spec
                .as_ref()
                .and_then(|spec| spec.priority)
                .unwrap_or(0),
        ),
        pod.metadata.creation_timestamp.as_ref().map(|time| time.0),
        pod.metadata.namespace.clone().unwrap_or_default(),
        pod.metadata.name.clone().unwrap_or_default(),
    )
}

impl Scheduler {
    pub fn new(client: Client) -> Self {
        Scheduler {
            events: EventRecorder::new(client.clone(), SCHEDULER_NAME, None),
            client,
            reported: Mutex::new(HashMap::new()),
        }
    }

    fn reported(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.reported
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One scheduling pass; says whether it bound any pod.
    pub async fn schedule_pending(&self, pods: &[Pod], nodes: &[Node]) -> bool {
        let mut placed: Vec<Pod> = pods
            .iter()
            .filter(|pod| scheduling::occupies_node(pod))
            .cloned()
            .collect();
        let mut pending: Vec<&Pod> = pods
            .iter()
            .filter(|pod| scheduling::wants_scheduling(pod))
            .collect();
        pending.sort_by_key(|pod| queue_order(pod));
        {
            let live: std::collections::HashSet<String> = pods
                .iter()
                .filter_map(|pod| pod.metadata.uid.clone())
                .collect();
            self.reported().retain(|uid, _| live.contains(uid));
        }
        let mut bound_any = false;
        for pod in pending {
            let decision = scheduling::schedule(
                pod,
                &Cluster {
                    nodes,
                    placed: &placed,
                },
            );
            match decision {
                Decision::Bind { node } => {
                    if self.bind(pod, &node).await {
                        bound_any = true;
                        let mut bound = pod.clone();
                        bound.spec.get_or_insert_default().node_name = Some(node);
                        placed.push(bound);
                    }
                }
                Decision::Unschedulable { message } => {
                    self.report_unschedulable(pod, &message).await
                }
            }
        }
        bound_any
    }

    async fn bind(&self, pod: &Pod, node: &str) -> bool {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let binding = Binding {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.clone()),
                uid: pod.metadata.uid.clone(),
                ..ObjectMeta::default()
            },
            target: ObjectReference {
                api_version: Some("v1".to_owned()),
                kind: Some("Node".to_owned()),
                name: Some(node.to_owned()),
                ..ObjectReference::default()
            },
        };
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        let params = PostParams {
            field_manager: Some(SCHEDULER_NAME.to_owned()),
            ..PostParams::default()
        };
        let result: Result<serde_json::Value, _> = api
            .create_subresource("binding", &name, &params, &binding)
            .await;
        match result {
            Ok(_) => {
                self.reported()
                    .remove(pod.metadata.uid.as_deref().unwrap_or_default());
                let message = format!("Successfully assigned {namespace}/{name} to {node}");
                self.events
                    .record(
                        &pod_reference(pod, None),
                        EventType::Normal,
                        "Scheduled",
                        &message,
                    )
                    .await;
                true
            }
            Err(kube::Error::Api(status)) if status.is_conflict() || status.is_not_found() => false,
            Err(error) => {
                tracing::warn!(%error, pod = name, node, "failed to bind a pod");
                false
            }
        }
    }

    async fn report_unschedulable(&self, pod: &Pod, message: &str) {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        if self
            .reported()
            .get(&uid)
            .is_some_and(|reported| reported == message)
        {
            return;
        }
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let old = pod
            .status
            .as_ref()
            .and_then(|status| status.conditions.clone())
            .unwrap_or_default();
        let previous = old
            .iter()
            .find(|condition| condition.type_ == "PodScheduled");
        let last_transition_time = match previous {
            Some(previous) if previous.status == "False" => previous.last_transition_time.clone(),
            _ => Some(Time(Timestamp::now())),
        };
        let mut conditions: Vec<PodCondition> = old
            .into_iter()
            .filter(|condition| condition.type_ != "PodScheduled")
            .collect();
        conditions.push(PodCondition {
            type_: "PodScheduled".to_owned(),
            status: "False".to_owned(),
            reason: Some("Unschedulable".to_owned()),
            message: Some(message.to_owned()),
            last_transition_time,
            ..PodCondition::default()
        });
        let patch = json!({
            "metadata": {"resourceVersion": pod.metadata.resource_version},
            "status": {"conditions": conditions},
        });
        let params = PatchParams {
            field_manager: Some(SCHEDULER_NAME.to_owned()),
            ..PatchParams::default()
        };
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        match api
            .patch_status(&name, &params, &Patch::Merge(&patch))
            .await
        {
            Ok(_) => {}
            // The pod changed under us; the next pass sees the new version and reports again.
            Err(kube::Error::Api(status)) if status.is_conflict() || status.is_not_found() => {
                return;
            }
            Err(error) => {
                tracing::warn!(%error, pod = name, "failed to report an unschedulable pod");
                return;
            }
        }
        self.reported().insert(uid, message.to_owned());
        self.events
            .record(
                &pod_reference(pod, None),
                EventType::Warning,
                "FailedScheduling",
                message,
            )
            .await;
    }
}
