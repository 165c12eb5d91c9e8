//! The CRD YAML committed under `crds/` and in the Helm chart's `crds/` is exactly what the
//! Rust types generate, so that `kubectl apply -f crds/` and `helm install` install the API
//! the code was written against.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "helpers of integration tests fail the test on unexpected input"
)]

use std::fs;
use std::path::Path;

use framefarm_crds::crd;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

#[test]
fn committed_crd_yaml_matches_the_types() {
    for (file, definition) in crd::definitions() {
        for dir in crd::COMMITTED_DIRS {
            assert_committed(&Path::new(dir).join(file), &definition);
        }
    }
}

#[test]
fn the_helm_chart_carries_every_crd_and_nothing_else() {
    let chart_crds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/framefarm/crds");
    let mut committed: Vec<String> = fs::read_dir(&chart_crds)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    committed.sort();
    let mut generated: Vec<String> = crd::definitions()
        .into_iter()
        .map(|(file, _)| file.to_owned())
        .collect();
    generated.sort();
    assert_eq!(committed, generated, "files in {}", chart_crds.display());
}

fn assert_committed(relative: &Path, definition: &CustomResourceDefinition) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let committed = fs::read_to_string(&path).unwrap_or_default();
    let generated = crd::to_yaml(definition).expect("CRDs render as YAML");
    let first_difference = committed
        .lines()
        .zip(generated.lines())
        .position(|(old, new)| old != new)
        .map(|index| index + 1);
    assert!(
        committed == generated,
        "{} is out of date (first difference at line {first_difference:?}); \
         run `cargo run -p framefarm-crds --bin crdgen`",
        relative.display()
    );
}

#[test]
fn committed_yaml_reads_back_as_the_same_definition() {
    for (file, definition) in crd::definitions() {
        let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        let read_back: CustomResourceDefinition = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(read_back, definition, "{file}");
    }
}
