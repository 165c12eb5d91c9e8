//! Events are one collection served in two shapes, as by a real apiserver: core `v1` Events
//! (`involvedObject`, `message`, `source`, …), which `kubectl describe` reads, and
//! `events.k8s.io/v1` Events (`regarding`, `note`, `deprecatedSource`, …), which controllers
//! such as kube's event recorder write. They are stored in the core shape; this module converts
//! the other shape to it on write and back on read. It does not touch any other kind.

use serde_json::{Map, Value, json};

use crate::emulator::registry::ResourceType;

/// `events.k8s.io` field names and the core names they are stored under.
const RENAMED: [(&str, &str); 7] = [
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
    ("reportingController", "reportingComponent"),
];

fn is_events_v1(resource: &ResourceType) -> bool {
    resource.group == "events.k8s.io" && resource.plural == "events"
}

/// The group and plural a type's objects are stored under.
pub fn storage_identity(resource: &ResourceType) -> (&str, &str) {
    if is_events_v1(resource) {
        ("", "events")
    } else {
        (&resource.group, &resource.plural)
    }
}

/// An object as sent for `resource`, in the shape it is stored in.
pub fn to_storage(resource: &ResourceType, object: Value) -> Value {
    if !is_events_v1(resource) {
        return object;
    }
    let mut stored = rename(object, |name| {
        RENAMED
            .iter()
            .find(|(events_name, _)| *events_name == name)
            .map(|(_, core_name)| *core_name)
    });
    stored["apiVersion"] = json!("v1");
    stored
}

/// A stored object in the shape of `resource`'s version.
pub fn to_served(resource: &ResourceType, stored: &Value) -> Value {
    let mut served = if is_events_v1(resource) {
        rename(stored.clone(), |name| {
            RENAMED
                .iter()
                .find(|(_, core_name)| *core_name == name)
                .map(|(events_name, _)| *events_name)
        })
    } else {
        stored.clone()
    };
    served["apiVersion"] = json!(resource.api_version());
    served
}

fn rename(object: Value, renamed: impl Fn(&str) -> Option<&'static str>) -> Value {
    let Value::Object(fields) = object else {
        return object;
    };
    let converted: Map<String, Value> = fields
        .into_iter()
        .map(|(name, value)| match renamed(&name) {
            Some(other) => (other.to_owned(), value),
            None => (name, value),
        })
        .collect();
    Value::Object(converted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::registry::Registry;

    #[test]
    fn an_events_k8s_io_event_is_stored_as_a_core_event_and_read_back_unchanged() {
        let registry = Registry::default();
        let events_v1 = registry
            .by_resource("events.k8s.io", "v1", "events")
            .unwrap();
        let core = registry.by_resource("", "v1", "events").unwrap();
        let recorded = json!({
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "sh010.1", "namespace": "render"},
            "eventTime": "2030-01-01T00:00:00.000000Z",
            "reportingController": "framefarm.io/operator", "reportingInstance": "operator-0",
            "action": "Planning", "reason": "Planned", "type": "Normal",
            "regarding": {"kind": "RenderShot", "name": "sh010", "namespace": "render"},
            "note": "split frames 1-240 into 24 RenderJobs",
            "series": {"count": 2, "lastObservedTime": "2030-01-01T00:01:00.000000Z"},
        });

        let stored = to_storage(events_v1, recorded.clone());
        assert_eq!(stored["apiVersion"], "v1");
        assert_eq!(stored["involvedObject"]["name"], "sh010");
        assert_eq!(stored["message"], "split frames 1-240 into 24 RenderJobs");
        assert_eq!(stored["reportingComponent"], "framefarm.io/operator");
        assert_eq!(stored["series"]["count"], 2);
        assert!(stored.get("regarding").is_none() && stored.get("note").is_none());

        assert_eq!(to_served(events_v1, &stored), recorded);
        let described = to_served(core, &stored);
        assert_eq!(described["apiVersion"], "v1");
        assert_eq!(described["involvedObject"]["kind"], "RenderShot");
    }

    #[test]
    fn other_kinds_keep_their_shape() {
        let registry = Registry::default();
        let pods = registry.by_resource("", "v1", "pods").unwrap();
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "note": "kept"});
        assert_eq!(to_storage(pods, pod.clone()), pod);
        assert_eq!(storage_identity(pods), ("", "pods"));
    }
}
