//! Reads the protobuf request bodies that kubectl's typed clients send — `kubectl create
//! namespace|secret|configmap|serviceaccount` and the evictions and deletions of `kubectl
//! drain` — into the JSON objects the store takes. Only those kinds are known; any other
//! protobuf body is refused with 415, and answers are always JSON (every client accepts it).

use base64::Engine;
use serde_json::{Map, Value, json};
use thiserror::Error;

/// The media type of Kubernetes protobuf bodies.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// Every protobuf body starts with these bytes, then a `runtime.Unknown` envelope.
const MAGIC: &[u8] = b"k8s\0";

/// Why a protobuf body could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProtobufError {
    #[error("failed to read a protobuf body: it does not start with the Kubernetes magic bytes")]
    NotKubernetes,
    #[error("failed to read a protobuf body: it ends inside a field")]
    Truncated,
    #[error("failed to read a protobuf body: wire type {0} is not protobuf's")]
    WireType(u64),
    #[error(
        "failed to read a protobuf {kind} of {api_version}: the emulator reads only JSON for it"
    )]
    UnknownKind { api_version: String, kind: String },
}

/// Whether a `Content-Type` is protobuf.
pub fn is_protobuf(content_type: &str) -> bool {
    content_type.split(';').next().map(str::trim) == Some(MEDIA_TYPE)
}

/// The object a protobuf body carries, as JSON with its `apiVersion` and `kind`.
pub fn decode(body: &[u8]) -> Result<Value, ProtobufError> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or(ProtobufError::NotKubernetes)?;
    let mut type_meta = (String::new(), String::new());
    let mut raw: &[u8] = &[];
    let mut reader = Reader { bytes: envelope };
    while let Some((number, wire)) = reader.key()? {
        match (number, wire) {
            (1, LENGTH) => type_meta = read_type_meta(reader.length_delimited()?)?,
            (2, LENGTH) => raw = reader.length_delimited()?,
            _ => reader.skip(wire)?,
        }
    }
    let (api_version, kind) = type_meta;
    let fields = schema_of(&api_version, &kind).ok_or_else(|| ProtobufError::UnknownKind {
        api_version: api_version.clone(),
        kind: kind.clone(),
    })?;
    let mut object = Map::new();
    object.insert("apiVersion".to_owned(), json!(api_version));
    object.insert("kind".to_owned(), json!(kind));
    object.extend(read_message(raw, fields)?);
    Ok(Value::Object(object))
}

fn read_type_meta(bytes: &[u8]) -> Result<(String, String), ProtobufError> {
    let mut reader = Reader { bytes };
    let (mut api_version, mut kind) = (String::new(), String::new());
    while let Some((number, wire)) = reader.key()? {
        match (number, wire) {
            (1, LENGTH) => api_version = text(reader.length_delimited()?),
            (2, LENGTH) => kind = text(reader.length_delimited()?),
            _ => reader.skip(wire)?,
        }
    }
    Ok((api_version, kind))
}

