//! `kubectl apply` with its default flags (client-side apply, `--validate=strict`) and with
//! `--server-side`: the CRDs and every example install, re-applying is `unchanged`, an edit is
//! `configured`, a bad manifest gets the message a real cluster gives, and a second field
//! manager conflicts until it forces.

use framefarm_tests::admission::{Catalog, CauseKind};
use framefarm_tests::manifests::{Manifest, repo_root};
use serde_json::{Value, json};

use super::kubectl::{Kubectl, write_manifest};
use crate::support_emulator::{cluster, cluster_with_crds, rendershots};

/// `rendershot.framefarm.io/sh010`: how kubectl names an object it applied.
fn applied_name(document: &Value) -> String {
    let kind = document["kind"].as_str().unwrap().to_lowercase();
    let group = document["apiVersion"]
        .as_str()
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let name = document["metadata"]["name"].as_str().unwrap();
    format!("{kind}.{group}/{name}")
}

fn examples() -> Vec<Manifest> {
    Manifest::load_dir(&repo_root().join("examples")).unwrap()
}

fn relative(manifest: &Manifest) -> String {
    manifest
        .path
        .strip_prefix(repo_root())
        .unwrap()
        .display()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crds_and_every_example_apply_with_default_flags() {
    let cluster = cluster("kubectl-apply").await;
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-apply");

    let installed = kubectl
        .run(&["apply", "-f", "crds/"])
        .await
        .expect_success("applying the CRDs");
    for crd in ["renderjobs.framefarm.io", "rendershots.framefarm.io"] {
        let line = format!("customresourcedefinition.apiextensions.k8s.io/{crd} created");
        assert!(installed.contains(&line), "{installed}");
    }

    for example in examples() {
        let path = relative(&example);
        let name = applied_name(&example.documents[0]);
        let created = kubectl
            .run(&["apply", "-f", &path])
            .await
            .expect_success(&path);
        assert_eq!(created.trim(), format!("{name} created"));
        let again = kubectl
            .run(&["apply", "-f", &path])
            .await
            .expect_success(&path);
        assert_eq!(again.trim(), format!("{name} unchanged"));
    }

    let shot = &examples()[0].documents[0];
    assert_eq!(shot["metadata"]["name"], "sh010-lighting-v003");
    let mut edited = shot.clone();
    edited["spec"]["parallelism"] = json!(4);
    let scratch = tempfile::tempdir().unwrap();
    let path = write_manifest(scratch.path(), "edited.json", &edited.to_string());
    let configured = kubectl
        .run(&["apply", "-f", path.to_str().unwrap()])
        .await
        .expect_success("applying an edit");
    assert_eq!(
        configured.trim(),
        "rendershot.framefarm.io/sh010-lighting-v003 configured"
    );
    let stored = rendershots(&cluster.client, "kubectl-apply")
        .get("sh010-lighting-v003")
        .await
        .unwrap();
    assert_eq!(stored.data["spec"]["parallelism"], 4);
    assert!(
        stored.metadata.annotations.unwrap_or_default()
            ["kubectl.kubernetes.io/last-applied-configuration"]
            .contains("\"parallelism\":4"),
        "client-side apply records what it applied"
    );
}

/// What kubectl prints for a manifest the apiserver refuses: the 422 of an invalid value, or
/// the 400 of strict field validation for a field the schema does not know.
fn expected_refusal(catalog: &Catalog, manifest: &Manifest) -> Vec<String> {
    let document = &manifest.documents[0];
    let field = manifest.directive("field").unwrap();
    let rejection = catalog
        .admit(document)
        .expect_err("an admission manifest is refused");
    let cause = rejection
        .causes
        .iter()
        .find(|cause| cause.field == field)
        .unwrap();
    let kind = document["kind"].as_str().unwrap();
    let name = document["metadata"]["name"].as_str().unwrap();
    if cause.kind == CauseKind::UnknownField {
        return vec![
            "Error from server (BadRequest): error when creating".to_owned(),
            format!(
                "{kind} in version \"v1alpha1\" cannot be handled as a {kind}: strict decoding \
                 error: unknown field \"{field}\""
            ),
        ];
    }
    let mut expected = vec![
        format!("The {kind} \"{name}\" is invalid: "),
        format!("{field}: "),
    ];
    if let Some(words) = manifest.directive("message") {
        expected.push(words.trim_matches('\'').to_owned());
    }
    expected
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_manifest_prints_the_message_of_a_real_cluster() {
    let cluster = cluster_with_crds("kubectl-invalid").await;
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-invalid");
    let catalog = Catalog::from_dir(&repo_root().join("crds")).unwrap();
    let corpus = Manifest::load_dir(&repo_root().join("tests/manifests/invalid")).unwrap();

    let frames_step_zero = kubectl
        .run(&[
            "apply",
            "-f",
            "tests/manifests/invalid/frames-step-zero.yaml",
        ])
        .await
        .expect_failure("applying a zero step");
    assert_eq!(
        frames_step_zero.trim(),
        "The RenderShot \"invalid-frames-step-zero\" is invalid: spec.frames: Invalid value: \
         \"string\": a range step (the number after x) must be at least 1, e.g. 1-240x2"
    );

    let mut failures = Vec::new();
    let admission = corpus
        .iter()
        .filter(|manifest| manifest.directive("rejected-by") == Some("admission"));
    for manifest in admission {
        let path = relative(manifest);
        let outcome = kubectl.run(&["apply", "-f", &path]).await;
        if outcome.success {
            failures.push(format!("{path}: accepted: {}", outcome.stdout));
            continue;
        }
        let missing: Vec<String> = expected_refusal(&catalog, manifest)
            .into_iter()
            .filter(|text| !outcome.stderr.contains(text.as_str()))
            .collect();
        if !missing.is_empty() {
            failures.push(format!(
                "{path}: kubectl printed\n{}\nwhich lacks {missing:?}",
                outcome.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_conflicts_with_another_manager_until_it_forces() {
    let cluster = cluster_with_crds("kubectl-ssa").await;
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-ssa");
    let example = "examples/blender-wasabi-cpu.yaml";

    let applied = kubectl
        .run(&["apply", "--server-side", "-f", example])
        .await
        .expect_success("a server-side apply");
    assert_eq!(
        applied.trim(),
        "rendershot.framefarm.io/sh010-lighting-v003 serverside-applied"
    );
    let again = kubectl
        .run(&["apply", "--server-side", "-f", example])
        .await
        .expect_success("the same server-side apply");
    assert_eq!(
        again.trim(),
        "rendershot.framefarm.io/sh010-lighting-v003 serverside-applied"
    );

    let mut edited = examples()[0].documents[0].clone();
    edited["spec"]["parallelism"] = json!(4);
    let scratch = tempfile::tempdir().unwrap();
    let path = write_manifest(scratch.path(), "edited.json", &edited.to_string());
    let path = path.to_str().unwrap();
    let conflict = kubectl
        .run(&[
            "apply",
            "--server-side",
            "--field-manager=pipeline",
            "-f",
            path,
        ])
        .await
        .expect_failure("taking a field kubectl owns");
    assert!(
        conflict
            .contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.parallelism"),
        "{conflict}"
    );
    assert!(
        conflict.contains("--force-conflicts"),
        "kubectl explains the way out: {conflict}"
    );

    let forced = kubectl
        .run(&[
            "apply",
            "--server-side",
            "--field-manager=pipeline",
            "--force-conflicts",
            "-f",
            path,
        ])
        .await
        .expect_success("forcing the conflict");
    assert!(forced.contains("serverside-applied"), "{forced}");
    let stored = rendershots(&cluster.client, "kubectl-ssa")
        .get("sh010-lighting-v003")
        .await
        .unwrap();
    assert_eq!(stored.data["spec"]["parallelism"], 4);
    let managers: Vec<String> = stored
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|entry| entry.manager)
        .collect();
    assert!(managers.contains(&"pipeline".to_owned()), "{managers:?}");
}
