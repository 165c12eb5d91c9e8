//! The GitOps examples under `examples/gitops/` are ready to commit to a studio's repository:
//! the kustomize directory of shots lists files that exist and that the apiserver admits and
//! the operator accepts, and the Flux and Argo CD objects that apply it are well formed and
//! point at it. It does not run Flux or Argo CD.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "tests fail loudly on unexpected input"
)]

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use framefarm_crds::RenderShot;
use framefarm_tests::admission::Catalog;
use framefarm_tests::manifests::{Manifest, repo_root};
use serde_json::Value;

const SHOTS: &str = "examples/gitops/shots";
const FLUX_SOURCE: &str = "examples/gitops/flux/gitrepository.yaml";
const FLUX_KUSTOMIZATION: &str = "examples/gitops/flux/render-shots.yaml";
const ARGO_CD_APPLICATION: &str = "examples/gitops/argocd/application.yaml";

/// The one document of a manifest file under the repository root.
fn document(path: &str) -> (Manifest, Value) {
    let manifest = Manifest::load(&repo_root().join(path)).unwrap();
    assert_eq!(manifest.documents.len(), 1, "{path} holds one object");
    let document = manifest.documents[0].clone();
    (manifest, document)
}

/// The string at `pointer`, which must be there and not empty.
fn required<'a>(object: &'a Value, pointer: &str, path: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| panic!("{path} lacks {pointer}"))
}