/// How a field is encoded and shown in JSON.
#[derive(Clone, Copy, Debug)]
enum Shape {
    Text,
    Flag,
    Integer,
    /// `metav1.Time`: seconds and nanoseconds, shown as RFC 3339.
    Time,
    Message(&'static [Field]),
    TextMap,
    /// `map<string, bytes>`, its values shown in base64 as Go's JSON shows `[]byte`.
    BytesMap,
}

#[derive(Debug)]
struct Field {
    number: u64,
    name: &'static str,
    shape: Shape,
    repeated: bool,
}

const fn one(number: u64, name: &'static str, shape: Shape) -> Field {
    Field {
        number,
        name,
        shape,
        repeated: false,
    }
}

const fn many(number: u64, name: &'static str, shape: Shape) -> Field {
    Field {
        number,
        name,
        shape,
        repeated: true,
    }
}

// Field numbers from k8s.io/apimachinery and k8s.io/api `generated.proto`.
const OWNER_REFERENCE: &[Field] = &[
    one(5, "apiVersion", Shape::Text),
    one(1, "kind", Shape::Text),
    one(3, "name", Shape::Text),
    one(4, "uid", Shape::Text),
    one(6, "controller", Shape::Flag),
    one(7, "blockOwnerDeletion", Shape::Flag),
];
const OBJECT_META: &[Field] = &[
    one(1, "name", Shape::Text),
    one(2, "generateName", Shape::Text),
    one(3, "namespace", Shape::Text),
    one(5, "uid", Shape::Text),
    one(6, "resourceVersion", Shape::Text),
    one(7, "generation", Shape::Integer),
    one(8, "creationTimestamp", Shape::Time),
    one(9, "deletionTimestamp", Shape::Time),
    one(10, "deletionGracePeriodSeconds", Shape::Integer),
    one(11, "labels", Shape::TextMap),
    one(12, "annotations", Shape::TextMap),
    many(13, "ownerReferences", Shape::Message(OWNER_REFERENCE)),
    many(14, "finalizers", Shape::Text),
];
const NAMESPACE: &[Field] = &[
    one(1, "metadata", Shape::Message(OBJECT_META)),
    one(
        2,
        "spec",
        Shape::Message(&[many(1, "finalizers", Shape::Text)]),
    ),
];
const SECRET: &[Field] = &[
    one(1, "metadata", Shape::Message(OBJECT_META)),
    one(2, "data", Shape::BytesMap),
    one(3, "type", Shape::Text),
    one(4, "stringData", Shape::TextMap),
    one(5, "immutable", Shape::Flag),
];
const CONFIG_MAP: &[Field] = &[
    one(1, "metadata", Shape::Message(OBJECT_META)),
    one(2, "data", Shape::TextMap),
    one(3, "binaryData", Shape::BytesMap),
    one(4, "immutable", Shape::Flag),
];
const OBJECT_REFERENCE: &[Field] = &[
    one(1, "kind", Shape::Text),
    one(2, "namespace", Shape::Text),
    one(3, "name", Shape::Text),
    one(4, "uid", Shape::Text),
    one(5, "apiVersion", Shape::Text),
];
const SERVICE_ACCOUNT: &[Field] = &[
    one(1, "metadata", Shape::Message(OBJECT_META)),
    many(2, "secrets", Shape::Message(OBJECT_REFERENCE)),
    many(
        3,
        "imagePullSecrets",
        Shape::Message(&[one(1, "name", Shape::Text)]),
    ),
    one(4, "automountServiceAccountToken", Shape::Flag),
];
const DELETE_OPTIONS: &[Field] = &[
    one(1, "gracePeriodSeconds", Shape::Integer),
    one(
        2,
        "preconditions",
        Shape::Message(&[
            one(1, "uid", Shape::Text),
            one(2, "resourceVersion", Shape::Text),
        ]),
    ),
    one(3, "orphanDependents", Shape::Flag),
    one(4, "propagationPolicy", Shape::Text),
    many(5, "dryRun", Shape::Text),
];
const EVICTION: &[Field] = &[
    one(1, "metadata", Shape::Message(OBJECT_META)),
    one(2, "deleteOptions", Shape::Message(DELETE_OPTIONS)),
];

fn schema_of(api_version: &str, kind: &str) -> Option<&'static [Field]> {
    match (api_version, kind) {
        ("v1", "Namespace") => Some(NAMESPACE),
        ("v1", "Secret") => Some(SECRET),
        ("v1", "ConfigMap") => Some(CONFIG_MAP),
        ("v1", "ServiceAccount") => Some(SERVICE_ACCOUNT),
        ("policy/v1", "Eviction") => Some(EVICTION),
        // Typed clients send delete options in their own group's version.
        (_, "DeleteOptions") => Some(DELETE_OPTIONS),
        _ => None,
    }
}

const VARINT: u64 = 0;
const FIXED64: u64 = 1;
const LENGTH: u64 = 2;
const FIXED32: u64 = 5;

/// Reads a message into JSON. Go marshals unset scalar fields as zero values, which its JSON
/// encoding omits; they are omitted here too.
fn read_message(bytes: &[u8], fields: &[Field]) -> Result<Map<String, Value>, ProtobufError> {
    let mut object = Map::new();
    let mut reader = Reader { bytes };
    while let Some((number, wire)) = reader.key()? {
        let Some(field) = fields.iter().find(|field| field.number == number) else {
            reader.skip(wire)?;
            continue;
        };
        match field.shape {
            Shape::TextMap | Shape::BytesMap => {
                let (key, value) = read_map_entry(reader.length_delimited()?, field.shape)?;
                let map = object
                    .entry(field.name)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(map) = map.as_object_mut() {
                    map.insert(key, value);
                }
            }
            shape => {
                let value = read_value(&mut reader, wire, shape)?;
                if field.repeated {
                    let list = object
                        .entry(field.name)
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let (Some(list), Some(value)) = (list.as_array_mut(), value) {
                        list.push(value);
                    }
                } else if let Some(value) = value.filter(|value| !is_zero(value)) {
                    object.insert(field.name.to_owned(), value);
                }
            }
        }
    }
    Ok(object)
}

