//! A container's environment as the kubelet builds it: `envFrom` sources, then `env` entries in
//! order (literal values with `$(VAR)` expanded against what came before, Secret and ConfigMap
//! keys, downward API fields and resources). Pure: the objects are gathered beforehand. The
//! host variables the runner adds (PATH, HOME, KUBECONFIG) are the launch plan's business.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, EnvVarSource, Pod};

use super::downward::{self, DownwardError, Placement};
use super::expansion::expand;
use super::sources::ObjectSources;

/// Why a container's configuration cannot be built. Shown to users as the waiting message of
/// `CreateContainerConfigError`, so it is worded as the kubelet words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigProblem {
    MissingObject {
        kind: ObjectKind,
        name: String,
    },
    MissingKey {
        kind: ObjectKind,
        namespace: String,
        name: String,
        key: String,
    },
    Downward(DownwardError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Secret,
    ConfigMap,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lower = |kind: &ObjectKind| match kind {
            ObjectKind::Secret => "secret",
            ObjectKind::ConfigMap => "configmap",
        };
        let title = |kind: &ObjectKind| match kind {
            ObjectKind::Secret => "Secret",
            ObjectKind::ConfigMap => "ConfigMap",
        };
        match self {
            ConfigProblem::MissingObject { kind, name } => {
                write!(f, "{} \"{name}\" not found", lower(kind))
            }
            ConfigProblem::MissingKey {
                kind,
                namespace,
                name,
                key,
            } => {
                write!(
                    f,
                    "couldn't find key {key} in {} {namespace}/{name}",
                    title(kind)
                )
            }
            ConfigProblem::Downward(error) => write!(f, "{error}"),
        }
    }
}

/// The variables a pod defines for one container, by name.
pub fn resolve_env(
    pod: &Pod,
    container: &Container,
    placement: &Placement,
    sources: &ObjectSources,
) -> Result<BTreeMap<String, String>, ConfigProblem> {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let mut vars = BTreeMap::<String, String>::new();
    for source in container.env_from.iter().flatten() {
        let prefix = source.prefix.clone().unwrap_or_default();
        let (kind, name, optional) = match (&source.config_map_ref, &source.secret_ref) {
            (Some(reference), _) => (ObjectKind::ConfigMap, &reference.name, reference.optional),
            (None, Some(reference)) => (ObjectKind::Secret, &reference.name, reference.optional),
            (None, None) => continue,
        };
        let data = match kind {
            ObjectKind::Secret => sources.secret(name),
            ObjectKind::ConfigMap => sources.config_map(name),
        };
        let Some(data) = data else {
            if optional.unwrap_or(false) {
                continue;
            }
            return Err(ConfigProblem::MissingObject {
                kind,
                name: name.clone(),
            });
        };
        for (key, value) in data {
            let variable = format!("{prefix}{key}");
            // The kubelet skips keys that cannot be variable names (and says so in an event).
            if variable.is_empty() || variable.contains('=') {
                continue;
            }
            vars.insert(variable, String::from_utf8_lossy(value).into_owned());
        }
    }
    for var in container.env.iter().flatten() {
        let value = match &var.value_from {
            Some(source) => {
                match value_from(pod, container, source, placement, sources, &namespace)? {
                    Some(value) => value,
                    None => continue,
                }
            }
            None => expand(var.value.as_deref().unwrap_or_default(), |name| {
                vars.get(name).map(String::as_str)
            }),
        };
        vars.insert(var.name.clone(), value);
    }
    Ok(vars)
}

