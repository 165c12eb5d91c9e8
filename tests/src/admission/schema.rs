//! Structural schema validation with the `jsonschema` crate: the CRD's OpenAPI v3 schema is
//! translated into the JSON Schema draft it is closest to (draft 4, plus `nullable` and
//! `x-kubernetes-int-or-string`), and each violation becomes an apiserver-style cause.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::{Map, Value};

use super::causes::{Cause, CauseKind, child, show_value, value_at};

/// Compiles a CRD version's schema for validation.
pub(super) fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft4::options()
        .should_validate_formats(false)
        .build(&to_json_schema(schema))
        .map_err(|error| error.to_string())
}

/// Adds a cause for every schema violation of `object`. Returns whether a value had the wrong
/// type, which the apiserver treats as blocking CEL evaluation.
pub(super) fn check(
    validator: &jsonschema::Validator,
    object: &Value,
    causes: &mut Vec<Cause>,
) -> bool {
    let mut type_error = false;
    for error in validator.iter_errors(object) {
        let field = field_path(error.instance_path().as_str(), object);
        let value = value_at(object, &field);
        let in_body = |rule: String| format!("{field} in body {rule}");
        let cause = match error.kind() {
            ValidationErrorKind::Required { property } => Cause::new(
                child(&field, property.as_str().unwrap_or_default()),
                CauseKind::Required,
                "",
            ),
            ValidationErrorKind::Type { kind } => {
                type_error = true;
                Cause::invalid(
                    &field,
                    value,
                    &in_body(format!("must be of type {}", type_name(kind))),
                )
            }
            ValidationErrorKind::Enum { options } => {
                let supported: Vec<String> = options
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|option| !option.is_null())
                    .map(show_value)
                    .collect();
                let shown = value.map_or_else(|| "null".into(), show_value);
                Cause::new(
                    &field,
                    CauseKind::Unsupported,
                    format!("{shown}: supported values: {}", supported.join(", ")),
                )
            }
            ValidationErrorKind::Minimum { limit } => Cause::invalid(
                &field,
                value,
                &in_body(format!(
                    "should be greater than or equal to {}",
                    integral(limit)
                )),
            ),
            ValidationErrorKind::Maximum { limit } => Cause::invalid(
                &field,
                value,
                &in_body(format!(
                    "should be less than or equal to {}",
                    integral(limit)
                )),
            ),
            ValidationErrorKind::MinLength { limit } => Cause::invalid(
                &field,
                value,
                &in_body(format!("should be at least {limit} chars long")),
            ),
            ValidationErrorKind::MaxLength { limit } => Cause::new(
                &field,
                CauseKind::TooLong,
                format!("may not be more than {limit} bytes"),
            ),
            ValidationErrorKind::MaxItems { limit }
            | ValidationErrorKind::MaxProperties { limit } => {
                let count = value.map_or(0, |value| {
                    value
                        .as_array()
                        .map(Vec::len)
                        .or(value.as_object().map(Map::len))
                        .unwrap_or(0)
                });
                Cause::new(
                    &field,
                    CauseKind::TooMany,
                    format!("{count}: must have at most {limit} items"),
                )
            }
            ValidationErrorKind::MinItems { limit } => Cause::invalid(
                &field,
                value,
                &in_body(format!("should have at least {limit} items")),
            ),
            _ => Cause::invalid(&field, value, &error.to_string()),
        };
        causes.push(cause);
    }
    type_error
}

fn type_name(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(single) => single.to_string(),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|json_type| json_type.to_string())
            .filter(|name| name != "null")
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// `1000.0` as `1000`, the way the apiserver prints integer limits.
fn integral(limit: &Value) -> String {
    match limit.as_f64() {
        Some(number) if number.fract() == 0.0 => format!("{number:.0}"),
        _ => limit.to_string(),
    }
}

/// `/spec/args/2` as `spec.args[2]`, looking at the object to tell list indexes from keys.
fn field_path(pointer: &str, object: &Value) -> String {
    let mut path = String::new();
    let mut current = Some(object);
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        match current {
            Some(Value::Array(items)) => {
                path.push_str(&format!("[{segment}]"));
                current = segment
                    .parse::<usize>()
                    .ok()
                    .and_then(|index| items.get(index));
            }
            Some(Value::Object(map)) if is_map_key(&segment) => {
                path = child(&path, &segment);
                current = map.get(&segment);
            }
            Some(Value::Object(map)) => {
                path.push_str(&format!("[{segment}]"));
                current = map.get(&segment);
            }
            _ => {
                path = child(&path, &segment);
                current = None;
            }
        }
    }
    path
}

/// Whether a key prints as `.key` rather than `[key]`.
fn is_map_key(segment: &str) -> bool {
    !segment.is_empty()
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The CRD schema in JSON Schema draft 4 terms.
fn to_json_schema(schema: &Value) -> Value {
    let Value::Object(node) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    let nullable = node.get("nullable") == Some(&Value::Bool(true));
    let int_or_string = node.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
    for (key, value) in node {
        match key.as_str() {
            "properties" => {
                let properties = value
                    .as_object()
                    .map(|properties| {
                        properties
                            .iter()
                            .map(|(name, property)| (name.clone(), to_json_schema(property)))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(properties));
            }
            "items" | "additionalProperties" | "not" => {
                out.insert(key.clone(), to_json_schema(value));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let branches = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(to_json_schema)
                    .collect();
                out.insert(key.clone(), Value::Array(branches));
            }
            "type" if nullable => {
                out.insert(
                    key.clone(),
                    Value::Array(vec![value.clone(), Value::from("null")]),
                );
            }
            // Formats are informational here; defaults were applied before validation.
            "nullable" | "format" | "default" | "description" => {}
            other if other.starts_with("x-kubernetes-") => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if int_or_string {
        let mut types = vec![Value::from("integer"), Value::from("string")];
        if nullable {
            types.push(Value::from("null"));
        }
        out.insert("type".into(), Value::Array(types));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn pointers_become_field_paths() {
        let object = json!({"spec": {"args": ["a"], "podLabels": {"team/a": "x"}}});
        assert_eq!(field_path("/spec/args/0", &object), "spec.args[0]");
        assert_eq!(
            field_path("/spec/podLabels/team~1a", &object),
            "spec.podLabels[team/a]"
        );
        assert_eq!(field_path("", &object), "");
    }

    #[test]
    fn nullable_and_int_or_string_translate() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "string", "nullable": true, "format": "byte"},
            "b": {"x-kubernetes-int-or-string": true}
        }});
        let translated = to_json_schema(&schema);
        assert_eq!(
            translated["properties"]["a"],
            json!({"type": ["string", "null"]})
        );
        assert_eq!(
            translated["properties"]["b"],
            json!({"type": ["integer", "string"]})
        );
    }
}
