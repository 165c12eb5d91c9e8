//! Strategic merge patch, as the apiserver applies what `kubectl apply` (client-side),
//! `kubectl edit` and `kubectl patch` send for built-in kinds: maps merge recursively with
//! `null` deleting, lists merge as their `ListKind` says, and the `$patch`, `$retainKeys`,
//! `$setElementOrder/…` and `$deleteFromPrimitiveList/…` directives are obeyed and never
//! stored. Lists are described by a `ListStructure`; this module has no table of its own.

mod lists;

use serde_json::{Map, Value};

use super::{ListStructure, PatchError};

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";

/// `target` with the strategic merge patch `patch` applied; `lists` says how each list merges.
pub fn strategic_merge_patch(
    target: &Value,
    patch: &Value,
    lists: &dyn ListStructure,
) -> Result<Value, PatchError> {
    let Value::Object(patch) = patch else {
        return Err(PatchError::DecodeStrategicPatch);
    };
    let original = match target {
        Value::Object(fields) => fields.clone(),
        _ => Map::new(),
    };
    let merger = Merger { lists };
    merger
        .merge_map(original, patch, &mut Vec::new())
        .map(Value::Object)
}

/// Whether a key of a patch is a directive rather than a field.
fn is_directive(key: &str) -> bool {
    key == PATCH
        || key == RETAIN_KEYS
        || key.starts_with(SET_ELEMENT_ORDER)
        || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
}

/// The dotted field path for error messages, e.g. `spec.containers`.
fn field_name(path: &[String]) -> String {
    if path.is_empty() {
        "the object".to_owned()
    } else {
        path.join(".")
    }
}

/// The strings of a directive whose value must be a list.
fn directive_list<'p>(
    value: &'p Value,
    directive: &str,
    path: &[String],
) -> Result<&'p [Value], PatchError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| PatchError::MalformedDirective {
            field: field_name(path),
            directive: directive.to_owned(),
        })
}

struct Merger<'l> {
    lists: &'l dyn ListStructure,
}

impl Merger<'_> {
    fn list_kind(&self, path: &[String]) -> super::ListKind {
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        self.lists.list_kind(&path)
    }

    /// Merges the object `patch` into `original`; `path` locates them from the root.
    fn merge_map(
        &self,
        mut original: Map<String, Value>,
        patch: &Map<String, Value>,
        path: &mut Vec<String>,
    ) -> Result<Map<String, Value>, PatchError> {
        if let Some(directive) = patch.get(PATCH) {
            return match directive.as_str() {
                Some("replace") => {
                    self.merge_map(Map::new(), &without_patch_directive(patch), path)
                }
                Some("delete") => Ok(Map::new()),
                _ => Err(PatchError::UnknownPatchDirective {
                    field: field_name(path),
                    directive: directive.to_string(),
                }),
            };
        }
        // The order directive places the items the patch does not mention by where they were
        // before the patch, so the lists it names are kept as they were.
        let mut orders = Vec::new();
        for (key, order) in patch {
            if let Some(field) = key.strip_prefix(SET_ELEMENT_ORDER) {
                let order = directive_list(order, SET_ELEMENT_ORDER, path)?;
                let before = match original.get(field) {
                    Some(Value::Array(items)) => items.clone(),
                    _ => Vec::new(),
                };
                orders.push((field, order, before));
            }
        }
        if let Some(retained) = patch.get(RETAIN_KEYS) {
            let retained = directive_list(retained, RETAIN_KEYS, path)?;
            original.retain(|key, _| retained.iter().any(|kept| kept.as_str() == Some(key)));
        }
        for (key, values) in patch {
            if let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
                let doomed = directive_list(values, DELETE_FROM_PRIMITIVE_LIST, path)?;
                if let Some(Value::Array(items)) = original.get_mut(field) {
                    items.retain(|item| !doomed.contains(item));
                }
            }
        }
        for (key, patch_value) in patch {
            if is_directive(key) {
                continue;
            }
            if patch_value.is_null() {
                original.remove(key);
                continue;
            }
            path.push(key.clone());
            let merged = self.merge_value(original.remove(key), patch_value, path);
            path.pop();
            original.insert(key.clone(), merged?);
        }
        for (field, order, before) in orders {
            path.push(field.to_owned());
            let kind = self.list_kind(path);
            path.pop();
            if let Some(Value::Array(items)) = original.get_mut(field) {
                lists::apply_element_order(items, order, &kind, &before);
            }
        }
        Ok(original)
    }

    /// Merges one patch value into the original value of the same field, if any. Values of
    /// another type replace the original, cleaned of directives.
    fn merge_value(
        &self,
        original: Option<Value>,
        patch: &Value,
        path: &mut Vec<String>,
    ) -> Result<Value, PatchError> {
        match patch {
            Value::Object(patch) => {
                let original = match original {
                    Some(Value::Object(fields)) => fields,
                    _ => Map::new(),
                };
                self.merge_map(original, patch, path).map(Value::Object)
            }
            Value::Array(patch) => {
                let original = match original {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                };
                self.merge_list(original, patch, path).map(Value::Array)
            }
            scalar => Ok(scalar.clone()),
        }
    }
}

/// A patch object without its `$patch` member.
fn without_patch_directive(patch: &Map<String, Value>) -> Map<String, Value> {
    let mut cleaned = patch.clone();
    cleaned.remove(PATCH);
    cleaned
}

#[cfg(test)]
mod tests;
