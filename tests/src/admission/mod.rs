//! What a kube-apiserver does to a custom resource before storing it, for the CRDs this
//! project generates: strict unknown-field detection (kubectl's default `--validate=strict`),
//! defaulting, structural schema validation, list-type invariants, and the CRD's CEL rules.
//!
//! Test and demo tooling only; the product never links it. Where it differs from a real
//! apiserver is listed in `tests/README.md`.

mod causes;
mod rules;
mod schema;
mod structural;

use std::fmt;
use std::path::Path;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::Value;
use thiserror::Error;

pub use causes::{Cause, CauseKind};
pub use rules::rule_problems;
pub use structural::structural_problems;

/// The CRDs an emulated apiserver has installed, ready to admit objects.
#[derive(Debug)]
pub struct Catalog {
    kinds: Vec<ServedKind>,
}

#[derive(Debug)]
struct ServedKind {
    group: String,
    version: String,
    kind: String,
    schema: Value,
    validator: jsonschema::Validator,
    rules: kube_cel::CompiledSchema,
}

/// Why a catalog could not be built.
#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("failed to read CRD file {path}")]
    ReadFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to parse CRD file {path}")]
    ParseFile {
        path: String,
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    #[error("CRD {name} version {version} has no openAPIV3Schema")]
    NoSchema { name: String, version: String },
    #[error("failed to compile the schema of CRD {name} version {version}: {message}")]
    CompileSchema {
        name: String,
        version: String,
        message: String,
    },
    #[error("failed to encode CRD {name} as JSON")]
    Encode {
        name: String,
        #[source]
        source: serde_json::Error,
    },
}

/// What to do with fields a schema does not declare (the apiserver's `fieldValidation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownFields {
    /// Refuse the object, naming each field (`Strict`).
    Reject,
    /// Drop them and say which were dropped (`Warn`, `Ignore`).
    Prune,
}

/// An admitted object, defaulted, with the paths of any fields pruned from it.
#[derive(Clone, Debug, PartialEq)]
pub struct Admitted {
    pub object: Value,
    pub pruned: Vec<String>,
}

/// An object the apiserver refuses, with every reason, as `kubectl apply` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub struct Rejection {
    /// `Kind.group`, e.g. `RenderShot.framefarm.io`.
    pub qualified_kind: String,
    pub name: String,
    pub causes: Vec<Cause>,
}

impl Rejection {
    /// Whether one of the causes is about `field`.
    pub fn names(&self, field: &str) -> bool {
        self.causes.iter().any(|cause| cause.field == field)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let causes: Vec<String> = self.causes.iter().map(ToString::to_string).collect();
        let listed = match causes.as_slice() {
            [only] => only.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        write!(
            f,
            "{} \"{}\" is invalid: {listed}",
            self.qualified_kind, self.name
        )
    }
}

impl Catalog {
    /// Installs every CRD found in the `.yaml` files of `dir`.
    pub fn from_dir(dir: &Path) -> Result<Catalog, CatalogError> {
        let read_error = |source| CatalogError::ReadFile {
            path: dir.display().to_string(),
            source,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(read_error)?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        paths.sort();
        let mut crds = Vec::new();
        for path in paths {
            let display = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::ReadFile {
                path: display.clone(),
                source,
            })?;
            let crd =
                serde_saphyr::from_str::<CustomResourceDefinition>(&text).map_err(|source| {
                    CatalogError::ParseFile {
                        path: display,
                        source: Box::new(source),
                    }
                })?;
            crds.push(crd);
        }
        Catalog::new(&crds)
    }

    /// Installs the given CRDs.
    pub fn new(crds: &[CustomResourceDefinition]) -> Result<Catalog, CatalogError> {
        let mut kinds = Vec::new();
        for crd in crds {
            let name = crd.metadata.name.clone().unwrap_or_default();
            for version in &crd.spec.versions {
                let schema = version
                    .schema
                    .as_ref()
                    .and_then(|schema| schema.open_api_v3_schema.as_ref())
                    .ok_or_else(|| CatalogError::NoSchema {
                        name: name.clone(),
                        version: version.name.clone(),
                    })?;
                let schema =
                    serde_json::to_value(schema).map_err(|source| CatalogError::Encode {
                        name: name.clone(),
                        source,
                    })?;
                let validator =
                    schema::compile(&schema).map_err(|message| CatalogError::CompileSchema {
                        name: name.clone(),
                        version: version.name.clone(),
                        message,
                    })?;
                kinds.push(ServedKind {
                    group: crd.spec.group.clone(),
                    version: version.name.clone(),
                    kind: crd.spec.names.kind.clone(),
                    rules: kube_cel::compile_schema(&schema),
                    schema,
                    validator,
                });
            }
        }
        Ok(Catalog { kinds })
    }

    /// Admits a new object: returns it with defaults applied, or every reason it is refused.
    pub fn admit(&self, object: &Value) -> Result<Value, Rejection> {
        self.admit_update(object, None)
    }

    /// Admits an object replacing `old`, so that transition rules (`oldSelf`) apply.
    pub fn admit_update(&self, object: &Value, old: Option<&Value>) -> Result<Value, Rejection> {
        self.admit_with(object, old, UnknownFields::Reject)
            .map(|admitted| admitted.object)
    }

    /// Whether this catalog serves objects of `apiVersion` and `kind`.
    pub fn serves(&self, api_version: &str, kind: &str) -> bool {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        self.kinds
            .iter()
            .any(|served| served.group == group && served.version == version && served.kind == kind)
    }

    /// Admits an object, refusing or pruning fields its schema does not declare.
    pub fn admit_with(
        &self,
        object: &Value,
        old: Option<&Value>,
        unknown: UnknownFields,
    ) -> Result<Admitted, Rejection> {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let kind = object["kind"].as_str().unwrap_or_default();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let Some(served) = self.kinds.iter().find(|served| {
            served.group == group && served.version == version && served.kind == kind
        }) else {
            return Err(Rejection {
                qualified_kind: kind.to_owned(),
                name,
                causes: vec![Cause::new(
                    "kind",
                    CauseKind::Unsupported,
                    format!("no {kind} is served in {api_version}; install the CRDs first"),
                )],
            });
        };
        let mut causes = Vec::new();
        let mut object = object.clone();
        let pruned = match unknown {
            UnknownFields::Reject => {
                structural::unknown_fields(&served.schema, &object, "", &mut causes);
                Vec::new()
            }
            UnknownFields::Prune => {
                structural::prune_unknown_fields(&served.schema, &mut object, "")
            }
        };
        let defaulted = kube_cel::apply_defaults(&served.schema, &object);
        let type_errors = schema::check(&served.validator, &defaulted, &mut causes);
        structural::list_invariants(&served.schema, &defaulted, "", &mut causes);
        // Like the apiserver, skip CEL when a value has the wrong type: rules would only
        // report that again, less clearly.
        if !type_errors {
            // Defaults the old object itself, as it did the new one.
            let cel = kube_cel::Validator::new().validate_compiled(&served.rules, &defaulted, old);
            if let Err(errors) = cel {
                causes.extend(
                    errors
                        .iter()
                        .map(|error| Cause::from_cel(error, &served.schema)),
                );
            }
        }
        if causes.is_empty() {
            Ok(Admitted {
                object: defaulted,
                pruned,
            })
        } else {
            Err(Rejection {
                qualified_kind: format!("{kind}.{group}"),
                name,
                causes,
            })
        }
    }
}
