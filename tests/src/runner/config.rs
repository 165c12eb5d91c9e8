//! What the pod runner emulates: its nodes (labels, taints, capacity), the container images it
//! maps onto programs of this machine, and where it keeps pod directories and logs. Read from
//! Rust or from a YAML file; does not touch the API server or the filesystem.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;

use super::quantity;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to parse the runner configuration")]
    ParseYaml(#[source] serde_saphyr::Error),
    #[error("failed to read quantity {text:?} of {field} of node {node:?}")]
    ReadQuantity {
        node: String,
        field: &'static str,
        text: String,
    },
    #[error("failed to accept node {node:?}: {problem}")]
    InvalidNode { node: String, problem: String },
    #[error("failed to accept image {image:?}: {problem}")]
    InvalidImage { image: String, problem: String },
}

/// How a taint repels pods that do not tolerate it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: TaintEffect,
}

/// One emulated node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeConfig {
    pub name: String,
    /// Labels besides the `kubernetes.io/hostname`, `kubernetes.io/os` and `kubernetes.io/arch`
    /// ones every node gets.
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub cpu_millis: i64,
    pub memory_bytes: i64,
    /// Extended resources in whole units, e.g. `nvidia.com/gpu` → 1.
    pub extended: BTreeMap<String, i64>,
}

impl NodeConfig {
    pub fn new(name: impl Into<String>, cpu_millis: i64, memory_bytes: i64) -> Self {
        NodeConfig {
            name: name.into(),
            labels: BTreeMap::new(),
            taints: Vec::new(),
            cpu_millis,
            memory_bytes,
            extended: BTreeMap::new(),
        }
    }

    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    pub fn with_taint(mut self, key: &str, value: &str, effect: TaintEffect) -> Self {
        self.taints.push(Taint {
            key: key.to_owned(),
            value: value.to_owned(),
            effect,
        });
        self
    }

    pub fn with_extended(mut self, resource: impl Into<String>, units: i64) -> Self {
        self.extended.insert(resource.into(), units);
        self
    }
}

/// A container image mapped to the local machine: in-container absolute paths → host paths.
/// Commands, args, env values and workingDir that point into mounted volumes or into `files`
/// are rewritten to the host paths; other absolute paths (e.g. /bin/sh) fall through to the host.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct LocalImage {
    /// The repository; a pod's tag or digest is ignored when matching.
    pub image: String,
    #[serde(default)]
    pub files: BTreeMap<String, PathBuf>,
    /// The image's entrypoint; a container's `args` follow it unless it names a `command`.
    #[serde(default)]
    pub entrypoint: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

impl LocalImage {
    pub fn new(image: impl Into<String>) -> Self {
        LocalImage {
            image: image.into(),
            files: BTreeMap::new(),
            entrypoint: Vec::new(),
            env: BTreeMap::new(),
        }
    }

    pub fn with_file(
        mut self,
        container_path: impl Into<String>,
        host: impl Into<PathBuf>,
    ) -> Self {
        self.files.insert(container_path.into(), host.into());
        self
    }

    pub fn with_entrypoint<S: Into<String>>(
        mut self,
        entrypoint: impl IntoIterator<Item = S>,
    ) -> Self {
        self.entrypoint = entrypoint.into_iter().map(Into::into).collect();
        self
    }

