//! Where scenes and frames live: `s3://` URIs and the S3-compatible endpoint settings
//! (Wasabi by region, or any endpoint), with credentials kept in a Secret, never in the CR.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::ByteString;

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::patterns::{self, DOT_SEGMENT, S3_OBJECT_URI, S3_PREFIX_URI};
use crate::rules;
use crate::validation::Checker;

/// Region used for request signing when an explicit endpoint names none.
pub const DEFAULT_SIGNING_REGION: &str = "us-east-1";

/// Default Secret key holding the access key ID.
pub const DEFAULT_ACCESS_KEY_ID_KEY: &str = "AWS_ACCESS_KEY_ID";

/// Default Secret key holding the secret access key.
pub const DEFAULT_SECRET_ACCESS_KEY_KEY: &str = "AWS_SECRET_ACCESS_KEY";

/// The S3-compatible object store holding the scene and receiving the frames.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = rules::on_field(
        "has(self.provider) || has(self.endpoint)",
        ".endpoint",
        "set provider: wasabi with a region, or the endpoint of an S3-compatible store, \
         e.g. https://s3.example.com",
    ),
    validation = rules::on_field(
        "!(has(self.provider) && has(self.endpoint))",
        ".endpoint",
        "set provider or endpoint, not both: the Wasabi endpoint is derived from the region",
    ),
    validation = rules::on_field(
        "!has(self.provider) || has(self.region)",
        ".region",
        "Wasabi needs a region, e.g. us-east-1 or eu-central-2",
    ),
    validation = rules::on_field(
        "!has(self.provider) || has(self.credentialsSecret)",
        ".credentialsSecret",
        "Wasabi needs credentials: name the Secret holding the access keys in credentialsSecret",
    ),
)]
pub struct StorageSpec {
    /// A known provider whose endpoint is derived from `region`. `wasabi` uses
    /// `https://s3.<region>.wasabisys.com`. Leave unset and give `endpoint` for any other
    /// S3-compatible store (MinIO, Ceph, Garage, AWS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<StorageProvider>,

    /// Region of the bucket, e.g. `us-east-1` or `eu-central-2`. Required with
    /// `provider: wasabi`; with an explicit endpoint it is the signing region
    /// (default `us-east-1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32))]
    #[x_kube(validation = rules::matches(
        &patterns::REGION,
        "must be a region name such as us-east-1 or eu-central-2",
    ))]
    pub region: Option<String>,

    /// Endpoint URL of an S3-compatible store, e.g. `https://s3.example.com` or
    /// `http://10.0.0.5:9000`: scheme, host and optional port only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    #[x_kube(
        validation = rules::never_matches(
            &patterns::AT_SIGN,
            "must not contain credentials; put them in the Secret named by credentialsSecret",
        ),
        validation = rules::matches(
            &patterns::ENDPOINT,
            "must be a URL such as https://s3.example.com or http://10.0.0.5:9000, \
             with no path or query",
        ),
    )]
    pub endpoint: Option<String>,

    /// Address buckets as `https://endpoint/bucket/key` (path style) instead of
    /// `https://bucket.endpoint/key`. Defaults to true, which Wasabi and most self-hosted
    /// stores expect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_style: Option<bool>,

    /// The Secret in the shot's namespace holding the access key ID and secret access key.
    /// Leave unset only for stores that need no keys or get them from the pod's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret: Option<SecretKeysRef>,
}

/// Object storage providers whose endpoint Framefarm derives from the region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StorageProvider {
    // Wasabi hot cloud storage, `https://s3.<region>.wasabisys.com`.
    Wasabi,
}

/// A Secret and the keys inside it that hold S3 credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeysRef {
    /// Name of the Secret, in the namespace of the RenderShot.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = rules::matches(
        &patterns::DNS_SUBDOMAIN,
        "must be a Secret name: lowercase letters, digits, '-' and '.'",
    ))]
    pub name: String,

    /// Key of the access key ID in the Secret.
    #[serde(default = "default_access_key_id_key")]
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = rules::matches(
        &patterns::SECRET_KEY,
        "must be a Secret key: letters, digits, '-', '_' and '.'",
    ))]
    pub access_key_id_key: String,

    /// Key of the secret access key in the Secret.
    #[serde(default = "default_secret_access_key_key")]
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = rules::matches(
        &patterns::SECRET_KEY,
        "must be a Secret key: letters, digits, '-', '_' and '.'",
    ))]
    pub secret_access_key_key: String,
}

