//! A pod's volumes on this machine: `emptyDir` per pod, `hostPath` per node, Secret,
//! ConfigMap, downward API and projected volumes written out as files; and a container's
//! `volumeMounts` (with `subPath`/`subPathExpr`) as container path → host directory.
//! Filesystem only: the objects are gathered beforehand. Contents are written once when the
//! pod starts; later changes to a Secret or ConfigMap do not reach running pods.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use k8s_openapi::api::core::v1::{Container, DownwardAPIVolumeFile, KeyToPath, Pod, Volume};

use super::downward::{self, Placement};
use super::expansion::expand;
use super::paths::{PodDirs, host_path};
use super::sources::ObjectSources;

#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    #[error("failed to set up volume {volume:?}: {problem}")]
    SetUp { volume: String, problem: String },
    #[error("failed to write volume {volume:?} at {path}")]
    Write {
        volume: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to mount volume {volume:?} in container {container:?}: {problem}")]
    Mount {
        container: String,
        volume: String,
        problem: String,
    },
}

impl VolumeError {
    /// The `FailedMount` event message, in the kubelet's words.
    pub fn event_message(&self) -> String {
        match self {
            VolumeError::SetUp { volume, problem } => {
                format!("MountVolume.SetUp failed for volume \"{volume}\" : {problem}")
            }
            VolumeError::Write {
                volume,
                path,
                source,
            } => format!(
                "MountVolume.SetUp failed for volume \"{volume}\" : {}: {source}",
                path.display()
            ),
            VolumeError::Mount {
                volume, problem, ..
            } => {
                format!("MountVolume.SetUp failed for volume \"{volume}\" : {problem}")
            }
        }
    }
}

/// What a pod's volumes need from its surroundings.
#[derive(Clone, Copy, Debug)]
pub struct VolumeContext<'a> {
    pub pod: &'a Pod,
    pub dirs: &'a PodDirs,
    pub runner_root: &'a Path,
    pub node: &'a str,
    pub sources: &'a ObjectSources,
    pub placement: &'a Placement<'a>,
}

/// Volume name → its host directory (or file, for a `hostPath` of type `File`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreparedVolumes {
    pub paths: BTreeMap<String, PathBuf>,
}

/// Creates or writes every volume of the pod.
pub fn prepare_volumes(context: &VolumeContext) -> Result<PreparedVolumes, VolumeError> {
    let mut prepared = PreparedVolumes::default();
    let volumes = context
        .pod
        .spec
        .iter()
        .flat_map(|spec| spec.volumes.iter().flatten());
    for volume in volumes {
        let path = prepare_volume(context, volume)?;
        prepared.paths.insert(volume.name.clone(), path);
    }
    Ok(prepared)
}

fn set_up_error(volume: &Volume, problem: impl Into<String>) -> VolumeError {
    VolumeError::SetUp {
        volume: volume.name.clone(),
        problem: problem.into(),
    }
}

