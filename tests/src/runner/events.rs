//! Core v1 Events about pods and nodes, as the scheduler and kubelet post them (PascalCase
//! reasons, `source.component`, one Event per occurrence). Best effort like a real event
//! recorder: a failure to post is logged, never propagated.

use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, EventSource, Node, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::PostParams;
use kube::{Api, Client};

/// `Normal` or `Warning`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

/// Posts Events as one component (`default-scheduler`, `kubelet`) on one host.
#[derive(Clone)]
pub struct EventRecorder {
    client: Client,
    component: &'static str,
    host: Option<String>,
}

impl std::fmt::Debug for EventRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRecorder")
            .field("component", &self.component)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// Distinguishes Events created in the same nanosecond.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl EventRecorder {
    pub fn new(client: Client, component: &'static str, host: Option<String>) -> Self {
        EventRecorder {
            client,
            component,
            host,
        }
    }

    /// The same component reporting from another host (a kubelet per node).
    pub fn on_host(&self, host: &str) -> Self {
        EventRecorder {
            host: Some(host.to_owned()),
            ..self.clone()
        }
    }

    pub async fn record(
        &self,
        about: &ObjectReference,
        kind: EventType,
        reason: &str,
        message: &str,
    ) {
        let event = self.build(about, kind, reason, message, Timestamp::now());
        let namespace = event.metadata.namespace.clone().unwrap_or_default();
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        if let Err(error) = api.create(&PostParams::default(), &event).await {
            tracing::warn!(%error, reason, object = ?about.name, "failed to post an event");
        }
    }

    fn build(
        &self,
        about: &ObjectReference,
        kind: EventType,
        reason: &str,
        message: &str,
        now: Timestamp,
    ) -> Event {
        // Events about cluster-scoped objects (nodes) live in `default`, as the kubelet's do.
        let namespace = about
            .namespace
            .clone()
            .filter(|namespace| !namespace.is_empty())
            .unwrap_or_else(|| "default".to_owned());
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let name = format!(
            "{}.{:x}",
            about.name.as_deref().unwrap_or("unknown"),
            now.as_nanosecond().unsigned_abs() + u128::from(sequence)
        );
        Event {
            metadata: ObjectMeta {
                name: Some(name),
                namespace: Some(namespace),
                ..ObjectMeta::default()
            },
            involved_object: about.clone(),
            reason: Some(reason.to_owned()),
            message: Some(message.to_owned()),
            type_: Some(
                match kind {
                    EventType::Normal => "Normal",
                    EventType::Warning => "Warning",
                }
                .to_owned(),
            ),
            source: Some(EventSource {
                component: Some(self.component.to_owned()),
                host: self.host.clone(),
            }),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            count: Some(1),
            reporting_component: Some(self.component.to_owned()),
            reporting_instance: Some(
                self.host
                    .clone()
                    .unwrap_or_else(|| self.component.to_owned()),
            ),
            ..Event::default()
        }
    }
}

/// A reference to a pod, or with `field_path` to one of its containers.
pub fn pod_reference(pod: &Pod, field_path: Option<String>) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".to_owned()),
        kind: Some("Pod".to_owned()),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        resource_version: pod.metadata.resource_version.clone(),
        field_path,
    }
}

pub fn node_reference(node: &Node) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".to_owned()),
        kind: Some("Node".to_owned()),
        name: node.metadata.name.clone(),
        uid: node.metadata.uid.clone(),
        ..ObjectReference::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn recorder() -> EventRecorder {
        // Building events needs no server; the client is never called.
        let config = kube::Config::new("http://127.0.0.1:1".parse().unwrap());
        EventRecorder::new(
            Client::try_from(config).unwrap(),
            "kubelet",
            Some("node-a".to_owned()),
        )
    }

    #[tokio::test]
    async fn a_container_event_names_the_pod_the_container_and_the_reporter() {
        let pod: Pod = serde_json::from_value(
            json!({"metadata": {"name": "render-0", "namespace": "shots", "uid": "u-1"}}),
        )
        .unwrap();
        let about = pod_reference(&pod, Some("spec.containers{main}".to_owned()));
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let event = recorder().build(
            &about,
            EventType::Normal,
            "Started",
            "Started container main",
            now,
        );
        let event = serde_json::to_value(event).unwrap();
        assert_eq!(event["metadata"]["namespace"], "shots");
        assert!(
            event["metadata"]["name"]
                .as_str()
                .unwrap()
                .starts_with("render-0.")
        );
        assert_eq!(event["involvedObject"]["kind"], "Pod");
        assert_eq!(event["involvedObject"]["uid"], "u-1");
        assert_eq!(
            event["involvedObject"]["fieldPath"],
            "spec.containers{main}"
        );
        assert_eq!(event["reason"], "Started");
        assert_eq!(event["type"], "Normal");
        assert_eq!(
            event["source"],
            json!({"component": "kubelet", "host": "node-a"})
        );
        assert_eq!(event["count"], 1);
        assert_eq!(event["firstTimestamp"], "2023-11-14T22:13:20Z");
    }

    #[tokio::test]
    async fn events_about_nodes_go_to_the_default_namespace() {
        let node: Node =
            serde_json::from_value(json!({"metadata": {"name": "node-a", "uid": "n-1"}})).unwrap();
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let event = recorder().build(
            &node_reference(&node),
            EventType::Warning,
            "NodeNotReady",
            "Node node-a status is now: NodeNotReady",
            now,
        );
        assert_eq!(event.metadata.namespace.as_deref(), Some("default"));
        assert_eq!(event.involved_object.kind.as_deref(), Some("Node"));
        assert_eq!(event.type_.as_deref(), Some("Warning"));
    }
}
