//! What the emulator conformance suites share: an emulator with a client, a fresh namespace
//! per test, the repository's CRDs installed through the API, and the example RenderShot.
//! Assertions live in the suites; nothing here decides whether a test passes.

use std::future::Future;
use std::time::Duration;

use framefarm_tests::emulator::Emulator;
use framefarm_tests::manifests::{Manifest, repo_root};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, PostParams};
use kube::{Api, Client};
use serde_json::{Value, json};

/// How long a test waits for something the emulator does at once.
pub const PROMPTLY: Duration = Duration::from_secs(10);

/// A running emulator and a client built from its kubeconfig.
pub struct Cluster {
    pub emulator: Emulator,
    pub client: Client,
}

/// Starts an emulator and creates the namespace the test works in.
pub async fn cluster(namespace: &str) -> Cluster {
    let emulator = Emulator::start().await.expect("the emulator starts");
    let client = emulator
        .client()
        .await
        .expect("a client from its kubeconfig");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let body: Namespace =
        serde_json::from_value(json!({"metadata": {"name": namespace}})).expect("a namespace");
    namespaces
        .create(&PostParams::default(), &body)
        .await
        .expect("the test namespace is created");
    Cluster { emulator, client }
}

/// Starts an emulator with the repository's CRDs installed.
pub async fn cluster_with_crds(namespace: &str) -> Cluster {
    let cluster = cluster(namespace).await;
    install_crds(&cluster.client).await;
    cluster
}

/// Creates every CRD under `crds/` through the API, as `kubectl apply -f crds/` would.
pub async fn install_crds(client: &Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let manifests = Manifest::load_dir(&repo_root().join("crds")).expect("the CRDs load");
    for document in manifests.iter().flat_map(|m| m.documents.iter()) {
        let crd: CustomResourceDefinition =
            serde_json::from_value(document.clone()).expect("a CRD document");
        crds.create(&PostParams::default(), &crd)
            .await
            .expect("the CRD is accepted");
    }
}

pub fn rendershot_type() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("framefarm.io", "v1alpha1", "RenderShot"),
        "rendershots",
    )
}

/// RenderShots of a namespace, as untyped objects so tests can send what the types forbid.
pub fn rendershots(client: &Client, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), namespace, &rendershot_type())
}

/// The documented CPU example, renamed.
pub fn example_shot(name: &str) -> Value {
    let manifest = Manifest::load(&repo_root().join("examples/blender-wasabi-cpu.yaml"))
        .expect("the example loads");
    let mut shot = manifest.documents[0].clone();
    shot["metadata"]["name"] = json!(name);
    shot
}

pub fn dynamic(object: Value) -> DynamicObject {
    serde_json::from_value(object).expect("a Kubernetes object")
}

/// Awaits `future`, failing the test when it takes longer than [`PROMPTLY`].
pub async fn promptly<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PROMPTLY, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Polls `check` until it returns `Some`, failing the test after [`PROMPTLY`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    promptly(what, async {
        loop {
            if let Some(found) = check().await {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

/// The `Status` a refused request answered with.
pub fn refusal<T: std::fmt::Debug>(result: Result<T, kube::Error>) -> Box<kube::core::Status> {
    match result {
        Err(kube::Error::Api(status)) => status,
        other => panic!("expected the apiserver to refuse the request, got {other:?}"),
    }
}

/// An answer read without kube's decoding, to see its code and `Warning` headers.
#[derive(Debug)]
pub struct RawAnswer {
    pub code: u16,
    pub warnings: Vec<String>,
    pub body: Value,
}

/// Sends a JSON request to `path_and_query` and returns the answer as it came.
pub async fn send_json(
    client: &Client,
    method: &str,
    path_and_query: &str,
    body: &Value,
) -> RawAnswer {
    let request = axum::http::Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(kube::client::Body::from(body.to_string().into_bytes()))
        .expect("a request");
    let response = client.send(request).await.expect("the emulator answers");
    let code = response.status().as_u16();
    let warnings = response
        .headers()
        .get_all("warning")
        .iter()
        .map(|value| value.to_str().expect("a text header").to_owned())
        .collect();
    let bytes = response
        .into_body()
        .collect_bytes()
        .await
        .expect("the answer's body");
    let body = serde_json::from_slice(&bytes).expect("a JSON answer");
    RawAnswer {
        code,
        warnings,
        body,
    }
}

/// A client that gives up at once on 429 and 503, as kube's default client retries them for
/// minutes; tests that expect such an answer use it.
pub async fn client_without_retries(emulator: &Emulator) -> Client {
    let kubeconfig =
        kube::config::Kubeconfig::read_from(emulator.kubeconfig()).expect("the kubeconfig");
    let mut config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .expect("a client configuration");
    config.default_retry = false;
    Client::try_from(config).expect("a client")
}
