//! The CRD YAML committed under `crds/` is exactly what the Rust types generate, so that
//! `kubectl apply -f crds/` installs the API the code was written against.

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
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let committed = fs::read_to_string(&path).unwrap_or_default();
        let generated = crd::to_yaml(&definition).expect("CRDs render as YAML");
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(old, new)| old != new)
            .map(|index| index + 1);
        assert!(
            committed == generated,
            "{file} is out of date (first difference at line {first_difference:?}); \
             run `cargo run -p framefarm-crds --bin crdgen`"
        );
    }
}

#[test]
fn committed_yaml_reads_back_as_the_same_definition() {
    for (file, definition) in crd::definitions() {
        let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        let read_back: CustomResourceDefinition = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(read_back, definition, "{file}");
    }
}
