//! The pieces every table printer is made of: column definitions (with the descriptions the
//! apiserver takes from the API's own field documentation), rows, and small readers of object
//! fields. No printer lives here.

use schemars::JsonSchema;
use serde_json::{Value, json};

/// One `columnDefinitions` entry of a `meta.k8s.io/v1` Table.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Column {
    pub name: String,
    /// `string`, `integer`, `number`, `boolean` or `date`.
    pub column_type: String,
    pub format: String,
    pub description: String,
    /// 0: always shown; 1 and more: only with `-o wide`.
    pub priority: i64,
}

impl Column {
    pub(crate) fn new(name: &str, column_type: &str, description: impl Into<String>) -> Self {
        Column {
            name: name.to_owned(),
            column_type: column_type.to_owned(),
            format: String::new(),
            description: description.into(),
            priority: 0,
        }
    }

    /// A `string` column.
    pub(crate) fn text(name: &str, description: impl Into<String>) -> Self {
        Column::new(name, "string", description)
    }

    /// The `Name` column every table starts with (events put it last).
    pub(crate) fn name() -> Self {
        let mut column = Column::text("Name", object_meta_doc("name"));
        column.format = "name".to_owned();
        column
    }

    /// The `Age` column of the built-in printers.
    pub(crate) fn age() -> Self {
        Column::text("Age", object_meta_doc("creationTimestamp"))
    }

    /// Shown only by `kubectl get -o wide`.
    pub(crate) fn wide(mut self) -> Self {
        self.priority = 1;
        self
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.column_type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

/// The cells of one object, and the row conditions (`Completed`) that some printers add.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Row {
    pub cells: Vec<Value>,
    pub conditions: Vec<Value>,
}

impl Row {
    pub(crate) fn of(cells: Vec<Value>) -> Self {
        Row {
            cells,
            conditions: Vec::new(),
        }
    }
}

/// The documentation of `field` in the OpenAPI schema of `T`, which is what the apiserver's
/// `SwaggerDoc()` returns for column descriptions.
pub(crate) fn field_doc<T: JsonSchema>(field: &str) -> String {
    let schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
    schema
        .as_value()
        .pointer(&format!("/properties/{field}/description"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn object_meta_doc(field: &str) -> String {
    field_doc::<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>(field)
}

/// The string at `path`, or "" where it is missing or not a string (Go's zero value).
pub(crate) fn text<'a>(object: &'a Value, path: &[&str]) -> &'a str {
    at(object, path).and_then(Value::as_str).unwrap_or_default()
}

/// The integer at `path`, or 0.
pub(crate) fn integer(object: &Value, path: &[&str]) -> i64 {
    at(object, path).and_then(Value::as_i64).unwrap_or_default()
}

/// The array at `path`, or an empty one.
pub(crate) fn items<'a>(object: &'a Value, path: &[&str]) -> &'a [Value] {
    at(object, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The number of entries of the map or list at `path`.
pub(crate) fn count(object: &Value, path: &[&str]) -> i64 {
    let entries = match at(object, path) {
        Some(Value::Object(map)) => map.len(),
        Some(Value::Array(list)) => list.len(),
        _ => 0,
    };
    i64::try_from(entries).unwrap_or(i64::MAX)
}

/// The value at `path`, if present and not null.
pub(crate) fn at<'a>(object: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(object, |value, key| value.get(key))
        .filter(|value| !value.is_null())
}

/// `metadata.name`.
pub(crate) fn name(object: &Value) -> Value {
    Value::String(text(object, &["metadata", "name"]).to_owned())
}

/// `metadata.creationTimestamp`, when set.
pub(crate) fn created(object: &Value) -> Option<&str> {
    at(object, &["metadata", "creationTimestamp"]).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_column_is_documented_from_object_meta() {
        let column = Column::name().to_json();
        assert_eq!(column["name"], "Name");
        assert_eq!(column["format"], "name");
        assert_eq!(column["priority"], 0);
        let description = column["description"].as_str().unwrap();
        assert!(description.starts_with("Name must be unique within a namespace"));
    }

    #[test]
    fn field_readers_fall_back_to_zero_values() {
        let object = json!({"spec": {"replicas": 3, "name": null}, "data": {"a": "1", "b": "2"}});
        assert_eq!(integer(&object, &["spec", "replicas"]), 3);
        assert_eq!(integer(&object, &["spec", "missing"]), 0);
        assert_eq!(text(&object, &["spec", "name"]), "");
        assert_eq!(count(&object, &["data"]), 2);
        assert!(items(&object, &["spec", "containers"]).is_empty());
    }
}