fn prepare_volume(context: &VolumeContext, volume: &Volume) -> Result<PathBuf, VolumeError> {
    let write_error = |path: &Path| {
        let volume = volume.name.clone();
        let path = path.to_path_buf();
        move |source| VolumeError::Write {
            volume: volume.clone(),
            path: path.clone(),
            source,
        }
    };
    if volume.empty_dir.is_some() {
        let dir = context.dirs.volume("empty-dir", &volume.name);
        std::fs::create_dir_all(&dir).map_err(write_error(&dir))?;
        return Ok(dir);
    }
    if let Some(host) = &volume.host_path {
        return prepare_host_path(
            context,
            volume,
            &host.path,
            host.type_.as_deref().unwrap_or_default(),
        );
    }
    let mut files = Files::default();
    let plugin = if let Some(secret) = &volume.secret {
        let name = secret.secret_name.clone().unwrap_or_default();
        files.add_object(
            context.sources.secret(&name),
            "secret",
            &name,
            secret.items.as_deref(),
            secret.optional,
            volume,
        )?;
        files.default_mode = secret.default_mode;
        "secret"
    } else if let Some(config_map) = &volume.config_map {
        files.add_object(
            context.sources.config_map(&config_map.name),
            "configmap",
            &config_map.name,
            config_map.items.as_deref(),
            config_map.optional,
            volume,
        )?;
        files.default_mode = config_map.default_mode;
        "configmap"
    } else if let Some(downward_api) = &volume.downward_api {
        files.add_downward(
            context,
            downward_api.items.as_deref().unwrap_or_default(),
            volume,
        )?;
        files.default_mode = downward_api.default_mode;
        "downward-api"
    } else if let Some(projected) = &volume.projected {
        for source in projected.sources.iter().flatten() {
            if let Some(secret) = &source.secret {
                files.add_object(
                    context.sources.secret(&secret.name),
                    "secret",
                    &secret.name,
                    secret.items.as_deref(),
                    secret.optional,
                    volume,
                )?;
            } else if let Some(config_map) = &source.config_map {
                files.add_object(
                    context.sources.config_map(&config_map.name),
                    "configmap",
                    &config_map.name,
                    config_map.items.as_deref(),
                    config_map.optional,
                    volume,
                )?;
            } else if let Some(downward_api) = &source.downward_api {
                files.add_downward(
                    context,
                    downward_api.items.as_deref().unwrap_or_default(),
                    volume,
                )?;
            } else {
                return Err(set_up_error(
                    volume,
                    "only secret, configMap and downwardAPI projections are supported by the pod runner; pods reach the API server through $KUBECONFIG",
                ));
            }
        }
        files.default_mode = projected.default_mode;
        "projected"
    } else {
        return Err(set_up_error(
            volume,
            "the pod runner supports emptyDir, hostPath, secret, configMap, downwardAPI and projected volumes only",
        ));
    };
    let dir = context.dirs.volume(plugin, &volume.name);
    files.write(&dir, write_error(&dir))?;
    Ok(dir)
}

fn prepare_host_path(
    context: &VolumeContext,
    volume: &Volume,
    path: &str,
    kind: &str,
) -> Result<PathBuf, VolumeError> {
    let host = host_path(context.runner_root, context.node, path);
    let write_error = |source| VolumeError::Write {
        volume: volume.name.clone(),
        path: host.clone(),
        source,
    };
    match kind {
        "" | "DirectoryOrCreate" => std::fs::create_dir_all(&host).map_err(write_error)?,
        "FileOrCreate" => {
            if let Some(parent) = host.parent() {
                std::fs::create_dir_all(parent).map_err(write_error)?;
            }
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&host)
                .map_err(write_error)?;
        }
        "Directory" if !host.is_dir() => {
            return Err(set_up_error(
                volume,
                format!("hostPath type check failed: {path} is not a directory"),
            ));
        }
        "File" if !host.is_file() => {
            return Err(set_up_error(
                volume,
                format!("hostPath type check failed: {path} is not a file"),
            ));
        }
        "Directory" | "File" => {}
        other => {
            return Err(set_up_error(
                volume,
                format!("hostPath type {other} is not supported by the pod runner"),
            ));
        }
    }
    Ok(host)
}

/// Files to write into a volume directory: relative path → content and mode.
#[derive(Default)]
struct Files {
    entries: BTreeMap<String, (Vec<u8>, Option<i32>)>,
    default_mode: Option<i32>,
}

impl Files {
    fn add_object(
        &mut self,
        data: Option<&BTreeMap<String, Vec<u8>>>,
        kind: &str,
        name: &str,
        items: Option<&[KeyToPath]>,
        optional: Option<bool>,
        volume: &Volume,
    ) -> Result<(), VolumeError> {
        let Some(data) = data else {
            if optional.unwrap_or(false) {
                return Ok(());
            }
            return Err(set_up_error(volume, format!("{kind} \"{name}\" not found")));
        };
        match items {
            None => {
                for (key, value) in data {
                    self.entries.insert(key.clone(), (value.clone(), None));
                }
            }
            Some(items) => {
                for item in items {
                    let Some(value) = data.get(&item.key) else {
                        if optional.unwrap_or(false) {
                            continue;
                        }
                        return Err(set_up_error(
                            volume,
                            format!("{kind} {name} references non-existent key: {}", item.key),
                        ));
                    };
                    self.entries
                        .insert(relative(volume, &item.path)?, (value.clone(), item.mode));
                }
            }
        }
        Ok(())
    }

