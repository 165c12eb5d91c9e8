//! The cluster harness and the `framefarm-dev` entry point: one call brings up the API, the
//! nodes and Garage; kubectl reaches it with default flags; waits end on the condition or say
//! what they last saw.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use framefarm_tests::cluster::{Cluster, ClusterConfig, WaitError, wait_for_condition};
use framefarm_tests::runner::LocalImage;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{
    ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
};
use serde_json::json;

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
        .display()
        .to_string()
}

fn render_shots() -> ApiResource {
    let gvk = GroupVersionKind::gvk("framefarm.io", "v1alpha1", "RenderShot");
    ApiResource::from_gvk_with_plural(&gvk, "rendershots")
}

#[tokio::test(flavor = "multi_thread")]
async fn one_call_starts_the_api_the_nodes_and_garage_and_kubectl_applies_examples() {
    let cluster = Cluster::start(ClusterConfig::default()).await.unwrap();
    let garage = cluster.garage().expect("Garage runs");
    garage.create_bucket("renders").unwrap();
    garage.put_object("renders", "probe", b"ok").unwrap();

    let nodes: Api<Node> = Api::all(cluster.client());
    let names: Vec<String> = nodes
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|node| node.metadata.name)
        .collect();
    assert_eq!(names, ["node-a", "node-b"]);

    cluster.kubectl(&["apply", "-f", &repo("crds")]).unwrap();
    let namespace = cluster.namespace("harness").await.unwrap();
    let applied = cluster
        .kubectl_apply(
            &namespace,
            Path::new(&repo("examples/blender-wasabi-cpu.yaml")),
        )
        .unwrap();
    assert_eq!(
        applied.trim(),
        "rendershot.framefarm.io/sh010-lighting-v003 created"
    );
    let again = cluster
        .kubectl_apply(
            &namespace,
            Path::new(&repo("examples/blender-wasabi-cpu.yaml")),
        )
        .unwrap();
    assert!(again.contains("unchanged"), "{again}");
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_ends_when_the_condition_turns_true_and_otherwise_says_what_it_saw() {
    let cluster = Cluster::start(ClusterConfig {
        garage: false,
        ..ClusterConfig::default()
    })
    .await
    .unwrap();
    cluster.kubectl(&["apply", "-f", &repo("crds")]).unwrap();
    let namespace = cluster.namespace("wait").await.unwrap();
    cluster
        .kubectl_apply(&namespace, Path::new(&repo("examples/suspended-shot.yaml")))
        .unwrap();
    let resource = render_shots();
    let shots: Api<DynamicObject> = Api::namespaced_with(cluster.client(), &namespace, &resource);
    let name = shots.list(&ListParams::default()).await.unwrap().items[0]
        .metadata
        .name
        .clone()
        .unwrap();

    let timed_out = wait_for_condition(
        cluster.client(),
        &resource,
        &namespace,
        &name,
        "Ready",
        Duration::from_millis(500),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(timed_out, WaitError::TimedOut { .. }),
        "{timed_out}"
    );
    assert!(
        timed_out.to_string().contains("to have Ready=True"),
        "{timed_out}"
    );

    let marking = {
        let shots = shots.clone();
        let name = name.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let status = json!({"apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot", "status": {"conditions": [{
                "type": "Ready", "status": "True", "reason": "Rendered", "message": "all frames rendered",
                "lastTransitionTime": "2026-11-21T10:00:00Z"}]}});
            shots
                .patch_status(
                    &name,
                    &PatchParams::apply("test").force(),
                    &Patch::Apply(&status),
                )
                .await
                .unwrap();
        })
    };
    let ready = wait_for_condition(
        cluster.client(),
        &resource,
        &namespace,
        &name,
        "Ready",
        Duration::from_secs(20),
    )
    .await
    .unwrap();
    marking.await.unwrap();
    assert_eq!(ready.data["status"]["conditions"][0]["reason"], "Rendered");
    cluster.stop().await;
}

