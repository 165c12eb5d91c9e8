//! Uploads: one PUT with Content-MD5 for small objects, concurrent multipart with a
//! Content-MD5 per part for large ones. An object appears under its key only once complete
//! and verified by the store, so a failed upload never leaves a torn frame behind.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use super::errors::{Failure, Target};
use super::{Storage, StorageError};

/// An object written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uploaded {
    pub bytes: u64,
    pub etag: String,
}

impl Storage {
    /// Uploads a local file under `key`.
    pub async fn upload_file(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<Uploaded, StorageError> {
        let target = Target {
            action: "upload",
            bucket,
            key,
        };
        let body = tokio::fs::read(path).await.map_err(|source| {
            Failure::LocalFile(path.to_owned(), source).into_error(&target, self.endpoint(), 1)
        })?;
        self.upload_bytes(bucket, key, Bytes::from(body), content_type)
            .await
    }

    /// Uploads `body` under `key`.
    pub async fn upload_bytes(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        content_type: &str,
    ) -> Result<Uploaded, StorageError> {
        let target = Target {
            action: "upload",
            bucket,
            key,
        };
        if (body.len() as u64) < self.settings.multipart_threshold {
            let digest = Md5::digest(&body);
            let expected = hex::encode(digest);
            let content_md5 = BASE64.encode(digest);
            let etag = self
                .with_retries(&target, || async {
                    let response = self
                        .client
                        .put_object()
                        .bucket(bucket)
                        .key(key)
                        .content_type(content_type)
                        .content_md5(&content_md5)
                        .body(ByteStream::from(body.clone()))
                        .send()
                        .await
                        .map_err(Failure::from_sdk)?;
                    let etag = response.e_tag().unwrap_or_default().trim_matches('"');
                    if !etag.is_empty() && etag != expected {
                        return Err(Failure::Corrupted(format!(
                            "the store computed ETag {etag}, the file has MD5 {expected}"
                        )));
                    }
                    Ok(etag.to_owned())
                })
                .await?;
            return Ok(Uploaded {
                bytes: body.len() as u64,
                etag,
            });
        }
        self.upload_multipart(&target, body, content_type).await
    }

    async fn upload_multipart(
        &self,
        target: &Target<'_>,
        body: Bytes,
        content_type: &str,
    ) -> Result<Uploaded, StorageError> {
        let (bucket, key) = (target.bucket, target.key);
        let upload_id = self
            .with_retries(target, || async {
                let created = self
                    .client
                    .create_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .content_type(content_type)
                    .send()
                    .await
                    .map_err(Failure::from_sdk)?;
                Ok(created.upload_id().unwrap_or_default().to_owned())
            })
            .await?;
        let result = self.send_parts(target, &upload_id, &body).await;
        if result.is_err() {
            // Parts of an abandoned upload cost storage until aborted; the key stays untouched.
            let aborted = self
                .client
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
            if let Err(error) = aborted {
                tracing::warn!(key, "could not abort a failed multipart upload: {error}");
            }
        }
        result
    }

    async fn send_parts(
        &self,
        target: &Target<'_>,
        upload_id: &str,
        body: &Bytes,
    ) -> Result<Uploaded, StorageError> {
        let (bucket, key) = (target.bucket, target.key);
        let part_size = self.settings.part_size.max(5 * 1024 * 1024) as usize;
        let parts: Vec<(i32, Bytes)> = (0..body.len().div_ceil(part_size))
            .map(|index| {
                let start = index * part_size;
                let end = (start + part_size).min(body.len());
                (index as i32 + 1, body.slice(start..end))
            })
            .collect();
        let mut completed: Vec<(CompletedPart, [u8; 16])> = futures::stream::iter(parts)
            .map(|(number, part)| async move {
                let digest: [u8; 16] = Md5::digest(&part).into();
                let content_md5 = BASE64.encode(digest);
                let etag = self
                    .with_retries(target, || async {
                        let response = self
                            .client
                            .upload_part()
                            .bucket(bucket)
                            .key(key)
                            .upload_id(upload_id)
                            .part_number(number)
                            .content_md5(&content_md5)
                            .body(ByteStream::from(part.clone()))
                            .send()
                            .await
                            .map_err(Failure::from_sdk)?;
                        Ok(response.e_tag().unwrap_or_default().to_owned())
                    })
                    .await?;
                let completed = CompletedPart::builder()
                    .part_number(number)
                    .e_tag(etag)
                    .build();
                Ok::<_, StorageError>((completed, digest))
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .try_collect()
            .await?;
        completed.sort_by_key(|(part, _)| part.part_number());
        let mut combined = Md5::new();
        for (_, digest) in &completed {
            combined.update(digest);
        }
        let expected = format!("{}-{}", hex::encode(combined.finalize()), completed.len());
        let upload = CompletedMultipartUpload::builder()
            .set_parts(Some(completed.into_iter().map(|(part, _)| part).collect()))
            .build();
        let etag = self
            .with_retries(target, || async {
                let response = self
                    .client
                    .complete_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(upload_id)
                    .multipart_upload(upload.clone())
                    .send()
                    .await
                    .map_err(Failure::from_sdk)?;
                Ok(response
                    .e_tag()
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_owned())
            })
            .await?;
        // Every part was checked against its Content-MD5; the combined ETag catches parts
        // stitched in the wrong order by stores that compute it the usual way.
        let usual_form = etag.contains('-');
        if usual_form && etag != expected {
            return Err(
                Failure::Corrupted(format!("multipart ETag {etag}, expected {expected}"))
                    .into_error(target, self.endpoint(), 1),
            );
        }
        Ok(Uploaded {
            bytes: body.len() as u64,
            etag,
        })
    }
}
