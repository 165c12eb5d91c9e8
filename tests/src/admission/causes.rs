//! One reason an object is refused, worded the way the apiserver words it (the `causes` of a
//! 422 `Status`, and the lines `kubectl apply` prints).

use std::fmt;

use serde_json::Value;

/// The kind of field error, as the apiserver's `StatusCause.reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CauseKind {
    Invalid,
    Required,
    Unsupported,
    TooLong,
    TooMany,
    Duplicate,
    Forbidden,
    /// A field the schema does not know (strict field validation).
    UnknownField,
}

impl CauseKind {
    /// The `reason` of a `StatusCause`.
    pub fn reason(self) -> &'static str {
        match self {
            CauseKind::Invalid => "FieldValueInvalid",
            CauseKind::Required => "FieldValueRequired",
            CauseKind::Unsupported => "FieldValueNotSupported",
            CauseKind::TooLong => "FieldValueTooLong",
            CauseKind::TooMany => "FieldValueTooMany",
            CauseKind::Duplicate => "FieldValueDuplicate",
            CauseKind::Forbidden => "FieldValueForbidden",
            CauseKind::UnknownField => "FieldValueUnknown",
        }
    }
}

/// One refused field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// Path of the field, e.g. `spec.engine.command.args[2]`.
    pub field: String,
    pub kind: CauseKind,
    /// What follows the kind in the message, e.g. `"1-10x0": a range step …`.
    pub detail: String,
}

impl Cause {
    pub fn new(field: impl Into<String>, kind: CauseKind, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            kind,
            detail: detail.into(),
        }
    }

    /// An invalid value, shown the way the apiserver shows values.
    pub fn invalid(field: impl Into<String>, value: Option<&Value>, message: &str) -> Self {
        let shown = value.map_or_else(|| "null".to_owned(), show_value);
        Self::new(field, CauseKind::Invalid, format!("{shown}: {message}"))
    }

    /// A failed CEL rule of the CRD. Like the apiserver, an invalid value is shown as the
    /// type of the schema node the rule sits on (`"string"`, `"object"`), not as the value.
    pub(super) fn from_cel(error: &kube_cel::ValidationError, schema: &Value) -> Self {
        let kind = match error.reason.as_deref() {
            Some("FieldValueRequired") => CauseKind::Required,
            Some("FieldValueForbidden") => CauseKind::Forbidden,
            Some("FieldValueDuplicate") => CauseKind::Duplicate,
            _ => CauseKind::Invalid,
        };
        match kind {
            CauseKind::Invalid => {
                let owner_type = rule_owner(schema, &error.field_path, &error.rule)
                    .and_then(|node| node.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Self::new(
                    &error.field_path,
                    kind,
                    format!("\"{owner_type}\": {}", error.message),
                )
            }
            _ => Self::new(&error.field_path, kind, &error.message),
        }
    }
}

/// The schema node along `path` whose `x-kubernetes-validations` hold `rule` (a rule with a
/// `fieldPath` reports a path below its own node).
fn rule_owner<'a>(schema: &'a Value, path: &str, rule: &str) -> Option<&'a Value> {
    let mut chain = vec![schema];
    let mut current = schema;
    for segment in path_segments(path) {
        let next = match segment {
            Segment::Field(name) => current
                .get("properties")
                .and_then(|properties| properties.get(name)),
            Segment::Index(_) => current.get("items"),
            Segment::Key(_) => current.get("additionalProperties"),
        };
        let Some(next) = next else { break };
        chain.push(next);
        current = next;
    }
    chain.into_iter().rev().find(|node| {
        node.get("x-kubernetes-validations")
            .and_then(Value::as_array)
            .is_some_and(|rules| rules.iter().any(|candidate| candidate["rule"] == rule))
    })
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.kind {
            CauseKind::Invalid => "Invalid value",
            CauseKind::Required => "Required value",
            CauseKind::Unsupported => "Unsupported value",
            CauseKind::TooLong => "Too long",
            CauseKind::TooMany => "Too many",
            CauseKind::Duplicate => "Duplicate value",
            CauseKind::Forbidden => "Forbidden",
            CauseKind::UnknownField => return write!(f, "unknown field \"{}\"", self.field),
        };
        if self.detail.is_empty() {
            write!(f, "{}: {label}", self.field)
        } else {
            write!(f, "{}: {label}: {}", self.field, self.detail)
        }
    }
}

/// A value as the apiserver prints it in a field error: scalars as JSON, containers by type.
pub(super) fn show_value(value: &Value) -> String {
    match value {
        Value::Object(_) => "\"object\"".to_owned(),
        Value::Array(_) => "\"array\"".to_owned(),
        scalar => scalar.to_string(),
    }
}

/// One step of a field path such as `spec.args[2]` or `spec.podLabels[team]`.
enum Segment<'a> {
    Field(&'a str),
    Index(usize),
    Key(&'a str),
}

fn path_segments(path: &str) -> impl Iterator<Item = Segment<'_>> {
    path.split('.')
        .filter(|part| !part.is_empty())
        .flat_map(|part| {
            let (name, subscripts) = part.split_once('[').unwrap_or((part, ""));
            let field = (!name.is_empty()).then_some(Segment::Field(name));
            let subscripts = subscripts
                .split('[')
                .filter(|subscript| !subscript.is_empty())
                .map(|subscript| {
                    let inner = subscript.trim_end_matches(']');
                    inner.parse().map_or(Segment::Key(inner), Segment::Index)
                });
            field.into_iter().chain(subscripts)
        })
}

/// The value at a field path such as `spec.args[2]` or `spec.podLabels[team]`.
pub(super) fn value_at<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    path_segments(path).try_fold(object, |current, segment| match segment {
        Segment::Field(name) | Segment::Key(name) => current.get(name),
        Segment::Index(index) => current.get(index),
    })
}

/// Joins a field path and a child name.
pub(super) fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn causes_read_like_kubectl_output() {
        let object = json!({"spec": {"frames": "1-10x0", "args": ["a", "b"]}});
        let cause = Cause::invalid("spec.frames", value_at(&object, "spec.frames"), "bad step");
        assert_eq!(
            cause.to_string(),
            r#"spec.frames: Invalid value: "1-10x0": bad step"#
        );
        assert_eq!(value_at(&object, "spec.args[1]"), Some(&json!("b")));
        let unknown = Cause::new("spec.engine.arnold", CauseKind::UnknownField, "");
        assert_eq!(unknown.to_string(), r#"unknown field "spec.engine.arnold""#);
        let required = Cause::new("spec.storage", CauseKind::Required, "");
        assert_eq!(required.to_string(), "spec.storage: Required value");
    }
}
