//! The Table of a custom resource, as apiextensions-apiserver renders it: `Name`, then the
//! version's `additionalPrinterColumns` (or a single `Age` column when it declares none), each
//! cell the first match of the column's JSONPath converted by the column's type.

use jiff::Timestamp;
use serde_json::{Number, Value};

use super::Printer;
use super::age;
use super::columns::{self, Column, Row};
use super::jsonpath::JsonPath;
use crate::emulator::registry::PrinterColumn;

pub(super) fn printer(declared: &[PrinterColumn]) -> Printer {
    let declared = if declared.is_empty() {
        vec![default_age_column()]
    } else {
        declared.to_vec()
    };
    let mut table_columns = vec![Column::name()];
    let mut cells: Vec<(String, Option<JsonPath>)> = Vec::new();
    for column in &declared {
        let description = if column.description.is_empty() {
            format!(
                "Custom resource definition column (in JSONPath format): {}",
                column.json_path
            )
        } else {
            column.description.clone()
        };
        let mut definition = Column::new(&column.name, &column.column_type, description);
        definition.priority = column.priority;
        table_columns.push(definition);
        // The apiserver refuses CRDs whose column paths do not parse; should one get here
        // anyway, its cells stay empty rather than failing the whole listing.
        cells.push((
            column.column_type.clone(),
            JsonPath::parse(&column.json_path).ok(),
        ));
    }
    Printer {
        columns: table_columns,
        row: Box::new(move |object, now| {
            let mut row = vec![columns::name(object)];
            for (column_type, path) in &cells {
                let found = path.as_ref().and_then(|path| path.first_match(object));
                row.push(found.map_or(Value::Null, |value| cell(column_type, value, now)));
            }
            Row::of(row)
        }),
    }
}

/// What a CRD without printer columns gets.
fn default_age_column() -> PrinterColumn {
    PrinterColumn {
        name: "Age".to_owned(),
        column_type: "date".to_owned(),
        json_path: ".metadata.creationTimestamp".to_owned(),
        description: columns::object_meta_doc("creationTimestamp"),
        priority: 0,
    }
}

/// A found value as a cell of a column of `column_type`; null where the value does not fit.
fn cell(column_type: &str, value: &Value, now: Timestamp) -> Value {
    match (column_type, value) {
        (_, Value::Null) => Value::Null,
        ("string", value) => Value::String(printed(value)),
        ("integer", Value::Number(number)) => number
            .as_i64()
            .or_else(|| number.as_f64().map(|float| float as i64))
            .map_or(Value::Null, Value::from),
        ("number", Value::Number(number)) => number
            .as_f64()
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number),
        ("boolean", Value::Bool(flag)) => Value::Bool(*flag),
        ("date", Value::String(text)) if text.is_empty() => Value::from("<unknown>"),
        ("date", Value::String(text)) => match age::parse_time(text) {
            Some(then) => Value::String(age::human_duration(now.duration_since(then))),
            None => Value::from("<invalid>"),
        },
        _ => Value::Null,
    }
}

/// A value as Kubernetes' JSONPath printer writes it: strings bare, numbers as Go's `%v`,
/// objects and arrays as compact JSON.
fn printed(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) if number.is_f64() => go_float(number.as_f64().unwrap_or_default()),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => "<nil>".to_owned(),
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

/// Go's `%v` of a float64: the shortest form, in exponent notation below 1e-4 and from 1e6.
fn go_float(value: f64) -> String {
    if !value.is_finite() {
        return match value {
            v if v.is_nan() => "NaN".to_owned(),
            v if v > 0.0 => "+Inf".to_owned(),
            _ => "-Inf".to_owned(),
        };
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or_default();
    if (-4..6).contains(&exponent) {
        value.to_string()
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> Timestamp {
        "2025-03-01T12:00:00Z".parse().unwrap()
    }

    fn column(name: &str, column_type: &str, json_path: &str) -> PrinterColumn {
        PrinterColumn {
            name: name.to_owned(),
            column_type: column_type.to_owned(),
            json_path: json_path.to_owned(),
            description: String::new(),
            priority: 0,
        }
    }

    fn shot() -> Value {
        json!({
            "apiVersion": "framefarm.io/v1alpha1",
            "kind": "RenderShot",
            "metadata": {"name": "sh010", "creationTimestamp": "2025-03-01T11:56:50Z"},
            "spec": {"frames": "1-100", "chunkSize": 10, "priority": 0.5, "paused": false},
            "status": {
                "phase": "Rendering",
                "estimatedCompletionTime": "2025-03-01T11:00:00Z",
                "conditions": [{"type": "Ready", "status": "False"}],
                "outputs": {"beauty": "s3://out"}
            }
        })
    }

    #[test]
    fn columns_are_name_then_the_declared_ones() {
        let mut eta = column("ETA", "date", ".status.estimatedCompletionTime");
        eta.priority = 1;
        eta.description = "When the shot should finish".to_owned();
        let printer = printer(&[column("Phase", "string", ".status.phase"), eta]);
        let definitions: Vec<Value> = printer.columns.iter().map(Column::to_json).collect();
        assert_eq!(definitions[0]["name"], "Name");
        assert_eq!(
            definitions[1],
            json!({
                "name": "Phase",
                "type": "string",
                "format": "",
                "description": "Custom resource definition column (in JSONPath format): .status.phase",
                "priority": 0
            })
        );
        assert_eq!(definitions[2]["description"], "When the shot should finish");
        assert_eq!(definitions[2]["priority"], 1);
        assert_eq!(definitions[2]["type"], "date");
    }

    #[test]
    fn a_crd_without_columns_gets_an_age_column() {
        let printer = printer(&[]);
        let names: Vec<&str> = printer.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Name", "Age"]);
        assert_eq!(printer.columns[1].column_type, "date");
        assert_eq!(
            printer.row(&shot(), now()).cells,
            [json!("sh010"), json!("3m10s")]
        );
    }

    #[test]
    fn cells_follow_the_column_types() {
        let printer = printer(&[
            column("Phase", "string", ".status.phase"),
            column(
                "Ready",
                "string",
                r#".status.conditions[?(@.type=="Ready")].status"#,
            ),
            column("Chunk", "integer", ".spec.chunkSize"),
            column("Priority", "number", ".spec.priority"),
            column("Paused", "boolean", ".spec.paused"),
            column("ETA", "date", ".status.estimatedCompletionTime"),
            column("Missing", "string", ".status.progress"),
            column("Outputs", "string", ".status.outputs"),
            column("Chunk as text", "string", ".spec.chunkSize"),
            column("Wrong type", "boolean", ".status.phase"),
        ]);
        assert_eq!(
            printer.row(&shot(), now()).cells,
            [
                json!("sh010"),
                json!("Rendering"),
                json!("False"),
                json!(10),
                json!(0.5),
                json!(false),
                json!("60m"),
                Value::Null,
                json!(r#"{"beauty":"s3://out"}"#),
                json!("10"),
                Value::Null,
            ]
        );
    }

    #[test]
    fn dates_that_do_not_parse_are_invalid() {
        let printer = printer(&[column("Phase", "date", ".status.phase")]);
        assert_eq!(printer.row(&shot(), now()).cells[1], json!("<invalid>"));
    }

    #[test]
    fn floats_print_as_go_prints_them() {
        assert_eq!(go_float(0.5), "0.5");
        assert_eq!(go_float(123456.0), "123456");
        assert_eq!(go_float(1e6), "1e+06");
        assert_eq!(go_float(1234567.0), "1.234567e+06");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(-2.5e-7), "-2.5e-07");
    }
}
