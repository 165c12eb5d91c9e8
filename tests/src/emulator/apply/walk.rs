//! How server-side apply sees an object: which values are leaves and which are maps or lists
//! of identifiable items, the set of fields a value sets, and what changed between two
//! versions of an object (added, modified, removed fields), as structured-merge-diff computes
//! them. Also which fields are never owned. Does not merge or decide ownership.

use serde_json::{Map, Value};

use super::fieldset::{FieldPath, FieldSet, PathElement};
use crate::emulator::patch::{ListKind, ListStructure};

/// Fields of `metadata` the server sets and nobody owns.
const UNOWNED_METADATA: [&str; 10] = [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "managedFields",
];

/// `object` without the fields nobody owns: `apiVersion`, `kind` and the server-set parts of
/// `metadata` (`managedFields` included).
pub(super) fn without_unowned_fields(object: &Value) -> Value {
    let mut object = object.clone();
    if let Value::Object(fields) = &mut object {
        fields.remove("apiVersion");
        fields.remove("kind");
        if let Some(Value::Object(metadata)) = fields.get_mut("metadata") {
            for name in UNOWNED_METADATA {
                metadata.remove(name);
            }
        }
    }
    object
}

/// Whether a field of `metadata` is set by the server rather than owned.
pub(super) fn is_unowned_metadata(name: &str) -> bool {
    UNOWNED_METADATA.contains(&name)
}

/// The `metadata` path itself is never owned, only what is inside it.
fn drop_metadata_itself(set: &mut FieldSet) {
    set.remove(&FieldPath::fields(&["metadata"]));
}

