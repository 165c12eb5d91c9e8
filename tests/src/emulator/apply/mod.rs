//! Server-side apply and field ownership, a faithful subset of Kubernetes' (structured-merge-diff):
//! an apply merges the manager's full intent into the object, drops what it applied before and
//! no longer does, and refuses to change fields other managers own unless forced; every other
//! write records its manager as owner of the fields it changed. Ownership is kept in
//! `metadata.managedFields` in the real `FieldsV1` format.
//!
//! Pure functions over `serde_json::Value`. The caller decides which part of an object a request
//! may touch (status or the rest), checks preconditions and sets server fields (name, uid,
//! resourceVersion, …); see `tests/README.md` for what differs from a real apiserver.

mod fieldset;
mod managers;
mod merge;
mod walk;

use std::fmt;

use serde_json::{Value, json};
use thiserror::Error;

pub use fieldset::{FieldPath, FieldSet, FieldsV1Error, PathElement};

use crate::emulator::patch::ListStructure;
use managers::{
    Entry, Operation, asks_for_reset, decode_managed_fields, encode_managed_fields,
    without_managed_fields,
};
use walk::Walker;

impl FieldSet {
    /// The fields `object` sets, as an applier of it would own them: every leaf, every list
    /// item of a set or keyed list, empty maps; never `apiVersion`, `kind` or the server-set
    /// parts of `metadata`.
    pub fn from_value(object: &Value, lists: &dyn ListStructure) -> FieldSet {
        Walker { lists }.field_set(object)
    }
}

/// One server-side apply request (`PATCH` with `application/apply-patch+yaml`).
pub struct ApplyRequest<'a> {
    /// `fieldManager` of the request.
    pub manager: &'a str,
    /// `force=true`: take over conflicting fields instead of failing.
    pub force: bool,
    /// `Some("status")` for the status subresource.
    pub subresource: Option<&'a str>,
    /// The API version the request was made in, recorded on the entry.
    pub api_version: &'a str,
    /// The request's time, RFC 3339 (`2025-01-02T03:04:05Z`).
    pub now: &'a str,
    pub lists: &'a dyn ListStructure,
}

impl fmt::Debug for ApplyRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyRequest")
            .field("manager", &self.manager)
            .field("force", &self.force)
            .field("subresource", &self.subresource)
            .field("api_version", &self.api_version)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// Why an apply was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ApplyError {
    /// Fields the apply would change that other managers own, as `(manager, field path)`,
    /// sorted by manager then path; the HTTP layer answers 409.
    #[error("failed to apply: {} conflicts with other field managers: {}", .0.len(), show_conflicts(.0))]
    Conflicts(Vec<(String, String)>),
    /// The body is not a JSON object.
    #[error("failed to apply: the applied configuration must be an object")]
    NotAnObject,
    /// The body carries managedFields, which Kubernetes refuses in an apply.
    #[error("failed to apply: metadata.managedFields must be nil")]
    ManagedFieldsInApplied,
    /// A keyed or set list of the body holds two items with the same key.
    #[error("failed to apply: {field} has duplicate entries for key {item}")]
    DuplicateListItem { field: String, item: String },
}

