//! What the operator asks of object storage: does the scene exist (one HEAD), which frames
//! are already in the output (one paged LIST per spec generation), removing a shot's files
//! when it is deleted with `retention: Delete`, and for the dashboard which thumbnails exist
//! and presigned URLs of outputs. The agent's storage client does the talking; this module
//! decides what to ask.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use framefarm_crds::output::preview_keys;
use framefarm_crds::{FrameSet, RenderShot};
use framefarm_node_agent::destination::{Destination, DestinationError};
use framefarm_node_agent::order::{OrderError, WorkOrder};
use framefarm_node_agent::preview::match_thumbnails;
use framefarm_node_agent::storage::{Storage, StorageCredentials, StorageError, TransferSettings};
use thiserror::Error;

use crate::names::is_job_of_shot;
use crate::shot::validate::SceneCheck;

/// Why a storage question could not be answered.
#[derive(Debug, Error)]
pub enum ShotStorageError {
    #[error("failed to connect to the storage of RenderShot {shot}: {source}")]
    Connect {
        shot: String,
        #[source]
        source: StorageError,
    },
    #[error("failed to resolve the output of RenderShot {shot}: {source}")]
    Order {
        shot: String,
        #[source]
        source: Box<OrderError>,
    },
    #[error("failed to list the frames already in the output of RenderShot {shot}: {source}")]
    ListFrames {
        shot: String,
        #[source]
        source: DestinationError,
    },
    #[error("failed to list the files of RenderShot {shot}: {source}")]
    ListFiles {
        shot: String,
        #[source]
        source: StorageError,
    },
    #[error("failed to delete the files of RenderShot {shot}: {source}")]
    DeleteFiles {
        shot: String,
        #[source]
        source: StorageError,
    },
    #[error("failed to list the thumbnails of RenderShot {shot}: {source}")]
    ListThumbnails {
        shot: String,
        #[source]
        source: StorageError,
    },
    #[error("failed to presign a URL of {key} for RenderShot {shot}: {source}")]
    Presign {
        shot: String,
        key: String,
        #[source]
        source: Box<StorageError>,
    },
}

/// A storage client for one shot, with its resolved output.
#[derive(Debug)]
pub struct ShotStorage {
    shot: String,
    storage: Storage,
    order: WorkOrder,
}

impl ShotStorage {
    /// Connects with the access keys read from the shot's Secret (or the operator's own
    /// environment when the shot names no Secret).
    pub fn connect(
        shot: &RenderShot,
        keys: Option<(String, String)>,
    ) -> Result<Self, ShotStorageError> {
        let name = shot.metadata.name.clone().unwrap_or_default();
        let storage = StorageCredentials::from_keys_or_env(keys)
            .and_then(|credentials| {
                Storage::new(
                    &shot.spec.render.storage,
                    credentials,
                    TransferSettings::default(),
                )
            })
            .map_err(|source| ShotStorageError::Connect {
                shot: name.clone(),
                source,
            })?;
        let order = WorkOrder::from_shot(shot).map_err(|source| ShotStorageError::Order {
            shot: name.clone(),
            source: Box::new(source),
        })?;
        Ok(ShotStorage {
            shot: name,
            storage,
            order,
        })
    }

    /// One HEAD of the scene file.
    pub async fn check_scene(&self) -> SceneCheck {
        let scene = &self.order.scene;
        match self.storage.head(scene.bucket(), scene.key()).await {
            Ok(_) => SceneCheck::Found,
            Err(StorageError::NoSuchKey { .. }) => SceneCheck::Missing,
            Err(error) => SceneCheck::Unreachable(error.to_string()),
        }
    }

    /// Which of `frames` already have a file in the output.
    pub async fn existing_frames(&self, frames: &FrameSet) -> Result<FrameSet, ShotStorageError> {
        let destination = Destination::Bucket {
            storage: self.storage.clone(),
            bucket: self.order.output_bucket.clone(),
        };
        destination
            .existing_frames(&self.order, frames)
            .await
            .map_err(|source| ShotStorageError::ListFrames {
                shot: self.shot.clone(),
                source,
            })
    }

    /// Deletes every file the shot wrote: frames, thumbnails, engine logs and previews.
    /// Files of other shots under the same prefix are left alone. Returns how many were
    /// deleted; running it again deletes nothing more.
    pub async fn delete_outputs(&self) -> Result<u64, ShotStorageError> {
        let prefix = &self.order.output_prefix;
        let listed = self
            .storage
            .list_prefix(&self.order.output_bucket, prefix)
            .await
            .map_err(|source| ShotStorageError::ListFiles {
                shot: self.shot.clone(),
                source,
            })?;
        let owned = OwnedFiles::new(&self.order, &self.shot);
        let keys: Vec<String> = listed
            .into_iter()
            .map(|object| object.key)
            .filter(|key| owned.contains(key))
            .collect();
        if keys.is_empty() {
            return Ok(0);
        }
        self.storage
            .delete_objects(&self.order.output_bucket, &keys)
            .await
            .map_err(|source| ShotStorageError::DeleteFiles {
                shot: self.shot.clone(),
                source,
            })
    }
}

