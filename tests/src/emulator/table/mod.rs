//! `meta.k8s.io/v1` Table rendering, what `kubectl get` and `kubectl get -w` ask for: the
//! columns and cells the real apiserver prints for the built-in kinds the emulator serves, and
//! the `additionalPrinterColumns` of custom resources. Pure functions from objects to a Table;
//! negotiating it from the `Accept` header and streaming it in watches is the HTTP layer's job.

mod age;
mod builtin;
mod columns;
mod core_kinds;
mod custom;
mod group_kinds;
mod jsonpath;
mod pod;
mod selectors;

pub(crate) use selectors::selector_string;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::api_error::ApiError;
use super::discovery::accepts;
use super::registry::ResourceType;
use columns::{Column, Row};

/// The `Content-Type` of a Table answer.
pub const TABLE_CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// Whether an `Accept` header asks for a `meta.k8s.io/v1` Table, as kubectl's
/// `application/json;as=Table;v=v1;g=meta.k8s.io,…,application/json` does.
pub fn wants_table(accept: &str) -> bool {
    accepts(
        accept,
        "application/json",
        &[("as", "Table"), ("g", "meta.k8s.io"), ("v", "v1")],
    )
}

/// What each row carries besides its cells (`?includeObject=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    /// A `PartialObjectMetadata` with the object's metadata, the default.
    #[default]
    Metadata,
    Object,
}

impl IncludeObject {
    /// Reads the `includeObject` query parameter; absent means `Metadata`.
    pub fn from_query(value: Option<&str>) -> Result<IncludeObject, TableError> {
        match value.unwrap_or_default() {
            "" | "Metadata" => Ok(IncludeObject::Metadata),
            "None" => Ok(IncludeObject::None),
            "Object" => Ok(IncludeObject::Object),
            other => Err(TableError::UnknownIncludeObject(other.to_owned())),
        }
    }
}

/// A Table request the apiserver would refuse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TableError {
    /// Worded as the apiserver words it.
    #[error("unrecognized includeObject value: {0:?}")]
    UnknownIncludeObject(String),
}

impl From<TableError> for ApiError {
    fn from(error: TableError) -> Self {
        ApiError::new(400, "BadRequest", error.to_string())
    }
}

/// The Table of `objects` (a list's items, or the one object of a GET or a watch event) of the
/// given type, as of `now`; `list_metadata` becomes the Table's `metadata` (`resourceVersion`,
/// `continue`, `remainingItemCount`).
pub fn table(
    resource: &ResourceType,
    objects: &[Value],
    include: IncludeObject,
    list_metadata: Value,
    now: Timestamp,
) -> Value {
    let printer = Printer::for_resource(resource);
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| row_json(printer.row(object, now), object, include))
        .collect();
    let columns: Vec<Value> = printer.columns.iter().map(Column::to_json).collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

type RowFn = Box<dyn Fn(&Value, Timestamp) -> Row>;

/// The columns of one resource type and how to fill them from an object.
struct Printer {
    columns: Vec<Column>,
    row: RowFn,
}

impl Printer {
    fn for_resource(resource: &ResourceType) -> Printer {
        if resource.is_custom() {
            return custom::printer(resource.printer_columns());
        }
        builtin::printer(&resource.group, &resource.kind)
    }

    fn row(&self, object: &Value, now: Timestamp) -> Row {
        (self.row)(object, now)
    }
}

fn row_json(row: Row, object: &Value, include: IncludeObject) -> Value {
    let carried = match include {
        IncludeObject::None => Value::Null,
        IncludeObject::Object => object.clone(),
        IncludeObject::Metadata => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
        }),
    };
    let mut json = json!({"cells": row.cells, "object": carried});
    if !row.conditions.is_empty() {
        json["conditions"] = Value::Array(row.conditions);
    }
    json
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::registry::Registry;

    fn now() -> Timestamp {
        "2025-03-01T12:00:00Z".parse().unwrap()
    }

    fn configmaps() -> ResourceType {
        Registry::default()
            .by_resource("", "v1", "configmaps")
            .unwrap()
            .clone()
    }

    fn settings() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "settings",
                "namespace": "farm",
                "resourceVersion": "42",
                "labels": {"app": "farm"},
                "creationTimestamp": "2025-03-01T11:00:00Z"
            },
            "data": {"a": "1"}
        })
    }

    #[test]
    fn kubectl_get_asks_for_a_v1_table() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,\
                       application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert!(wants_table(kubectl));
        assert!(wants_table(
            "application/json; g=meta.k8s.io; v=v1; as=Table"
        ));
        assert!(!wants_table("application/json"));
        assert!(!wants_table(
            "application/json;as=Table;v=v1beta1;g=meta.k8s.io"
        ));
        assert!(!wants_table("application/yaml;as=Table;v=v1;g=meta.k8s.io"));
    }

    #[test]
    fn include_object_defaults_to_metadata_and_rejects_unknown_values() {
        assert_eq!(
            IncludeObject::from_query(None).unwrap(),
            IncludeObject::Metadata
        );
        assert_eq!(
            IncludeObject::from_query(Some("Object")).unwrap(),
            IncludeObject::Object
        );
        assert_eq!(
            IncludeObject::from_query(Some("None")).unwrap(),
            IncludeObject::None
        );
        let refused = ApiError::from(IncludeObject::from_query(Some("All")).unwrap_err());
        assert_eq!((refused.code, refused.reason.as_str()), (400, "BadRequest"));
        assert_eq!(refused.message, "unrecognized includeObject value: \"All\"");
    }

    #[test]
    fn a_table_carries_list_metadata_columns_and_one_row_per_object() {
        let rendered = table(
            &configmaps(),
            &[settings()],
            IncludeObject::Metadata,
            json!({"resourceVersion": "42"}),
            now(),
        );
        assert_eq!(rendered["kind"], "Table");
        assert_eq!(rendered["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(rendered["metadata"], json!({"resourceVersion": "42"}));
        let names: Vec<&str> = rendered["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|column| column["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Name", "Data", "Age"]);
        assert_eq!(rendered["rows"][0]["cells"], json!(["settings", 1, "60m"]));
        assert!(rendered["rows"][0].get("conditions").is_none());
    }

    #[test]
    fn rows_carry_partial_metadata_the_whole_object_or_nothing() {
        let row_object = |include| {
            let rendered = table(&configmaps(), &[settings()], include, json!({}), now());
            rendered["rows"][0]["object"].clone()
        };
        assert_eq!(
            row_object(IncludeObject::Metadata),
            json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": settings()["metadata"],
            })
        );
        assert_eq!(row_object(IncludeObject::Object), settings());
        assert_eq!(row_object(IncludeObject::None), Value::Null);
    }
}
