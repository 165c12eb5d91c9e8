//! Label and field selectors of list and watch requests, parsed and matched as the apiserver
//! does. Field selectors support `metadata.name`, `metadata.namespace` and the fields real
//! servers index for Pods (`spec.nodeName`, `status.phase`) and Events (`involvedObject.*`,
//! `reason`, `type`); any other field is refused with 400, as a real apiserver refuses it.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::emulator::api_error::ApiError;

#[derive(Clone, Debug, PartialEq, Eq)]
enum LabelRequirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed `labelSelector`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<LabelRequirement>,
}

impl LabelSelector {
    /// Parses `app=x,tier!=db,env in (a,b),!legacy,gpu`.
    pub fn parse(text: &str) -> Result<LabelSelector, ApiError> {
        let invalid = |part: &str| {
            ApiError::bad_request(format!(
                "unable to parse requirement: invalid label selector {part:?}"
            ))
        };
        let mut requirements = Vec::new();
        for part in split_outside_parentheses(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let requirement = if let Some(key) = part.strip_prefix('!') {
                LabelRequirement::DoesNotExist(key.trim().to_owned())
            } else if let Some((key, values)) = split_set_operator(part, " notin ") {
                LabelRequirement::NotIn(key, values.ok_or_else(|| invalid(part))?)
            } else if let Some((key, values)) = split_set_operator(part, " in ") {
                LabelRequirement::In(key, values.ok_or_else(|| invalid(part))?)
            } else if let Some((key, value)) = part.split_once("!=") {
                LabelRequirement::NotEquals(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some((key, value)) = part.split_once("==") {
                LabelRequirement::Equals(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some((key, value)) = part.split_once('=') {
                LabelRequirement::Equals(key.trim().to_owned(), value.trim().to_owned())
            } else {
                LabelRequirement::Exists(part.to_owned())
            };
            requirements.push(requirement);
        }
        Ok(LabelSelector { requirements })
    }

    /// Whether an object's labels satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        let labels = &object["metadata"]["labels"];
        let label = |key: &str| labels.get(key).and_then(Value::as_str);
        self.requirements
            .iter()
            .all(|requirement| match requirement {
                LabelRequirement::Equals(key, value) => label(key) == Some(value.as_str()),
                LabelRequirement::NotEquals(key, value) => label(key) != Some(value.as_str()),
                LabelRequirement::In(key, values) => label(key).is_some_and(|v| values.contains(v)),
                LabelRequirement::NotIn(key, values) => {
                    !label(key).is_some_and(|v| values.contains(v))
                }
                LabelRequirement::Exists(key) => label(key).is_some(),
                LabelRequirement::DoesNotExist(key) => label(key).is_none(),
            })
    }
}

fn split_outside_parentheses(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0_i32;
    let mut start = 0;
    for (index, character) in text.char_indices() {
        match character {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `key in (a,b)` → the key and the set; `None` set when the parentheses are malformed.
fn split_set_operator(part: &str, operator: &str) -> Option<(String, Option<BTreeSet<String>>)> {
    let (key, rest) = part.split_once(operator)?;
    let values = rest
        .trim()
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
        .map(|inner| inner.split(',').map(|v| v.trim().to_owned()).collect());
    Some((key.trim().to_owned(), values))
}

/// A parsed `fieldSelector`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    /// (field, value, equal?)
    requirements: Vec<(String, String, bool)>,
}

/// Fields every kind can be selected by.
const COMMON_FIELDS: [&str; 2] = ["metadata.name", "metadata.namespace"];

/// Extra fields real apiservers index, per kind.
fn kind_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        "Event" => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
            "regarding.kind",
            "regarding.name",
            "regarding.namespace",
            "regarding.uid",
            "regarding.apiVersion",
            "regarding.resourceVersion",
            "regarding.fieldPath",
            "reportingController",
        ],
        "Secret" => &["type"],
        "Node" => &["spec.unschedulable"],
        "Namespace" => &["status.phase"],
        _ => &[],
    }
}

impl FieldSelector {
    /// Parses `metadata.name=x,status.phase!=Running` for objects of `kind`.
    pub fn parse(text: &str, kind: &str) -> Result<FieldSelector, ApiError> {
        let mut requirements = Vec::new();
        for part in text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let (field, value, equal) = if let Some((field, value)) = part.split_once("!=") {
                (field, value, false)
            } else if let Some((field, value)) = part.split_once("==") {
                (field, value, true)
            } else if let Some((field, value)) = part.split_once('=') {
                (field, value, true)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{text}'; can't understand '{part}'"
                )));
            };
            let field = field.trim();
            if !COMMON_FIELDS.contains(&field) && !kind_fields(kind).contains(&field) {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
            requirements.push((field.to_owned(), value.trim().to_owned(), equal));
        }
        Ok(FieldSelector { requirements })
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.requirements.iter().all(|(field, value, equal)| {
            let actual = field_value(object, field);
            (actual == *value) == *equal
        })
    }
}

