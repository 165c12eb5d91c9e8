//! Pods the operator runs: render pods (one per RenderJob attempt) and preview pods, built
//! from the custom resource and the operator's settings. This module holds what both kinds
//! share: the settings, restricted security, storage credentials and scratch volumes.
//! Building is pure; creating, watching and deleting pods is the controllers' work.

mod placement;
pub mod preview;
pub mod render;

use framefarm_crds::storage::StorageSpec;
use k8s_openapi::api::core::v1::{
    Capabilities, EmptyDirVolumeSource, EnvVar, EnvVarSource, HostPathVolumeSource,
    ObjectFieldSelector, PodSecurityContext, PodSpec, SeccompProfile, SecretKeySelector,
    SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Resource;
use thiserror::Error;

/// Where the node cache is mounted in every pod; the agent reads it from `FRAMEFARM_CACHE_DIR`.
pub const CACHE_MOUNT_PATH: &str = "/var/cache/framefarm";
/// The agent's work folder (scene copy, frames waiting for upload, engine log).
pub const WORK_MOUNT_PATH: &str = "/framefarm/work";
/// Writable temporary folder, also `HOME`, because the root filesystem is read-only.
pub const TMP_MOUNT_PATH: &str = "/tmp";

/// User, group and filesystem group of every container: the `nonroot` user of distroless
/// images, which owns nothing in the image, so the emptyDirs are its only writable places.
const NON_ROOT_ID: i64 = 65532;

const CACHE_VOLUME: &str = "cache";
const WORK_VOLUME: &str = "work";
const TMP_VOLUME: &str = "tmp";

/// What the operator's flags say about the pods it builds.
#[derive(Clone, Debug, PartialEq)]
pub struct PodSettings {
    /// Image of the node-agent, e.g. `ghcr.io/framefarm/node-agent:0.1.0`.
    pub agent_image: String,
    /// Image for Blender engines that name none.
    pub blender_image: String,
    /// Node folder holding the cache shared by the pods of a node.
    pub cache_host_path: String,
    /// Largest size of the node cache, in GiB (`FRAMEFARM_CACHE_GIB`).
    pub cache_gib: f64,
    /// ServiceAccount of pods whose spec names none.
    pub service_account: String,
    /// Seconds a stopping pod gets: the agent gives the engine 20 s, then uploads what it saved.
    pub termination_grace_seconds: i64,
    /// Ask cluster autoscalers not to remove nodes while render pods run on them.
    pub disruption_annotations: bool,
    pub read_only_root_filesystem: bool,
    /// Log filter of the agent (`FRAMEFARM_LOG`), e.g. `info` or `framefarm=debug`.
    pub log_filter: String,
}

/// The settings of an operator started without flags, for tests of the builders.
#[cfg(test)]
pub(crate) fn default_settings() -> PodSettings {
    use clap::Parser;
    crate::config::Config::parse_from(["framefarm-operator"]).pod_settings()
}

/// Why a pod could not be built.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PodError {
    #[error("failed to build a pod for {kind} {name}: it has no metadata.{field}")]
    MissingMetadata {
        kind: String,
        name: String,
        field: &'static str,
    },
    #[error(
        "failed to build the render pod of RenderJob {namespace}/{name}: it names no engine; \
         set exactly one of engine.blender and engine.command"
    )]
    NoEngine { namespace: String, name: String },
}

/// The identity of the object a pod belongs to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Owner {
    pub name: String,
    pub namespace: String,
    pub reference: OwnerReference,
}

impl Owner {
    /// The controller reference to `object`, so its pods are garbage-collected with it.
    pub fn of<K>(object: &K) -> Result<Owner, PodError>
    where
        K: Resource<DynamicType = ()>,
    {
        let meta = object.meta();
        let missing = |field| PodError::MissingMetadata {
            kind: K::kind(&()).into_owned(),
            name: meta.name.clone().unwrap_or_default(),
            field,
        };
        let name = meta.name.clone().ok_or_else(|| missing("name"))?;
        let namespace = meta.namespace.clone().ok_or_else(|| missing("namespace"))?;
        let uid = meta.uid.clone().ok_or_else(|| missing("uid"))?;
        let reference = OwnerReference {
            api_version: K::api_version(&()).into_owned(),
            kind: K::kind(&()).into_owned(),
            name: name.clone(),
            uid,
            controller: Some(true),
            block_owner_deletion: Some(true),
        };
        Ok(Owner {
            name,
            namespace,
            reference,
        })
    }

