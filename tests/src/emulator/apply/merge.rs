//! The two changes server-side apply makes to an object's content: merging an applied
//! configuration into the live object (maps deep, keyed and set lists item by item, atomic
//! values replaced), and pruning what an applier set before and no longer applies when nobody
//! else owns it. Ownership bookkeeping lives in `apply`.

use serde_json::{Map, Value};

use super::fieldset::{FieldPath, FieldSet, PathElement};
use super::walk::{Node, Walker, is_unowned_metadata};
use crate::emulator::patch::ListKind;

impl Walker<'_> {
    /// `live` with `applied` merged into it. `null`s of the applied configuration are kept, so
    /// that they count as changes; `drop_nulls` removes them once ownership is settled.
    pub fn merge_applied(&self, live: &Value, applied: &Value) -> Value {
        self.merge_value(Some(live), applied, &mut Vec::new())
    }

    fn merge_value(
        &self,
        live: Option<&Value>,
        applied: &Value,
        schema: &mut Vec<String>,
    ) -> Value {
        match self.node(applied, schema) {
            Node::Map(applied_fields) => {
                let mut merged = match live {
                    Some(Value::Object(fields)) => fields.clone(),
                    _ => Map::new(),
                };
                for (name, applied_child) in applied_fields {
                    schema.push(name.clone());
                    let value = self.merge_value(merged.get(name), applied_child, schema);
                    merged.insert(name.clone(), value);
                    schema.pop();
                }
                Value::Object(merged)
            }
            Node::List(applied_items) => {
                let live_items = match live.map(|live| self.node(live, schema)) {
                    Some(Node::List(items)) => items,
                    _ => Vec::new(),
                };
                Value::Array(interleave(
                    &live_items,
                    &applied_items,
                    |live_item, applied_item| self.merge_value(live_item, applied_item, schema),
                ))
            }
            Node::Leaf => applied.clone(),
        }
    }

    /// Removes from `merged` what `last` (the applier's previous set) holds and `owned` (every
    /// owner's set after this apply) does not. A field goes with everything under it unless
    /// someone owns something there; a list item goes only when it was itself in `last`.
    /// `metadata` itself and the key fields of kept list items always stay.
    pub fn prune(&self, merged: &mut Value, last: &FieldSet, owned: &FieldSet) {
        let pruner = Pruner {
            walker: self,
            last,
            owned,
        };
        pruner.prune(merged, &mut Vec::new(), &mut Vec::new(), &[]);
    }
}

/// Removes the fields whose value is `null`, as Kubernetes does when it decodes an applied
/// object, so that applying `null` deletes a field.
pub(super) fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|_, field| !field.is_null());
            fields.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Merges two keyed lists: items only in `live` keep their place, items of `applied` come in
/// its order (merged with their live counterpart), as structured-merge-diff orders them.
fn interleave(
    live: &[(PathElement, &Value)],
    applied: &[(PathElement, &Value)],
    mut merge: impl FnMut(Option<&Value>, &Value) -> Value,
) -> Vec<Value> {
    let in_applied = |element: &PathElement| applied.iter().any(|(e, _)| e == element);
    let live_item = |element: &PathElement| {
        live.iter()
            .find(|(e, _)| e == element)
            .map(|(_, item)| *item)
    };
    let mut merged = Vec::with_capacity(live.len().max(applied.len()));
    let mut emitted: Vec<&PathElement> = Vec::new();
    let (mut next_live, mut next_applied) = (0, 0);
    while next_live < live.len() || next_applied < applied.len() {
        if let Some((element, item)) = live.get(next_live) {
            if !in_applied(element) {
                merged.push((*item).clone());
                next_live += 1;
                continue;
            }
            if emitted.contains(&element) || next_applied >= applied.len() {
                next_live += 1;
                continue;
            }
        }
        if let Some((element, item)) = applied.get(next_applied) {
            next_applied += 1;
            if emitted.contains(&element) {
                continue;
            }
            emitted.push(element);
            merged.push(merge(live_item(element), item));
        }
    }
    merged
}

/// The path element of a list item: by its keys in a keyed list, by value in a set.
fn item_element(item: &Value, keys: &[String]) -> PathElement {
    match item {
        Value::Object(fields) if !keys.is_empty() => PathElement::key_of(fields, keys),
        other => PathElement::value_of(other),
    }
}

struct Pruner<'w, 'l> {
    walker: &'w Walker<'l>,
    last: &'w FieldSet,
    owned: &'w FieldSet,
}

impl Pruner<'_, '_> {
    fn prune(
        &self,
        value: &mut Value,
        path: &mut Vec<PathElement>,
        schema: &mut Vec<String>,
        key_fields: &[String],
    ) {
        let list_kind = match self.walker.node(value, schema) {
            Node::Leaf => return,
            Node::Map(_) => None,
            Node::List(_) => Some(self.walker.list_kind(schema)),
        };
        match (value, list_kind) {
            (Value::Object(fields), None) => {
                let names: Vec<String> = fields.keys().cloned().collect();
                for name in names {
                    if self.keeps_field(path, &name, key_fields) {
                        if let Some(child) = fields.get_mut(&name) {
                            path.push(PathElement::Field(name.clone()));
                            schema.push(name.clone());
                            self.prune(child, path, schema, &[]);
                            schema.pop();
                            path.pop();
                        }
                    } else {
                        fields.remove(&name);
                    }
                }
            }
            (Value::Array(items), Some(kind)) => {
                let keys = match kind {
                    ListKind::Map(keys) => keys,
                    ListKind::Set | ListKind::Atomic => Vec::new(),
                };
                items.retain(|item| {
                    path.push(item_element(item, &keys));
                    let item_path = FieldPath::new(path.clone());
                    path.pop();
                    !self.last.contains(&item_path) || self.owned.contains_at_or_below(&item_path)
                });
                for item in items.iter_mut() {
                    path.push(item_element(item, &keys));
                    self.prune(item, path, schema, &keys);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// Whether the field `name` of the map at `path` stays.
    fn keeps_field(&self, path: &[PathElement], name: &str, key_fields: &[String]) -> bool {
        let at_root = path.is_empty();
        let in_metadata = path == [PathElement::Field("metadata".to_owned())];
        if (at_root && matches!(name, "apiVersion" | "kind" | "metadata"))
            || (in_metadata && is_unowned_metadata(name))
            || key_fields.iter().any(|key| key == name)
        {
            return true;
        }
        let mut field_path = path.to_vec();
        field_path.push(PathElement::Field(name.to_owned()));
        let field_path = FieldPath::new(field_path);
        !self.last.contains_at_or_below(&field_path) || self.owned.contains_at_or_below(&field_path)
    }
}
