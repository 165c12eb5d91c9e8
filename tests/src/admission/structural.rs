//! The parts of apiserver admission that walk the schema tree directly: strict detection of
//! unknown fields, `x-kubernetes-list-type` invariants, and the structural-schema rules a
//! CRD must follow to be installable at all.

use std::collections::BTreeSet;

use serde_json::Value;

use super::causes::{Cause, CauseKind, child, show_value};

/// Fields every object has at its root, which CRD schemas leave out.
const ROOT_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// Calls `visit` for every value of `value` with the schema describing it and its field path;
/// a field the schema does not declare is visited with no schema. Does not descend below
/// `x-kubernetes-preserve-unknown-fields`.
fn walk(
    schema: &Value,
    value: &Value,
    path: &str,
    visit: &mut dyn FnMut(Option<&Value>, &Value, &str),
) {
    visit(Some(schema), value, path);
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return;
    }
    match value {
        Value::Object(fields) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema
                .get("additionalProperties")
                .filter(|schema| schema.is_object());
            for (name, field) in fields {
                match (
                    properties.and_then(|properties| properties.get(name)),
                    additional,
                ) {
                    (Some(property), _) => walk(property, field, &child(path, name), visit),
                    (None, Some(values)) => walk(values, field, &format!("{path}[{name}]"), visit),
                    (None, None) if path.is_empty() && ROOT_FIELDS.contains(&name.as_str()) => {}
                    (None, None) => visit(None, field, &child(path, name)),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    walk(item_schema, item, &format!("{path}[{index}]"), visit);
                }
            }
        }
        _ => {}
    }
}

/// Removes every field of `value` the schema does not declare, as the apiserver prunes custom
/// resources, and returns the paths it removed.
pub(super) fn prune_unknown_fields(schema: &Value, value: &mut Value, path: &str) -> Vec<String> {
    let mut pruned = Vec::new();
    prune(schema, value, path, &mut pruned);
    pruned
}

fn prune(schema: &Value, value: &mut Value, path: &str, pruned: &mut Vec<String>) {
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return;
    }
    match value {
        Value::Object(fields) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema
                .get("additionalProperties")
                .filter(|schema| schema.is_object());
            fields.retain(|name, field| {
                match (
                    properties.and_then(|properties| properties.get(name)),
                    additional,
                ) {
                    (Some(property), _) => {
                        prune(property, field, &child(path, name), pruned);
                        true
                    }
                    (None, Some(values)) => {
                        prune(values, field, &format!("{path}[{name}]"), pruned);
                        true
                    }
                    (None, None) if path.is_empty() && ROOT_FIELDS.contains(&name.as_str()) => true,
                    (None, None) => {
                        pruned.push(child(path, name));
                        false
                    }
                }
            });
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter_mut().enumerate() {
                    prune(item_schema, item, &format!("{path}[{index}]"), pruned);
                }
            }
        }
        _ => {}
    }
}

/// Adds an `unknown field` cause for every field of `value` the schema does not declare.
pub(super) fn unknown_fields(schema: &Value, value: &Value, path: &str, causes: &mut Vec<Cause>) {
    walk(schema, value, path, &mut |node_schema, _, node_path| {
        if node_schema.is_none() {
            causes.push(Cause::new(node_path, CauseKind::UnknownField, ""));
        }
    });
}

/// Adds a duplicate cause for repeated items of `set` lists and repeated keys of `map` lists.
pub(super) fn list_invariants(schema: &Value, value: &Value, path: &str, causes: &mut Vec<Cause>) {
    walk(schema, value, path, &mut |node_schema, node, node_path| {
        if let (Some(node_schema), Value::Array(items)) = (node_schema, node) {
            duplicate_items(node_schema, items, node_path, causes);
        }
    });
}

fn duplicate_items(schema: &Value, items: &[Value], path: &str, causes: &mut Vec<Cause>) {
    let list_type = schema.get("x-kubernetes-list-type").and_then(Value::as_str);
    let map_keys: Vec<&str> = schema
        .get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut seen = BTreeSet::new();
    for (index, item) in items.iter().enumerate() {
        let identity = match list_type {
            Some("set") => item.to_string(),
            Some("map") => {
                let key: serde_json::Map<String, Value> = map_keys
                    .iter()
                    .map(|key| {
                        (
                            (*key).to_owned(),
                            item.get(*key).cloned().unwrap_or(Value::Null),
                        )
                    })
                    .collect();
                Value::Object(key).to_string()
            }
            _ => return,
        };
        if !seen.insert(identity.clone()) {
            let shown = if list_type == Some("set") {
                show_value(item)
            } else {
                identity
            };
            causes.push(Cause::new(
                format!("{path}[{index}]"),
                CauseKind::Duplicate,
                shown,
            ));
        }
    }
}

/// Why a CRD schema is not structural (the apiserver refuses such CRDs), one line per
/// problem with its location in the schema. Empty when the schema is installable.
pub fn structural_problems(schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    walk_schema(schema, "openAPIV3Schema", &mut problems);
    problems
}

