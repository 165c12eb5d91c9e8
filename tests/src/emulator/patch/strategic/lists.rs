//! How a strategic merge patch merges one list: atomic lists are replaced, sets gain the
//! patch's values, lists of objects merge item by item on their merge key (with `$patch:
//! delete` items and a `$patch: replace` marker), and `$setElementOrder/…` reorders the result.

use serde_json::{Map, Value};

use super::{Merger, PATCH, field_name, is_directive};
use crate::emulator::patch::{ListKind, PatchError};

impl Merger<'_> {
    /// Merges the patch list into the original list at `path`.
    pub(super) fn merge_list(
        &self,
        original: Vec<Value>,
        patch: &[Value],
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        match self.list_kind(path) {
            ListKind::Map(keys) => match keys.first() {
                Some(merge_key) => self.merge_keyed_list(original, patch, merge_key, path),
                None => Ok(patch.iter().filter_map(strip_directives).collect()),
            },
            ListKind::Set => merge_set(original, patch, path),
            ListKind::Atomic => Ok(patch.iter().filter_map(strip_directives).collect()),
        }
    }

    fn merge_keyed_list(
        &self,
        mut merged: Vec<Value>,
        patch: &[Value],
        merge_key: &str,
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        let missing_key = |path: &[String]| PatchError::MissingMergeKey {
            field: field_name(path),
            key: merge_key.to_owned(),
        };
        let mut replace = false;
        let mut patch_items = Vec::new();
        for item in patch {
            let Value::Object(fields) = item else {
                return Err(missing_key(path));
            };
            match list_directive(fields, path)? {
                None => patch_items.push(fields),
                Some(ListDirective::Replace) => replace = true,
                Some(ListDirective::Delete) => {
                    let doomed = fields.get(merge_key).ok_or_else(|| missing_key(path))?;
                    merged.retain(|existing| existing.get(merge_key) != Some(doomed));
                }
            }
        }
        if replace {
            merged.clear();
        }
        for fields in patch_items {
            let key = fields.get(merge_key).ok_or_else(|| missing_key(path))?;
            let position = merged
                .iter()
                .position(|existing| existing.get(merge_key) == Some(key));
            match position {
                Some(position) => {
                    let existing = match merged.remove(position) {
                        Value::Object(existing) => existing,
                        _ => Map::new(),
                    };
                    let item = self.merge_map(existing, fields, path)?;
                    merged.insert(position, Value::Object(item));
                }
                None => {
                    let item = self.merge_map(Map::new(), fields, path)?;
                    merged.push(Value::Object(item));
                }
            }
        }
        Ok(merged)
    }
}

enum ListDirective {
    Replace,
    Delete,
}

/// The `$patch` of a list item, if it has one.
fn list_directive(
    fields: &Map<String, Value>,
    path: &[String],
) -> Result<Option<ListDirective>, PatchError> {
    let Some(directive) = fields.get(PATCH) else {
        return Ok(None);
    };
    match directive.as_str() {
        Some("replace") => Ok(Some(ListDirective::Replace)),
        Some("delete") => Ok(Some(ListDirective::Delete)),
        _ => Err(PatchError::UnknownPatchDirective {
            field: field_name(path),
            directive: directive.to_string(),
        }),
    }
}

/// A set of scalars gains the values it lacks, in the patch's order; a `{"$patch": "replace"}`
/// item makes the patch's values the whole set.
fn merge_set(
    mut merged: Vec<Value>,
    patch: &[Value],
    path: &[String],
) -> Result<Vec<Value>, PatchError> {
    let mut values = Vec::new();
    for item in patch {
        match item {
            Value::Object(fields) => match list_directive(fields, path)? {
                Some(ListDirective::Replace) => merged.clear(),
                Some(ListDirective::Delete) | None => {}
            },
            value => values.push(value),
        }
    }
    for value in values {
        if !merged.contains(value) {
            merged.push(value.clone());
        }
    }
    Ok(merged)
}

/// A value copied from a patch as it is, minus any directive it carries; `None` for an item
/// that is nothing but a directive.
fn strip_directives(value: &Value) -> Option<Value> {
    match value {
        Value::Object(fields) => {
            if fields.contains_key(PATCH) && fields.len() == 1 {
                return None;
            }
            let kept = fields
                .iter()
                .filter(|(key, _)| !is_directive(key))
                .filter_map(|(key, value)| Some((key.clone(), strip_directives(value)?)))
                .collect();
            Some(Value::Object(kept))
        }
        Value::Array(items) => Some(Value::Array(
            items.iter().filter_map(strip_directives).collect(),
        )),
        scalar => Some(scalar.clone()),
    }
}

/// Reorders `items` as a `$setElementOrder/…` directive says: the items it names come in its
/// order; the others keep their place relative to them as it was in `before`, the list before
/// the patch. Atomic lists ignore the directive.
pub(super) fn apply_element_order(
    items: &mut Vec<Value>,
    order: &[Value],
    kind: &ListKind,
    before: &[Value],
) {
    let identity = |item: &Value| -> Option<Value> {
        match kind {
            ListKind::Map(keys) => keys.first().and_then(|key| item.get(key)).cloned(),
            ListKind::Set => Some(item.clone()),
            ListKind::Atomic => None,
        }
    };
    if matches!(kind, ListKind::Atomic) {
        return;
    }
    let ordered_ids: Vec<Value> = order.iter().filter_map(identity).collect();
    let rank_in_order =
        |item: &Value| identity(item).and_then(|id| ordered_ids.iter().position(|o| *o == id));
    let rank_before = |item: &Value| {
        identity(item).and_then(|id| {
            before
                .iter()
                .position(|old| identity(old) == Some(id.clone()))
        })
    };
    let (mut named, server_only): (Vec<Value>, Vec<Value>) = std::mem::take(items)
        .into_iter()
        .partition(|item| rank_in_order(item).is_some());
    named.sort_by_key(|item| rank_in_order(item));

    let mut named = named.into_iter().peekable();
    let mut server_only = server_only.into_iter().peekable();
    loop {
        let take_server_item = match (server_only.peek(), named.peek()) {
            (Some(server_item), Some(named_item)) => {
                match (rank_before(server_item), rank_before(named_item)) {
                    (Some(server_rank), Some(named_rank)) => server_rank < named_rank,
                    _ => false,
                }
            }
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_server_item {
            server_only.next()
        } else {
            named.next()
        };
        items.extend(next);
    }
}