/// The value of a `valueFrom`; `None` when an optional source is missing and the variable is
/// left out.
fn value_from(
    pod: &Pod,
    container: &Container,
    source: &EnvVarSource,
    placement: &Placement,
    sources: &ObjectSources,
    namespace: &str,
) -> Result<Option<String>, ConfigProblem> {
    if let Some(field) = &source.field_ref {
        return downward::field_value(pod, placement, &field.field_path)
            .map(Some)
            .map_err(ConfigProblem::Downward);
    }
    if let Some(resource) = &source.resource_field_ref {
        let container_name = resource
            .container_name
            .as_deref()
            .filter(|name| !name.is_empty())
            .unwrap_or(&container.name);
        return downward::resource_value(
            pod,
            container_name,
            &resource.resource,
            resource.divisor.as_ref(),
            placement,
        )
        .map(Some)
        .map_err(ConfigProblem::Downward);
    }
    let (kind, name, key, optional) = match (&source.secret_key_ref, &source.config_map_key_ref) {
        (Some(r), _) => (
            ObjectKind::Secret,
            &r.name,
            &r.key,
            r.optional.unwrap_or(false),
        ),
        (None, Some(r)) => (
            ObjectKind::ConfigMap,
            &r.name,
            &r.key,
            r.optional.unwrap_or(false),
        ),
        (None, None) => return Ok(Some(String::new())),
    };
    let data = match kind {
        ObjectKind::Secret => sources.secret(name),
        ObjectKind::ConfigMap => sources.config_map(name),
    };
    match data.map(|data| data.get(key)) {
        Some(Some(value)) => Ok(Some(String::from_utf8_lossy(value).into_owned())),
        _ if optional => Ok(None),
        None => Err(ConfigProblem::MissingObject {
            kind,
            name: name.clone(),
        }),
        Some(None) => Err(ConfigProblem::MissingKey {
            kind,
            namespace: namespace.to_owned(),
            name: name.clone(),
            key: key.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::resources::ResourceList;
    use serde_json::{Value, json};

    fn pod(container: Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "render-0", "namespace": "shots", "uid": "u-1", "labels": {"shot": "sh010"}},
            "spec": {"containers": [container]}
        }))
        .unwrap()
    }

    fn sources() -> ObjectSources {
        let data = |pairs: &[(&str, &str)]| {
            Some(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
                    .collect(),
            )
        };
        ObjectSources {
            secrets: BTreeMap::from([
                (
                    "s3".to_owned(),
                    data(&[("access", "AKIA"), ("secret", "shh")]),
                ),
                ("gone".to_owned(), None),
            ]),
            config_maps: BTreeMap::from([(
                "settings".to_owned(),
                data(&[("mode", "fast"), ("bad=key", "x")]),
            )]),
        }
    }

    fn resolve(container: Value) -> Result<BTreeMap<String, String>, ConfigProblem> {
        let pod = pod(container);
        let allocatable = ResourceList::new();
        let placement = Placement {
            node_name: "node-a",
            pod_ip: "127.0.0.1",
            host_ip: "127.0.0.1",
            node_allocatable: &allocatable,
        };
        resolve_env(
            &pod,
            &pod.spec.as_ref().unwrap().containers[0],
            &placement,
            &sources(),
        )
    }

    #[test]
    fn secrets_config_maps_and_downward_fields_become_variables() {
        let vars = resolve(json!({"name": "m", "env": [
            {"name": "ACCESS", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "access"}}},
            {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "SHOT", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['shot']"}}}
        ]}))
        .unwrap();
        assert_eq!(vars["ACCESS"], "AKIA");
        assert_eq!(vars["MODE"], "fast");
        assert_eq!(vars["POD"], "render-0");
        assert_eq!(vars["NODE"], "node-a");
        assert_eq!(vars["SHOT"], "sh010");
    }

    #[test]
    fn literal_values_expand_variables_defined_before_them() {
        let vars = resolve(json!({"name": "m", "env": [
            {"name": "SHOT", "value": "sh010"},
            {"name": "OUT", "value": "/out/$(SHOT)/$(LATER)"},
            {"name": "LATER", "value": "x"}
        ]}))
        .unwrap();
        assert_eq!(vars["OUT"], "/out/sh010/$(LATER)");
    }

    #[test]
    fn env_from_prefixes_keys_skips_invalid_names_and_env_overrides_it() {
        let vars = resolve(json!({"name": "m",
            "envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "CFG_"}, {"secretRef": {"name": "s3"}}],
            "env": [{"name": "secret", "value": "overridden"}]
        }))
        .unwrap();
        assert_eq!(vars["CFG_mode"], "fast");
        assert!(!vars.contains_key("CFG_bad=key"));
        assert_eq!(vars["access"], "AKIA");
        assert_eq!(vars["secret"], "overridden");
    }

    #[test]
    fn a_missing_secret_is_reported_in_the_kubelets_words() {
        let problem = resolve(json!({"name": "m", "env": [
            {"name": "X", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k"}}}
        ]}))
        .unwrap_err();
        assert_eq!(problem.to_string(), "secret \"gone\" not found");
        let problem =
            resolve(json!({"name": "m", "envFrom": [{"configMapRef": {"name": "absent"}}]}))
                .unwrap_err();
        assert_eq!(problem.to_string(), "configmap \"absent\" not found");
    }

    #[test]
    fn a_missing_key_names_the_object() {
        let problem = resolve(json!({"name": "m", "env": [
            {"name": "X", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "token"}}}
        ]}))
        .unwrap_err();
        assert_eq!(
            problem.to_string(),
            "couldn't find key token in Secret shots/s3"
        );
    }

    #[test]
    fn optional_sources_that_are_missing_leave_the_variable_out() {
        let vars = resolve(json!({"name": "m",
            "env": [
                {"name": "X", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k", "optional": true}}},
                {"name": "Y", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "absent", "optional": true}}}
            ],
            "envFrom": [{"secretRef": {"name": "gone", "optional": true}}]
        }))
        .unwrap();
        assert!(vars.is_empty(), "{vars:?}");
    }

    #[test]
    fn resource_fields_read_the_containers_limits() {
        let vars = resolve(json!({"name": "m",
            "resources": {"limits": {"memory": "256Mi"}},
            "env": [{"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}}]
        }))
        .unwrap();
        assert_eq!(vars["MEM"], "256");
    }
}
