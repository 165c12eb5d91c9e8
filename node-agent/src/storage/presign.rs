//! Presigned GET URLs, so a browser or `curl` can fetch one object for a limited time without
//! the store's keys. Signing is local: no request reaches the store, and a URL for a key that
//! does not exist is still a valid URL (fetching it answers 404).

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;

use super::errors::Target;
use super::{Storage, StorageError};

/// The longest validity S3 SigV4 (and Wasabi) accept for a presigned URL.
pub const MAX_PRESIGNED_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);

impl Storage {
    /// A URL that fetches `bucket`/`key` with GET for `valid_for`, at most seven days.
    pub async fn presigned_get(
        &self,
        bucket: &str,
        key: &str,
        valid_for: Duration,
    ) -> Result<String, StorageError> {
        let target = Target {
            action: "presign",
            bucket,
            key,
        };
        let rejected = |detail: String| StorageError::Rejected {
            action: "presign",
            uri: target.uri(),
            detail,
        };
        if valid_for > MAX_PRESIGNED_VALIDITY || valid_for.is_zero() {
            return Err(rejected(format!(
                "a presigned URL is valid for 1 second to 7 days, not {} seconds",
                valid_for.as_secs()
            )));
        }
        let config =
            PresigningConfig::expires_in(valid_for).map_err(|error| rejected(error.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|error| rejected(error.to_string()))?;
        Ok(request.uri().to_owned())
    }
}
