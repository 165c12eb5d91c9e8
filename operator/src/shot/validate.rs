//! Turns a RenderShot, the Secret it names and one HEAD of its scene into a [`ValidatedShot`],
//! or into an [`Invalid`] that names the field to fix and how. Pure: the gather step does the
//! lookups and hands their results in; nothing here talks to the API server or to storage.

use std::collections::BTreeSet;

use framefarm_crds::output::Retention;
use framefarm_crds::storage::SecretKeysRef;
use framefarm_crds::{FrameSet, RenderSettings, RenderShot};
use kube::ResourceExt;
use thiserror::Error;

use crate::names;

/// The spec breaks a rule the CRD schema cannot express.
pub const INVALID_SPEC: &str = "InvalidSpec";
/// The Secret named by `spec.storage.credentialsSecret` does not exist.
pub const SECRET_MISSING: &str = "SecretMissing";
/// The Secret exists but lacks a key the spec names.
pub const SECRET_KEY_MISSING: &str = "SecretKeyMissing";
/// No object at `spec.scene.uri`.
pub const SCENE_MISSING: &str = "SceneMissing";
/// The store holding the scene did not answer.
pub const STORAGE_UNREACHABLE: &str = "StorageUnreachable";

/// Result of one HEAD request for `spec.scene.uri`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SceneCheck {
    Found,
    Missing,
    /// The request failed; the text says why.
    Unreachable(String),
}

/// The Secret named by `spec.storage.credentialsSecret`, as the gather step found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretCheck {
    pub name: String,
    /// The Secret's data keys; `None` when the Secret was not found.
    pub keys: Option<BTreeSet<String>>,
}

/// A shot whose spec is valid, whose credentials exist and whose scene is in storage: what
/// planning and the status roll-up work from, never the raw RenderShot.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidatedShot {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub generation: Option<i64>,
    pub frames: FrameSet,
    pub chunk_size: u64,
    pub parallelism: usize,
    pub render_hash: String,
    pub settings: RenderSettings,
    pub retention: Retention,
    pub suspend: bool,
}

