//! How the lists of a custom resource merge, read from the `openAPIV3Schema` of its CRD
//! version (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`),
//! with `metadata` following the fixed `ObjectMeta` rules as in Kubernetes. Does not validate
//! the schema; a path the schema does not describe is atomic.

use serde_json::Value;

use super::{ListKind, ListStructure, object_meta_list_kind, object_meta_map_is_atomic};

/// The list rules of one CRD version's schema.
#[derive(Clone, Copy, Debug)]
pub struct SchemaLists<'s> {
    schema: &'s Value,
}

impl<'s> SchemaLists<'s> {
    /// `schema` is the version's `openAPIV3Schema`.
    pub fn new(schema: &'s Value) -> Self {
        SchemaLists { schema }
    }

    /// The schema of the value at `path`: properties first, then `additionalProperties`; list
    /// levels are stepped through, as paths skip them.
    fn schema_at(&self, path: &[&str]) -> Option<&'s Value> {
        path.iter().try_fold(self.schema, |schema, field| {
            let schema = items_of(schema);
            schema
                .get("properties")
                .and_then(|properties| properties.get(*field))
                .or_else(|| schema.get("additionalProperties").filter(|s| s.is_object()))
        })
    }
}

/// The item schema of a list schema (through nested lists), or the schema itself.
fn items_of(mut schema: &Value) -> &Value {
    while let Some(items) = schema.get("items").filter(|_| is_list(schema)) {
        schema = items;
    }
    schema
}

fn is_list(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("array")
}

impl ListStructure for SchemaLists<'_> {
    fn list_kind(&self, path: &[&str]) -> ListKind {
        if let ["metadata", rest @ ..] = path {
            return object_meta_list_kind(rest);
        }
        let Some(schema) = self.schema_at(path) else {
            return ListKind::Atomic;
        };
        match schema.get("x-kubernetes-list-type").and_then(Value::as_str) {
            Some("set") => ListKind::Set,
            Some("map") => {
                let keys = schema
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|keys| {
                        keys.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                if keys.is_empty() {
                    ListKind::Atomic
                } else {
                    ListKind::Map(keys)
                }
            }
            _ => ListKind::Atomic,
        }
    }

    fn map_is_atomic(&self, path: &[&str]) -> bool {
        if let ["metadata", rest @ ..] = path {
            return object_meta_map_is_atomic(rest);
        }
        self.schema_at(path).is_some_and(|schema| {
            items_of(schema)
                .get("x-kubernetes-map-type")
                .and_then(Value::as_str)
                == Some("atomic")
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "metadata": {"type": "object"},
            "spec": {"type": "object", "properties": {
                "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                "args": {"type": "array", "items": {"type": "string"}},
                "params": {"type": "array", "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name", "scope"],
                    "items": {"type": "object", "properties": {
                        "name": {"type": "string"},
                        "aliases": {"type": "array", "items": {"type": "string"},
                            "x-kubernetes-list-type": "set"},
                        "selector": {"type": "object", "x-kubernetes-map-type": "atomic"}
                    }}},
                "outputs": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                    "layers": {"type": "array", "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["id"], "items": {"type": "object"}}
                }}},
                "atomicItems": {"type": "array", "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["id"],
                    "items": {"type": "object", "x-kubernetes-map-type": "atomic"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
            }},
            "status": {"type": "object", "properties": {
                "conditions": {"type": "array", "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["type"], "items": {"type": "object"}}
            }}
        }})
    }

    #[test]
    fn list_types_come_from_the_schema() {
        let schema = schema();
        let lists = SchemaLists::new(&schema);
        assert_eq!(lists.list_kind(&["spec", "tags"]), ListKind::Set);
        assert_eq!(lists.list_kind(&["spec", "args"]), ListKind::Atomic);
        assert_eq!(
            lists.list_kind(&["spec", "params"]),
            ListKind::Map(vec!["name".to_owned(), "scope".to_owned()])
        );
        assert_eq!(
            lists.list_kind(&["status", "conditions"]),
            ListKind::Map(vec!["type".to_owned()])
        );
    }

    #[test]
    fn lists_inside_list_items_and_map_values_are_found() {
        let schema = schema();
        let lists = SchemaLists::new(&schema);
        assert_eq!(
            lists.list_kind(&["spec", "params", "aliases"]),
            ListKind::Set
        );
        assert_eq!(
            lists.list_kind(&["spec", "outputs", "beauty", "layers"]),
            ListKind::Map(vec!["id".to_owned()])
        );
    }

    #[test]
    fn unknown_and_free_form_paths_are_atomic() {
        let schema = schema();
        let lists = SchemaLists::new(&schema);
        assert_eq!(lists.list_kind(&["spec", "nope"]), ListKind::Atomic);
        assert_eq!(
            lists.list_kind(&["spec", "free", "anything"]),
            ListKind::Atomic
        );
        assert!(!lists.map_is_atomic(&["spec", "free"]));
    }

    #[test]
    fn atomic_maps_are_read_from_the_schema_for_fields_and_list_items() {
        let schema = schema();
        let lists = SchemaLists::new(&schema);
        assert!(lists.map_is_atomic(&["spec", "params", "selector"]));
        assert!(lists.map_is_atomic(&["spec", "atomicItems"]));
        assert!(!lists.map_is_atomic(&["spec", "params"]));
    }

    #[test]
    fn metadata_follows_the_object_meta_rules_whatever_the_schema_says() {
        let schema = schema();
        let lists = SchemaLists::new(&schema);
        assert_eq!(lists.list_kind(&["metadata", "finalizers"]), ListKind::Set);
        assert_eq!(
            lists.list_kind(&["metadata", "ownerReferences"]),
            ListKind::Map(vec!["uid".to_owned()])
        );
    }
}