    fn add_downward(
        &mut self,
        context: &VolumeContext,
        items: &[DownwardAPIVolumeFile],
        volume: &Volume,
    ) -> Result<(), VolumeError> {
        for item in items {
            let value = if let Some(field) = &item.field_ref {
                downward::field_value(context.pod, context.placement, &field.field_path)
            } else if let Some(resource) = &item.resource_field_ref {
                downward::resource_value(
                    context.pod,
                    resource.container_name.as_deref().unwrap_or_default(),
                    &resource.resource,
                    resource.divisor.as_ref(),
                    context.placement,
                )
            } else {
                continue;
            };
            let value = value.map_err(|error| set_up_error(volume, error.to_string()))?;
            self.entries.insert(
                relative(volume, &item.path)?,
                (value.into_bytes(), item.mode),
            );
        }
        Ok(())
    }

    /// Replaces the directory's contents with the files.
    fn write(
        self,
        dir: &Path,
        error: impl Fn(std::io::Error) -> VolumeError,
    ) -> Result<(), VolumeError> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(&error)?;
        }
        std::fs::create_dir_all(dir).map_err(&error)?;
        let default_mode = self.default_mode.unwrap_or(0o644);
        for (path, (content, mode)) in self.entries {
            let file = dir.join(path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).map_err(&error)?;
            }
            std::fs::write(&file, content).map_err(&error)?;
            let mode = u32::try_from(mode.unwrap_or(default_mode)).unwrap_or(0o644);
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode))
                .map_err(&error)?;
        }
        Ok(())
    }
}

/// A path inside a volume: relative, without `..`.
fn relative(volume: &Volume, path: &str) -> Result<String, VolumeError> {
    let escapes = Path::new(path)
        .components()
        .any(|component| !matches!(component, Component::Normal(_)));
    if path.is_empty() || escapes {
        return Err(set_up_error(
            volume,
            format!("path {path:?} must be relative and may not contain '..'"),
        ));
    }
    Ok(path.to_owned())
}

/// A container's mounts: container path → host path, `subPath` directories created.
pub fn container_mounts(
    container: &Container,
    prepared: &PreparedVolumes,
    env: &BTreeMap<String, String>,
) -> Result<Vec<(String, PathBuf)>, VolumeError> {
    let mut mounts = Vec::new();
    for mount in container.volume_mounts.iter().flatten() {
        let mount_error = |problem: String| VolumeError::Mount {
            container: container.name.clone(),
            volume: mount.name.clone(),
            problem,
        };
        let base = prepared
            .paths
            .get(&mount.name)
            .ok_or_else(|| mount_error("the pod has no volume of that name".to_owned()))?;
        let sub_path = match (&mount.sub_path, &mount.sub_path_expr) {
            (Some(sub_path), _) if !sub_path.is_empty() => sub_path.clone(),
            (_, Some(expression)) if !expression.is_empty() => {
                expand(expression, |name| env.get(name).map(String::as_str))
            }
            _ => String::new(),
        };
        let host = if sub_path.is_empty() {
            base.clone()
        } else {
            let escapes = Path::new(&sub_path)
                .components()
                .any(|c| !matches!(c, Component::Normal(_)));
            if escapes {
                return Err(mount_error(format!(
                    "subPath {sub_path:?} must be relative and may not contain '..'"
                )));
            }
            let host = base.join(&sub_path);
            if !host.exists() {
                std::fs::create_dir_all(&host).map_err(|error| mount_error(error.to_string()))?;
            }
            host
        };
        mounts.push((mount.mount_path.clone(), host));
    }
    Ok(mounts)
}

#[cfg(test)]
mod tests;
