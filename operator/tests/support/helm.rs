//! Real Helm for the chart tests, through charts/framefarm/tests/helm_tool.py in the Python
//! venv `scripts/install-deps` makes: lint, install into an emulated cluster, read a release's
//! manifest, validate manifests against the Kubernetes schemas. It does not start clusters.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

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