impl ShotStorage {
    /// The object keys of the thumbnails of `frames` that exist, by frame. One LIST of the key
    /// range the frames' thumbnails span, so a page of neighbouring frames reads about a page
    /// of keys (with zero-padded names; unpadded ones interleave and read more).
    pub async fn thumbnail_keys(
        &self,
        frames: &[u64],
    ) -> Result<BTreeMap<u64, String>, ShotStorageError> {
        // `thumbnail_key` with an empty extension is the stem followed by a dot.
        let stems: Vec<String> = frames
            .iter()
            .map(|frame| self.order.thumbnail_key(*frame, ""))
            .collect();
        let (Some(first), Some(last)) = (stems.iter().min(), stems.iter().max()) else {
            return Ok(BTreeMap::new());
        };
        let listed = self
            .storage
            .list_range(
                &self.order.output_bucket,
                common_prefix(first, last),
                first,
                &format!("{last}\u{10FFFF}"),
            )
            .await
            .map_err(|source| ShotStorageError::ListThumbnails {
                shot: self.shot.clone(),
                source,
            })?;
        Ok(match_thumbnails(
            &listed,
            &self.order.thumbnail_prefix(),
            &self.order.naming,
            frames,
        ))
    }

    /// A URL that fetches `key` of the output bucket with GET for `valid_for`; signed
    /// locally, without a request to the store.
    pub async fn presigned_output_url(
        &self,
        key: &str,
        valid_for: Duration,
    ) -> Result<String, ShotStorageError> {
        self.storage
            .presigned_get(&self.order.output_bucket, key, valid_for)
            .await
            .map_err(|source| ShotStorageError::Presign {
                shot: self.shot.clone(),
                key: key.to_owned(),
                source: Box::new(source),
            })
    }
}

/// The longest common prefix of `a` and `b`, on a character boundary.
fn common_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let end = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, left), right)| left != right)
        .map_or_else(|| a.len().min(b.len()), |((index, _), _)| index);
    &a[..end]
}

/// Which keys under the output prefix belong to a shot.
struct OwnedFiles<'a> {
    prefix: &'a str,
    shot: &'a str,
    frame_stems: HashSet<String>,
    previews: [String; 2],
}

impl<'a> OwnedFiles<'a> {
    fn new(order: &'a WorkOrder, shot: &'a str) -> Self {
        let prefix = order.output_prefix.as_str();
        // `frame_key` with an empty extension is the stem followed by a dot.
        let frame_stems = order
            .frames
            .frames()
            .map(|frame| {
                let key = order.frame_key(frame, "");
                key[prefix.len()..].trim_end_matches('.').to_owned()
            })
            .collect();
        let (sheet, animation) = preview_keys(prefix, shot);
        OwnedFiles {
            prefix,
            shot,
            frame_stems,
            previews: [sheet, animation],
        }
    }

    fn contains(&self, key: &str) -> bool {
        if self.previews.iter().any(|preview| preview == key) {
            return true;
        }
        let Some(rest) = key.strip_prefix(self.prefix) else {
            return false;
        };
        if let Some(log) = rest.strip_prefix("logs/") {
            return log
                .rsplit_once("-attempt-")
                .is_some_and(|(job, _)| is_job_of_shot(job, self.shot));
        }
        let rest = rest.strip_prefix("thumbs/").unwrap_or(rest);
        rest.rsplit_once('.').is_some_and(|(stem, extension)| {
            !extension.contains('/') && self.frame_stems.contains(stem)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> WorkOrder {
        let shot: RenderShot = serde_json::from_value(serde_json::json!({
            "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
            "metadata": {"name": "sh010", "namespace": "studio"},
            "spec": {
                "frames": "1-3",
                "scene": {"uri": "s3://studio/a.blend"},
                "engine": {"blender": {}},
                "output": {"uri": "s3://studio/out/", "naming": "sh010_{frame:04}"},
                "storage": {"endpoint": "http://127.0.0.1:3900"}
            }
        }))
        .unwrap();
        WorkOrder::from_shot(&shot).unwrap()
    }

    #[test]
    fn the_common_prefix_stops_at_the_first_difference() {
        assert_eq!(
            common_prefix("out/thumbs/f_0001.", "out/thumbs/f_0048."),
            "out/thumbs/f_00"
        );
        assert_eq!(common_prefix("out/a.", "out/a."), "out/a.");
        assert_eq!(common_prefix("out/é1", "out/é2"), "out/é");
        assert_eq!(common_prefix("abc", "ab"), "ab");
    }

    #[test]
    fn a_shot_owns_its_frames_thumbnails_logs_and_previews_only() {
        let order = order();
        let owned = OwnedFiles::new(&order, "sh010");
        let job = crate::names::job_name("sh010", "0123abcd", 1);
        for key in [
            "out/sh010_0001.png".to_owned(),
            "out/sh010_0003.exr".to_owned(),
            "out/thumbs/sh010_0002.jpg".to_owned(),
            format!("out/logs/{job}-attempt-2.log"),
            "out/preview/sh010-contact-sheet.png".to_owned(),
            "out/preview/sh010-preview.gif".to_owned(),
        ] {
            assert!(owned.contains(&key), "{key} belongs to the shot");
        }
        let other_job = crate::names::job_name("sh010-v2", "0123abcd", 1);
        for key in [
            "out/sh010_0004.png".to_owned(),
            "out/notes.txt".to_owned(),
            "other/sh010_0001.png".to_owned(),
            format!("out/logs/{other_job}-attempt-1.log"),
            "out/preview/sh010-v2-preview.gif".to_owned(),
            "out/sh010_0001.png/inside".to_owned(),
        ] {
            assert!(!owned.contains(&key), "{key} is not the shot's");
        }
    }
}
