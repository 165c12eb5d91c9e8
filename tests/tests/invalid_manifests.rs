//! The corpus under `tests/manifests/invalid/` is a list of mistakes users make. Each file says
//! in its header who rejects it (`admission`: the apiserver, through the CRD schema and its CEL
//! rules; `validation`: the operator's field validation, for what CEL cannot express), which
//! field the error names, and words the message must contain.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "helpers of integration tests fail the test on unexpected input"
)]

use framefarm_crds::{FieldErrors, RenderJob, RenderShot};
use framefarm_tests::admission::{Catalog, Rejection};
use framefarm_tests::manifests::{Manifest, repo_root};
use serde_json::Value;

fn validate(object: &Value) -> Result<(), FieldErrors> {
    match object["kind"].as_str() {
        Some("RenderJob") => serde_json::from_value::<RenderJob>(object.clone())
            .expect("an admitted RenderJob deserializes")
            .spec
            .validate(),
        _ => serde_json::from_value::<RenderShot>(object.clone())
            .expect("an admitted RenderShot deserializes")
            .spec
            .validate(),
    }
}

fn check_admission(rejection: &Rejection, field: &str, message: &str) -> Result<(), String> {
    let named = rejection.causes.iter().find(|cause| cause.field == field);
    match named {
        Some(cause) if cause.to_string().contains(message) => Ok(()),
        Some(cause) => Err(format!("the message does not say '{message}': {cause}")),
        None => Err(format!("no cause names {field}: {rejection}")),
    }
}

fn check_validation(errors: &FieldErrors, field: &str, message: &str) -> Result<(), String> {
    match errors.iter().find(|error| error.field == field) {
        Some(error) if error.message.contains(message) => Ok(()),
        Some(error) => Err(format!("the message does not say '{message}': {error}")),
        None => Err(format!("no error names {field}: {errors}")),
    }
}

#[test]
fn every_invalid_manifest_is_rejected_with_a_message_naming_the_field() {
    let catalog = Catalog::from_dir(&repo_root().join("crds")).expect("the generated CRDs install");
    let corpus =
        Manifest::load_dir(&repo_root().join("tests/manifests/invalid")).expect("corpus loads");
    assert!(
        corpus.len() >= 25,
        "the corpus holds {} manifests",
        corpus.len()
    );
    let mut failures = Vec::new();
    for manifest in &corpus {
        let name = manifest.name();
        let (Some(layer), Some(field)) = (
            manifest.directive("rejected-by"),
            manifest.directive("field"),
        ) else {
            failures.push(format!(
                "{name}: header needs rejected-by: and field: lines"
            ));
            continue;
        };
        let message = manifest.directive("message").unwrap_or_default();
        let object = &manifest.documents[0];
        let outcome = match (layer, catalog.admit(object)) {
            ("admission", Err(rejection)) => check_admission(&rejection, field, message),
            ("admission", Ok(_)) => Err("the apiserver would accept it".to_owned()),
            ("validation", Ok(admitted)) => match validate(&admitted) {
                Err(errors) => check_validation(&errors, field, message),
                Ok(()) => Err("field validation accepts it".to_owned()),
            },
            ("validation", Err(rejection)) => Err(format!(
                "rejected already at admission, so say rejected-by: admission ({rejection})"
            )),
            (other, _) => Err(format!("unknown layer {other}")),
        };
        if let Err(problem) = outcome {
            failures.push(format!("{name}: {problem}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_cause_names_a_field_and_reads_like_kubectl_output() {
    let catalog = Catalog::from_dir(&repo_root().join("crds")).unwrap();
    let manifest =
        Manifest::load(&repo_root().join("tests/manifests/invalid/frames-step-zero.yaml")).unwrap();
    let rejection = catalog.admit(&manifest.documents[0]).unwrap_err();
    // As on a real apiserver, a failed CEL rule shows the type of the field, not its value.
    assert_eq!(
        rejection.to_string(),
        "RenderShot.framefarm.io \"invalid-frames-step-zero\" is invalid: spec.frames: Invalid \
         value: \"string\": a range step (the number after x) must be at least 1, e.g. 1-240x2"
    );
    for manifest in Manifest::load_dir(&repo_root().join("tests/manifests/invalid")).unwrap() {
        if let Err(rejection) = catalog.admit(&manifest.documents[0]) {
            for cause in &rejection.causes {
                assert!(!cause.field.is_empty(), "{}: {cause}", manifest.name());
            }
        }
    }
}
