//! Real Helm for the chart tests, through charts/framefarm/tests/helm_tool.py in the Python
//! venv `scripts/install-deps` makes: lint, install into an emulated cluster, read a release's
//! manifest, validate manifests against the Kubernetes schemas; and reading what the chart
//! installed, or running its Deployment's pod. It does not start clusters.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use std::time::Duration;

use framefarm_crds::RenderShot;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use serde_json::Value;

use super::{Farm, condition_is};

pub const CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../charts/framefarm");
const TOOL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../charts/framefarm/tests/helm_tool.py"
);

/// The venv's Python, where `scripts/install-deps` puts it.
fn python() -> PathBuf {
    let venv = std::env::var_os("FRAMEFARM_PYTHON_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").expect("HOME is set");
            Path::new(&home).join(".cache/framefarm/python-venv")
        });
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/install-deps (it makes the venv with helm-sdkpy and \
         kubernetes-validate)",
        python.display()
    );
    python
}

/// Runs the tool with `args`, feeding `input` on stdin.
pub fn tool(args: &[&str], input: Option<&str>) -> Output {
    let mut child = Command::new(python())
        .arg(TOOL)
        .args(args)
        .env_remove("AWS_CA_BUNDLE")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the helm tool starts");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("manifest written");
    }
    child.wait_with_output().expect("the helm tool runs")
}

/// `helm install` of the chart as `release` into `namespace` with `values`; the tool's output.
pub fn try_install(kubeconfig: &Path, namespace: &str, release: &str, values: &Value) -> Output {
    let kubeconfig = kubeconfig.display().to_string();
    tool(
        &[
            "install",
            CHART,
            "--release",
            release,
            "--namespace",
            namespace,
            "--kubeconfig",
            &kubeconfig,
            "--values-json",
            &values.to_string(),
            "--json",
        ],
        None,
    )
}

/// `helm install` that must succeed; the release's objects.
pub fn install(kubeconfig: &Path, namespace: &str, release: &str, values: &Value) -> Vec<Value> {
    let output = try_install(kubeconfig, namespace, release, values);
    assert!(
        output.status.success(),
        "helm install: {}",
        describe(&output)
    );
    serde_json::from_slice(&output.stdout).expect("the manifest is a JSON list")
}

/// The YAML manifest of an installed release.
pub fn manifest_yaml(kubeconfig: &Path, namespace: &str, release: &str) -> String {
    let kubeconfig = kubeconfig.display().to_string();
    let output = tool(
        &[
            "manifest",
            "--release",
            release,
            "--namespace",
            namespace,
            "--kubeconfig",
            &kubeconfig,
        ],
        None,
    );
    assert!(
        output.status.success(),
        "helm status: {}",
        describe(&output)
    );
    String::from_utf8(output.stdout).expect("UTF-8 manifest")
}

/// Validates every object of a built-in kind in `manifest` against the Kubernetes schemas.
pub fn validate(manifest: &str) -> Output {
    tool(
        &["validate", "--kubernetes-version", "1.32"],
        Some(manifest),
    )
}

/// The objects of `kind` among `objects`.
pub fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects
        .iter()
        .filter(|object| object["kind"] == kind)
        .collect()
}

/// The one object of `kind` named `name`.
pub fn object<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|object| object["kind"] == kind && object["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} among {}", names(objects)))
}

/// `Kind/namespace/name` of each object, for messages.
pub fn names(objects: &[Value]) -> String {
    objects
        .iter()
        .map(|object| {
            format!(
                "{}/{}/{}",
                object["kind"].as_str().unwrap_or("?"),
                object["metadata"]["namespace"].as_str().unwrap_or(""),
                object["metadata"]["name"].as_str().unwrap_or("?")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Which Role or ClusterRole a binding grants to which ServiceAccount: (role kind, role,
/// account namespace, account).
pub fn binding(
    objects: &[Value],
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> (String, String, String, String) {
    let found = objects
        .iter()
        .find(|object| {
            object["kind"] == kind
                && object["metadata"]["name"] == name
                && namespace.is_none_or(|namespace| object["metadata"]["namespace"] == namespace)
        })
        .unwrap_or_else(|| panic!("no {kind} {namespace:?}/{name} among {}", names(objects)));
    let subjects = found["subjects"].as_array().unwrap();
    assert_eq!(subjects.len(), 1, "{found}");
    let text = |value: &Value| value.as_str().unwrap().to_owned();
    (
        text(&found["roleRef"]["kind"]),
        text(&found["roleRef"]["name"]),
        text(&subjects[0]["namespace"]),
        text(&subjects[0]["name"]),
    )
}

pub fn in_namespace<'a>(objects: &[&'a Value], namespace: &str) -> Vec<&'a Value> {
    objects
        .iter()
        .copied()
        .filter(|object| object["metadata"]["namespace"] == namespace)
        .collect()
}

pub async fn create_namespace(client: &kube::Client, name: &str) {
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .unwrap();
}

pub fn env_of(deployment: &Deployment) -> Vec<(String, Option<String>)> {
    let spec = deployment.spec.clone().unwrap().template.spec.unwrap();
    spec.containers[0]
        .env
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|var| (var.name, var.value))
        .collect()
}

pub fn env_value(deployment: &Deployment, name: &str) -> Option<String> {
    env_of(deployment)
        .into_iter()
        .find(|(key, _)| key == name)
        .and_then(|(_, value)| value)
}

/// A pod from the Deployment's template, as its ReplicaSet would make it.
pub fn pod_of(deployment: &Deployment, name: &str) -> Pod {
    let template = deployment.spec.clone().unwrap().template;
    let mut metadata = template.metadata.unwrap_or_default();
    metadata.name = Some(name.into());
    metadata.namespace = deployment.metadata.namespace.clone();
    Pod {
        metadata,
        spec: template.spec,
        ..Pod::default()
    }
}

/// Waits for the operator pod's /healthz and /readyz (the probes' paths) to answer 200.
pub async fn wait_until_ready(farm: &Farm, pod: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let healthy = farm.operator.try_http_get("/healthz").map(|(code, _)| code);
        let ready = farm.operator.try_http_get("/readyz").map(|(code, _)| code);
        if healthy == Some(200) && ready == Some(200) {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            print_operator_log(farm, pod);
            panic!("the operator pod is not ready: /healthz {healthy:?}, /readyz {ready:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub async fn wait_for_ready_shot(farm: &Farm, name: &str, pod: &str) -> RenderShot {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(400);
    loop {
        if let Some(shot) = farm.shots().get_opt(name).await.unwrap()
            && condition_is(&shot, "Ready", "True")
        {
            return shot;
        }
        if tokio::time::Instant::now() > deadline {
            print_operator_log(farm, pod);
            farm.dump(name).await;
            panic!("{name} is not Ready after 400 s");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub fn print_operator_log(farm: &Farm, pod: &str) {
    let logs = farm.kubectl(&["logs", pod]);
    eprintln!(
        "--- operator pod log ---\n{}{}",
        String::from_utf8_lossy(&logs.stdout),
        String::from_utf8_lossy(&logs.stderr)
    );
}
