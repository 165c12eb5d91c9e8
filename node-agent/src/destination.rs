//! Where rendered files go: the output bucket, or a local folder when an artist renders on a
//! workstation. Both write a file under its key only once it is complete, and both answer
//! which of a chunk's frames are already there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use framefarm_crds::FrameSet;
use thiserror::Error;

use crate::order::WorkOrder;
use crate::storage::{Storage, StorageError};

/// Why an output could not be written or listed.
#[derive(Debug, Error)]
pub enum DestinationError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("failed to {action} {path}: {source}")]
    Local {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The place outputs are written to.
#[derive(Clone, Debug)]
pub enum Destination {
    Bucket { storage: Storage, bucket: String },
    Folder { root: PathBuf },
}

impl Destination {
    /// Where `key` ends up, for messages.
    pub fn describe(&self, key: &str) -> String {
        match self {
            Destination::Bucket { bucket, .. } => format!("s3://{bucket}/{key}"),
            Destination::Folder { root } => root.join(key).display().to_string(),
        }
    }

    /// Which of `frames` already have a file under their name, whatever its extension.
    pub async fn existing_frames(
        &self,
        order: &WorkOrder,
        frames: &FrameSet,
    ) -> Result<FrameSet, DestinationError> {
        // `frame_key` with an empty extension leaves the stem and a trailing dot.
        let stems: HashMap<String, u64> = frames
            .frames()
            .map(|frame| (order.frame_key(frame, ""), frame))
            .collect();
        let Some(first) = stems.keys().min().cloned() else {
            return Ok(FrameSet::new());
        };
        let last = stems.keys().max().cloned().unwrap_or_default();
        let found: Vec<(String, u64)> = match self {
            Destination::Bucket { storage, bucket } => {
                let common = common_prefix(&first, &last);
                // Keys of a frame continue after the stem's dot with the extension only.
                let last = format!("{last}\u{10FFFF}");
                storage
                    .list_range(bucket, common, &first, &last)
                    .await?
                    .into_iter()
                    .map(|object| (object.key, object.size))
                    .collect()
            }
            Destination::Folder { root } => list_folder(root, &stems)?,
        };
        let mut existing = FrameSet::new();
        for (key, size) in found {
            let Some((stem, extension)) = key.rsplit_once('.') else {
                continue;
            };
            if size == 0 || extension.contains('/') {
                continue;
            }
            if let Some(frame) = stems.get(&format!("{stem}.")) {
                existing.insert(*frame);
            }
        }
        Ok(existing)
    }

    /// Writes the file at `path` under `key`; returns its size.
    pub async fn put_file(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<u64, DestinationError> {
        match self {
            Destination::Bucket { storage, bucket } => Ok(storage
                .upload_file(bucket, key, path, content_type)
                .await?
                .bytes),
            Destination::Folder { root } => {
                let target = root.join(key);
                let staging = staging_path(&target);
                let local = |action, source| DestinationError::Local {
                    action,
                    path: target.clone(),
                    source,
                };
                if let Some(parent) = target.parent() {
                    tokio::fs::create_dir_all(parent)
                        .await
                        .map_err(|source| local("create the folder of", source))?;
                }
                let bytes = tokio::fs::copy(path, &staging)
                    .await
                    .map_err(|source| local("write", source))?;
                tokio::fs::rename(&staging, &target)
                    .await
                    .map_err(|source| local("write", source))?;
                Ok(bytes)
            }
        }
    }

    /// Writes `body` under `key`.
    pub async fn put_bytes(
        &self,
        key: &str,
        body: Bytes,
        content_type: &str,
    ) -> Result<(), DestinationError> {
        match self {
            Destination::Bucket { storage, bucket } => {
                storage
                    .upload_bytes(bucket, key, body, content_type)
                    .await?;
                Ok(())
            }
            Destination::Folder { root } => {
                let target = root.join(key);
                let staging = staging_path(&target);
                let local = |source| DestinationError::Local {
                    action: "write",
                    path: target.clone(),
                    source,
                };
                if let Some(parent) = target.parent() {
                    tokio::fs::create_dir_all(parent).await.map_err(local)?;
                }
                tokio::fs::write(&staging, &body).await.map_err(local)?;
                tokio::fs::rename(&staging, &target).await.map_err(local)
            }
        }
    }
}

/// A sibling name for writing `target` before renaming it into place.
fn staging_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.partial"))
}

fn common_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let mut end = 0;
    for ((index, left), right) in a.char_indices().zip(b.chars()) {
        if left != right {
            break;
        }
        end = index + left.len_utf8();
    }
    &a[..end]
}

fn list_folder(
    root: &Path,
    stems: &HashMap<String, u64>,
) -> Result<Vec<(String, u64)>, DestinationError> {
    let mut folders: Vec<&str> = stems
        .keys()
        .map(|stem| stem.rsplit_once('/').map_or("", |(folder, _)| folder))
        .collect();
    folders.sort_unstable();
    folders.dedup();
    let mut found = Vec::new();
    for folder in folders {
        let path = root.join(folder);
        let entries = match std::fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(DestinationError::Local {
                    action: "list",
                    path,
                    source,
                });
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let size = entry.metadata().map(|meta| meta.len()).unwrap_or_default();
            let key = if folder.is_empty() {
                name
            } else {
                format!("{folder}/{name}")
            };
            found.push((key, size));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefix_stops_at_the_first_difference() {
        assert_eq!(common_prefix("out/f_0001.", "out/f_0010."), "out/f_00");
        assert_eq!(common_prefix("a", "b"), "");
    }
}
