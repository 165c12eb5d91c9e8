//! The refusals of a write that depend only on the request and the stored object: kind and
//! version, required names, strict decoding, finalizers added during deletion, pod spec
//! immutability, and CRDs that could not be installed.

use serde_json::Value;

use crate::emulator::api_error::{ApiError, StatusCause};
use crate::emulator::registry::ResourceType;

/// The 400 of a strict decode, listing every unknown field.
pub(super) fn strict_decoding_error(resource: &ResourceType, unknown: &[String]) -> ApiError {
    ApiError::bad_request(format!(
        "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
        unknown.join(", "),
        kind = resource.kind,
        version = resource.version,
    ))
}

pub(super) fn check_kind(resource: &ResourceType, object: &Value) -> Result<(), ApiError> {
    if !object.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object",
        ));
    }
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let kind = object["kind"].as_str().unwrap_or_default();
    let group_of = |api_version: &str| {
        api_version
            .split_once('/')
            .map_or("", |(group, _)| group)
            .to_owned()
    };
    if (!kind.is_empty() && kind != resource.kind)
        || (!api_version.is_empty() && group_of(api_version) != resource.group)
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            resource.api_version()
        )));
    }
    Ok(())
}

pub(super) fn name_required(resource: &ResourceType) -> ApiError {
    ApiError::invalid(
        resource,
        "",
        vec![StatusCause {
            reason: "FieldValueRequired".to_owned(),
            message: "Required value: name or generateName is required".to_owned(),
            field: "metadata.name".to_owned(),
        }],
    )
}

pub(super) fn check_finalizers_while_deleting(
    resource: &ResourceType,
    old: &Value,
    object: &Value,
) -> Result<(), ApiError> {
    if !super::metadata::is_being_deleted(old) {
        return Ok(());
    }
    let finalizers = |object: &Value| -> Vec<String> {
        object["metadata"]["finalizers"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = finalizers(old);
    let added: Vec<String> = finalizers(object)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    if added.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid(
        resource,
        old["metadata"]["name"].as_str().unwrap_or_default(),
        vec![StatusCause {
            reason: "FieldValueForbidden".to_owned(),
            message: "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{".to_owned()
                + &added.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(", ")
                + "}",
            field: "metadata.finalizers".to_owned(),
        }],
    ))
}

/// A pod's spec is immutable but for container images (and binding, which has its own
/// endpoint), as in the real API.
pub(super) fn check_pod_update(
    resource: &ResourceType,
    old: &Value,
    object: &Value,
) -> Result<(), ApiError> {
    let without_images = |pod: &Value| {
        let mut spec = pod["spec"].clone();
        for list in ["containers", "initContainers"] {
            if let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) {
                for container in containers {
                    container["image"] = Value::Null;
                }
            }
        }
        spec
    };
    if without_images(old) == without_images(object) {
        return Ok(());
    }
    Err(ApiError::invalid(
        resource,
        old["metadata"]["name"].as_str().unwrap_or_default(),
        vec![StatusCause {
            reason: "FieldValueForbidden".to_owned(),
            message: "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)".to_owned(),
            field: "spec".to_owned(),
        }],
    ))
}

/// A CRD must be named `plural.group` and have installable schemas.
pub(super) fn check_crd(resource: &ResourceType, crd: &Value) -> Result<(), ApiError> {
    let name = crd["metadata"]["name"].as_str().unwrap_or_default();
    let spec = &crd["spec"];
    let expected = format!(
        "{}.{}",
        spec["names"]["plural"].as_str().unwrap_or_default(),
        spec["group"].as_str().unwrap_or_default()
    );
    let mut causes = Vec::new();
    if name != expected {
        causes.push(StatusCause {
            reason: "FieldValueInvalid".to_owned(),
            message: format!("Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group"),
            field: "metadata.name".to_owned(),
        });
    }
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    for (index, version) in versions.iter().enumerate() {
        let schema = &version["schema"]["openAPIV3Schema"];
        let field = format!("spec.versions[{index}].schema.openAPIV3Schema");
        let problems = crate::admission::structural_problems(schema)
            .into_iter()
            .chain(crate::admission::rule_problems(schema));
        for problem in problems {
            causes.push(StatusCause {
                reason: "FieldValueInvalid".to_owned(),
                message: format!("Invalid value: \"object\": {problem}"),
                field: field.clone(),
            });
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(resource, name, causes))
    }
}