/// The value under `key` in a Secret's `data`, trimmed, or `None` when it is missing or blank:
/// how the access keys of a shot's Secret are read wherever they are needed.
pub fn secret_value(data: &BTreeMap<String, ByteString>, key: &str) -> Option<String> {
    data.get(key)
        .map(|ByteString(bytes)| String::from_utf8_lossy(bytes).trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn default_access_key_id_key() -> String {
    DEFAULT_ACCESS_KEY_ID_KEY.into()
}

fn default_secret_access_key_key() -> String {
    DEFAULT_SECRET_ACCESS_KEY_KEY.into()
}

impl StorageSpec {
    /// The endpoint URL to send requests to, without a trailing slash.
    pub fn endpoint_url(&self) -> Result<String, StorageError> {
        match (&self.provider, &self.endpoint) {
            (Some(_), Some(_)) => Err(StorageError::ProviderAndEndpoint),
            (None, None) => Err(StorageError::NoEndpoint),
            (Some(StorageProvider::Wasabi), None) => {
                let region = self
                    .region
                    .as_deref()
                    .ok_or(StorageError::WasabiNeedsRegion)?;
                if !patterns::REGION.is_match(region) {
                    return Err(StorageError::InvalidRegion {
                        region: region.into(),
                    });
                }
                Ok(format!("https://s3.{region}.wasabisys.com"))
            }
            (None, Some(endpoint)) => {
                if endpoint.contains('@') {
                    return Err(StorageError::EndpointCredentials);
                }
                if !patterns::ENDPOINT.is_match(endpoint) {
                    return Err(StorageError::InvalidEndpoint {
                        endpoint: endpoint.clone(),
                    });
                }
                Ok(endpoint.trim_end_matches('/').to_owned())
            }
        }
    }

    /// The region requests are signed for.
    pub fn signing_region(&self) -> &str {
        self.region.as_deref().unwrap_or(DEFAULT_SIGNING_REGION)
    }

    /// Whether buckets are addressed path style (`endpoint/bucket/key`).
    pub fn uses_path_style(&self) -> bool {
        self.path_style.unwrap_or(true)
    }

    pub(crate) fn check(&self, at: &str, checker: &mut Checker) {
        if let Err(error) = self.endpoint_url() {
            checker.error(format!("{at}.{}", error.field()), error);
        }
        if let Some(secret) = &self.credentials_secret {
            if !patterns::DNS_SUBDOMAIN.is_match(&secret.name) {
                checker.error(
                    format!("{at}.credentialsSecret.name"),
                    "must be a Secret name: lowercase letters, digits, '-' and '.'",
                );
            }
        } else if self.provider.is_some() {
            checker.error(
                format!("{at}.credentialsSecret"),
                "Wasabi needs credentials: name the Secret holding the access keys",
            );
        }
    }
}

/// Why the storage settings name no usable endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum StorageError {
    #[error("set provider or endpoint, not both: the Wasabi endpoint is derived from the region")]
    ProviderAndEndpoint,
    #[error(
        "set provider: wasabi with a region, or the endpoint of an S3-compatible store, \
         e.g. https://s3.example.com"
    )]
    NoEndpoint,
    #[error("Wasabi needs a region, e.g. us-east-1 or eu-central-2")]
    WasabiNeedsRegion,
    #[error("'{region}' is not a region name; write one such as us-east-1 or eu-central-2")]
    InvalidRegion { region: String },
    #[error("must not contain credentials; put them in the Secret named by credentialsSecret")]
    EndpointCredentials,
    #[error(
        "'{endpoint}' is not an endpoint URL; write one such as https://s3.example.com or \
         http://10.0.0.5:9000, with no path or query"
    )]
    InvalidEndpoint { endpoint: String },
}

impl StorageError {
    /// The field of the storage settings the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            StorageError::WasabiNeedsRegion | StorageError::InvalidRegion { .. } => "region",
            _ => "endpoint",
        }
    }
}

/// A parsed `s3://bucket/key` URI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct S3Uri {
    bucket: String,
    key: String,
}

impl S3Uri {
    /// Parses the URI of one object, e.g. a scene file.
    pub fn parse_object(uri: &str) -> Result<S3Uri, S3UriError> {
        if uri.ends_with('/') {
            return Err(S3UriError::Folder { uri: uri.into() });
        }
        Self::parse_with(uri, &S3_OBJECT_URI)
    }

