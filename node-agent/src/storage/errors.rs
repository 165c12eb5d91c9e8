//! Storage failures sorted into what a user can act on: the object or bucket is missing, the
//! credentials are wrong or lack rights, the store is unreachable or throttling (retried), or
//! the data did not arrive intact.

use std::path::PathBuf;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use framefarm_crds::storage::StorageError as StorageSettingsError;
use thiserror::Error;

/// Error codes S3-compatible stores use for "slow down" and brief outages.
const TRANSIENT_CODES: &[&str] = &[
    "SlowDown",
    "RequestRateLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "TooManyRequests",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "OperationAborted",
];

const CREDENTIAL_CODES: &[&str] = &[
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
];

/// Why a storage action failed.
#[derive(Debug, Error)]
pub enum StorageError {
    #[error("failed to set up storage: spec.storage.{field}: {source}")]
    Settings {
        field: &'static str,
        #[source]
        source: StorageSettingsError,
    },
    #[error(
        "failed to read storage credentials: {variable} is not set; the operator sets it from \
         the Secret named in spec.storage.credentialsSecret, on a workstation export it"
    )]
    MissingCredentials { variable: &'static str },
    #[error(
        "failed to {action} {uri}: the object does not exist; check the URI and that it was uploaded"
    )]
    NoSuchKey { action: &'static str, uri: String },
    #[error(
        "failed to {action} {uri}: bucket '{bucket}' does not exist at {endpoint}; create it or \
         fix the bucket name"
    )]
    NoSuchBucket {
        action: &'static str,
        uri: String,
        bucket: String,
        endpoint: String,
    },
    #[error(
        "failed to {action} {uri}: {endpoint} rejected the credentials ({code}); check the access \
         keys in the Secret named in spec.storage.credentialsSecret"
    )]
    BadCredentials {
        action: &'static str,
        uri: String,
        endpoint: String,
        code: String,
    },
    #[error(
        "failed to {action} {uri}: access denied ({detail}); check the access keys in the \
         Secret named in spec.storage.credentialsSecret, and that they may read and write the \
         bucket"
    )]
    AccessDenied {
        action: &'static str,
        uri: String,
        detail: String,
    },
    #[error(
        "failed to {action} {uri}: {endpoint} did not answer after {attempts} attempts ({detail}); \
         check the endpoint and the network policy"
    )]
    Unreachable {
        action: &'static str,
        uri: String,
        endpoint: String,
        attempts: u32,
        detail: String,
    },
    #[error("failed to {action} {uri}: {detail}")]
    Rejected {
        action: &'static str,
        uri: String,
        detail: String,
    },
    #[error("failed to {action} {uri}: the data did not arrive intact ({detail})")]
    Corrupted {
        action: &'static str,
        uri: String,
        detail: String,
    },
    #[error("failed to {action} {uri}: local file {path}: {source}")]
    LocalFile {
        action: &'static str,
        uri: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Whether trying again may help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transience {
    Transient,
    Permanent,
}

/// What a request was about, for messages.
#[derive(Clone, Copy, Debug)]
pub(super) struct Target<'a> {
    pub action: &'static str,
    pub bucket: &'a str,
    pub key: &'a str,
}

impl Target<'_> {
    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// One failed request, before retries are decided.
#[derive(Debug)]
pub(super) enum Failure {
    Service {
        status: u16,
        code: Option<String>,
        message: Option<String>,
    },
    Network(String),
    Corrupted(String),
    LocalFile(PathBuf, std::io::Error),
    /// A request on many objects succeeded as a whole but failed for this one.
    Object {
        key: String,
        code: String,
        message: Option<String>,
    },
}

