//! Object metadata the apiserver owns: uids, timestamps, generated names, name validation and
//! the `generation` rule (bumped when anything but metadata and status changes).

use jiff::{Timestamp, Unit};
use serde_json::Value;

use crate::emulator::api_error::{ApiError, StatusCause};
use crate::emulator::registry::ResourceType;

/// Now, in the RFC 3339 second precision Kubernetes timestamps use.
pub fn now() -> String {
    timestamp_after(0)
}

/// `seconds` from now, as a Kubernetes timestamp.
pub fn timestamp_after(seconds: i64) -> String {
    let now = Timestamp::now();
    let later = now
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap_or(now);
    later.round(Unit::Second).unwrap_or(later).to_string()
}

pub fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The 5 random characters the apiserver appends to a `generateName`.
pub fn generated_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .take(5)
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}

/// Checks `metadata.name` as a DNS-1123 subdomain (namespaces: a DNS-1123 label).
pub fn validate_name(resource: &ResourceType, name: &str) -> Result<(), ApiError> {
    let label_only = resource.is_core("namespaces");
    let max = if label_only { 63 } else { 253 };
    let part_ok = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !part.starts_with('-')
            && !part.ends_with('-')
    };
    let valid = name.len() <= max
        && if label_only {
            part_ok(name)
        } else {
            name.split('.').all(part_ok)
        };
    if valid {
        return Ok(());
    }
    let message = if label_only {
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    } else {
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    };
    Err(ApiError::invalid(
        resource,
        name,
        vec![StatusCause {
            reason: "FieldValueInvalid".to_owned(),
            message: format!("Invalid value: {name:?}: {message}"),
            field: "metadata.name".to_owned(),
        }],
    ))
}

/// Whether the object has a `deletionTimestamp`.
pub fn is_being_deleted(object: &Value) -> bool {
    object["metadata"].get("deletionTimestamp").is_some()
}

/// Whether finalizers still hold the object.
pub fn has_finalizers(object: &Value) -> bool {
    object["metadata"]["finalizers"]
        .as_array()
        .is_some_and(|finalizers| !finalizers.is_empty())
}

/// Sets `to[field]` to `from[field]`, or removes it when `from` has none.
pub fn copy_or_remove(from: &Value, to: &mut Value, field: &str) {
    match from.get(field) {
        Some(value) => to[field] = value.clone(),
        None => {
            if let Some(fields) = to.as_object_mut() {
                fields.remove(field);
            }
        }
    }
}

/// Whether `new` differs from `old` outside metadata and status, which bumps `generation`.
pub fn spec_changed(old: &Value, new: &Value) -> bool {
    let strip = |object: &Value| -> Value {
        let mut object = object.clone();
        if let Some(fields) = object.as_object_mut() {
            for field in ["metadata", "status", "apiVersion", "kind"] {
                fields.remove(field);
            }
        }
        object
    };
    strip(old) != strip(new)
}

/// The `resourceVersion` a client sent, if any.
pub fn sent_resource_version(object: &Value) -> Option<&str> {
    object["metadata"]["resourceVersion"]
        .as_str()
        .filter(|version| !version.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::emulator::registry::Registry;

    #[test]
    fn names_must_be_dns_subdomains_and_namespaces_labels() {
        let registry = Registry::default();
        let pods = registry.by_resource("", "v1", "pods").unwrap();
        let namespaces = registry.by_resource("", "v1", "namespaces").unwrap();
        assert!(validate_name(pods, "sh010-chunk-0001.a").is_ok());
        let error = validate_name(pods, "Sh010").unwrap_err();
        assert_eq!(error.code, 422);
        assert!(error.message.starts_with("Pod \"Sh010\" is invalid: metadata.name: Invalid value: \"Sh010\": a lowercase RFC 1123 subdomain"));
        assert!(validate_name(namespaces, "a.b").is_err());
    }

    #[test]
    fn generation_follows_spec_not_status_or_metadata() {
        let old = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"x": 1}, "status": {"y": 1}});
        let relabelled =
            json!({"metadata": {"labels": {"a": "2"}}, "spec": {"x": 1}, "status": {"y": 2}});
        let respecced = json!({"metadata": {}, "spec": {"x": 2}});
        assert!(!spec_changed(&old, &relabelled));
        assert!(spec_changed(&old, &respecced));
    }

    #[test]
    fn timestamps_are_whole_seconds_in_utc() {
        let stamp = now();
        assert!(stamp.ends_with('Z') && !stamp.contains('.'), "{stamp}");
        assert_eq!(generated_suffix().len(), 5);
    }
}
