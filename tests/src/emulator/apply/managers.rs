//! The `metadata.managedFields` of an object: reading its entries into owners and field sets,
//! and writing them back in the apiserver's order. An owner is a manager name, an operation
//! (`Apply` or `Update`) and a subresource; `Update` owners are also told apart by API version,
//! as in Kubernetes. Does not decide who owns what.

use serde_json::{Map, Value, json};

use super::fieldset::FieldSet;

/// `Apply` or `Update`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One managedFields entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub time: Option<String>,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

impl Entry {
    /// Whether this entry belongs to the owner `other` describes.
    pub fn same_owner(&self, other: &Entry) -> bool {
        self.manager == other.manager
            && self.operation == other.operation
            && self.subresource == other.subresource
            && (self.operation == Operation::Apply || self.api_version == other.api_version)
    }

    fn decode(entry: &Value) -> Option<Entry> {
        let text = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);
        let operation = match entry.get("operation").and_then(Value::as_str)? {
            "Apply" => Operation::Apply,
            "Update" => Operation::Update,
            _ => return None,
        };
        if text("fieldsType").is_some_and(|fields_type| fields_type != "FieldsV1") {
            return None;
        }
        let fields = match entry.get("fieldsV1") {
            Some(fields_v1) => FieldSet::from_fields_v1(fields_v1).ok()?,
            None => FieldSet::new(),
        };
        Some(Entry {
            manager: text("manager").unwrap_or_default(),
            operation,
            api_version: text("apiVersion").unwrap_or_default(),
            time: text("time"),
            subresource: text("subresource").filter(|subresource| !subresource.is_empty()),
            fields,
        })
    }

    fn encode(&self) -> Value {
        let mut entry = json!({
            "manager": self.manager,
            "operation": self.operation.name(),
            "apiVersion": self.api_version,
            "fieldsType": "FieldsV1",
            "fieldsV1": self.fields.to_fields_v1(),
        });
        if let Some(time) = &self.time {
            entry["time"] = json!(time);
        }
        if let Some(subresource) = &self.subresource {
            entry["subresource"] = json!(subresource);
        }
        entry
    }
}

/// The entries of `object`'s managedFields, or `None` when they cannot be read (Kubernetes then
/// ignores them). Entries of one owner found twice are merged.
pub(super) fn decode_managed_fields(object: &Value) -> Option<Vec<Entry>> {
    let Some(entries) = object.pointer("/metadata/managedFields") else {
        return Some(Vec::new());
    };
    if entries.is_null() {
        return Some(Vec::new());
    }
    let mut decoded: Vec<Entry> = Vec::new();
    for entry in entries.as_array()? {
        let entry = Entry::decode(entry)?;
        match decoded.iter_mut().find(|known| known.same_owner(&entry)) {
            Some(known) => known.fields = known.fields.union(&entry.fields),
            None => decoded.push(entry),
        }
    }
    Some(decoded)
}

/// Whether `object` asks for its managedFields to be cleared: `managedFields: [{}]`.
pub(super) fn asks_for_reset(object: &Value) -> bool {
    object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .is_some_and(
            |entries| matches!(entries.as_slice(), [Value::Object(only)] if only.is_empty()),
        )
}

/// Writes `entries` (those with fields) into `object`'s managedFields, ordered as the apiserver
/// orders them: `Apply` before `Update`, then by time, manager, API version and subresource.
/// No entries removes the field.
pub(super) fn encode_managed_fields(object: &mut Value, mut entries: Vec<Entry>) {
    entries.retain(|entry| !entry.fields.is_empty());
    entries.sort_by(|left, right| {
        (
            left.operation,
            &left.time,
            &left.manager,
            &left.api_version,
            &left.subresource,
        )
            .cmp(&(
                right.operation,
                &right.time,
                &right.manager,
                &right.api_version,
                &right.subresource,
            ))
    });
    let Value::Object(fields) = object else {
        return;
    };
    if entries.is_empty() {
        if let Some(Value::Object(metadata)) = fields.get_mut("metadata") {
            metadata.remove("managedFields");
        }
        return;
    }
    let metadata = fields
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(metadata) = metadata {
        let encoded = entries.iter().map(Entry::encode).collect();
        metadata.insert("managedFields".to_owned(), Value::Array(encoded));
    }
}

/// `object` without its managedFields.
pub(super) fn without_managed_fields(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
        metadata.remove("managedFields");
    }
    object
}
