//! Deleting many objects at once with batched DeleteObjects requests, each batch retried on
//! its own. A key that is already gone counts as deleted, so a cleanup that was interrupted
//! can simply run again. Nothing here decides what to delete.

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest, Md5};

use super::errors::{Failure, Target};
use super::{Storage, StorageError};

/// Keys per DeleteObjects request; the most S3 accepts.
const BATCH: usize = 1000;

impl Storage {
    /// Deletes `keys` from `bucket`, up to 1000 per request; returns how many were asked for.
    /// Keys that do not exist are not an error.
    pub async fn delete_objects(&self, bucket: &str, keys: &[String]) -> Result<u64, StorageError> {
        for batch in keys.chunks(BATCH) {
            self.delete_batch(bucket, batch).await?;
        }
        Ok(keys.len() as u64)
    }

    async fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<(), StorageError> {
        let first = keys.first().map(String::as_str).unwrap_or_default();
        let target = Target {
            action: "delete",
            bucket,
            key: first,
        };
        let rejected = |error: &dyn std::error::Error| StorageError::Rejected {
            action: "delete",
            uri: target.uri(),
            detail: error.to_string(),
        };
        let objects = keys
            .iter()
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| rejected(&error))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|error| rejected(&error))?;
        self.with_retries(&target, || async {
            let response = self
                .client
                .delete_objects()
                .bucket(bucket)
                .delete(delete.clone())
                .customize()
                // The S3 API requires Content-MD5 on DeleteObjects; the SDK no longer sends
                // it, and MinIO, Ceph and other stores refuse the request without it.
                .mutate_request(|request| {
                    if let Some(body) = request.body().bytes() {
                        let digest = BASE64.encode(Md5::digest(body));
                        request.headers_mut().insert("Content-MD5", digest);
                    }
                })
                .send()
                .await
                .map_err(Failure::from_sdk)?;
            let failed = response
                .errors()
                .iter()
                .find(|error| error.code() != Some("NoSuchKey"));
            match failed {
                None => Ok(()),
                Some(error) => Err(Failure::Object {
                    key: error.key().unwrap_or(first).to_owned(),
                    code: error.code().unwrap_or("UnknownError").to_owned(),
                    message: error.message().map(str::to_owned),
                }),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::storage::{StorageCredentials, TransferSettings};

    /// Answers one request with an empty DeleteResult; returns the request's head and body.
    async fn answer_one(listener: TcpListener) -> (String, Vec<u8>) {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut received = Vec::new();
        let mut buffer = [0; 4096];
        let head_end = loop {
            let read = socket.read(&mut buffer).await.unwrap();
            received.extend_from_slice(&buffer[..read]);
            if let Some(end) = received.windows(4).position(|window| window == b"\r\n\r\n") {
                break end + 4;
            }
        };
        let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map(|value| value.trim().parse().unwrap())
            .unwrap_or_default();
        while received.len() < head_end + length {
            let read = socket.read(&mut buffer).await.unwrap();
            received.extend_from_slice(&buffer[..read]);
        }
        let reply = "<DeleteResult></DeleteResult>";
        socket
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{reply}",
                    reply.len()
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        (head, received[head_end..].to_vec())
    }

    #[tokio::test]
    async fn a_batch_carries_the_content_md5_of_its_body_as_the_s3_api_requires() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(answer_one(listener));
        let spec = framefarm_crds::storage::StorageSpec {
            endpoint: Some(endpoint),
            ..Default::default()
        };
        let credentials = StorageCredentials::new("key".into(), "secret".into());
        let storage = Storage::new(&spec, credentials, TransferSettings::default()).unwrap();
        let keys = vec!["out/a.png".to_owned(), "out/b.png".to_owned()];
        assert_eq!(storage.delete_objects("renders", &keys).await.unwrap(), 2);

        let (head, body) = server.await.unwrap();
        let body_text = String::from_utf8_lossy(&body);
        assert!(body_text.contains("<Key>out/a.png</Key>"), "{body_text}");
        assert!(body_text.contains("<Quiet>true</Quiet>"), "{body_text}");
        let expected = format!("content-md5: {}", BASE64.encode(Md5::digest(&body)));
        assert!(
            head.lines()
                .any(|line| line.eq_ignore_ascii_case(&expected)),
            "{head}"
        );
    }
}
