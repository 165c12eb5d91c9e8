//! The imperative `kubectl create` commands a user runs before applying a RenderShot — the
//! Secret with the storage keys, a namespace, a ConfigMap, a ServiceAccount. kubectl sends
//! these as protobuf, as to a real cluster.

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, ServiceAccount};
use kube::Api;

use super::kubectl::Kubectl;
use crate::support_emulator::cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_of_the_examples_is_created_as_their_headers_say() {
    let cluster = cluster("kubectl-create").await;
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-create");

    let created = kubectl
        .run(&[
            "create",
            "secret",
            "generic",
            "wasabi-credentials",
            "--from-literal=AWS_ACCESS_KEY_ID=AKIAEXAMPLE",
            "--from-literal=AWS_SECRET_ACCESS_KEY=s3cr3t",
        ])
        .await
        .expect_success("kubectl create secret generic");
    assert_eq!(created.trim(), "secret/wasabi-credentials created");

    let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), "kubectl-create");
    let secret = secrets.get("wasabi-credentials").await.unwrap();
    assert_eq!(secret.type_.as_deref(), Some("Opaque"));
    let data = secret.data.unwrap_or_default();
    assert_eq!(data["AWS_ACCESS_KEY_ID"].0, b"AKIAEXAMPLE");
    assert_eq!(data["AWS_SECRET_ACCESS_KEY"].0, b"s3cr3t");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_config_maps_and_service_accounts_are_created() {
    let cluster = cluster("kubectl-create-more").await;
    let kubectl = Kubectl::new(&cluster.emulator, "kubectl-create-more");

    let namespace = kubectl
        .run(&["create", "namespace", "sh010"])
        .await
        .expect_success("kubectl create namespace");
    assert_eq!(namespace.trim(), "namespace/sh010 created");
    let config_map = kubectl
        .run(&[
            "create",
            "configmap",
            "settings",
            "--from-literal=quality=final",
        ])
        .await
        .expect_success("kubectl create configmap");
    assert_eq!(config_map.trim(), "configmap/settings created");
    let service_account = kubectl
        .run(&["create", "serviceaccount", "render"])
        .await
        .expect_success("kubectl create serviceaccount");
    assert_eq!(service_account.trim(), "serviceaccount/render created");

    let namespaces: Api<Namespace> = Api::all(cluster.client.clone());
    let sh010 = namespaces.get("sh010").await.unwrap();
    assert_eq!(
        sh010.status.and_then(|status| status.phase).as_deref(),
        Some("Active")
    );
    let config_maps: Api<ConfigMap> =
        Api::namespaced(cluster.client.clone(), "kubectl-create-more");
    let settings = config_maps.get("settings").await.unwrap();
    assert_eq!(settings.data.unwrap_or_default()["quality"], "final");
    let accounts: Api<ServiceAccount> =
        Api::namespaced(cluster.client.clone(), "kubectl-create-more");
    assert!(accounts.get_opt("render").await.unwrap().is_some());

    let duplicate = kubectl
        .run(&["create", "namespace", "sh010"])
        .await
        .expect_failure("creating a namespace twice");
    assert_eq!(
        duplicate.trim(),
        "Error from server (AlreadyExists): namespaces \"sh010\" already exists"
    );
}
