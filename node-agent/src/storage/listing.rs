//! Listing keys under a prefix, page by page: within a key range, so checking which of a
//! chunk's frames exist reads only the pages around that chunk, or everything under it, for
//! previews and cleanup. Each page is retried on its own.

use std::time::SystemTime;

use aws_sdk_s3::types::Object;

use super::errors::{Failure, Target};
use super::{Storage, StorageError};

/// One listed object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    /// When the object was last written, where the store says.
    pub last_modified: Option<SystemTime>,
}

impl ListedObject {
    fn from_listing(object: &Object) -> Option<Self> {
        Some(ListedObject {
            key: object.key()?.to_owned(),
            size: object.size().unwrap_or_default().max(0) as u64,
            last_modified: object
                .last_modified()
                .and_then(|time| SystemTime::try_from(*time).ok()),
        })
    }
}

impl Storage {
    /// Objects under `prefix` with keys from `first` to `last` inclusive (in byte order, as
    /// S3 lists them).
    pub async fn list_range(
        &self,
        bucket: &str,
        prefix: &str,
        first: &str,
        last: &str,
    ) -> Result<Vec<ListedObject>, StorageError> {
        let target = Target {
            action: "list",
            bucket,
            key: prefix,
        };
        // `start-after` skips keys up to and including its value; any string just below
        // `first` will do, and dropping its last character gives one.
        let start_after = first
            .char_indices()
            .last()
            .map(|(index, _)| first[..index].to_owned())
            .filter(|before| !before.is_empty());
        let mut listed = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let page = self
                .with_retries(&target, || async {
                    self.client
                        .list_objects_v2()
                        .bucket(bucket)
                        .prefix(prefix)
                        .set_start_after(start_after.clone())
                        .set_continuation_token(continuation.clone())
                        .send()
                        .await
                        .map_err(Failure::from_sdk)
                })
                .await?;
            let mut past_last = false;
            for object in page
                .contents()
                .iter()
                .filter_map(ListedObject::from_listing)
            {
                if object.key.as_str() > last {
                    past_last = true;
                    break;
                }
                if object.key.as_str() >= first {
                    listed.push(object);
                }
            }
            continuation = page.next_continuation_token().map(str::to_owned);
            if past_last || continuation.is_none() || page.is_truncated() != Some(true) {
                return Ok(listed);
            }
        }
    }

    /// Every object under `prefix`, in key order, a page at a time.
    pub async fn list_prefix(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ListedObject>, StorageError> {
        // Every key under the prefix sorts between the prefix itself and the prefix followed
        // by the largest character.
        self.list_range(bucket, prefix, prefix, &format!("{prefix}\u{10FFFF}"))
            .await
    }
}