#[test]
fn framefarm_dev_prints_a_kubeconfig_kubectl_can_use_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut dev = Command::new(env!("CARGO_BIN_EXE_framefarm-dev"))
        .arg("--dir")
        .arg(dir.path())
        .arg("--crds")
        .arg(repo("crds"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(dev.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line == "ready" {
            break;
        }
        printed.push(line);
    }
    let kubeconfig = printed
        .iter()
        .find_map(|line| line.strip_prefix("export KUBECONFIG="))
        .expect("the kubeconfig is printed")
        .to_owned();
    assert!(
        printed
            .iter()
            .any(|line| line.starts_with("export S3_ENDPOINT=http://127.0.0.1:"))
    );
    let env_file = std::fs::read_to_string(dir.path().join("env.sh")).unwrap();
    assert!(env_file.contains(&format!("export KUBECONFIG={kubeconfig}")));

    let get = Command::new("kubectl")
        .args(["get", "crd", "rendershots.framefarm.io", "-o", "name"])
        .env("KUBECONFIG", &kubeconfig)
        .env("KUBECACHEDIR", dir.path().join("kubectl-cache"))
        .output()
        .unwrap();
    assert!(
        get.status.success(),
        "{}",
        String::from_utf8_lossy(&get.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&get.stdout).trim(),
        "customresourcedefinition.apiextensions.k8s.io/rendershots.framefarm.io"
    );

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(dev.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = dev.wait().unwrap();
    assert!(status.success(), "framefarm-dev ended with {status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_rbac_enforced_a_pod_acts_as_its_service_account() {
    let cluster = Cluster::start(ClusterConfig {
        garage: false,
        enforce_rbac: true,
        images: vec![LocalImage::new("registry.example.com/tools/curl")],
        ..ClusterConfig::default()
    })
    .await
    .unwrap();
    let namespace = cluster.namespace("rbac").await.unwrap();
    let manifest = format!(
        "apiVersion: v1
kind: ServiceAccount
metadata: {{name: reader, namespace: {namespace}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: {namespace}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: reader, namespace: {namespace}}}
rules: [{{apiGroups: [\"\"], resources: [configmaps], verbs: [list]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: reader, namespace: {namespace}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}}
subjects: [{{kind: ServiceAccount, name: reader, namespace: {namespace}}}]
"
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), manifest).unwrap();
    cluster.kubectl_apply(&namespace, file.path()).unwrap();
    // As a client of the pod's kubeconfig sends it. (kubectl itself sends no credentials over
    // plain HTTP, so it would act as the administrator.)
    let script = r#"
server=$(sed -n 's/^ *server: //p' "$KUBECONFIG")
token=$(sed -n 's/^ *token: //p' "$KUBECONFIG")
for kind in configmaps secrets; do
  curl -sS -H "Authorization: Bearer $token" "$server/api/v1/namespaces/$NAMESPACE/$kind"
  echo
done
"#;
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "probe"},
        "spec": {
            "serviceAccountName": "reader",
            "restartPolicy": "Never",
            "containers": [{
                "name": "client",
                "image": "registry.example.com/tools/curl:8",
                "command": ["/bin/sh", "-c", script],
                "env": [{"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}]
            }]
        }
    }))
    .unwrap();
    let pods: Api<Pod> = Api::namespaced(cluster.client(), &namespace);
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let mut phase = None;
    for _ in 0..120 {
        phase = pods
            .get("probe")
            .await
            .unwrap()
            .status
            .and_then(|status| status.phase);
        if matches!(phase.as_deref(), Some("Succeeded" | "Failed")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let logs = pods.logs("probe", &Default::default()).await.unwrap();
    assert_eq!(phase.as_deref(), Some("Succeeded"), "{logs}");
    let answers: Vec<serde_json::Value> = logs
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(answers[0]["kind"], "ConfigMapList", "{logs}");
    assert_eq!(answers[0]["items"][0]["metadata"]["name"], "settings");
    assert_eq!(answers[1]["code"], 403, "{logs}");
    assert_eq!(
        answers[1]["message"],
        format!(
            "secrets is forbidden: User \"system:serviceaccount:{namespace}:reader\" cannot list resource \"secrets\" in API group \"\" in the namespace \"{namespace}\""
        )
    );
    cluster.stop().await;
}
