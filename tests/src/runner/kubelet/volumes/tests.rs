//! Volumes as a container sees them on disk.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use serde_json::{Value, json};

use super::*;
use crate::runner::resources::ResourceList;

fn pod(volumes: Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "render-0", "namespace": "shots", "uid": "u-1", "labels": {"shot": "sh010"}},
        "spec": {"containers": [{"name": "main", "resources": {"limits": {"memory": "64Mi"}}}], "volumes": volumes}
    }))
    .unwrap()
}

fn sources() -> ObjectSources {
    let data = |pairs: &[(&str, &str)]| {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
                .collect(),
        )
    };
    ObjectSources {
        secrets: BTreeMap::from([
            (
                "tls".to_owned(),
                data(&[("tls.crt", "CERT"), ("tls.key", "KEY")]),
            ),
            ("gone".to_owned(), None),
        ]),
        config_maps: BTreeMap::from([("scene".to_owned(), data(&[("frames", "1-10")]))]),
    }
}

fn prepare_on(root: &Path, node: &str, pod: &Pod) -> Result<PreparedVolumes, VolumeError> {
    let allocatable = ResourceList::new();
    let placement = Placement {
        node_name: node,
        pod_ip: "127.0.0.1",
        host_ip: "127.0.0.1",
        node_allocatable: &allocatable,
    };
    let uid = pod.metadata.uid.clone().unwrap();
    let dirs = PodDirs::new(root, node, &uid);
    let sources = sources();
    prepare_volumes(&VolumeContext {
        pod,
        dirs: &dirs,
        runner_root: root,
        node,
        sources: &sources,
        placement: &placement,
    })
}

#[test]
fn an_empty_dir_belongs_to_the_pod() {
    let root = tempfile::tempdir().unwrap();
    let prepared = prepare_on(
        root.path(),
        "node-a",
        &pod(json!([{"name": "scratch", "emptyDir": {}}])),
    )
    .unwrap();
    let dir = &prepared.paths["scratch"];
    assert!(dir.is_dir());
    assert!(
        dir.starts_with(root.path().join("nodes/node-a/pods/u-1")),
        "{}",
        dir.display()
    );
}

#[test]
fn a_host_path_is_shared_on_its_node_and_not_across_nodes() {
    let root = tempfile::tempdir().unwrap();
    let volumes = json!([{"name": "cache", "hostPath": {"path": "/var/cache/frames", "type": "DirectoryOrCreate"}}]);
    let mut other = pod(volumes.clone());
    other.metadata.uid = Some("u-2".to_owned());
    let first = prepare_on(root.path(), "node-a", &pod(volumes.clone())).unwrap();
    let second = prepare_on(root.path(), "node-a", &other).unwrap();
    let elsewhere = prepare_on(root.path(), "node-b", &other).unwrap();
    assert_eq!(first.paths["cache"], second.paths["cache"]);
    assert_ne!(first.paths["cache"], elsewhere.paths["cache"]);
    assert!(first.paths["cache"].is_dir());
}

#[test]
fn a_host_path_that_must_exist_fails_the_mount_when_it_does_not() {
    let root = tempfile::tempdir().unwrap();
    let error = prepare_on(
        root.path(),
        "node-a",
        &pod(json!([{"name": "data", "hostPath": {"path": "/srv/data", "type": "Directory"}}])),
    )
    .unwrap_err();
    assert_eq!(
        error.event_message(),
        "MountVolume.SetUp failed for volume \"data\" : hostPath type check failed: /srv/data is not a directory"
    );
}

#[test]
fn secret_keys_become_files_with_their_modes() {
    let root = tempfile::tempdir().unwrap();
    let prepared = prepare_on(
        root.path(),
        "node-a",
        &pod(json!([
            {"name": "all", "secret": {"secretName": "tls"}},
            {"name": "some", "secret": {"secretName": "tls", "defaultMode": 0o400, "items": [{"key": "tls.key", "path": "private/key.pem"}]}}
        ])),
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(prepared.paths["all"].join("tls.crt")).unwrap(),
        "CERT"
    );
    let key = prepared.paths["some"].join("private/key.pem");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), "KEY");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o400
    );
    assert!(!prepared.paths["some"].join("tls.crt").exists());
}