/// Why a shot cannot be rendered as it stands.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// PascalCase reason for conditions and events, one of the constants of this module.
    pub reason: &'static str,
    /// The field to fix, as `kubectl explain` names it.
    pub field: String,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl Invalid {
    fn new(reason: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            reason,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Whether the problem can go away without a change to the shot or its Secret, so the
/// controller checks again after a while: an upload of the scene, or the store coming back.
/// Longest shot name: it is a label value on the shot's RenderJobs and pods.
pub const MAX_SHOT_NAME_LENGTH: usize = 63;

pub fn is_retryable(invalid: &Invalid) -> bool {
    matches!(invalid.reason, SCENE_MISSING | STORAGE_UNREACHABLE)
}

/// Checks, in order: the spec, the shot's identity, the Secret (without credentials the scene
/// HEAD means little), then the scene.
pub fn validate_shot(
    shot: &RenderShot,
    secret: Option<&SecretCheck>,
    scene: &SceneCheck,
) -> Result<ValidatedShot, Invalid> {
    let spec = &shot.spec;
    spec.validate().map_err(|errors| {
        let mut all = errors.iter();
        let first = all.next();
        let more = all.count();
        let (field, message) =
            first.map_or(("spec", String::new()), |e| (&e.field, e.message.clone()));
        let message = match more {
            0 => message,
            1 => format!("{message} (and 1 more problem; see the RenderShot's events)"),
            n => format!("{message} (and {n} more problems; see the RenderShot's events)"),
        };
        Invalid::new(INVALID_SPEC, field, message)
    })?;
    let frames = FrameSet::parse(&spec.frames)
        .map_err(|error| Invalid::new(INVALID_SPEC, "spec.frames", error.to_string()))?;
    let name = shot.name_any();
    if name.len() > MAX_SHOT_NAME_LENGTH {
        return Err(Invalid::new(
            INVALID_SPEC,
            "metadata.name",
            format!(
                "is {} characters long; RenderJobs and pods carry the shot's name as a label \
                 value, which allows {MAX_SHOT_NAME_LENGTH}: give the shot a shorter name",
                name.len()
            ),
        ));
    }
    let namespace = required(shot.namespace(), "metadata.namespace")?;
    let uid = required(shot.uid(), "metadata.uid")?;

    if let Some(wanted) = &spec.render.storage.credentials_secret {
        check_secret(
            wanted,
            secret.filter(|found| found.name == wanted.name),
            &namespace,
        )?;
    }
    match scene {
        SceneCheck::Found => {}
        SceneCheck::Missing => {
            return Err(Invalid::new(
                SCENE_MISSING,
                "spec.scene.uri",
                format!(
                    "no object at {}; upload the scene or fix the uri",
                    spec.render.scene.uri
                ),
            ));
        }
        SceneCheck::Unreachable(why) => {
            return Err(Invalid::new(
                STORAGE_UNREACHABLE,
                "spec.storage",
                format!(
                    "failed to look up the scene {}: {why}; checked again periodically",
                    spec.render.scene.uri
                ),
            ));
        }
    }

    Ok(ValidatedShot {
        name,
        namespace,
        uid,
        generation: shot.metadata.generation,
        frames,
        chunk_size: u64::from(spec.chunk_size),
        // `validate` bounds parallelism to MAX_PARALLELISM, far below usize::MAX.
        parallelism: usize::try_from(spec.parallelism).unwrap_or(usize::MAX),
        render_hash: names::render_hash(&spec.render),
        settings: spec.render.clone(),
        retention: spec.render.output.retention,
        suspend: spec.render.suspend,
    })
}

/// The API server always sets these; a shot without them was not read from a cluster.
fn required(value: Option<String>, field: &str) -> Result<String, Invalid> {
    value.ok_or_else(|| {
        Invalid::new(
            INVALID_SPEC,
            field,
            "is not set; the RenderShot must come from the API server",
        )
    })
}

/// A check of another Secret than the one named (a lookup older than the spec) counts as not
/// found: rendering must not start on credentials nobody confirmed.
fn check_secret(
    wanted: &SecretKeysRef,
    found: Option<&SecretCheck>,
    namespace: &str,
) -> Result<(), Invalid> {
    let Some(keys) = found.and_then(|found| found.keys.as_ref()) else {
        return Err(Invalid::new(
            SECRET_MISSING,
            "spec.storage.credentialsSecret.name",
            format!(
                "Secret {name} not found in namespace {namespace}; create it with `kubectl \
                 create secret generic {name} --namespace {namespace} \
                 --from-literal={access}=... --from-literal={secret}=...`",
                name = wanted.name,
                access = wanted.access_key_id_key,
                secret = wanted.secret_access_key_key,
            ),
        ));
    };
    for (field, key) in [
        ("accessKeyIdKey", &wanted.access_key_id_key),
        ("secretAccessKeyKey", &wanted.secret_access_key_key),
    ] {
        if !keys.contains(key) {
            let present = if keys.is_empty() {
                "it has no keys".to_owned()
            } else {
                let listed: Vec<&str> = keys.iter().map(String::as_str).collect();
                format!("it has {}", listed.join(", "))
            };
            return Err(Invalid::new(
                SECRET_KEY_MISSING,
                format!("spec.storage.credentialsSecret.{field}"),
                format!(
                    "Secret {namespace}/{name} has no key {key}; {present}. Add the key to the \
                     Secret or set {field} to the key that holds it",
                    name = wanted.name,
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
mod tests {
    use super::fixtures::{secret, shot};
    use super::*;

    fn invalid(shot: &RenderShot, secret: Option<&SecretCheck>, scene: &SceneCheck) -> Invalid {
        validate_shot(shot, secret, scene).unwrap_err()
    }

    #[test]
    fn a_valid_shot_carries_what_planning_needs() {
        let shot = shot(r#"{frames: "1-240x2", chunkSize: 25, parallelism: 4}"#);
        let valid = validate_shot(&shot, Some(&secret()), &SceneCheck::Found).unwrap();
        assert_eq!(valid.name, "sh010");
        assert_eq!(valid.namespace, "studio");
        assert_eq!(valid.uid, "5f0c2c4e-0000-4000-8000-000000000010");
        assert_eq!(valid.generation, Some(3));
        assert_eq!(valid.frames.len(), 120);
        assert_eq!((valid.chunk_size, valid.parallelism), (25, 4));
        assert_eq!(valid.render_hash, names::render_hash(&shot.spec.render));
        assert_eq!(valid.retention, Retention::Retain);
        assert!(!valid.suspend);
    }

    #[test]
    fn an_invalid_spec_names_the_first_field_and_counts_the_rest() {
        let shot = shot(r#"{frames: "20-10", output: {uri: "s3://renders/x/", naming: "still"}}"#);
        let found = invalid(&shot, Some(&secret()), &SceneCheck::Found);
        assert_eq!(found.reason, INVALID_SPEC);
        assert_eq!(found.field, "spec.frames");
        assert!(
            found
                .message
                .ends_with("(and 1 more problem; see the RenderShot's events)")
        );
        assert!(!is_retryable(&found));
        assert!(found.to_string().starts_with("spec.frames: "), "{found}");
    }

    #[test]
    fn a_missing_secret_says_how_to_create_it_with_the_configured_keys() {
        let shot = shot(
            "{storage: {provider: wasabi, region: eu-central-2, credentialsSecret: \
             {name: wasabi, accessKeyIdKey: id, secretAccessKeyKey: key}}}",
        );
        let absent = SecretCheck {
            name: "wasabi".into(),
            keys: None,
        };
        let found = invalid(&shot, Some(&absent), &SceneCheck::Found);
        assert_eq!(found.reason, SECRET_MISSING);
        assert_eq!(found.field, "spec.storage.credentialsSecret.name");
        assert_eq!(
            found.message,
            "Secret wasabi not found in namespace studio; create it with `kubectl create secret \
             generic wasabi --namespace studio --from-literal=id=... --from-literal=key=...`"
        );
        assert!(!is_retryable(&found));
    }

    #[test]
    fn a_secret_that_was_not_looked_up_counts_as_missing() {
        let shot = shot("{}");
        assert_eq!(
            invalid(&shot, None, &SceneCheck::Found).reason,
            SECRET_MISSING
        );
        let other = SecretCheck {
            name: "other".into(),
            ..secret()
        };
        assert_eq!(
            invalid(&shot, Some(&other), &SceneCheck::Found).reason,
            SECRET_MISSING
        );
    }

    #[test]
    fn a_missing_key_lists_the_keys_the_secret_has() {
        let shot = shot("{}");
        let partial = SecretCheck {
            name: "wasabi".into(),
            keys: Some(BTreeSet::from(["AWS_ACCESS_KEY_ID".into(), "token".into()])),
        };
        let found = invalid(&shot, Some(&partial), &SceneCheck::Found);
        assert_eq!(found.reason, SECRET_KEY_MISSING);
        assert_eq!(
            found.field,
            "spec.storage.credentialsSecret.secretAccessKeyKey"
        );
        assert!(
            found.message.starts_with(
                "Secret studio/wasabi has no key AWS_SECRET_ACCESS_KEY; it has \
                 AWS_ACCESS_KEY_ID, token."
            ),
            "{found}"
        );
        let empty = SecretCheck {
            name: "wasabi".into(),
            keys: Some(BTreeSet::new()),
        };
        let found = invalid(&shot, Some(&empty), &SceneCheck::Found);
        assert_eq!(found.field, "spec.storage.credentialsSecret.accessKeyIdKey");
        assert!(found.message.contains("it has no keys"), "{found}");
    }

    #[test]
    fn a_shot_without_a_secret_needs_no_secret_check() {
        let shot = shot(r#"{storage: {endpoint: "http://garage:3900"}}"#);
        assert!(validate_shot(&shot, None, &SceneCheck::Found).is_ok());
    }

    #[test]
    fn scene_problems_are_retried_and_say_what_to_do() {
        let shot = shot("{}");
        let missing = invalid(&shot, Some(&secret()), &SceneCheck::Missing);
        assert_eq!(missing.reason, SCENE_MISSING);
        assert_eq!(missing.field, "spec.scene.uri");
        assert_eq!(
            missing.message,
            "no object at s3://studio/shots/sh010/scene.blend; upload the scene or fix the uri"
        );
        assert!(is_retryable(&missing));

        let down = SceneCheck::Unreachable("connection refused".into());
        let unreachable = invalid(&shot, Some(&secret()), &down);
        assert_eq!(unreachable.reason, STORAGE_UNREACHABLE);
        assert_eq!(unreachable.field, "spec.storage");
        assert!(unreachable.message.contains("connection refused"));
        assert!(unreachable.message.contains("checked again periodically"));
        assert!(is_retryable(&unreachable));
    }

    #[test]
    fn the_secret_is_checked_before_the_scene() {
        let shot = shot("{}");
        assert_eq!(
            invalid(&shot, None, &SceneCheck::Missing).reason,
            SECRET_MISSING
        );
    }

    #[test]
    fn a_name_too_long_for_a_label_value_is_rejected() {
        let mut shot = shot("{}");
        shot.metadata.name = Some("s".repeat(64));
        let found = invalid(&shot, Some(&secret()), &SceneCheck::Found);
        assert_eq!(found.field, "metadata.name");
        assert!(found.message.contains("63"), "{}", found.message);
        shot.metadata.name = Some("s".repeat(63));
        assert!(validate_shot(&shot, Some(&secret()), &SceneCheck::Found).is_ok());
    }

    #[test]
    fn a_shot_not_read_from_a_cluster_is_rejected() {
        let mut shot = shot("{}");
        shot.metadata.uid = None;
        let found = invalid(&shot, Some(&secret()), &SceneCheck::Found);
        assert_eq!(found.field, "metadata.uid");
    }
}