fn show_conflicts(conflicts: &[(String, String)]) -> String {
    conflicts
        .iter()
        .map(|(manager, field)| format!("conflict with \"{manager}\": {field}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Applies `applied` (the manager's full intent) to `current` (`None` creates the object) and
/// returns the new object with its managedFields, or the conflicts with other owners. Applying
/// the same configuration again returns `current` unchanged.
pub fn server_side_apply(
    current: Option<&Value>,
    applied: &Value,
    request: &ApplyRequest,
) -> Result<Value, ApplyError> {
    if !applied.is_object() {
        return Err(ApplyError::NotAnObject);
    }
    if applied
        .pointer("/metadata/managedFields")
        .is_some_and(|entries| !entries.is_null())
    {
        return Err(ApplyError::ManagedFieldsInApplied);
    }
    let walker = Walker {
        lists: request.lists,
    };
    if let Some((list, item)) = walker.duplicate_item(applied) {
        return Err(ApplyError::DuplicateListItem {
            field: list.to_string(),
            item: item.to_string(),
        });
    }
    let live = current.cloned().unwrap_or_else(|| json!({}));
    let mut others = decode_managed_fields(&live).unwrap_or_default();
    let live = without_managed_fields(&live);

    let applier = Entry {
        manager: request.manager.to_owned(),
        operation: Operation::Apply,
        api_version: request.api_version.to_owned(),
        time: None,
        subresource: request.subresource.map(str::to_owned),
        fields: walker.field_set(applied),
    };
    let previous = take_entry(&mut others, &applier);
    let owned = others.iter().fold(applier.fields.clone(), |owned, entry| {
        owned.union(&entry.fields)
    });
    let mut merged = walker.merge_applied(&live, applied);
    if let Some(previous) = &previous {
        walker.prune(&mut merged, &previous.fields, &owned);
    }

    let comparison = walker.compare(&live, &merged);
    let changed = comparison.changed();
    if !request.force {
        let conflicts = conflicts(&others, &changed);
        if !conflicts.is_empty() {
            return Err(ApplyError::Conflicts(conflicts));
        }
    }
    for entry in &mut others {
        entry.fields = entry
            .fields
            .difference(&changed)
            .difference(&comparison.removed);
    }
    merge::drop_nulls(&mut merged);
    let object_changed = merged != live;
    let time = match previous.and_then(|previous| previous.time) {
        Some(time) if !object_changed => Some(time),
        _ => Some(request.now.to_owned()),
    };
    others.push(Entry { time, ..applier });
    encode_managed_fields(&mut merged, others);
    Ok(merged)
}

/// Records a write that is not an apply (create, update, merge/JSON/strategic patch) by
/// `manager`: the fields it added or changed become its own and leave other owners; fields it
/// removed leave every owner. Reads the owners from `new` when the request set them (`[{}]`
/// clears them), else from `old`; writes them into `new.metadata.managedFields`.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    api_version: &str,
    now: &str,
    lists: &dyn ListStructure,
) {
    let empty = json!({});
    let old = old.unwrap_or(&empty);
    let mut owners = owners_before_update(old, new, subresource.is_some());
    let walker = Walker { lists };
    let comparison = walker.compare(old, new);
    let changed = comparison.changed();

    let updater = Entry {
        manager: manager.to_owned(),
        operation: Operation::Update,
        api_version: api_version.to_owned(),
        time: Some(now.to_owned()),
        subresource: subresource.map(str::to_owned),
        fields: FieldSet::new(),
    };
    let previous = take_entry(&mut owners, &updater);
    for entry in &mut owners {
        entry.fields = entry
            .fields
            .difference(&changed)
            .difference(&comparison.removed);
    }
    match previous {
        Some(previous) if changed.is_empty() => owners.push(Entry {
            fields: previous.fields.difference(&comparison.removed),
            ..previous
        }),
        previous => {
            let kept = previous.map_or_else(FieldSet::new, |previous| previous.fields);
            owners.push(Entry {
                fields: kept.difference(&comparison.removed).union(&changed),
                ..updater
            });
        }
    }
    encode_managed_fields(new, owners);
}

/// The owners an update starts from, as Kubernetes picks them: a subresource request keeps the
/// live ones; otherwise managedFields the request sets win (`[{}]` meaning none), and
/// missing or unreadable ones fall back to the live object's.
fn owners_before_update(old: &Value, new: &Value, is_subresource: bool) -> Vec<Entry> {
    let live = || decode_managed_fields(old).unwrap_or_default();
    if is_subresource {
        return live();
    }
    if asks_for_reset(new) {
        return Vec::new();
    }
    match decode_managed_fields(new) {
        Some(entries) if !entries.is_empty() => entries,
        _ => live(),
    }
}

/// Removes and returns the entry of `owner` from `entries`.
fn take_entry(entries: &mut Vec<Entry>, owner: &Entry) -> Option<Entry> {
    let position = entries.iter().position(|entry| entry.same_owner(owner))?;
    Some(entries.remove(position))
}

/// The fields in `changed` that `others` own, as `(manager, path)` sorted by manager and path.
fn conflicts(others: &[Entry], changed: &FieldSet) -> Vec<(String, String)> {
    let mut found: Vec<(String, FieldPath)> = others
        .iter()
        .flat_map(|entry| {
            entry
                .fields
                .intersection(changed)
                .iter()
                .map(|path| (entry.manager.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    found.sort();
    found.dedup();
    found
        .into_iter()
        .map(|(manager, path)| (manager, path.to_string()))
        .collect()
}

#[cfg(test)]
mod tests;