#[test]
fn a_missing_secret_fails_the_mount_unless_optional() {
    let root = tempfile::tempdir().unwrap();
    let error = prepare_on(
        root.path(),
        "node-a",
        &pod(json!([{"name": "creds", "secret": {"secretName": "gone"}}])),
    )
    .unwrap_err();
    assert_eq!(
        error.event_message(),
        "MountVolume.SetUp failed for volume \"creds\" : secret \"gone\" not found"
    );
    let prepared = prepare_on(
        root.path(),
        "node-a",
        &pod(json!([{"name": "creds", "secret": {"secretName": "gone", "optional": true}}])),
    )
    .unwrap();
    assert!(prepared.paths["creds"].is_dir());
}

#[test]
fn config_map_items_must_name_existing_keys() {
    let root = tempfile::tempdir().unwrap();
    let error = prepare_on(root.path(), "node-a", &pod(json!([{"name": "s", "configMap": {"name": "scene", "items": [{"key": "camera", "path": "camera"}]}}]))).unwrap_err();
    assert!(
        error
            .event_message()
            .contains("references non-existent key: camera"),
        "{}",
        error.event_message()
    );
}

#[test]
fn downward_and_projected_volumes_write_fields_and_objects_together() {
    let root = tempfile::tempdir().unwrap();
    let prepared = prepare_on(
        root.path(),
        "node-a",
        &pod(json!([{"name": "info", "projected": {"sources": [
            {"downwardAPI": {"items": [
                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                {"path": "mem", "resourceFieldRef": {"containerName": "main", "resource": "limits.memory", "divisor": "1Mi"}}
            ]}},
            {"configMap": {"name": "scene"}}
        ]}}])),
    )
    .unwrap();
    let dir = &prepared.paths["info"];
    assert_eq!(
        std::fs::read_to_string(dir.join("labels")).unwrap(),
        "shot=\"sh010\""
    );
    assert_eq!(std::fs::read_to_string(dir.join("mem")).unwrap(), "64");
    assert_eq!(std::fs::read_to_string(dir.join("frames")).unwrap(), "1-10");
}

#[test]
fn service_account_tokens_and_claims_are_not_supported() {
    let root = tempfile::tempdir().unwrap();
    let error = prepare_on(root.path(), "node-a", &pod(json!([{"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}]))).unwrap_err();
    assert!(
        error.event_message().contains("KUBECONFIG"),
        "{}",
        error.event_message()
    );
    let error = prepare_on(
        root.path(),
        "node-a",
        &pod(json!([{"name": "data", "persistentVolumeClaim": {"claimName": "c"}}])),
    )
    .unwrap_err();
    assert!(error.to_string().contains("supports emptyDir"), "{error}");
}

#[test]
fn mounts_map_container_paths_and_create_sub_paths() {
    let root = tempfile::tempdir().unwrap();
    let prepared = prepare_on(
        root.path(),
        "node-a",
        &pod(json!([{"name": "scratch", "emptyDir": {}}])),
    )
    .unwrap();
    let container: Container = serde_json::from_value(json!({"name": "main", "volumeMounts": [
        {"name": "scratch", "mountPath": "/data"},
        {"name": "scratch", "mountPath": "/frames", "subPathExpr": "out/$(SHOT)"}
    ]}))
    .unwrap();
    let env = BTreeMap::from([("SHOT".to_owned(), "sh010".to_owned())]);
    let mounts = container_mounts(&container, &prepared, &env).unwrap();
    assert_eq!(
        mounts[0],
        ("/data".to_owned(), prepared.paths["scratch"].clone())
    );
    assert_eq!(mounts[1].1, prepared.paths["scratch"].join("out/sh010"));
    assert!(mounts[1].1.is_dir());
}

#[test]
fn mounts_of_unknown_volumes_or_escaping_sub_paths_fail() {
    let prepared = PreparedVolumes {
        paths: BTreeMap::from([("scratch".to_owned(), PathBuf::from("/nowhere"))]),
    };
    let unknown: Container = serde_json::from_value(
        json!({"name": "main", "volumeMounts": [{"name": "cache", "mountPath": "/c"}]}),
    )
    .unwrap();
    assert!(container_mounts(&unknown, &prepared, &BTreeMap::new()).is_err());
    let escaping: Container = serde_json::from_value(json!({"name": "main", "volumeMounts": [{"name": "scratch", "mountPath": "/c", "subPath": "../x"}]})).unwrap();
    assert!(container_mounts(&escaping, &prepared, &BTreeMap::new()).is_err());
}