/// Keys of the object at `pointer` that are not in `known`.
fn unknown_keys(object: &Value, pointer: &str, known: &[&str]) -> Vec<String> {
    object
        .pointer(pointer)
        .and_then(Value::as_object)
        .map(|map| {
            map.keys()
                .filter(|key| !known.contains(&key.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// A Go duration as Flux writes them: `1h30m`, `10m`, `45s`.
fn go_duration(text: &str) -> Duration {
    let mut total = 0;
    let mut number = String::new();
    for character in text.chars() {
        if character.is_ascii_digit() {
            number.push(character);
            continue;
        }
        let unit = match character {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            other => panic!("unexpected unit {other:?} in duration {text:?}"),
        };
        total += number.parse::<u64>().unwrap() * unit;
        number.clear();
    }
    assert!(number.is_empty(), "duration {text:?} ends without a unit");
    Duration::from_secs(total)
}

/// The kustomize configuration of the shots directory.
fn shots_kustomization() -> Value {
    document(&format!("{SHOTS}/kustomization.yaml")).1
}

#[test]
fn the_shots_directory_lists_every_shot_file_and_nothing_else() {
    let kustomization = shots_kustomization();
    assert_eq!(
        kustomization["apiVersion"],
        "kustomize.config.k8s.io/v1beta1"
    );
    assert_eq!(kustomization["kind"], "Kustomization");
    let listed: BTreeSet<String> = kustomization["resources"]
        .as_array()
        .expect("resources is a list")
        .iter()
        .map(|entry| entry.as_str().unwrap().to_owned())
        .collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(repo_root().join(SHOTS))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml") && name != "kustomization.yaml")
        .collect();
    assert!(listed.len() >= 2, "{listed:?}");
    assert_eq!(listed, on_disk, "resources of {SHOTS}/kustomization.yaml");
}

#[test]
fn every_listed_shot_is_admitted_valid_and_explained() {
    let catalog = Catalog::from_dir(&repo_root().join("crds")).expect("the generated CRDs");
    let kustomization = shots_kustomization();
    let namespace = required(&kustomization, "/namespace", SHOTS);
    for entry in kustomization["resources"].as_array().unwrap() {
        let path = Path::new(SHOTS).join(entry.as_str().unwrap());
        let manifest = Manifest::load(&repo_root().join(&path)).unwrap();
        let words: usize = manifest
            .header
            .iter()
            .map(|line| line.split_whitespace().count())
            .sum();
        assert!(words >= 15, "{} needs a comment header", path.display());
        for object in &manifest.documents {
            // kustomize sets the namespace before the objects reach the apiserver.
            let mut object = object.clone();
            object["metadata"]["namespace"] = namespace.into();
            let admitted = catalog
                .admit(&object)
                .unwrap_or_else(|rejection| panic!("{}: {rejection}", path.display()));
            let shot: RenderShot = serde_json::from_value(admitted)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            if let Err(errors) = shot.spec.validate() {
                panic!("{}: {errors}", path.display());
            }
            let wave = shot
                .metadata
                .annotations
                .as_ref()
                .and_then(|annotations| annotations.get("argocd.argoproj.io/sync-wave"))
                .and_then(|wave| wave.parse::<i32>().ok());
            assert!(
                wave.is_some_and(|wave| wave > 0),
                "{}: shots sync after the Secret (wave -1) and the default wave 0",
                path.display()
            );
        }
    }
}

#[test]
fn the_flux_source_is_a_well_formed_git_repository() {
    let (_, source) = document(FLUX_SOURCE);
    assert_eq!(source["apiVersion"], "source.toolkit.fluxcd.io/v1");
    assert_eq!(source["kind"], "GitRepository");
    required(&source, "/metadata/name", FLUX_SOURCE);
    required(&source, "/metadata/namespace", FLUX_SOURCE);
    let url = required(&source, "/spec/url", FLUX_SOURCE);
    assert!(
        ["https://", "ssh://", "http://"]
            .iter()
            .any(|scheme| url.starts_with(scheme)),
        "{url}"
    );
    go_duration(required(&source, "/spec/interval", FLUX_SOURCE));
    let reference = source["spec"]["ref"].as_object().expect("spec.ref");
    assert!(
        ["branch", "tag", "semver", "name", "commit"]
            .iter()
            .any(|key| reference.contains_key(*key)),
        "spec.ref names a branch, tag, semver range, name or commit"
    );
    let unknown = unknown_keys(
        &source,
        "/spec",
        &[
            "url",
            "secretRef",
            "provider",
            "serviceAccountName",
            "interval",
            "timeout",
            "ref",
            "verify",
            "proxySecretRef",
            "ignore",
            "suspend",
            "recurseSubmodules",
            "include",
            "sparseCheckout",
        ],
    );
    assert!(
        unknown.is_empty(),
        "unknown GitRepository fields {unknown:?}"
    );
}

#[test]
fn the_flux_kustomization_applies_the_shots_and_waits_long_enough_for_renders() {
    let (_, source) = document(FLUX_SOURCE);
    let (manifest, kustomization) = document(FLUX_KUSTOMIZATION);
    assert_eq!(
        kustomization["apiVersion"],
        "kustomize.toolkit.fluxcd.io/v1"
    );
    assert_eq!(kustomization["kind"], "Kustomization");
    required(&kustomization, "/metadata/name", FLUX_KUSTOMIZATION);
    let spec = &kustomization["spec"];
    assert_eq!(spec["sourceRef"]["kind"], source["kind"]);
    assert_eq!(spec["sourceRef"]["name"], source["metadata"]["name"]);
    assert_eq!(
        required(&kustomization, "/spec/path", FLUX_KUSTOMIZATION),
        format!("./{SHOTS}")
    );
    assert!(spec["prune"].is_boolean(), "spec.prune is required in v1");
    assert_eq!(
        spec["wait"], true,
        "health-checks the shots through kstatus"
    );

    let interval = go_duration(required(
        &kustomization,
        "/spec/interval",
        FLUX_KUSTOMIZATION,
    ));
    let timeout = go_duration(required(
        &kustomization,
        "/spec/timeout",
        FLUX_KUSTOMIZATION,
    ));
    assert!(
        timeout >= Duration::from_secs(3600) && timeout > interval,
        "a render takes hours: the timeout must outlast the interval"
    );
    let text = std::fs::read_to_string(repo_root().join(FLUX_KUSTOMIZATION)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.trim_start().starts_with("timeout:"))
        .unwrap();
    assert!(
        at > 0 && lines[at - 1].trim_start().starts_with('#'),
        "a comment above `timeout:` says why it is that long"
    );
    assert!(manifest.header.join(" ").contains("kstatus"));
    for dependency in spec["dependsOn"].as_array().expect("dependsOn") {
        assert!(dependency["name"].is_string(), "{dependency}");
    }
    let unknown = unknown_keys(
        &kustomization,
        "/spec",
        &[
            "commonMetadata",
            "components",
            "decryption",
            "deletionPolicy",
            "dependsOn",
            "force",
            "healthChecks",
            "healthCheckExprs",
            "ignoreMissingComponents",
            "images",
            "interval",
            "kubeConfig",
            "namePrefix",
            "nameSuffix",
            "patches",
            "path",
            "postBuild",
            "prune",
            "retryInterval",
            "serviceAccountName",
            "sourceRef",
            "suspend",
            "targetNamespace",
            "timeout",
            "wait",
        ],
    );
    assert!(
        unknown.is_empty(),
        "unknown Kustomization fields {unknown:?}"
    );
}

#[test]
fn the_argo_cd_application_syncs_the_same_shots() {
    let (_, application) = document(ARGO_CD_APPLICATION);
    assert_eq!(application["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(application["kind"], "Application");
    required(&application, "/metadata/name", ARGO_CD_APPLICATION);
    required(&application, "/spec/project", ARGO_CD_APPLICATION);
    required(&application, "/spec/source/repoURL", ARGO_CD_APPLICATION);
    assert_eq!(
        required(&application, "/spec/source/path", ARGO_CD_APPLICATION),
        SHOTS
    );
    required(
        &application,
        "/spec/destination/server",
        ARGO_CD_APPLICATION,
    );
    assert_eq!(
        application["spec"]["destination"]["namespace"],
        shots_kustomization()["namespace"],
        "the Application and the kustomization agree on the namespace"
    );
}
