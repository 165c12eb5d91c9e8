//! Every manifest under `examples/` is one a user can apply as it is: the apiserver admits it
//! (schema, strict fields, CEL rules) and the operator's field validation accepts it.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "helpers of integration tests fail the test on unexpected input"
)]

use framefarm_crds::{RenderJob, RenderShot};
use framefarm_tests::admission::Catalog;
use framefarm_tests::manifests::{Manifest, repo_root};
use serde_json::Value;

fn catalog() -> Catalog {
    Catalog::from_dir(&repo_root().join("crds")).expect("the generated CRDs install")
}

fn examples() -> Vec<Manifest> {
    let manifests = Manifest::load_dir(&repo_root().join("examples")).expect("examples load");
    assert!(
        manifests.len() >= 5,
        "expected the five documented examples"
    );
    manifests
}

/// Deserializes an admitted object and runs the operator's field validation on it.
fn validate(object: &Value) -> Result<(), String> {
    match object["kind"].as_str() {
        Some("RenderShot") => serde_json::from_value::<RenderShot>(object.clone())
            .map_err(|error| error.to_string())?
            .spec
            .validate()
            .map_err(|errors| errors.to_string()),
        Some("RenderJob") => serde_json::from_value::<RenderJob>(object.clone())
            .map_err(|error| error.to_string())?
            .spec
            .validate()
            .map_err(|errors| errors.to_string()),
        other => Err(format!("unexpected kind {other:?}")),
    }
}

#[test]
fn every_example_is_admitted_and_valid() {
    let catalog = catalog();
    for manifest in examples() {
        assert!(
            !manifest.documents.is_empty(),
            "{} has no document",
            manifest.name()
        );
        for document in &manifest.documents {
            let admitted = catalog
                .admit(document)
                .unwrap_or_else(|rejection| panic!("{}: {rejection}", manifest.name()));
            if let Err(errors) = validate(&admitted) {
                panic!("{}: {errors}", manifest.name());
            }
        }
    }
}

#[test]
fn every_example_explains_itself_in_a_comment_header() {
    for manifest in examples() {
        let words: usize = manifest
            .header
            .iter()
            .map(|line| line.split_whitespace().count())
            .sum();
        assert!(
            words >= 15,
            "{} needs a comment header saying what it shows",
            manifest.name()
        );
    }
}

#[test]
fn admission_fills_in_the_documented_defaults() {
    let catalog = catalog();
    let shot = Manifest::load(&repo_root().join("examples/suspended-shot.yaml")).unwrap();
    let admitted = catalog.admit(&shot.documents[0]).unwrap();
    let spec = &admitted["spec"];
    assert_eq!(spec["parallelism"], 10);
    assert_eq!(spec["output"]["naming"], "frame_{frame:04}");
    assert_eq!(spec["output"]["retention"], "Retain");
    assert_eq!(spec["thumbnails"]["width"], 320);
    assert_eq!(spec["thumbnails"]["format"], "Auto");
    assert_eq!(spec["retries"]["maxAttemptsPerFrame"], 3);
    assert_eq!(
        spec["storage"]["credentialsSecret"]["accessKeyIdKey"],
        "AWS_ACCESS_KEY_ID"
    );
    let typed: RenderShot = serde_json::from_value(admitted).unwrap();
    assert!(typed.spec.render.suspend);
    assert_eq!(typed.spec.chunk_size, 20);
}

#[test]
fn a_render_job_keeps_its_frames_once_created() {
    let catalog = catalog();
    let job = Manifest::load(&repo_root().join("examples/renderjob-standalone.yaml")).unwrap();
    let old = catalog.admit(&job.documents[0]).unwrap();

    let mut relabelled = old.clone();
    relabelled["metadata"]["labels"] = serde_json::json!({"team": "lighting"});
    assert!(catalog.admit_update(&relabelled, Some(&old)).is_ok());

    let mut moved = old.clone();
    moved["spec"]["frames"] = "101-120".into();
    let rejection = catalog.admit_update(&moved, Some(&old)).unwrap_err();
    assert!(rejection.names("spec.frames"), "{rejection}");
    assert!(
        rejection.to_string().contains("cannot change"),
        "{rejection}"
    );
}
