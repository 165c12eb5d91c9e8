//! Field-level validation shared by the operator and the node-agent: the checks the CRD
//! schema and its CEL rules cannot express (frame counts, placeholder names, argument
//! sequences), plus parsing every string field into the value it stands for.
//!
//! Each error names the field the way `kubectl explain` does (`spec.engine.command.args[2]`)
//! and says what to write instead.

use std::fmt;

use thiserror::Error;

/// One invalid field and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field, e.g. `spec.frames`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every invalid field of a spec (never empty).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// One invalid field.
    pub fn single(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Self(vec![FieldError {
            field: field.into(),
            message: message.to_string(),
        }])
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// Whether one of the errors is about `field`.
    pub fn names(&self, field: &str) -> bool {
        self.0.iter().any(|error| error.field == field)
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// Collects field errors while a spec is walked.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub(crate) fn error(&mut self, field: impl Into<String>, message: impl fmt::Display) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.to_string(),
        });
    }

    pub(crate) fn finish(self) -> Result<(), FieldErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(FieldErrors(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{RenderJobSpec, RenderShotSpec};

    const SHOT: &str = r#"
frames: "1-240"
scene: {uri: "s3://studio/shots/sh010/scene.blend"}
engine: {blender: {}}
output: {uri: "s3://renders/sh010/"}
storage: {provider: wasabi, region: eu-central-2, credentialsSecret: {name: wasabi}}
"#;

    fn shot(overrides: &str) -> RenderShotSpec {
        let mut spec: serde_json::Value = serde_saphyr::from_str(SHOT).unwrap();
        let overrides: serde_json::Value = serde_saphyr::from_str(overrides).unwrap();
        for (key, value) in overrides.as_object().unwrap() {
            spec[key] = value.clone();
        }
        serde_json::from_value(spec).unwrap()
    }

    fn errors(spec: &RenderShotSpec) -> Vec<String> {
        spec.validate().map_or_else(
            |errors| errors.iter().map(ToString::to_string).collect(),
            |()| vec![],
        )
    }

    #[test]
    fn a_plain_blender_shot_is_valid() {
        assert_eq!(errors(&shot("{}")), Vec::<String>::new());
    }

    #[test]
    fn command_arguments_may_use_declared_parameters_only() {
        let engine = r#"
engine:
  command:
    image: registry.example.com/tools:1
    command: [/usr/bin/convert]
    args: ["{scene}", "-quality", "{quality}", "{output_dir}/f_{frame:04}.{ext}"]
    parameters:
      - {name: quality, type: Natural, value: "90"}
"#;
        let found = errors(&shot(engine));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("spec.engine.command.args[3]: unknown placeholder {ext}"));
        let declared = engine.replace(
            "- {name: quality",
            "- {name: ext, type: Extension, value: png}\n      - {name: quality",
        );
        assert_eq!(errors(&shot(&declared)), Vec::<String>::new());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let found = errors(&shot(
            r#"{frames: "20-10", engine: {blender: {extraArgs: ["--threads"]}}, output: {uri: "s3://renders/x/", naming: "still"}}"#,
        ));
        let fields: Vec<&str> = found
            .iter()
            .filter_map(|error| error.split(':').next())
            .collect();
        assert_eq!(
            fields,
            [
                "spec.frames",
                "spec.engine.blender.extraArgs[0]",
                "spec.output.naming"
            ]
        );
    }

    #[test]
    fn too_many_render_jobs_suggest_a_chunk_size() {
        let found = errors(&shot(r#"{frames: "1-200000", chunkSize: 1}"#));
        assert_eq!(
            found,
            [
                "spec.chunkSize: 200000 frames in chunks of 1 make 200000 RenderJobs; at most 10000 \
              are allowed, so raise chunkSize to at least 20"
            ]
        );
    }

    #[test]
    fn storage_without_an_endpoint_names_the_field_to_set() {
        let found = errors(&shot("{storage: {}}"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("spec.storage.endpoint: set provider: wasabi"),
            "{found:?}"
        );
    }

    #[test]
    fn a_render_job_holds_at_most_one_chunk() {
        let job: RenderJobSpec = serde_saphyr::from_str(&SHOT.replace("1-240", "1-1001")).unwrap();
        let found = job.validate().unwrap_err();
        assert!(found.names("spec.frames"), "{found}");
        let job: RenderJobSpec = serde_saphyr::from_str(&SHOT.replace("1-240", "1-1000")).unwrap();
        assert!(job.validate().is_ok());
    }
}
