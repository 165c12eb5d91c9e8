//! Downloads of one object into a local file with parallel ranged GETs, each range retried on
//! its own, the whole checked for size and, where the ETag is an MD5, for content; and of a
//! small object into memory with one GET.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};

use super::errors::{Failure, Target};
use super::{Storage, StorageError};

/// What a HEAD request says about an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    /// The ETag without quotes.
    pub etag: String,
}

impl ObjectInfo {
    /// The MD5 of the content, when the ETag is one (single-part uploads without SSE-C).
    pub fn content_md5(&self) -> Option<&str> {
        let is_md5 = self.etag.len() == 32 && self.etag.chars().all(|c| c.is_ascii_hexdigit());
        is_md5.then_some(self.etag.as_str())
    }
}

impl Storage {
    /// Size and ETag of an object.
    pub async fn head(&self, bucket: &str, key: &str) -> Result<ObjectInfo, StorageError> {
        let target = Target {
            action: "read",
            bucket,
            key,
        };
        let result = self
            .with_retries(&target, || async {
                let head = self
                    .client
                    .head_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .map_err(Failure::from_sdk)?;
                Ok(ObjectInfo {
                    size: head.content_length().unwrap_or_default().max(0) as u64,
                    etag: head
                        .e_tag()
                        .unwrap_or_default()
                        .trim_matches('"')
                        .to_owned(),
                })
            })
            .await;
        match result {
            // A HEAD has no body, so a missing bucket and a missing key look alike.
            Err(StorageError::NoSuchKey { .. }) => {
                self.check_bucket(bucket).await?;
                result
            }
            other => other,
        }
    }

    /// Fails with `NoSuchBucket` when the bucket does not exist.
    pub async fn check_bucket(&self, bucket: &str) -> Result<(), StorageError> {
        let target = Target {
            action: "open bucket",
            bucket,
            key: "",
        };
        self.with_retries(&target, || async {
            self.client
                .head_bucket()
                .bucket(bucket)
                .send()
                .await
                .map(|_| ())
                .map_err(Failure::from_sdk)
        })
        .await
    }

    /// The whole content of a small object (a thumbnail, a log), read into memory with one
    /// GET, retried as a whole.
    pub async fn get_bytes(&self, bucket: &str, key: &str) -> Result<Bytes, StorageError> {
        let target = Target {
            action: "download",
            bucket,
            key,
        };
        self.with_retries(&target, || async {
            let response = self
                .client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(Failure::from_sdk)?;
            let expected = response.content_length();
            let body = response
                .body
                .collect()
                .await
                .map_err(|error| Failure::Network(format!("reading the body failed: {error}")))?
                .into_bytes();
            match expected {
                Some(expected) if expected != body.len() as i64 => Err(Failure::Corrupted(
                    format!("{} of {expected} bytes arrived", body.len()),
                )),
                _ => Ok(body),
            }
        })
        .await
    }

    /// Downloads the object into `dest` (created or truncated) and returns the bytes moved.
    pub async fn download(
        &self,
        bucket: &str,
        key: &str,
        info: &ObjectInfo,
        dest: &Path,
    ) -> Result<u64, StorageError> {
        let target = Target {
            action: "download",
            bucket,
            key,
        };
        let local = |source: std::io::Error| {
            Failure::LocalFile(dest.to_owned(), source).into_error(&target, self.endpoint(), 1)
        };
        let file = File::create(dest).map_err(local)?;
        file.set_len(info.size).map_err(local)?;
        let file = Arc::new(file);
        let part = self.settings.part_size.max(1);
        let ranges: Vec<(u64, u64)> = (0..info.size.div_ceil(part))
            .map(|index| {
                let start = index * part;
                (start, (start + part).min(info.size))
            })
            .collect();
        futures::stream::iter(ranges)
            .map(|(start, end)| {
                let file = Arc::clone(&file);
                let target = &target;
                async move {
                    self.with_retries(target, || {
                        self.fetch_range(bucket, key, info, start, end, Arc::clone(&file), dest)
                    })
                    .await
                }
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .try_collect::<Vec<()>>()
            .await?;
        if let Some(expected) = info.content_md5() {
            let path = dest.to_owned();
            let actual = tokio::task::spawn_blocking(move || md5_of_file(&path))
                .await
                .map_err(|join| local(std::io::Error::other(join)))?
                .map_err(local)?;
            if actual != expected {
                return Err(Failure::Corrupted(format!(
                    "content MD5 {actual} differs from the ETag {expected}"
                ))
                .into_error(&target, self.endpoint(), 1));
            }
        }
        Ok(info.size)
    }

    #[allow(clippy::too_many_arguments, reason = "one range of one download")]
    async fn fetch_range(
        &self,
        bucket: &str,
        key: &str,
        info: &ObjectInfo,
        start: u64,
        end: u64,
        file: Arc<File>,
        dest: &Path,
    ) -> Result<(), Failure> {
        let mut request = self.client.get_object().bucket(bucket).key(key);
        if info.size > 0 {
            request = request.range(format!("bytes={start}-{}", end - 1));
        }
        if !info.etag.is_empty() {
            // A changed object must not be stitched from two versions.
            request = request.if_match(format!("\"{}\"", info.etag));
        }
        let mut body = request.send().await.map_err(Failure::from_sdk)?.body;
        let mut offset = start;
        // Each piece is written as it arrives, so the same few buffers are reused instead of
        // a range's worth of fresh memory being faulted in; a write of one piece to the page
        // cache takes microseconds, short enough to do on the runtime's thread.
        while let Some(piece) = body
            .try_next()
            .await
            .map_err(|error| Failure::Network(format!("reading the body failed: {error}")))?
        {
            if offset + piece.len() as u64 > end {
                return Err(Failure::Corrupted(format!(
                    "bytes {start}-{end} returned more than asked for"
                )));
            }
            file.write_all_at(&piece, offset)
                .map_err(|error| Failure::LocalFile(dest.to_owned(), error))?;
            offset += piece.len() as u64;
        }
        if offset != end {
            return Err(Failure::Corrupted(format!(
                "bytes {start}-{end} returned {} bytes",
                offset - start
            )));
        }
        Ok(())
    }
}

/// Hex MD5 of a file's content.
pub(crate) fn md5_of_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Md5::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}