impl Failure {
    pub fn from_sdk<E, R>(error: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HasStatus,
    {
        match error {
            SdkError::ServiceError(context) => Failure::Service {
                status: context.raw().status_code(),
                code: context.err().code().map(str::to_owned),
                message: context.err().message().map(str::to_owned),
            },
            SdkError::ResponseError(context) => Failure::Service {
                status: context.raw().status_code(),
                code: None,
                message: Some("unreadable response".into()),
            },
            other => Failure::Network(error_chain(&other)),
        }
    }

    pub fn transience(&self) -> Transience {
        match self {
            Failure::Service { status, code, .. } => {
                let transient_code = code
                    .as_deref()
                    .is_some_and(|code| TRANSIENT_CODES.contains(&code));
                if transient_code || *status >= 500 || *status == 429 || *status == 408 {
                    Transience::Transient
                } else {
                    Transience::Permanent
                }
            }
            Failure::Object { code, .. } if TRANSIENT_CODES.contains(&code.as_str()) => {
                Transience::Transient
            }
            Failure::Network(_) | Failure::Corrupted(_) => Transience::Transient,
            Failure::LocalFile(..) | Failure::Object { .. } => Transience::Permanent,
        }
    }

    fn is_access_denied(&self) -> bool {
        matches!(self, Failure::Object { code, .. } if code == "AccessDenied")
    }

    pub fn detail(&self) -> String {
        match self {
            Failure::Service {
                status,
                code,
                message,
            } => format!(
                "HTTP {status}{}{}",
                code.as_deref()
                    .map(|code| format!(" {code}"))
                    .unwrap_or_default(),
                message
                    .as_deref()
                    .map(|message| format!(": {message}"))
                    .unwrap_or_default()
            ),
            Failure::Network(detail) | Failure::Corrupted(detail) => detail.clone(),
            Failure::LocalFile(path, error) => format!("{}: {error}", path.display()),
            Failure::Object { code, message, .. } => format!(
                "{code}{}",
                message
                    .as_deref()
                    .map(|message| format!(": {message}"))
                    .unwrap_or_default()
            ),
        }
    }

    pub fn into_error(self, target: &Target<'_>, endpoint: &str, attempts: u32) -> StorageError {
        let action = target.action;
        let transient = self.transience() == Transience::Transient;
        let uri = match &self {
            Failure::Object { key, .. } => format!("s3://{}/{key}", target.bucket),
            _ => target.uri(),
        };
        match self {
            Failure::LocalFile(path, source) => StorageError::LocalFile {
                action,
                uri,
                path,
                source,
            },
            Failure::Corrupted(detail) => StorageError::Corrupted {
                action,
                uri,
                detail,
            },
            Failure::Service { code, status, .. }
                if code.as_deref() == Some("NoSuchBucket")
                    || (status == 404 && target.key.is_empty()) =>
            {
                StorageError::NoSuchBucket {
                    action,
                    uri,
                    bucket: target.bucket.to_owned(),
                    endpoint: endpoint.to_owned(),
                }
            }
            Failure::Service { code, status, .. }
                if code.as_deref() == Some("NoSuchKey") || status == 404 =>
            {
                StorageError::NoSuchKey { action, uri }
            }
            Failure::Service {
                code: Some(code), ..
            }
            | Failure::Object { code, .. }
                if CREDENTIAL_CODES.contains(&code.as_str()) =>
            {
                StorageError::BadCredentials {
                    action,
                    uri,
                    endpoint: endpoint.to_owned(),
                    code,
                }
            }
            failure @ Failure::Object { .. } if failure.is_access_denied() => {
                StorageError::AccessDenied {
                    action,
                    uri,
                    detail: failure.detail(),
                }
            }
            failure @ Failure::Service { status: 403, .. } => StorageError::AccessDenied {
                action,
                uri,
                detail: failure.detail(),
            },
            failure if transient => StorageError::Unreachable {
                action,
                uri,
                endpoint: endpoint.to_owned(),
                attempts,
                detail: failure.detail(),
            },
            failure => StorageError::Rejected {
                action,
                uri,
                detail: failure.detail(),
            },
        }
    }
}

/// The HTTP status of a raw response, whatever its type.
pub(super) trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// The error and its causes on one line, as the SDK nests them deeply.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