fn walk_schema(node: &Value, at: &str, problems: &mut Vec<String>) {
    let Some(fields) = node.as_object() else {
        problems.push(format!("{at}: a schema must be an object"));
        return;
    };
    let flag = |name: &str| fields.get(name) == Some(&Value::Bool(true));
    let untyped_allowed =
        flag("x-kubernetes-int-or-string") || flag("x-kubernetes-preserve-unknown-fields");
    if !fields.contains_key("type") && !untyped_allowed {
        problems.push(format!("{at}: type is missing"));
    }
    for forbidden in [
        "$ref",
        "definitions",
        "dependencies",
        "patternProperties",
        "additionalItems",
    ] {
        if fields.contains_key(forbidden) {
            problems.push(format!(
                "{at}: {forbidden} is not allowed in a structural schema"
            ));
        }
    }
    let closed_additional = fields.get("additionalProperties") == Some(&Value::Bool(false));
    if fields.contains_key("properties")
        && fields.contains_key("additionalProperties")
        && !closed_additional
    {
        problems.push(format!(
            "{at}: properties and additionalProperties are mutually exclusive"
        ));
    }
    if let Some(Value::Object(properties)) = fields.get("properties") {
        for (name, property) in properties {
            walk_schema(property, &format!("{at}.properties[{name}]"), problems);
        }
    }
    for nested in ["items", "additionalProperties"] {
        if let Some(child_schema) = fields.get(nested).filter(|value| value.is_object()) {
            walk_schema(child_schema, &format!("{at}.{nested}"), problems);
        }
    }
    if fields.get("type").and_then(Value::as_str) == Some("array") && !fields.contains_key("items")
    {
        problems.push(format!("{at}: an array needs items"));
    }
    check_list_map_keys(fields, at, problems);
    for rule in fields
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = rule.get("rule").and_then(Value::as_str).unwrap_or_default();
        let message = rule
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if text.trim().is_empty() {
            problems.push(format!("{at}: a validation rule is empty"));
        }
        if message.contains('\n') {
            problems.push(format!(
                "{at}: the message of rule {text:?} has a line break"
            ));
        }
    }
}

fn check_list_map_keys(
    fields: &serde_json::Map<String, Value>,
    at: &str,
    problems: &mut Vec<String>,
) {
    if fields.get("x-kubernetes-list-type").and_then(Value::as_str) != Some("map") {
        return;
    }
    let items = fields.get("items");
    let required: Vec<&str> = items
        .and_then(|items| items.get("required"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for key in fields
        .get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let defaulted = items
            .and_then(|items| items.get("properties"))
            .and_then(|properties| properties.get(key))
            .is_some_and(|property| property.get("default").is_some());
        if !required.contains(&key) && !defaulted {
            problems.push(format!(
                "{at}: list map key {key} must be required or have a default"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unknown_fields_are_named_with_their_path() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "engine": {"type": "object", "properties": {"blender": {"type": "object"}}}
        }}}});
        let object = json!({"apiVersion": "x/v1", "kind": "K", "metadata": {},
            "spec": {"engine": {"arnold": {}}, "extra": 1}});
        let mut causes = Vec::new();
        unknown_fields(&schema, &object, "", &mut causes);
        let fields: Vec<&str> = causes.iter().map(|cause| cause.field.as_str()).collect();
        assert_eq!(fields, ["spec.engine.arnold", "spec.extra"]);
    }

    #[test]
    fn pruning_removes_undeclared_fields_and_keeps_preserved_ones() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "engine": {"type": "object", "properties": {"blender": {"type": "object"}}},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
        }}}});
        let mut object = json!({"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "a"},
            "spec": {"engine": {"arnold": {}, "blender": {}}, "extra": {"anything": 1}, "typo": 2}});
        let pruned = prune_unknown_fields(&schema, &mut object, "");
        assert_eq!(pruned, ["spec.engine.arnold", "spec.typo"]);
        assert_eq!(
            object,
            json!({"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "a"},
                "spec": {"engine": {"blender": {}}, "extra": {"anything": 1}}})
        );
    }

    #[test]
    fn set_and_map_lists_refuse_duplicates() {
        let schema = json!({"type": "object", "properties": {
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "params": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"], "items": {"type": "object"}}
        }});
        let object = json!({"tags": ["a", "b", "a"], "params": [{"name": "q"}, {"name": "q"}]});
        let mut causes = Vec::new();
        list_invariants(&schema, &object, "", &mut causes);
        let shown: Vec<String> = causes.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                r#"params[1]: Duplicate value: {"name":"q"}"#,
                r#"tags[2]: Duplicate value: "a""#
            ]
        );
    }

    #[test]
    fn non_structural_schemas_are_reported() {
        let schema = json!({"type": "object", "properties": {
            "a": {"description": "no type"},
            "b": {"type": "object", "properties": {}, "additionalProperties": {"type": "string"}},
            "c": {"$ref": "#/definitions/x", "type": "object"}
        }});
        assert_eq!(structural_problems(&schema).len(), 3);
    }
}
