//! The bodies here were captured from `kubectl create` 1.33 (`-v=9` shows the same bytes).

use super::*;

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(&hex[index..index + 2], 16).unwrap())
        .collect()
}

/// `kubectl create secret generic wasabi-credentials --from-literal=AWS_ACCESS_KEY_ID=AKIAEXAMPLE
/// --from-literal=AWS_SECRET_ACCESS_KEY=s3cr3t`
const SECRET_BODY: &str = "6b3873000a0c0a027631120653656372657412690a220a127761736162692d63726564656e7469616c7312001a0022002a0032003800420012200a114157535f4143434553535f4b45595f4944120b414b49414558414d504c45121f0a154157535f5345435245545f4143434553535f4b455912067333637233741a001a002200";
/// `kubectl create namespace sh010`
const NAMESPACE_BODY: &str = "6b3873000a0f0a02763112094e616d657370616365121d0a150a05736830313012001a0022002a0032003800420012001a020a001a002200";
/// `kubectl create configmap settings --from-literal=quality=final`
const CONFIG_MAP_BODY: &str = "6b3873000a0f0a0276311209436f6e6669674d6170122c0a180a0873657474696e677312001a0022002a0032003800420012100a077175616c697479120566696e616c1a002200";
/// `kubectl create serviceaccount render`
const SERVICE_ACCOUNT_BODY: &str = "6b3873000a140a027631120e536572766963654163636f756e7412180a160a0672656e64657212001a0022002a003200380042001a002200";

#[test]
fn a_secret_from_kubectl_create_reads_as_its_json() {
    let secret = decode(&bytes(SECRET_BODY)).unwrap();
    assert_eq!(
        secret,
        json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "wasabi-credentials"},
            "data": {"AWS_ACCESS_KEY_ID": "QUtJQUVYQU1QTEU=", "AWS_SECRET_ACCESS_KEY": "czNjcjN0"}})
    );
}

#[test]
fn namespaces_config_maps_and_service_accounts_read_as_their_json() {
    assert_eq!(
        decode(&bytes(NAMESPACE_BODY)).unwrap(),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sh010"}, "spec": {}})
    );
    assert_eq!(
        decode(&bytes(CONFIG_MAP_BODY)).unwrap(),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
            "data": {"quality": "final"}})
    );
    assert_eq!(
        decode(&bytes(SERVICE_ACCOUNT_BODY)).unwrap(),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "render"}})
    );
}

/// A small encoder, to write bodies kubectl sends but a test cannot easily capture.
fn field(number: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = varint((number << 3) | LENGTH);
    out.extend(varint(payload.len() as u64));
    out.extend_from_slice(payload);
    out
}

fn varint_field(number: u64, value: u64) -> Vec<u8> {
    let mut out = varint(number << 3);
    out.extend(varint(value));
    out
}

fn varint(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let type_meta = [field(1, api_version.as_bytes()), field(2, kind.as_bytes())].concat();
    [MAGIC.to_vec(), field(1, &type_meta), field(2, raw)].concat()
}

#[test]
fn an_eviction_of_kubectl_drain_keeps_its_delete_options() {
    let metadata = [
        field(1, b"sh010-chunk-0001"),
        field(3, b"render"),
        field(8, &varint_field(1, 1_700_000_000)),
        field(11, &[field(1, b"app"), field(2, b"")].concat()),
        field(
            13,
            &[
                field(1, b"RenderJob"),
                field(3, b"sh010-0001"),
                varint_field(6, 1),
            ]
            .concat(),
        ),
    ]
    .concat();
    let options = [
        varint_field(1, u64::MAX),
        field(2, &field(1, b"uid-1")),
        field(5, b"All"),
    ]
    .concat();
    let raw = [field(1, &metadata), field(2, &options)].concat();
    let eviction = decode(&envelope("policy/v1", "Eviction", &raw)).unwrap();
    assert_eq!(
        eviction,
        json!({"apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": {"name": "sh010-chunk-0001", "namespace": "render",
                "creationTimestamp": "2023-11-14T22:13:20Z", "labels": {"app": ""},
                "ownerReferences": [{"kind": "RenderJob", "name": "sh010-0001", "controller": true}]},
            "deleteOptions": {"gracePeriodSeconds": -1, "preconditions": {"uid": "uid-1"},
                "dryRun": ["All"]}})
    );
}

#[test]
fn bodies_of_other_kinds_or_formats_are_refused() {
    let deployment = envelope("apps/v1", "Deployment", &[]);
    assert_eq!(
        decode(&deployment),
        Err(ProtobufError::UnknownKind {
            api_version: "apps/v1".to_owned(),
            kind: "Deployment".to_owned()
        })
    );
    assert_eq!(decode(b"{}"), Err(ProtobufError::NotKubernetes));
    let cut = bytes(SECRET_BODY);
    assert_eq!(decode(&cut[..40]), Err(ProtobufError::Truncated));
    assert!(is_protobuf(
        "application/vnd.kubernetes.protobuf; charset=utf-8"
    ));
    assert!(!is_protobuf("application/json"));
}
