//! `download`: fetches a shot's frames (and, when asked, their thumbnails) from storage, many
//! at once, into a folder laid out like the output prefix, and/or into a zip file. Which files
//! belong to which frames is decided from one listing of the output, by the frame names the
//! work order gives; that part is pure.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use framefarm_crds::{FrameSet, FrameSetError};
use framefarm_node_agent::order::WorkOrder;
use framefarm_node_agent::storage::{ListedObject, StorageError};
use futures::{StreamExt, TryStreamExt};
use thiserror::Error;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::cluster::{Cluster, ClusterError};
use crate::files::{FilesError, ShotFiles};

#[derive(Debug, Error)]
pub enum DownloadError {
    #[error("--frames '{text}': {source}")]
    Frames {
        text: String,
        #[source]
        source: FrameSetError,
    },
    #[error(
        "none of frames {asked} of RenderShot {shot} has a file in {output} yet; see \
         `kubectl framefarm status {shot}`"
    )]
    NothingToFetch {
        shot: String,
        asked: String,
        output: String,
    },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Files(#[from] FilesError),
    #[error("failed to download {uri} to {path}: {source}")]
    Fetch {
        uri: String,
        path: PathBuf,
        #[source]
        source: Box<StorageError>,
    },
    #[error("failed to create {path}: {source}")]
    Local {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write the zip file {path}: {detail}")]
    Zip { path: PathBuf, detail: String },
}

/// What to fetch and where to put it.
#[derive(Debug, Clone, Default)]
pub struct DownloadRequest {
    pub frames: Option<String>,
    pub thumbnails: bool,
    pub to: Option<PathBuf>,
    pub zip: Option<PathBuf>,
    pub parallel: usize,
}

/// One file to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub frame: u64,
    pub key: String,
    /// The key below the output prefix: the path in the folder and in the zip.
    pub relative: String,
}

/// The frames asked for: `--frames`, or every frame of the shot.
pub fn asked_frames(text: Option<&str>, shot_frames: &FrameSet) -> Result<FrameSet, DownloadError> {
    match text {
        None => Ok(shot_frames.clone()),
        Some(text) => FrameSet::parse(text).map_err(|source| DownloadError::Frames {
            text: text.into(),
            source,
        }),
    }
}

/// The listed files of the `asked` frames (frames, and thumbnails when asked), in key order.
/// A frame's file is its name from the work order with any extension; empty files are
/// uploads that never finished.
pub fn wanted_files(
    order: &WorkOrder,
    asked: &FrameSet,
    listed: &[ListedObject],
    thumbnails: bool,
) -> Vec<Wanted> {
    // `frame_key` with an empty extension leaves the stem and a trailing dot.
    let mut stems: HashMap<String, u64> = HashMap::new();
    for frame in asked.frames() {
        stems.insert(order.frame_key(frame, ""), frame);
        if thumbnails {
            stems.insert(order.thumbnail_key(frame, ""), frame);
        }
    }
    let mut wanted: Vec<Wanted> = listed
        .iter()
        .filter(|object| object.size > 0)
        .filter_map(|object| {
            let (stem, extension) = object.key.rsplit_once('.')?;
            if extension.contains('/') {
                return None;
            }
            let frame = *stems.get(&format!("{stem}."))?;
            Some(Wanted {
                frame,
                key: object.key.clone(),
                relative: object
                    .key
                    .strip_prefix(order.output_prefix.as_str())
                    .unwrap_or(&object.key)
                    .to_owned(),
            })
        })
        .collect();
    wanted.sort_by(|a, b| a.key.cmp(&b.key));
    wanted
}

