//! A shot's preview, end to end: pick the frames to show (leaving out those that failed every
//! attempt), find their thumbnails under the output's `thumbs/`, fetch them, build the contact
//! sheet and the animation, and store both under `preview/`. A frame without a readable
//! thumbnail is left out with a log line; a shot without any is an error. The images
//! themselves are made by `preview`.

use bytes::Bytes;
use framefarm_crds::FrameSet;
use framefarm_crds::output::preview_keys;
use futures::{StreamExt, TryStreamExt};
use image::RgbaImage;

use crate::order::WorkOrder;
use crate::outcome::AgentError;
use crate::preview::{MAX_PREVIEW_FRAMES, animation, contact_sheet, match_thumbnails, pick_frames};
use crate::storage::{Storage, StorageError};

/// What a preview shows and where it was stored.
#[derive(Clone, Debug)]
pub struct PreviewOutcome {
    /// Frames whose thumbnails are in the preview.
    pub shown: FrameSet,
    /// Frames picked for the preview that had no readable thumbnail.
    pub missing: FrameSet,
    pub contact_sheet: String,
    pub animation: String,
}

/// The images, built from the fetched thumbnails.
struct Built {
    shown: FrameSet,
    sheet: Vec<u8>,
    gif: Vec<u8>,
}

/// Makes and stores the preview of the shot `order` was made from; `failed` are the frames
/// that failed every attempt.
pub async fn make_shot_preview(
    order: &WorkOrder,
    failed: &FrameSet,
    storage: &Storage,
) -> Result<PreviewOutcome, AgentError> {
    let bucket = order.output_bucket.as_str();
    let frames = order.frames.difference(failed);
    let left_out = order.frames.intersection(failed);
    if !left_out.is_empty() {
        tracing::info!(frames = %left_out, "left out of the preview: failed every attempt");
    }
    let picked = pick_frames(&frames, MAX_PREVIEW_FRAMES);
    let thumbnails = order.thumbnail_prefix();
    let listed = storage.list_prefix(bucket, &thumbnails).await?;
    let matched = match_thumbnails(&listed, &thumbnails, &order.naming, &picked);
    tracing::info!(
        picked = picked.len(),
        found = matched.len(),
        listed = listed.len(),
        "thumbnails found"
    );
    let fetched: Vec<(u64, Option<Bytes>)> = futures::stream::iter(matched)
        .map(|(frame, key)| async move {
            match storage.get_bytes(bucket, &key).await {
                Ok(bytes) => Ok((frame, Some(bytes))),
                // Deleted since it was listed: the frame goes without, like any other.
                Err(StorageError::NoSuchKey { .. }) => Ok((frame, None)),
                Err(error) => Err(error),
            }
        })
        .buffered(storage.settings().concurrency.max(1))
        .try_collect()
        .await?;
    let built = tokio::task::spawn_blocking(move || build(fetched))
        .await
        .map_err(AgentError::PreviewTask)??;
    let picked = FrameSet::from_frames(picked);
    let Some(built) = built else {
        return Err(AgentError::NoThumbnails {
            shot: format!(
                "{}/{}",
                order.namespace.as_deref().unwrap_or_default(),
                order.name
            ),
            location: format!("s3://{bucket}/{thumbnails}"),
            frames: picked,
        });
    };
    let missing = picked.difference(&built.shown);
    if !missing.is_empty() {
        tracing::info!(frames = %missing, "left out of the preview: no readable thumbnail");
    }
    let (sheet_key, animation_key) = preview_keys(&order.output_prefix, &order.name);
    storage
        .upload_bytes(bucket, &sheet_key, Bytes::from(built.sheet), "image/png")
        .await?;
    storage
        .upload_bytes(bucket, &animation_key, Bytes::from(built.gif), "image/gif")
        .await?;
    Ok(PreviewOutcome {
        shown: built.shown,
        missing,
        contact_sheet: format!("s3://{bucket}/{sheet_key}"),
        animation: format!("s3://{bucket}/{animation_key}"),
    })
}

/// The images from the thumbnails that decode; `None` when none does.
fn build(fetched: Vec<(u64, Option<Bytes>)>) -> Result<Option<Built>, AgentError> {
    let mut frames = Vec::new();
    let mut thumbnails: Vec<RgbaImage> = Vec::new();
    for (frame, bytes) in fetched {
        let Some(bytes) = bytes else { continue };
        match image::load_from_memory(&bytes) {
            Ok(image) => {
                frames.push(frame);
                thumbnails.push(image.into_rgba8());
            }
            Err(error) => tracing::warn!(frame, "thumbnail unreadable, left out: {error}"),
        }
    }
    if thumbnails.is_empty() {
        return Ok(None);
    }
    Ok(Some(Built {
        shown: FrameSet::from_frames(frames),
        sheet: contact_sheet(&thumbnails)?,
        gif: animation(&thumbnails)?,
    }))
}
