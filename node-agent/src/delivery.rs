//! Delivery of one saved frame: upload it and make its thumbnail at the same time, upload the
//! thumbnail, then free the local copy. Runs beside the engine, so a frame is in storage
//! while the next one renders. A thumbnail that cannot be made costs the thumbnail, never
//! the frame.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use framefarm_crds::job::FrameRecord;
use framefarm_crds::output::ThumbnailSpec;
use thiserror::Error;

use crate::destination::{Destination, DestinationError};
use crate::order::WorkOrder;
use crate::report::now;
use crate::thumbnail::make_thumbnail;

/// Why a frame could not be delivered.
#[derive(Debug, Error)]
#[error("failed to deliver frame {frame} ({path}): {source}")]
pub struct DeliveryError {
    pub frame: u64,
    pub path: PathBuf,
    #[source]
    pub source: DestinationError,
}

/// What every delivery of a run shares.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub destination: Destination,
    pub order: Arc<WorkOrder>,
    pub thumbnails: ThumbnailSpec,
    pub attempt: u32,
    pub node: Option<String>,
}

impl Delivery {
    /// Uploads `frame` from `path` and returns its record.
    pub async fn deliver(
        &self,
        frame: u64,
        path: &Path,
        render_seconds: f64,
    ) -> Result<FrameRecord, DeliveryError> {
        let extension = path
            .extension()
            .map(|extension| extension.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let key = self.order.frame_key(frame, &extension);
        let failed = |source| DeliveryError {
            frame,
            path: path.to_owned(),
            source,
        };
        let upload = self
            .destination
            .put_file(&key, path, content_type(&extension));
        let thumbnail = self.thumbnail(frame, path, &extension);
        let (uploaded, thumbnail_key) = tokio::join!(upload, thumbnail);
        let bytes = uploaded.map_err(failed)?;
        // The frame is stored; the local copy only costs disk now.
        if let Err(error) = tokio::fs::remove_file(path).await {
            tracing::warn!(frame, file = %path.display(), "could not remove the uploaded frame: {error}");
        }
        tracing::info!(frame, key = %self.destination.describe(&key), bytes, "frame uploaded");
        Ok(FrameRecord {
            frame,
            output_key: key,
            thumbnail_key,
            bytes,
            render_seconds: (render_seconds * 1000.0).round() / 1000.0,
            finished_at: now(),
            node: self.node.clone(),
            attempt: self.attempt,
        })
    }

    /// Makes and stores the thumbnail; `None` (with a warning) when that fails.
    async fn thumbnail(&self, frame: u64, path: &Path, extension: &str) -> Option<String> {
        if !matches!(extension, "png" | "jpg" | "jpeg" | "exr") {
            return None;
        }
        let source = path.to_owned();
        let spec = self.thumbnails.clone();
        let made =
            tokio::task::spawn_blocking(move || make_thumbnail(&source, spec.width, spec.format))
                .await;
        let thumbnail = match made {
            Ok(Ok(thumbnail)) => thumbnail,
            Ok(Err(error)) => {
                tracing::warn!(frame, "no thumbnail: {error}");
                return None;
            }
            Err(error) => {
                tracing::warn!(frame, "no thumbnail: {error}");
                return None;
            }
        };
        let key = self
            .order
            .thumbnail_key(frame, thumbnail.format.extension());
        let stored = self
            .destination
            .put_bytes(
                &key,
                Bytes::from(thumbnail.bytes),
                thumbnail.format.content_type(),
            )
            .await;
        match stored {
            Ok(()) => Some(key),
            Err(error) => {
                tracing::warn!(frame, "thumbnail not stored: {error}");
                None
            }
        }
    }
}

/// The Content-Type of a frame file.
pub fn content_type(extension: &str) -> &'static str {
    match extension {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "exr" => "image/x-exr",
        "tif" | "tiff" => "image/tiff",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}
