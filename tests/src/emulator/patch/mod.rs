//! The three bodies a PATCH request can carry, applied to an object as a kube-apiserver applies
//! them: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch (what
//! `kubectl apply`, `kubectl edit` and `kubectl patch` send for built-in kinds), plus how the
//! lists of an object merge, from a CRD's schema or a table of the built-in kinds.
//!
//! Pure functions over `serde_json::Value`: no HTTP, no storage, no managedFields (see
//! `emulator::apply`), no validation of the patched object.

mod built_in_lists;
mod json_patch;
mod merge_patch;
mod schema_lists;
mod strategic;

use thiserror::Error;

pub use built_in_lists::BuiltInLists;
pub use json_patch::json_patch;
pub use merge_patch::merge_patch;
pub use schema_lists::SchemaLists;
pub use strategic::strategic_merge_patch;

/// How the items of a list merge.
///
/// CRDs say it with `x-kubernetes-list-type` and `x-kubernetes-list-map-keys`; built-in kinds
/// with Kubernetes' `patchStrategy`/`patchMergeKey` tags and `listType` markers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// The list is one value: a patch or an apply replaces it whole.
    Atomic,
    /// A set of scalars: patches add to it, server-side apply owns each value.
    Set,
    /// Objects identified by these fields. A strategic merge patch matches items by the first
    /// key alone (Kubernetes' single `patchMergeKey`); server-side apply by all of them.
    Map(Vec<String>),
}

/// Where a list is, given as the field names from the object's root with list levels skipped:
/// `["spec", "containers"]`, `["spec", "containers", "env"]`, `["status", "conditions"]`.
/// Keys of free-form maps appear as they are, e.g. `["metadata", "labels", "app"]`.
pub trait ListStructure {
    /// How the list at `path` merges; `Atomic` when nothing is known about it.
    fn list_kind(&self, path: &[&str]) -> ListKind;

    /// Whether the object at `path` is one value for server-side apply (`x-kubernetes-map-type:
    /// atomic`, Kubernetes' `+structType=atomic`), owned whole rather than field by field. For
    /// the items of a list, `path` is the list's path.
    fn map_is_atomic(&self, path: &[&str]) -> bool {
        let _ = path;
        false
    }
}

/// A patch that cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PatchError {
    /// The body of a JSON patch is not a list of operations.
    #[error("failed to decode the JSON patch: {reason}")]
    DecodeJsonPatch { reason: String },
    /// An operation of a JSON patch lacks a member or names an unknown operation.
    #[error("failed to decode operation {index} of the JSON patch: {reason}")]
    DecodeJsonPatchOperation { index: usize, reason: String },
    /// A JSON patch operation names a location the document does not have.
    #[error("failed to apply operation {index} ({op}) of the JSON patch: {pointer} not found")]
    JsonPatchPathNotFound {
        index: usize,
        op: String,
        pointer: String,
    },
    /// A JSON patch `test` found another value.
    #[error(
        "failed to apply operation {index} (test) of the JSON patch: the value at {pointer} differs from the expected one"
    )]
    JsonPatchTestFailed { index: usize, pointer: String },
    /// A JSON patch `move` into a child of what it moves.
    #[error(
        "failed to apply operation {index} (move) of the JSON patch: {from} cannot be moved into its own child {pointer}"
    )]
    JsonPatchMoveIntoChild {
        index: usize,
        from: String,
        pointer: String,
    },
    /// A strategic merge patch that is not a JSON object.
    #[error("failed to decode the strategic merge patch: it must be a JSON object")]
    DecodeStrategicPatch,
    /// A `$patch` directive other than `replace`, `delete` (or `merge` in a list).
    #[error("failed to merge {field}: unknown $patch directive {directive}")]
    UnknownPatchDirective { field: String, directive: String },
    /// A `$retainKeys`, `$setElementOrder/…` or `$deleteFromPrimitiveList/…` directive whose
    /// value is not a list.
    #[error("failed to merge {field}: the {directive} directive must be a list")]
    MalformedDirective { field: String, directive: String },
    /// An item of a list merged by key that lacks the key or is not an object.
    #[error("failed to merge {field}: a list item has no merge key {key}")]
    MissingMergeKey { field: String, key: String },
}

impl PatchError {
    /// The HTTP status the apiserver answers with: 400 for a patch it cannot read, 422 for a
    /// well-formed patch that does not apply to the object.
    pub fn status_code(&self) -> u16 {
        match self {
            PatchError::JsonPatchPathNotFound { .. }
            | PatchError::JsonPatchTestFailed { .. }
            | PatchError::JsonPatchMoveIntoChild { .. } => 422,
            PatchError::DecodeJsonPatch { .. }
            | PatchError::DecodeJsonPatchOperation { .. }
            | PatchError::DecodeStrategicPatch
            | PatchError::UnknownPatchDirective { .. }
            | PatchError::MalformedDirective { .. }
            | PatchError::MissingMergeKey { .. } => 400,
        }
    }
}

/// Rules for the lists of `metadata`, the same for every kind (`ObjectMeta`).
pub(crate) fn object_meta_list_kind(rest: &[&str]) -> ListKind {
    match rest {
        ["ownerReferences"] => ListKind::Map(vec!["uid".to_owned()]),
        ["finalizers"] => ListKind::Set,
        _ => ListKind::Atomic,
    }
}

/// `OwnerReference` is a `+structType=atomic` item.
pub(crate) fn object_meta_map_is_atomic(rest: &[&str]) -> bool {
    matches!(rest, ["ownerReferences"])
}
