//! Puts the scene and its assets into the work folder, laid out as in storage so relative
//! paths inside the scene keep working. Files come through the node-local cache, so the
//! second chunk of a shot on a node downloads nothing.

use std::path::{Path, PathBuf};

use futures::{StreamExt, TryStreamExt};
use thiserror::Error;

use crate::cache::{Cache, CacheError, stage};
use crate::order::WorkOrder;
use crate::storage::Storage;

/// Why the scene could not be made ready.
#[derive(Debug, Error)]
pub enum SceneError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("failed to use the local scene {path}: {source}")]
    LocalScene {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where the scene comes from.
#[derive(Clone, Debug)]
pub enum SceneSource {
    Bucket {
        storage: Storage,
        cache: Cache,
    },
    /// A scene file on this machine; its assets are expected beside it.
    LocalFile(PathBuf),
}

/// The scene, ready to render.
#[derive(Clone, Debug)]
pub struct StagedScene {
    pub scene: PathBuf,
    pub scene_dir: PathBuf,
    /// Bytes downloaded from storage: zero when the cache had everything.
    pub downloaded: u64,
}

/// Makes the scene and its assets available under `work_dir/scene`.
pub async fn stage_scene(
    order: &WorkOrder,
    source: &SceneSource,
    work_dir: &Path,
) -> Result<StagedScene, SceneError> {
    let (storage, cache) = match source {
        SceneSource::LocalFile(path) => {
            let scene = std::fs::canonicalize(path).map_err(|source| SceneError::LocalScene {
                path: path.clone(),
                source,
            })?;
            let scene_dir = scene.parent().map(Path::to_owned).unwrap_or_default();
            return Ok(StagedScene {
                scene,
                scene_dir,
                downloaded: 0,
            });
        }
        SceneSource::Bucket { storage, cache } => (storage, cache),
    };
    let bucket = order.scene.bucket();
    let scene_dir = work_dir.join("scene");
    let scene_name = order
        .scene
        .key()
        .rsplit('/')
        .next()
        .unwrap_or("scene")
        .to_owned();
    let mut wanted: Vec<(String, PathBuf)> =
        vec![(order.scene.key().to_owned(), scene_dir.join(&scene_name))];
    for asset in &order.assets {
        if asset.is_folder {
            let last = format!("{}\u{10FFFF}", asset.key);
            let listed = storage
                .list_range(bucket, &asset.key, &asset.key, &last)
                .await
                .map_err(CacheError::from)?;
            for object in listed {
                let relative = object.key.strip_prefix(&asset.key).unwrap_or(&object.key);
                if relative.is_empty() || relative.ends_with('/') {
                    continue;
                }
                let place = scene_dir.join(&asset.relative_path).join(relative);
                wanted.push((object.key, place));
            }
        } else {
            wanted.push((asset.key.clone(), scene_dir.join(&asset.relative_path)));
        }
    }
    let downloaded: Vec<u64> = futures::stream::iter(wanted)
        .map(|(key, place)| async move {
            let cached = cache.fetch(storage, bucket, &key).await?;
            stage(&cached.path, &place)?;
            Ok::<u64, CacheError>(cached.downloaded)
        })
        .buffer_unordered(4)
        .try_collect()
        .await?;
    Ok(StagedScene {
        scene: scene_dir.join(scene_name),
        scene_dir,
        downloaded: downloaded.iter().sum(),
    })
}
