//! The generated CRDs are ones a real apiserver installs: structural schemas, CEL rules that
//! compile within the cost budget, and a description on every field for `kubectl explain`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "helpers of integration tests fail the test on unexpected input"
)]

use framefarm_crds::crd;
use framefarm_tests::admission::{rule_problems, structural_problems};
use serde_json::Value;

fn schemas() -> Vec<(String, Value)> {
    crd::definitions()
        .into_iter()
        .flat_map(|(file, definition)| {
            definition.spec.versions.into_iter().map(move |version| {
                let schema = version
                    .schema
                    .and_then(|schema| schema.open_api_v3_schema)
                    .expect("every version has a schema");
                (
                    format!("{file} {}", version.name),
                    serde_json::to_value(schema).unwrap(),
                )
            })
        })
        .collect()
}

#[test]
fn schemas_are_structural() {
    for (name, schema) in schemas() {
        let problems = structural_problems(&schema);
        assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
    }
}

#[test]
fn cel_rules_compile_within_the_cost_budget() {
    for (name, schema) in schemas() {
        let problems = rule_problems(&schema);
        assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
    }
}

/// Paths of spec fields without a description.
fn undocumented(schema: &Value, path: &str, missing: &mut Vec<String>) {
    if schema
        .get("description")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        missing.push(path.to_owned());
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            undocumented(property, &format!("{path}.{name}"), missing);
        }
    }
    if let Some(items) = schema
        .get("items")
        .filter(|items| items.get("properties").is_some())
    {
        undocumented(items, &format!("{path}[]"), missing);
    }
}

#[test]
fn every_spec_field_is_documented_for_kubectl_explain() {
    for (name, schema) in schemas() {
        let mut missing = Vec::new();
        undocumented(&schema["properties"]["spec"], "spec", &mut missing);
        assert!(
            missing.is_empty(),
            "{name}: no description on {}",
            missing.join(", ")
        );
    }
}

#[test]
fn kubectl_get_shows_phase_progress_and_frames() {
    for (_, definition) in crd::definitions() {
        let version = &definition.spec.versions[0];
        let columns: Vec<&str> = version
            .additional_printer_columns
            .iter()
            .flatten()
            .filter(|column| column.priority.unwrap_or(0) == 0)
            .map(|column| column.name.as_str())
            .collect();
        for wanted in ["Phase", "Progress", "Frames", "Age"] {
            assert!(
                columns.contains(&wanted),
                "{}: {columns:?}",
                definition.spec.names.kind
            );
        }
        assert!(
            version
                .subresources
                .as_ref()
                .is_some_and(|sub| sub.status.is_some())
        );
        assert_eq!(
            definition.spec.names.categories,
            Some(vec!["framefarm".to_owned()])
        );
    }
}
