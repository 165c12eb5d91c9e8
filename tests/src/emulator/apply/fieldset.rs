//! Sets of field paths, the unit of ownership in server-side apply, with Kubernetes' `FieldsV1`
//! encoding (`f:spec`, `k:{"name":"agent"}`, `v:"x"`, `i:0`, `.`) and the path notation of
//! conflict messages (`.spec.containers[name="agent"].image`). Does not know how a set is
//! computed from an object (see `walk`).

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};
use thiserror::Error;

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// A field of an object, or a key of a map.
    Field(String),
    /// An item of a list of objects, by its key fields: `(name, JSON of the value)`, sorted
    /// by name.
    Key(Vec<(String, String)>),
    /// An item of a set, by the JSON of its value.
    Value(String),
    /// An item of a list by position (only read from `FieldsV1`; never produced here).
    Index(usize),
}

impl PathElement {
    /// The key element of a list item, from the item's values of `keys` (absent ones left out).
    pub fn key_of(item: &Map<String, Value>, keys: &[String]) -> PathElement {
        let mut fields: Vec<(String, String)> = keys
            .iter()
            .filter_map(|key| Some((key.clone(), item.get(key)?.to_string())))
            .collect();
        fields.sort();
        PathElement::Key(fields)
    }

    /// The value element of a set item.
    pub fn value_of(item: &Value) -> PathElement {
        PathElement::Value(item.to_string())
    }

    /// The `FieldsV1` key of this element: `f:name`, `k:{"name":"a"}`, `v:"x"`, `i:0`.
    fn to_fields_v1_key(&self) -> String {
        match self {
            PathElement::Field(name) => format!("f:{name}"),
            PathElement::Key(fields) => {
                let members: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{}:{value}", Value::String(name.clone())))
                    .collect();
                format!("k:{{{}}}", members.join(","))
            }
            PathElement::Value(value) => format!("v:{value}"),
            PathElement::Index(index) => format!("i:{index}"),
        }
    }

    fn from_fields_v1_key(key: &str) -> Result<PathElement, FieldsV1Error> {
        let invalid = || FieldsV1Error::ParseKey {
            key: key.to_owned(),
        };
        let (prefix, rest) = key.split_once(':').ok_or_else(invalid)?;
        match prefix {
            "f" => Ok(PathElement::Field(rest.to_owned())),
            "k" => {
                let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(rest) else {
                    return Err(invalid());
                };
                let keys: Vec<String> = fields.keys().cloned().collect();
                Ok(PathElement::key_of(&fields, &keys))
            }
            "v" => serde_json::from_str::<Value>(rest)
                .map(|value| PathElement::value_of(&value))
                .map_err(|_| invalid()),
            "i" => rest.parse().map(PathElement::Index).map_err(|_| invalid()),
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(fields) => {
                let members: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                write!(f, "[{}]", members.join(","))
            }
            PathElement::Value(value) => write!(f, "[={value}]"),
            PathElement::Index(index) => write!(f, "[{index}]"),
        }
    }
}

/// A path from the object's root to a field, map entry or list item.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(Vec<PathElement>);

impl FieldPath {
    pub fn new(elements: Vec<PathElement>) -> Self {
        FieldPath(elements)
    }

    /// A path of object fields only, e.g. `FieldPath::fields(&["spec", "replicas"])`.
    pub fn fields(names: &[&str]) -> Self {
        FieldPath(
            names
                .iter()
                .map(|name| PathElement::Field((*name).to_owned()))
                .collect(),
        )
    }

    pub fn elements(&self) -> &[PathElement] {
        &self.0
    }

    pub fn starts_with(&self, prefix: &FieldPath) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

/// As in the apiserver's conflict messages: `.spec.containers[name="agent"].image`.
impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|element| write!(f, "{element}"))
    }
}

/// `FieldsV1` that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FieldsV1Error {
    #[error("failed to parse fieldsV1: {value} is not an object")]
    ParseNode { value: String },
    #[error("failed to parse fieldsV1 key {key}")]
    ParseKey { key: String },
}

/// A set of field paths. A path in the set means its field (or item) is owned; `.spec` being
/// absent while `.spec.replicas` is present is the usual case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet {
    paths: BTreeSet<FieldPath>,
}

impl FieldSet {
    pub fn new() -> Self {
        FieldSet::default()
    }

    pub fn insert(&mut self, path: FieldPath) {
        self.paths.insert(path);
    }

    pub fn remove(&mut self, path: &FieldPath) {
        self.paths.remove(path);
    }

    pub fn contains(&self, path: &FieldPath) -> bool {
        self.paths.contains(path)
    }

    /// Whether the set holds `path` or anything under it.
    pub fn contains_at_or_below(&self, path: &FieldPath) -> bool {
        self.paths
            .range(path.clone()..)
            .next()
            .is_some_and(|first| first.starts_with(path))
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// The paths in a stable order (parents before their children).
    pub fn iter(&self) -> impl Iterator<Item = &FieldPath> {
        self.paths.iter()
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            paths: self.paths.union(&other.paths).cloned().collect(),
        }
    }

    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            paths: self.paths.difference(&other.paths).cloned().collect(),
        }
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            paths: self.paths.intersection(&other.paths).cloned().collect(),
        }
    }

    /// The `fieldsV1` of a managedFields entry.
    pub fn to_fields_v1(&self) -> Value {
        let mut root = Map::new();
        for path in &self.paths {
            let elements = path.elements();
            let mut node = &mut root;
            for (depth, element) in elements.iter().enumerate() {
                let child = node
                    .entry(element.to_fields_v1_key())
                    .or_insert_with(|| Value::Object(Map::new()));
                let Value::Object(child) = child else {
                    break;
                };
                // A path that is in the set and also has children in it is marked ".".
                // Paths come parents first, so the first child finds its parent still empty.
                let has_children = depth + 1 < elements.len();
                if has_children
                    && child.is_empty()
                    && self.paths.contains(&FieldPath(elements[..=depth].to_vec()))
                {
                    child.insert(".".to_owned(), Value::Object(Map::new()));
                }
                node = child;
            }
        }
        Value::Object(root)
    }

    /// Reads the `fieldsV1` of a managedFields entry.
    pub fn from_fields_v1(fields_v1: &Value) -> Result<FieldSet, FieldsV1Error> {
        let mut set = FieldSet::new();
        read_fields_v1_node(fields_v1, &mut Vec::new(), &mut set)?;
        Ok(set)
    }
}

impl FromIterator<FieldPath> for FieldSet {
    fn from_iter<I: IntoIterator<Item = FieldPath>>(paths: I) -> Self {
        FieldSet {
            paths: paths.into_iter().collect(),
        }
    }
}

fn read_fields_v1_node(
    node: &Value,
    prefix: &mut Vec<PathElement>,
    set: &mut FieldSet,
) -> Result<(), FieldsV1Error> {
    let Value::Object(children) = node else {
        return Err(FieldsV1Error::ParseNode {
            value: node.to_string(),
        });
    };
    for (key, child) in children {
        if key == "." {
            if !prefix.is_empty() {
                set.insert(FieldPath(prefix.clone()));
            }
            continue;
        }
        prefix.push(PathElement::from_fields_v1_key(key)?);
        match child {
            Value::Object(grandchildren) if grandchildren.is_empty() => {
                set.insert(FieldPath(prefix.clone()));
            }
            _ => read_fields_v1_node(child, prefix, set)?,
        }
        prefix.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests;
