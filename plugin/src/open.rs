//! `open`: presigned URLs of a shot's contact sheet, animated preview and last rendered
//! frame, for a browser or `curl`, valid for a chosen time (12 hours unless asked, at most the
//! 7 days S3 signatures and Wasabi allow). Signing is local; one HEAD per file tells whether
//! it exists yet.

use std::time::Duration;

use framefarm_crds::RenderShot;
use framefarm_crds::output::preview_keys;
use framefarm_node_agent::storage::{MAX_PRESIGNED_VALIDITY, StorageError};
use kube::ResourceExt;
use thiserror::Error;

use crate::cluster::{Cluster, ClusterError};
use crate::files::{FilesError, ShotFiles};
use crate::format::{DurationError, format_duration, parse_duration};

#[derive(Debug, Error)]
pub enum OpenError {
    #[error("--expires: {0}")]
    Expires(#[from] DurationError),
    #[error(
        "--expires {text} is {}, longer than 7 days, the longest a presigned URL may be valid \
         (S3 signatures, Wasabi); ask for 7d or less", format_duration(.valid_for.as_secs_f64())
    )]
    TooLong { text: String, valid_for: Duration },
    #[error("--expires {text} is zero; ask for at least 1s, e.g. 12h")]
    Zero { text: String },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Files(#[from] FilesError),
    #[error("failed to presign {uri}: {source}")]
    Presign {
        uri: String,
        #[source]
        source: Box<StorageError>,
    },
    #[error("failed to look up {uri}: {source}")]
    Head {
        uri: String,
        #[source]
        source: Box<StorageError>,
    },
}

/// How long URLs stay valid, as asked on the command line.
pub fn validity(text: &str) -> Result<Duration, OpenError> {
    let valid_for = parse_duration(text)?;
    if valid_for.is_zero() {
        return Err(OpenError::Zero { text: text.into() });
    }
    if valid_for > MAX_PRESIGNED_VALIDITY {
        return Err(OpenError::TooLong {
            text: text.into(),
            valid_for,
        });
    }
    Ok(valid_for)
}

/// One file `open` offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    pub label: &'static str,
    pub key: String,
}

/// The contact sheet, the animation and the last frame, where the status names them; the
/// previews' keys are known before they are made.
pub fn offered_files(shot: &RenderShot, output_prefix: &str) -> Vec<Offered> {
    let status = shot.status.clone().unwrap_or_default();
    let (sheet, animation) = preview_keys(output_prefix, &shot.name_any());
    let preview = status.preview.unwrap_or_default();
    let mut offered = vec![
        Offered {
            label: "contact-sheet",
            key: preview.contact_sheet_key.unwrap_or(sheet),
        },
        Offered {
            label: "preview",
            key: preview.animation_key.unwrap_or(animation),
        },
    ];
    if let Some(last) = status.last_frame {
        offered.push(Offered {
            label: "last-frame",
            key: last.key,
        });
    }
    offered
}

pub async fn run(cluster: &Cluster, name: &str, expires: &str) -> Result<(), OpenError> {
    let valid_for = validity(expires)?;
    let shot = cluster.shot(name).await?;
    let files = ShotFiles::connect(&shot, cluster.storage_keys(&shot).await?)?;
    let until = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(valid_for.as_secs() as i64))
        .map(|at| at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default();
    println!(
        "URLs of RenderShot {}/{name}, valid for {} (until {until}):",
        cluster.namespace,
        format_duration(valid_for.as_secs_f64())
    );
    let offered = offered_files(&shot, &files.order.output_prefix);
    for file in &offered {
        let uri = files.uri(&file.key);
        match files.storage.head(files.bucket(), &file.key).await {
            Ok(_) => {}
            Err(StorageError::NoSuchKey { .. }) => {
                println!(
                    "{:<14} not made yet ({uri}; previews are made when every frame is done)",
                    file.label
                );
                continue;
            }
            Err(source) => {
                return Err(OpenError::Head {
                    uri,
                    source: Box::new(source),
                });
            }
        }
        let url = files
            .storage
            .presigned_get(files.bucket(), &file.key, valid_for)
            .await
            .map_err(|source| OpenError::Presign {
                uri,
                source: Box::new(source),
            })?;
        println!("{:<14} {url}", file.label);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn validity_defaults_are_accepted_and_more_than_seven_days_refused() {
        assert_eq!(validity("12h").unwrap(), Duration::from_secs(43_200));
        assert_eq!(validity("7d").unwrap(), MAX_PRESIGNED_VALIDITY);
        let error = validity("8d").unwrap_err().to_string();
        assert!(error.contains("longer than 7 days"), "{error}");
        assert!(error.contains("7d or less"), "{error}");
        assert!(validity("0s").unwrap_err().to_string().contains("zero"));
        assert!(
            validity("soon")
                .unwrap_err()
                .to_string()
                .contains("--expires")
        );
    }

    #[test]
    fn previews_and_the_last_frame_are_offered_under_the_output_prefix() {
        let shot: RenderShot = serde_json::from_value(serde_json::json!({
            "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
            "metadata": {"name": "sh010", "namespace": "studio"},
            "spec": {
                "frames": "1-3",
                "scene": {"uri": "s3://studio/a.blend"},
                "engine": {"blender": {}},
                "output": {"uri": "s3://studio/out/"},
                "storage": {"endpoint": "http://127.0.0.1:3900"}
            },
            "status": {"lastFrame": {"frame": 3, "key": "out/frame_0003.png"}}
        }))
        .unwrap();
        let keys: Vec<(&str, String)> = offered_files(&shot, "out/")
            .into_iter()
            .map(|file| (file.label, file.key))
            .collect();
        assert_eq!(
            keys,
            [
                (
                    "contact-sheet",
                    "out/preview/sh010-contact-sheet.png".into()
                ),
                ("preview", "out/preview/sh010-preview.gif".into()),
                ("last-frame", "out/frame_0003.png".into()),
            ]
        );
    }
}