/// A field's value as the apiserver's field label conversion renders it (absent → "").
fn field_value(object: &Value, field: &str) -> String {
    // Events are stored in the core shape; `events.k8s.io` labels name its fields.
    let stored_field = match field.strip_prefix("regarding.") {
        Some(rest) => format!("involvedObject.{rest}"),
        None if field == "reportingController" => "reportingComponent".to_owned(),
        None => field.to_owned(),
    };
    let found = if field == "source" {
        &object["source"]["component"]
    } else {
        stored_field
            .split('.')
            .fold(object, |value, name| &value[name])
    };
    match found {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        _ => String::new(),
    }
}

/// Both selectors of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selectors {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Selectors {
    pub fn matches(&self, object: &Value) -> bool {
        self.labels.matches(object) && self.fields.matches(object)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn labelled(labels: Value) -> Value {
        json!({"metadata": {"name": "a", "labels": labels}})
    }

    #[test]
    fn label_selectors_cover_equality_sets_and_existence() {
        let object = labelled(json!({"app": "framefarm", "tier": "agent", "gpu": "true"}));
        let cases = [
            ("app=framefarm", true),
            ("app==framefarm,tier=agent", true),
            ("app!=framefarm", false),
            ("tier in (agent, operator)", true),
            ("tier notin (agent)", false),
            ("gpu", true),
            ("!gpu", false),
            ("!legacy,app", true),
            ("missing=x", false),
            ("missing!=x", true),
        ];
        for (text, expected) in cases {
            let selector = LabelSelector::parse(text).unwrap();
            assert_eq!(selector.matches(&object), expected, "{text}");
        }
    }

    #[test]
    fn a_set_without_parentheses_is_refused() {
        let error = LabelSelector::parse("tier in agent").unwrap_err();
        assert_eq!(error.code, 400);
    }

    #[test]
    fn field_selectors_match_indexed_fields_only() {
        let pod = json!({"kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"nodeName": "node-1"}, "status": {"phase": "Running"}});
        let selector = FieldSelector::parse("metadata.name=p,status.phase!=Failed", "Pod").unwrap();
        assert!(selector.matches(&pod));
        let other_node = FieldSelector::parse("spec.nodeName=node-2", "Pod").unwrap();
        assert!(!other_node.matches(&pod));
        let error = FieldSelector::parse("spec.hostname=x", "Pod").unwrap_err();
        assert_eq!(error.message, "field label not supported: spec.hostname");
    }

    #[test]
    fn event_selectors_reach_the_involved_object() {
        let event = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "RenderShot", "name": "sh010", "uid": "u1"}});
        let selector = FieldSelector::parse(
            "involvedObject.name=sh010,involvedObject.kind=RenderShot,involvedObject.uid=u1",
            "Event",
        )
        .unwrap();
        assert!(selector.matches(&event));
    }
}