    pub fn with_env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(name.into(), value.into());
        self
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunnerConfig {
    pub nodes: Vec<NodeConfig>,
    pub images: Vec<LocalImage>,
    /// Node and pod directories: `{root}/nodes/{node}/…`.
    pub root: PathBuf,
    /// Container logs: `{logs_dir}/{namespace}/{pod}/{container}.log`.
    pub logs_dir: PathBuf,
    /// The runner's own access to the API; given to every container as `KUBECONFIG` unless
    /// `service_account_tokens` is on.
    pub kubeconfig: PathBuf,
    /// Give each pod a kubeconfig with a token of its ServiceAccount instead, obtained by a
    /// TokenRequest (the API must serve them), so that pods act with their RBAC rights.
    pub service_account_tokens: bool,
}

/// The YAML form: quantities as Kubernetes writes them (`cpu: "8"`, `memory: 32Gi`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RunnerFile {
    #[serde(default)]
    nodes: Vec<NodeFile>,
    #[serde(default)]
    images: Vec<LocalImage>,
    root: PathBuf,
    logs_dir: PathBuf,
    kubeconfig: PathBuf,
    #[serde(default)]
    service_account_tokens: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NodeFile {
    name: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    taints: Vec<Taint>,
    cpu: QuantityText,
    memory: QuantityText,
    #[serde(default)]
    extended: BTreeMap<String, i64>,
}

/// YAML reads `cpu: 8` as a number and `cpu: 500m` as a string; both are quantities.
#[derive(Deserialize)]
#[serde(untagged)]
enum QuantityText {
    Integer(i64),
    Float(f64),
    Text(String),
}

impl QuantityText {
    fn text(&self) -> String {
        match self {
            QuantityText::Integer(value) => value.to_string(),
            QuantityText::Float(value) => value.to_string(),
            QuantityText::Text(text) => text.clone(),
        }
    }
}

impl RunnerConfig {
    /// Reads the YAML form, e.g.
    ///
    /// ```yaml
    /// root: /tmp/farm
    /// logsDir: /tmp/farm/logs
    /// kubeconfig: /tmp/farm/kubeconfig
    /// nodes:
    ///   - name: gpu-1
    ///     labels: {framefarm.io/pool: gpu}
    ///     taints: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule}]
    ///     cpu: 8
    ///     memory: 32Gi
    ///     extended: {nvidia.com/gpu: 1}
    /// images:
    ///   - image: ghcr.io/framefarm/node-agent
    ///     files: {/usr/local/bin/node-agent: /work/target/debug/framefarm-node-agent}
    ///     entrypoint: [/usr/local/bin/node-agent]
    /// ```
    pub fn from_yaml(text: &str) -> Result<RunnerConfig, ConfigError> {
        let file: RunnerFile = serde_saphyr::from_str(text).map_err(ConfigError::ParseYaml)?;
        let nodes = file
            .nodes
            .into_iter()
            .map(node_from_file)
            .collect::<Result<Vec<_>, _>>()?;
        let config = RunnerConfig {
            nodes,
            images: file.images,
            root: file.root,
            logs_dir: file.logs_dir,
            kubeconfig: file.kubeconfig,
            service_account_tokens: file.service_account_tokens,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks what the runner relies on: unique node names and images, container paths that
    /// are absolute.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut names = BTreeSet::new();
        for node in &self.nodes {
            let invalid = |problem: &str| ConfigError::InvalidNode {
                node: node.name.clone(),
                problem: problem.to_owned(),
            };
            if node.name.is_empty() {
                return Err(invalid("the name is empty"));
            }
            if !names.insert(node.name.as_str()) {
                return Err(invalid("another node has the same name"));
            }
            if node.cpu_millis < 0 || node.memory_bytes < 0 {
                return Err(invalid("capacity is negative"));
            }
        }
        let mut images = BTreeSet::new();
        for image in &self.images {
            let invalid = |problem: String| ConfigError::InvalidImage {
                image: image.image.clone(),
                problem,
            };
            if !images.insert(super::image::repository(&image.image)) {
                return Err(invalid("another image has the same repository".to_owned()));
            }
            if let Some(path) = image.files.keys().find(|path| !path.starts_with('/')) {
                return Err(invalid(format!("file {path:?} is not an absolute path")));
            }
        }
        Ok(())
    }
}

fn node_from_file(file: NodeFile) -> Result<NodeConfig, ConfigError> {
    let quantity_error = |field: &'static str, text: String| ConfigError::ReadQuantity {
        node: file.name.clone(),
        field,
        text,
    };
    let cpu_text = file.cpu.text();
    let cpu_millis = quantity::parse_milli(&cpu_text)
        .and_then(|millis| i64::try_from(millis).ok())
        .ok_or_else(|| quantity_error("cpu", cpu_text.clone()))?;
    let memory_text = file.memory.text();
    let memory_bytes = quantity::parse_units(&memory_text)
        .and_then(|bytes| i64::try_from(bytes).ok())
        .ok_or_else(|| quantity_error("memory", memory_text.clone()))?;
    Ok(NodeConfig {
        name: file.name,
        labels: file.labels,
        taints: file.taints,
        cpu_millis,
        memory_bytes,
        extended: file.extended,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FARM: &str = r#"
root: /tmp/farm
logsDir: /tmp/farm/logs
kubeconfig: /tmp/farm/kubeconfig
nodes:
  - name: gpu-1
    labels: {framefarm.io/pool: gpu}
    taints: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule}]
    cpu: 8
    memory: 32Gi
    extended: {nvidia.com/gpu: 1}
  - name: cpu-1
    cpu: 500m
    memory: "1073741824"
images:
  - image: ghcr.io/framefarm/node-agent:v1
    files: {/usr/local/bin/node-agent: /opt/agent}
    entrypoint: [/usr/local/bin/node-agent]
    env: {RUST_LOG: info}
"#;

    #[test]
    fn yaml_quantities_become_millicores_and_bytes() {
        let config = RunnerConfig::from_yaml(FARM).unwrap();
        assert_eq!(config.nodes.len(), 2);
        let gpu = &config.nodes[0];
        assert_eq!(gpu.cpu_millis, 8000);
        assert_eq!(gpu.memory_bytes, 32 << 30);
        assert_eq!(gpu.extended["nvidia.com/gpu"], 1);
        assert_eq!(gpu.taints[0].effect, TaintEffect::NoSchedule);
        assert_eq!(gpu.labels["framefarm.io/pool"], "gpu");
        assert_eq!(config.nodes[1].cpu_millis, 500);
        assert_eq!(config.nodes[1].memory_bytes, 1 << 30);
        assert_eq!(config.images[0].entrypoint, ["/usr/local/bin/node-agent"]);
        assert_eq!(config.logs_dir, PathBuf::from("/tmp/farm/logs"));
    }

    #[test]
    fn a_quantity_that_does_not_parse_names_node_and_field() {
        let text = FARM.replace("memory: 32Gi", "memory: lots");
        let error = RunnerConfig::from_yaml(&text).unwrap_err().to_string();
        assert!(
            error.contains("memory") && error.contains("gpu-1"),
            "{error}"
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let text = FARM.replace("logsDir", "logDir");
        assert!(RunnerConfig::from_yaml(&text).is_err());
    }

    #[test]
    fn duplicate_node_names_are_rejected() {
        let text = FARM.replace("name: cpu-1", "name: gpu-1");
        let error = RunnerConfig::from_yaml(&text).unwrap_err().to_string();
        assert!(error.contains("same name"), "{error}");
    }

    #[test]
    fn image_files_must_be_absolute_container_paths() {
        let text = FARM.replace(
            "{/usr/local/bin/node-agent: /opt/agent}",
            "{bin/agent: /opt/agent}",
        );
        let error = RunnerConfig::from_yaml(&text).unwrap_err().to_string();
        assert!(error.contains("bin/agent"), "{error}");
    }
}
