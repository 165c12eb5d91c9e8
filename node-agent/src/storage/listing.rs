//! Listing keys under a prefix, page by page, within a key range, so checking which of a
//! chunk's frames exist reads only the pages around that chunk.

use super::errors::{Failure, Target};
use super::{Storage, StorageError};

/// One listed object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
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
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                if key > last {
                    past_last = true;
                    break;
                }
                if key >= first {
                    listed.push(ListedObject {
                        key: key.to_owned(),
                        size: object.size().unwrap_or_default().max(0) as u64,
                    });
                }
            }
            continuation = page.next_continuation_token().map(str::to_owned);
            if past_last || continuation.is_none() || page.is_truncated() != Some(true) {
                return Ok(listed);
            }
        }
    }
}