    /// Metadata of a pod named `name` owned by this object.
    pub fn pod_meta(&self, name: String) -> ObjectMeta {
        ObjectMeta {
            name: Some(name),
            namespace: Some(self.namespace.clone()),
            owner_references: Some(vec![self.reference.clone()]),
            ..ObjectMeta::default()
        }
    }
}

/// The spec fields every operator pod shares; callers add containers.
pub(crate) fn base_pod_spec(service_account: Option<&str>, settings: &PodSettings) -> PodSpec {
    PodSpec {
        restart_policy: Some("Never".into()),
        termination_grace_period_seconds: Some(settings.termination_grace_seconds),
        service_account_name: Some(
            service_account
                .unwrap_or(&settings.service_account)
                .to_owned(),
        ),
        // The agent writes the status of its RenderJob or shot through the API.
        automount_service_account_token: Some(true),
        security_context: Some(pod_security_context()),
        volumes: Some(scratch_volumes(settings)),
        ..PodSpec::default()
    }
}

/// Non-root with the runtime's default seccomp profile, as the `restricted` Pod Security
/// Standard asks.
pub(crate) fn pod_security_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(NON_ROOT_ID),
        run_as_group: Some(NON_ROOT_ID),
        fs_group: Some(NON_ROOT_ID),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            localhost_profile: None,
        }),
        ..PodSecurityContext::default()
    }
}

/// No privilege escalation and no capabilities for every container.
pub(crate) fn container_security_context(settings: &PodSettings) -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: None,
        }),
        read_only_root_filesystem: Some(settings.read_only_root_filesystem),
        run_as_non_root: Some(true),
        ..SecurityContext::default()
    }
}

/// A literal environment variable.
pub(crate) fn value_env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        value_from: None,
    }
}

/// An environment variable filled from the pod's own fields (the downward API).
pub(crate) fn field_env(name: &str, field_path: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                api_version: Some("v1".into()),
                field_path: field_path.into(),
            }),
            ..EnvVarSource::default()
        }),
    }
}

/// The storage keys from the Secret the storage settings name; none without a Secret, so
/// stores that need no keys (or give them through the pod's identity) work.
pub(crate) fn credentials_env(storage: &StorageSpec) -> Vec<EnvVar> {
    let Some(secret) = &storage.credentials_secret else {
        return Vec::new();
    };
    let from_secret = |name: &str, key: &str| EnvVar {
        name: name.into(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.name.clone(),
                key: key.into(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
    };
    vec![
        from_secret("AWS_ACCESS_KEY_ID", &secret.access_key_id_key),
        from_secret("AWS_SECRET_ACCESS_KEY", &secret.secret_access_key_key),
    ]
}

/// Where the agent keeps its cache, work folder and temporary files, and how it logs.
pub(crate) fn scratch_env(settings: &PodSettings) -> Vec<EnvVar> {
    vec![
        value_env("FRAMEFARM_CACHE_DIR", CACHE_MOUNT_PATH),
        value_env("FRAMEFARM_CACHE_GIB", settings.cache_gib.to_string()),
        value_env("FRAMEFARM_WORK_DIR", WORK_MOUNT_PATH),
        value_env("FRAMEFARM_LOG", settings.log_filter.clone()),
        value_env("TMPDIR", TMP_MOUNT_PATH),
        value_env("HOME", TMP_MOUNT_PATH),
    ]
}

/// The writable places of a pod whose root filesystem is read-only.
fn scratch_volumes(settings: &PodSettings) -> Vec<Volume> {
    vec![
        empty_dir_volume(WORK_VOLUME),
        empty_dir_volume(TMP_VOLUME),
        Volume {
            name: CACHE_VOLUME.into(),
            host_path: Some(HostPathVolumeSource {
                path: settings.cache_host_path.clone(),
                type_: Some("DirectoryOrCreate".into()),
            }),
            ..Volume::default()
        },
    ]
}

pub(crate) fn empty_dir_volume(name: &str) -> Volume {
    Volume {
        name: name.into(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    }
}

/// Mounts of the scratch volumes, for the container running the agent.
pub(crate) fn scratch_mounts() -> Vec<VolumeMount> {
    vec![
        mount(WORK_VOLUME, WORK_MOUNT_PATH),
        mount(TMP_VOLUME, TMP_MOUNT_PATH),
        mount(CACHE_VOLUME, CACHE_MOUNT_PATH),
    ]
}

pub(crate) fn mount(volume: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: volume.into(),
        mount_path: path.into(),
        ..VolumeMount::default()
    }
}
