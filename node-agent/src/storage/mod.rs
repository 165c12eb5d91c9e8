//! S3-compatible object storage as the agent (and the operator) uses it: one client per run
//! built from the storage settings and credentials (from the environment, or given), errors
//! sorted into the
//! causes a user can act on, and retries with backoff for the transient ones. Transfers live
//! in `download`, `upload`, `listing` and `removal`; nothing here knows about frames.

mod download;
mod errors;
mod listing;
mod presign;
mod removal;
mod upload;

use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use framefarm_crds::storage::StorageSpec;

pub use download::ObjectInfo;
pub use errors::{StorageError, Transience};
pub use listing::ListedObject;
pub use presign::MAX_PRESIGNED_VALIDITY;
pub use upload::Uploaded;

/// Environment variables holding the storage credentials; the operator maps the shot's
/// Secret onto them.
pub const ACCESS_KEY_ID_ENV: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_ACCESS_KEY_ENV: &str = "AWS_SECRET_ACCESS_KEY";
pub const SESSION_TOKEN_ENV: &str = "AWS_SESSION_TOKEN";

/// How transfers are split and retried. Defaults come from `benches/download` on Garage and
/// from Wasabi's guidance on part sizes.
#[derive(Clone, Debug)]
pub struct TransferSettings {
    /// Bytes per ranged GET and per multipart upload part.
    pub part_size: u64,
    /// Ranged GETs or parts in flight at once for one object.
    pub concurrency: usize,
    /// Objects at least this large are uploaded in parts.
    pub multipart_threshold: u64,
    /// Attempts at one request before giving up, counting the first.
    pub attempts: u32,
    /// Wait before the second attempt; doubled each time up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for TransferSettings {
    fn default() -> Self {
        Self {
            part_size: 16 * 1024 * 1024,
            concurrency: 8,
            multipart_threshold: 32 * 1024 * 1024,
            attempts: 8,
            first_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl TransferSettings {
    /// The wait before attempt `attempt` (2 or more).
    fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(2).min(16);
        self.first_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

/// Access keys for the store.
#[derive(Clone)]
pub struct StorageCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for StorageCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl StorageCredentials {
    /// Long-lived access keys, e.g. read from a Secret.
    pub fn new(access_key_id: String, secret_access_key: String) -> Self {
        Self {
            access_key_id,
            secret_access_key,
            session_token: None,
        }
    }

    /// The keys read from a shot's Secret, or the environment's when the shot names none.
    pub fn from_keys_or_env(keys: Option<(String, String)>) -> Result<Self, StorageError> {
        match keys {
            Some((access_key_id, secret_access_key)) => {
                Ok(Self::new(access_key_id, secret_access_key))
            }
            None => Self::from_env(),
        }
    }

    /// Reads the credentials from the environment.
    pub fn from_env() -> Result<Self, StorageError> {
        let read = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.is_empty())
                .ok_or(StorageError::MissingCredentials { variable: name })
        };
        Ok(Self {
            access_key_id: read(ACCESS_KEY_ID_ENV)?,
            secret_access_key: read(SECRET_ACCESS_KEY_ENV)?,
            session_token: read(SESSION_TOKEN_ENV).ok(),
        })
    }
}

/// A client for one S3-compatible endpoint.
#[derive(Clone, Debug)]
pub struct Storage {
    client: aws_sdk_s3::Client,
    endpoint: String,
    settings: TransferSettings,
}

impl Storage {
    pub fn new(
        spec: &StorageSpec,
        credentials: StorageCredentials,
        settings: TransferSettings,
    ) -> Result<Self, StorageError> {
        let endpoint = spec
            .endpoint_url()
            .map_err(|source| StorageError::Settings {
                field: source.field(),
                source,
            })?;
        // Servers close idle keep-alive connections after about 20 seconds (Wasabi) and
        // a request on a connection closed under it fails; drop them before that.
        let http_client = aws_smithy_http_client::Builder::new()
            .pool_idle_timeout(Duration::from_secs(15))
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
            .build_https();
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http_client)
            .endpoint_url(&endpoint)
            .region(Region::new(spec.signing_region().to_owned()))
            .force_path_style(spec.uses_path_style())
            .credentials_provider(Credentials::new(
                credentials.access_key_id,
                credentials.secret_access_key,
                credentials.session_token,
                None,
                "framefarm-environment",
            ))
            // Wasabi rejects the SDK's default CRC32 trailers on multipart uploads; send
            // checksums only where an operation requires one and check integrity with
            // Content-MD5 ourselves.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            // The SDK retries quickly once; longer outages are ridden out by our own
            // backoff, which also covers Wasabi's RequestRateLimitExceeded.
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .read_timeout(Duration::from_secs(60))
                    .build(),
            )
            .build();
        Ok(Self {
            client: aws_sdk_s3::Client::from_conf(config),
            endpoint,
            settings,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn settings(&self) -> &TransferSettings {
        &self.settings
    }

    /// Runs `request` until it succeeds, fails for good, or runs out of attempts.
    async fn with_retries<T, F, Fut>(
        &self,
        what: &errors::Target<'_>,
        mut request: F,
    ) -> Result<T, StorageError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, errors::Failure>>,
    {
        let mut attempt = 1;
        loop {
            match request().await {
                Ok(value) => return Ok(value),
                Err(failure)
                    if failure.transience() == Transience::Transient
                        && attempt < self.settings.attempts =>
                {
                    attempt += 1;
                    let wait = self.settings.backoff(attempt);
                    tracing::warn!(
                        action = what.action,
                        object = %what.uri(),
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "storage request failed, retrying: {}",
                        failure.detail()
                    );
                    tokio::time::sleep(wait).await;
                }
                Err(failure) => return Err(failure.into_error(what, &self.endpoint, attempt)),
            }
        }
    }
}
