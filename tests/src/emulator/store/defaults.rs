//! What the apiserver's built-in strategies do to an object before storing it, for the kinds
//! where clients rely on it: Pod defaults and initial status, Namespace phase, Secret
//! `stringData`, and a CRD's acceptance status. Other kinds are stored as sent.

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::emulator::registry::ResourceType;

/// Fills in what the apiserver defaults on create.
pub fn on_create(resource: &ResourceType, object: &mut Value) {
    match (resource.group.as_str(), resource.plural.as_str()) {
        ("", "pods") => default_pod(object),
        ("", "namespaces") => {
            object["status"] = json!({"phase": "Active"});
            object["spec"]["finalizers"] = json!(["kubernetes"]);
        }
        ("apiextensions.k8s.io", "customresourcedefinitions") => accept_crd(object),
        _ => {}
    }
    on_write(resource, object);
}

/// What the apiserver does on every write of the main resource.
pub fn on_write(resource: &ResourceType, object: &mut Value) {
    if resource.is_core("secrets") {
        fold_string_data(object);
        if object.get("type").is_none_or(Value::is_null) {
            object["type"] = json!("Opaque");
        }
    }
}

fn default_pod(pod: &mut Value) {
    let spec = &mut pod["spec"];
    for (field, value) in [
        ("restartPolicy", json!("Always")),
        ("terminationGracePeriodSeconds", json!(30)),
        ("dnsPolicy", json!("ClusterFirst")),
        ("schedulerName", json!("default-scheduler")),
        ("serviceAccountName", json!("default")),
        ("priority", json!(0)),
        ("enableServiceLinks", json!(true)),
        ("securityContext", json!({})),
    ] {
        if spec.get(field).is_none_or(Value::is_null) {
            spec[field] = value;
        }
    }
    for list in ["initContainers", "containers"] {
        if let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) {
            for container in containers {
                for (field, value) in [
                    ("terminationMessagePath", json!("/dev/termination-log")),
                    ("terminationMessagePolicy", json!("File")),
                    ("imagePullPolicy", json!(image_pull_policy(container))),
                    ("resources", json!({})),
                ] {
                    if container.get(field).is_none_or(Value::is_null) {
                        container[field] = value;
                    }
                }
            }
        }
    }
    let qos_class = qos_class(spec);
    pod["status"] = json!({"phase": "Pending", "qosClass": qos_class});
}

/// `Always` for `:latest` or untagged images, `IfNotPresent` otherwise, as the apiserver defaults.
fn image_pull_policy(container: &Value) -> &'static str {
    let image = container["image"].as_str().unwrap_or_default();
    let tag = image
        .rsplit('/')
        .next()
        .and_then(|last| last.split_once(':'));
    match tag {
        Some((_, "latest")) | None if !image.contains('@') => "Always",
        _ => "IfNotPresent",
    }
}

/// The pod's QoS class from its containers' requests and limits.
fn qos_class(spec: &Value) -> &'static str {
    let containers: Vec<&Value> = ["initContainers", "containers"]
        .iter()
        .filter_map(|list| spec.get(*list).and_then(Value::as_array))
        .flatten()
        .collect();
    let resources = |container: &Value, kind: &str| {
        container["resources"][kind]
            .as_object()
            .cloned()
            .unwrap_or_default()
    };
    let any_set = containers.iter().any(|container| {
        !resources(container, "requests").is_empty() || !resources(container, "limits").is_empty()
    });
    if !any_set {
        return "BestEffort";
    }
    let guaranteed = containers.iter().all(|container| {
        let limits = resources(container, "limits");
        let requests = resources(container, "requests");
        ["cpu", "memory"].iter().all(|name| {
            limits.contains_key(*name)
                && requests
                    .get(*name)
                    .is_none_or(|request| Some(request) == limits.get(*name))
        })
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// Moves `stringData` into base64 `data`, as the Secret strategy does.
fn fold_string_data(secret: &mut Value) {
    let Some(string_data) = secret
        .as_object_mut()
        .and_then(|fields| fields.remove("stringData"))
    else {
        return;
    };
    let Some(entries) = string_data.as_object() else {
        return;
    };
    if !secret["data"].is_object() {
        secret["data"] = Value::Object(Map::new());
    }
    for (key, value) in entries {
        let text = value.as_str().unwrap_or_default();
        secret["data"][key] =
            json!(base64::engine::general_purpose::STANDARD.encode(text.as_bytes()));
    }
}

/// The status the apiextensions controllers give an installable CRD.
pub fn accept_crd(crd: &mut Value) {
    let names = &crd["spec"]["names"];
    let kind = names["kind"].as_str().unwrap_or_default().to_owned();
    let mut accepted = names.clone();
    if accepted["singular"].as_str().is_none_or(str::is_empty) {
        accepted["singular"] = json!(kind.to_lowercase());
    }
    if accepted["listKind"].as_str().is_none_or(str::is_empty) {
        accepted["listKind"] = json!(format!("{kind}List"));
    }
    let stored: Vec<Value> = crd["spec"]["versions"]
        .as_array()
        .map(|versions| {
            versions
                .iter()
                .filter(|version| version["storage"].as_bool() == Some(true))
                .map(|version| version["name"].clone())
                .collect()
        })
        .unwrap_or_default();
    let now = super::metadata::now();
    crd["status"] = json!({
        "acceptedNames": accepted,
        "storedVersions": stored,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
             "message": "no conflicts found", "lastTransitionTime": now},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted", "lastTransitionTime": now},
        ],
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::registry::Registry;

    #[test]
    fn a_new_pod_is_pending_with_defaults_and_a_qos_class() {
        let registry = Registry::default();
        let pods = registry.by_resource("", "v1", "pods").unwrap();
        let mut pod = json!({"spec": {"containers": [{"name": "a", "image": "agent:1.0",
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}});
        on_create(pods, &mut pod);
        assert_eq!(
            pod["status"],
            json!({"phase": "Pending", "qosClass": "Guaranteed"})
        );
        assert_eq!(pod["spec"]["restartPolicy"], "Always");
        assert_eq!(pod["spec"]["terminationGracePeriodSeconds"], 30);
        assert_eq!(
            pod["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
    }

    #[test]
    fn string_data_becomes_base64_data() {
        let registry = Registry::default();
        let secrets = registry.by_resource("", "v1", "secrets").unwrap();
        let mut secret = json!({"stringData": {"key": "abc"}});
        on_create(secrets, &mut secret);
        assert_eq!(secret, json!({"data": {"key": "YWJj"}, "type": "Opaque"}));
    }

    #[test]
    fn a_secret_without_a_type_is_opaque() {
        let registry = Registry::default();
        let secrets = registry.by_resource("", "v1", "secrets").unwrap();
        let mut secret = json!({"data": {"key": "YWJj"}});
        on_create(secrets, &mut secret);
        assert_eq!(secret["type"], "Opaque");
        let mut tls = json!({"type": "kubernetes.io/tls"});
        on_write(secrets, &mut tls);
        assert_eq!(tls["type"], "kubernetes.io/tls");
    }
}
