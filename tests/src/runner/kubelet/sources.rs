//! The Secrets and ConfigMaps a pod refers to (env, envFrom, secret/configMap/projected
//! volumes): which ones, and their data as read from the API server in one gathering step.
//! Reading is the only I/O here; what is missing is recorded, not judged.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{ConfigMap, Container, Pod, Secret};
use kube::{Api, Client};

/// Object name → its data, or `None` when the API server has no such object.
pub type ObjectData = BTreeMap<String, Option<BTreeMap<String, Vec<u8>>>>;

/// The Secrets and ConfigMaps of a pod's namespace that it refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectSources {
    pub secrets: ObjectData,
    pub config_maps: ObjectData,
}

impl ObjectSources {
    /// A Secret's data; `None` when it does not exist.
    pub fn secret(&self, name: &str) -> Option<&BTreeMap<String, Vec<u8>>> {
        self.secrets.get(name).and_then(Option::as_ref)
    }

    /// A ConfigMap's data and binary data together; `None` when it does not exist.
    pub fn config_map(&self, name: &str) -> Option<&BTreeMap<String, Vec<u8>>> {
        self.config_maps.get(name).and_then(Option::as_ref)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("failed to read secret {namespace}/{name}")]
    ReadSecret {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to read configmap {namespace}/{name}")]
    ReadConfigMap {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
}

/// Names of the Secrets and of the ConfigMaps the pod refers to.
pub fn referenced_objects(pod: &Pod) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut secrets = BTreeSet::new();
    let mut config_maps = BTreeSet::new();
    let Some(spec) = pod.spec.as_ref() else {
        return (secrets, config_maps);
    };
    let containers: Vec<&Container> = spec
        .init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
        .collect();
    for container in containers {
        for source in container.env_from.iter().flatten() {
            secrets.extend(source.secret_ref.as_ref().map(|r| r.name.clone()));
            config_maps.extend(source.config_map_ref.as_ref().map(|r| r.name.clone()));
        }
        for var in container.env.iter().flatten() {
            let value_from = var.value_from.as_ref();
            secrets.extend(
                value_from
                    .and_then(|v| v.secret_key_ref.as_ref())
                    .map(|r| r.name.clone()),
            );
            config_maps.extend(
                value_from
                    .and_then(|v| v.config_map_key_ref.as_ref())
                    .map(|r| r.name.clone()),
            );
        }
    }
    for volume in spec.volumes.iter().flatten() {
        secrets.extend(volume.secret.as_ref().and_then(|s| s.secret_name.clone()));
        config_maps.extend(volume.config_map.as_ref().map(|c| c.name.clone()));
        for projection in volume
            .projected
            .iter()
            .flat_map(|p| p.sources.iter().flatten())
        {
            secrets.extend(projection.secret.as_ref().map(|s| s.name.clone()));
            config_maps.extend(projection.config_map.as_ref().map(|c| c.name.clone()));
        }
    }
    (secrets, config_maps)
}

/// Reads every object the pod refers to from its namespace.
pub async fn gather(client: &Client, pod: &Pod) -> Result<ObjectSources, SourcesError> {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let (secret_names, config_map_names) = referenced_objects(pod);
    let secrets_api: Api<Secret> = Api::namespaced(client.clone(), &namespace);
    let config_maps_api: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
    let mut sources = ObjectSources::default();
    for name in secret_names {
        let secret =
            secrets_api
                .get_opt(&name)
                .await
                .map_err(|source| SourcesError::ReadSecret {
                    namespace: namespace.clone(),
                    name: name.clone(),
                    source,
                })?;
        sources.secrets.insert(name, secret.map(secret_data));
    }
    for name in config_map_names {
        let config_map =
            config_maps_api
                .get_opt(&name)
                .await
                .map_err(|source| SourcesError::ReadConfigMap {
                    namespace: namespace.clone(),
                    name: name.clone(),
                    source,
                })?;
        sources
            .config_maps
            .insert(name, config_map.map(config_map_data));
    }
    Ok(sources)
}

/// A Secret's `data`. `stringData` is write-only and an apiserver folds it into `data`; it is
/// read too in case a server returned it unfolded.
fn secret_data(secret: Secret) -> BTreeMap<String, Vec<u8>> {
    let mut data: BTreeMap<String, Vec<u8>> = secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, value.0))
        .collect();
    for (key, value) in secret.string_data.unwrap_or_default() {
        data.insert(key, value.into_bytes());
    }
    data
}

fn config_map_data(config_map: ConfigMap) -> BTreeMap<String, Vec<u8>> {
    let text = config_map
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, value.into_bytes()));
    let binary = config_map
        .binary_data
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, value.0));
    text.chain(binary).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_come_from_env_env_from_and_volumes_of_every_container() {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "shots"},
            "spec": {
                "initContainers": [{"name": "i", "envFrom": [{"configMapRef": {"name": "init-settings"}}]}],
                "containers": [{
                    "name": "m",
                    "env": [
                        {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "access"}}},
                        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}}
                    ],
                    "envFrom": [{"secretRef": {"name": "tokens"}}]
                }],
                "volumes": [
                    {"name": "a", "secret": {"secretName": "certs"}},
                    {"name": "b", "configMap": {"name": "scenes"}},
                    {"name": "c", "projected": {"sources": [{"secret": {"name": "more"}}, {"configMap": {"name": "extra"}}]}}
                ]
            }
        }))
        .unwrap();
        let (secrets, config_maps) = referenced_objects(&pod);
        assert_eq!(
            secrets.into_iter().collect::<Vec<_>>(),
            ["certs", "more", "s3", "tokens"]
        );
        assert_eq!(
            config_maps.into_iter().collect::<Vec<_>>(),
            ["extra", "init-settings", "scenes", "settings"]
        );
    }

    #[test]
    fn config_map_text_and_binary_data_are_one_map() {
        let config_map: ConfigMap = serde_json::from_value(json!({
            "data": {"mode": "fast"}, "binaryData": {"blob": "AAE="}
        }))
        .unwrap();
        let data = config_map_data(config_map);
        assert_eq!(data["mode"], b"fast");
        assert_eq!(data["blob"], [0u8, 1]);
    }
}