/// What a value is to server-side apply.
pub(super) enum Node<'v> {
    /// Owned as one value: scalars, atomic lists and atomic maps.
    Leaf,
    Map(&'v Map<String, Value>),
    /// The items of a set or of a list of objects with keys, each with its path element.
    List(Vec<(PathElement, &'v Value)>),
}

/// Walks objects with the list rules of their kind; `schema` is the path of field names (list
/// levels skipped) that `ListStructure` expects.
pub(super) struct Walker<'l> {
    pub lists: &'l dyn ListStructure,
}

impl Walker<'_> {
    pub fn list_kind(&self, schema: &[String]) -> ListKind {
        let path: Vec<&str> = schema.iter().map(String::as_str).collect();
        self.lists.list_kind(&path)
    }

    fn map_is_atomic(&self, schema: &[String]) -> bool {
        let path: Vec<&str> = schema.iter().map(String::as_str).collect();
        !path.is_empty() && self.lists.map_is_atomic(&path)
    }

    pub fn node<'v>(&self, value: &'v Value, schema: &[String]) -> Node<'v> {
        match value {
            Value::Object(fields) if !self.map_is_atomic(schema) => Node::Map(fields),
            Value::Array(items) => match self.list_kind(schema) {
                ListKind::Atomic => Node::Leaf,
                ListKind::Set => Node::List(
                    items
                        .iter()
                        .map(|item| (PathElement::value_of(item), item))
                        .collect(),
                ),
                ListKind::Map(keys) => items
                    .iter()
                    .map(|item| match item {
                        Value::Object(fields) => Some((PathElement::key_of(fields, &keys), item)),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .map_or(Node::Leaf, Node::List),
            },
            _ => Node::Leaf,
        }
    }

    /// The fields `object` sets, as an applier of it would own them.
    pub fn field_set(&self, object: &Value) -> FieldSet {
        let mut set = FieldSet::new();
        self.collect(
            &without_unowned_fields(object),
            &mut Vec::new(),
            &mut Vec::new(),
            &mut set,
        );
        drop_metadata_itself(&mut set);
        set
    }

    fn collect(
        &self,
        value: &Value,
        path: &mut Vec<PathElement>,
        schema: &mut Vec<String>,
        set: &mut FieldSet,
    ) {
        match self.node(value, schema) {
            Node::Leaf => {
                if !path.is_empty() {
                    set.insert(FieldPath::new(path.clone()));
                }
            }
            Node::Map(fields) => {
                for (name, child) in fields {
                    path.push(PathElement::Field(name.clone()));
                    schema.push(name.clone());
                    self.collect(child, path, schema, set);
                    // An empty map is a value of its own.
                    if child.as_object().is_some_and(Map::is_empty) {
                        set.insert(FieldPath::new(path.clone()));
                    }
                    schema.pop();
                    path.pop();
                }
            }
            Node::List(items) => {
                for (element, item) in items {
                    path.push(element);
                    self.collect(item, path, schema, set);
                    set.insert(FieldPath::new(path.clone()));
                    path.pop();
                }
            }
        }
    }

    /// The first list item of `object` whose key another item already has, as
    /// `(list path, item element)`.
    pub fn duplicate_item(&self, object: &Value) -> Option<(FieldPath, PathElement)> {
        self.find_duplicate(object, &mut Vec::new(), &mut Vec::new())
    }

    fn find_duplicate(
        &self,
        value: &Value,
        path: &mut Vec<PathElement>,
        schema: &mut Vec<String>,
    ) -> Option<(FieldPath, PathElement)> {
        match self.node(value, schema) {
            Node::Leaf => None,
            Node::Map(fields) => fields.iter().find_map(|(name, child)| {
                path.push(PathElement::Field(name.clone()));
                schema.push(name.clone());
                let found = self.find_duplicate(child, path, schema);
                schema.pop();
                path.pop();
                found
            }),
            Node::List(items) => {
                for (index, (element, _)) in items.iter().enumerate() {
                    if items[..index].iter().any(|(earlier, _)| earlier == element) {
                        return Some((FieldPath::new(path.clone()), element.clone()));
                    }
                }
                items.into_iter().find_map(|(element, item)| {
                    path.push(element);
                    let found = self.find_duplicate(item, path, schema);
                    path.pop();
                    found
                })
            }
        }
    }

    /// What changed from `old` to `new` (both objects), leaving out unowned fields.
    pub fn compare(&self, old: &Value, new: &Value) -> Comparison {
        let mut comparison = Comparison::default();
        let old = without_unowned_fields(old);
        let new = without_unowned_fields(new);
        self.compare_values(
            Some(&old),
            Some(&new),
            &mut Vec::new(),
            &mut Vec::new(),
            &mut comparison,
        );
        drop_metadata_itself(&mut comparison.added);
        drop_metadata_itself(&mut comparison.modified);
        drop_metadata_itself(&mut comparison.removed);
        comparison
    }

    fn compare_values(
        &self,
        old: Option<&Value>,
        new: Option<&Value>,
        path: &mut Vec<PathElement>,
        schema: &mut Vec<String>,
        comparison: &mut Comparison,
    ) {
        let old_node = old.map(|value| self.node(value, schema));
        let new_node = new.map(|value| self.node(value, schema));
        match (old_node, new_node) {
            (Some(Node::Map(old_fields)), Some(Node::Map(new_fields)))
                if !(old_fields.is_empty() && new_fields.is_empty()) =>
            {
                self.compare_maps(Some(old_fields), Some(new_fields), path, schema, comparison);
            }
            (Some(Node::List(old_items)), Some(Node::List(new_items)))
                if !(old_items.is_empty() && new_items.is_empty()) =>
            {
                self.compare_lists(&old_items, &new_items, path, schema, comparison);
            }
            (None, Some(Node::Map(fields))) if !fields.is_empty() => {
                self.compare_maps(None, Some(fields), path, schema, comparison);
                comparison.added.insert(FieldPath::new(path.clone()));
            }
            (Some(Node::Map(fields)), None) if !fields.is_empty() => {
                self.compare_maps(Some(fields), None, path, schema, comparison);
                comparison.removed.insert(FieldPath::new(path.clone()));
            }
            (None, Some(Node::List(items))) if !items.is_empty() => {
                self.compare_lists(&[], &items, path, schema, comparison);
                comparison.added.insert(FieldPath::new(path.clone()));
            }
            (Some(Node::List(items)), None) if !items.is_empty() => {
                self.compare_lists(&items, &[], path, schema, comparison);
                comparison.removed.insert(FieldPath::new(path.clone()));
            }
            _ => compare_leaves(old, new, path, comparison),
        }
    }

    fn compare_maps(
        &self,
        old: Option<&Map<String, Value>>,
        new: Option<&Map<String, Value>>,
        path: &mut Vec<PathElement>,
        schema: &mut Vec<String>,
        comparison: &mut Comparison,
    ) {
        let mut names: Vec<&String> = old.into_iter().flat_map(Map::keys).collect();
        names.extend(new.into_iter().flat_map(Map::keys));
        names.sort();
        names.dedup();
        for name in names {
            path.push(PathElement::Field(name.clone()));
            schema.push(name.clone());
            let old_child = old.and_then(|fields| fields.get(name));
            let new_child = new.and_then(|fields| fields.get(name));
            self.compare_values(old_child, new_child, path, schema, comparison);
            schema.pop();
            path.pop();
        }
    }

    fn compare_lists(
        &self,
        old: &[(PathElement, &Value)],
        new: &[(PathElement, &Value)],
        path: &mut Vec<PathElement>,
        schema: &mut Vec<String>,
        comparison: &mut Comparison,
    ) {
        let mut elements: Vec<&PathElement> = old.iter().chain(new).map(|(e, _)| e).collect();
        elements.sort();
        elements.dedup();
        for element in elements {
            path.push(element.clone());
            let (old_item, new_item) = (item_with(old, element), item_with(new, element));
            self.compare_values(old_item, new_item, path, schema, comparison);
            path.pop();
        }
    }
}

/// The first item of `items` with the path element `element`.
fn item_with<'v>(items: &[(PathElement, &'v Value)], element: &PathElement) -> Option<&'v Value> {
    items
        .iter()
        .find(|(candidate, _)| candidate == element)
        .map(|(_, item)| *item)
}

fn compare_leaves(
    old: Option<&Value>,
    new: Option<&Value>,
    path: &[PathElement],
    comparison: &mut Comparison,
) {
    if path.is_empty() {
        return;
    }
    let path = FieldPath::new(path.to_vec());
    match (old, new) {
        (None, Some(_)) => comparison.added.insert(path),
        (Some(_), None) => comparison.removed.insert(path),
        (Some(old), Some(new)) if old != new => comparison.modified.insert(path),
        _ => {}
    }
}

/// The fields that differ between two versions of an object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Comparison {
    pub added: FieldSet,
    pub modified: FieldSet,
    pub removed: FieldSet,
}

impl Comparison {
    /// The fields the newer version set: added or given another value.
    pub fn changed(&self) -> FieldSet {
        self.added.union(&self.modified)
    }
}