fn is_zero(value: &Value) -> bool {
    match value {
        Value::String(text) => text.is_empty(),
        Value::Bool(flag) => !flag,
        Value::Number(number) => number.as_i64() == Some(0),
        Value::Null => true,
        Value::Array(_) | Value::Object(_) => false,
    }
}

fn read_value(
    reader: &mut Reader<'_>,
    wire: u64,
    shape: Shape,
) -> Result<Option<Value>, ProtobufError> {
    let value = match (shape, wire) {
        (Shape::Text, LENGTH) => json!(text(reader.length_delimited()?)),
        // Two's complement, as protobuf encodes negative int64 values.
        (Shape::Integer, VARINT) => json!(reader.varint()?.cast_signed()),
        (Shape::Flag, VARINT) => json!(reader.varint()? != 0),
        (Shape::Time, LENGTH) => read_time(reader.length_delimited()?)?,
        (Shape::Message(fields), LENGTH) => {
            Value::Object(read_message(reader.length_delimited()?, fields)?)
        }
        _ => {
            reader.skip(wire)?;
            return Ok(None);
        }
    };
    Ok(Some(value))
}

fn read_map_entry(bytes: &[u8], shape: Shape) -> Result<(String, Value), ProtobufError> {
    let mut reader = Reader { bytes };
    let mut key = String::new();
    let mut value = Vec::new();
    while let Some((number, wire)) = reader.key()? {
        match (number, wire) {
            (1, LENGTH) => key = text(reader.length_delimited()?),
            (2, LENGTH) => value = reader.length_delimited()?.to_vec(),
            _ => reader.skip(wire)?,
        }
    }
    let value = match shape {
        Shape::BytesMap => json!(base64_text(&value)),
        _ => json!(text(&value)),
    };
    Ok((key, value))
}

/// A zero time is Go's unset `metav1.Time`, shown as `null` and then omitted.
fn read_time(bytes: &[u8]) -> Result<Value, ProtobufError> {
    let mut reader = Reader { bytes };
    let mut seconds = 0_i64;
    while let Some((number, wire)) = reader.key()? {
        match (number, wire) {
            (1, VARINT) => seconds = reader.varint()?.cast_signed(),
            _ => reader.skip(wire)?,
        }
    }
    if seconds == 0 {
        return Ok(Value::Null);
    }
    Ok(jiff::Timestamp::from_second(seconds).map_or(Value::Null, |time| json!(time.to_string())))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn base64_text(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// The next field's number and wire type, or `None` at the end.
    fn key(&mut self) -> Result<Option<(u64, u64)>, ProtobufError> {
        if self.bytes.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        Ok(Some((key >> 3, key & 7)))
    }

    fn varint(&mut self) -> Result<u64, ProtobufError> {
        let mut value = 0_u64;
        for (index, byte) in self.bytes.iter().enumerate().take(10) {
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
                self.bytes = &self.bytes[index + 1..];
                return Ok(value);
            }
        }
        Err(ProtobufError::Truncated)
    }

    fn take(&mut self, length: usize) -> Result<&'a [u8], ProtobufError> {
        if length > self.bytes.len() {
            return Err(ProtobufError::Truncated);
        }
        let (taken, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        Ok(taken)
    }

    fn length_delimited(&mut self) -> Result<&'a [u8], ProtobufError> {
        let length = usize::try_from(self.varint()?).map_err(|_| ProtobufError::Truncated)?;
        self.take(length)
    }

    fn skip(&mut self, wire: u64) -> Result<(), ProtobufError> {
        match wire {
            VARINT => self.varint().map(drop),
            FIXED64 => self.take(8).map(drop),
            LENGTH => self.length_delimited().map(drop),
            FIXED32 => self.take(4).map(drop),
            other => Err(ProtobufError::WireType(other)),
        }
    }
}

#[cfg(test)]
#[path = "protobuf_tests.rs"]
mod tests;