    /// Parses a place to write objects under: a bucket, or a bucket and key prefix. A
    /// non-empty prefix always ends with `/`.
    pub fn parse_prefix(uri: &str) -> Result<S3Uri, S3UriError> {
        let mut parsed = Self::parse_with(uri, &S3_PREFIX_URI)?;
        if !parsed.key.is_empty() && !parsed.key.ends_with('/') {
            parsed.key.push('/');
        }
        Ok(parsed)
    }

    fn parse_with(uri: &str, shape: &patterns::Pattern) -> Result<S3Uri, S3UriError> {
        if !shape.is_match(uri) {
            return Err(S3UriError::Malformed { uri: uri.into() });
        }
        if DOT_SEGMENT.is_match(uri) {
            return Err(S3UriError::DotSegment { uri: uri.into() });
        }
        let rest = uri.trim_start_matches("s3://");
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        Ok(S3Uri {
            bucket: bucket.into(),
            key: key.into(),
        })
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The object key, or the key prefix (empty, or ending in `/`).
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for S3Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// Why an `s3://` URI was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum S3UriError {
    #[error(
        "'{uri}' is not an s3:// URI; write s3://bucket/path with a bucket name of 3-63 \
         lowercase letters, digits, '.' and '-', and no empty path segments"
    )]
    Malformed { uri: String },
    #[error("'{uri}' names a folder; give the file, e.g. s3://bucket/shots/sh010/scene.blend")]
    Folder { uri: String },
    #[error("'{uri}' must not contain '.' or '..' path segments")]
    DotSegment { uri: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wasabi(region: &str) -> StorageSpec {
        StorageSpec {
            provider: Some(StorageProvider::Wasabi),
            region: Some(region.into()),
            ..StorageSpec::default()
        }
    }

    #[test]
    fn wasabi_endpoint_is_derived_from_the_region() {
        assert_eq!(
            wasabi("eu-central-2").endpoint_url().unwrap(),
            "https://s3.eu-central-2.wasabisys.com"
        );
        assert_eq!(wasabi("eu-central-2").signing_region(), "eu-central-2");
        assert!(wasabi("eu-central-2").uses_path_style());
        assert_eq!(
            wasabi("Frankfurt").endpoint_url(),
            Err(StorageError::InvalidRegion {
                region: "Frankfurt".into()
            })
        );
    }

    #[test]
    fn explicit_endpoints_are_used_as_given() {
        let store = StorageSpec {
            endpoint: Some("http://127.0.0.1:3900/".into()),
            ..StorageSpec::default()
        };
        assert_eq!(store.endpoint_url().unwrap(), "http://127.0.0.1:3900");
        assert_eq!(store.signing_region(), "us-east-1");
        let with_keys = StorageSpec {
            endpoint: Some("https://AKIA:secret@s3.example.com".into()),
            ..StorageSpec::default()
        };
        assert_eq!(
            with_keys.endpoint_url(),
            Err(StorageError::EndpointCredentials)
        );
        assert_eq!(
            StorageSpec::default().endpoint_url(),
            Err(StorageError::NoEndpoint)
        );
    }

    #[test]
    fn s3_uris_split_into_bucket_and_key() {
        let scene = S3Uri::parse_object("s3://studio/shots/sh010/scene.blend").unwrap();
        assert_eq!(
            (scene.bucket(), scene.key()),
            ("studio", "shots/sh010/scene.blend")
        );
        let prefix = S3Uri::parse_prefix("s3://renders/sh010").unwrap();
        assert_eq!(prefix.key(), "sh010/");
        assert_eq!(S3Uri::parse_prefix("s3://renders").unwrap().key(), "");
        assert!(matches!(
            S3Uri::parse_object("s3://studio/shots/"),
            Err(S3UriError::Folder { .. })
        ));
        assert!(matches!(
            S3Uri::parse_prefix("s3://renders/../other"),
            Err(S3UriError::DotSegment { .. })
        ));
        assert!(matches!(
            S3Uri::parse_object("/local/scene.blend"),
            Err(S3UriError::Malformed { .. })
        ));
    }

    #[test]
    fn a_secret_value_is_trimmed_and_a_blank_or_missing_one_is_none() {
        let data = BTreeMap::from([
            ("id".to_owned(), ByteString(b" GK31c2 \n".to_vec())),
            ("blank".to_owned(), ByteString(b"  \n".to_vec())),
        ]);
        assert_eq!(secret_value(&data, "id").as_deref(), Some("GK31c2"));
        assert_eq!(secret_value(&data, "blank"), None);
        assert_eq!(secret_value(&data, "missing"), None);
    }
}