pub async fn run(
    cluster: &Cluster,
    name: &str,
    request: &DownloadRequest,
) -> Result<(), DownloadError> {
    let shot = cluster.shot(name).await?;
    let files = ShotFiles::connect(&shot, cluster.storage_keys(&shot).await?)?;
    let asked = asked_frames(request.frames.as_deref(), &files.order.frames)?;
    let listed = files.list_output().await?;
    let wanted = wanted_files(&files.order, &asked, &listed, request.thumbnails);
    let present = FrameSet::from_frames(wanted.iter().map(|file| file.frame));
    if wanted.is_empty() {
        return Err(DownloadError::NothingToFetch {
            shot: name.into(),
            asked: asked.to_string(),
            output: files.uri(&files.order.output_prefix),
        });
    }
    let missing = asked.difference(&present);
    if !missing.is_empty() {
        eprintln!("frames {missing} have no file yet; fetching the others");
    }
    let scratch;
    let folder = match (&request.to, &request.zip) {
        (Some(to), _) => to.clone(),
        (None, Some(_)) => {
            scratch = tempfile::tempdir().map_err(|source| DownloadError::Local {
                path: std::env::temp_dir(),
                source,
            })?;
            scratch.path().to_owned()
        }
        (None, None) => PathBuf::from(name),
    };
    let bytes = fetch_all(&files, &wanted, &folder, request.parallel.max(1)).await?;
    if request.to.is_some() || request.zip.is_none() {
        println!(
            "downloaded {} files ({bytes} bytes) of frames {present} into {}",
            wanted.len(),
            folder.display()
        );
    }
    if let Some(zip) = &request.zip {
        let zip_path = zip.clone();
        let entries: Vec<(String, PathBuf)> = wanted
            .iter()
            .map(|file| (file.relative.clone(), folder.join(&file.relative)))
            .collect();
        tokio::task::spawn_blocking(move || write_zip(&zip_path, &entries))
            .await
            .map_err(|join| DownloadError::Zip {
                path: zip.clone(),
                detail: join.to_string(),
            })??;
        println!(
            "wrote {} files of frames {present} into {}",
            wanted.len(),
            zip.display()
        );
    }
    Ok(())
}

/// Downloads every wanted file below `folder`, `parallel` at a time; returns the bytes moved.
async fn fetch_all(
    files: &ShotFiles,
    wanted: &[Wanted],
    folder: &Path,
    parallel: usize,
) -> Result<u64, DownloadError> {
    let sizes: Vec<u64> = futures::stream::iter(wanted)
        .map(|file| async move {
            let path = folder.join(&file.relative);
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|source| DownloadError::Local {
                        path: parent.to_owned(),
                        source,
                    })?;
            }
            let fetch_failed = |source| DownloadError::Fetch {
                uri: files.uri(&file.key),
                path: path.clone(),
                source: Box::new(source),
            };
            let info = files
                .storage
                .head(files.bucket(), &file.key)
                .await
                .map_err(fetch_failed)?;
            files
                .storage
                .download(files.bucket(), &file.key, &info, &path)
                .await
                .map_err(fetch_failed)
        })
        .buffer_unordered(parallel)
        .try_collect()
        .await?;
    Ok(sizes.iter().sum())
}

/// Writes `entries` (name in the zip, file on disk) into a new zip file. Frames and
/// thumbnails are compressed images already, so they are stored as they are.
pub fn write_zip(path: &Path, entries: &[(String, PathBuf)]) -> Result<(), DownloadError> {
    let zip_failed = |detail: String| DownloadError::Zip {
        path: path.to_owned(),
        detail,
    };
    let file = File::create(path).map_err(|source| DownloadError::Local {
        path: path.to_owned(),
        source,
    })?;
    let mut zip = ZipWriter::new(BufWriter::new(file));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(true);
    for (name, source) in entries {
        zip.start_file(name.as_str(), options)
            .map_err(|error| zip_failed(error.to_string()))?;
        let mut input = File::open(source).map_err(|error| DownloadError::Local {
            path: source.clone(),
            source: error,
        })?;
        std::io::copy(&mut input, &mut zip)
            .map_err(|error| zip_failed(format!("{name}: {error}")))?;
    }
    zip.finish()
        .map_err(|error| zip_failed(error.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests;
