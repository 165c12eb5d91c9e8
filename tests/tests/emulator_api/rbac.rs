//! RBAC, opt-in: with `enforce_rbac`, a client holding a ServiceAccount token may do exactly
//! what the Roles and ClusterRoles bound to that ServiceAccount allow, and is refused the
//! rest with the apiserver's 403; requests without credentials stay the administrator's.

use framefarm_tests::emulator::{Emulator, EmulatorConfig, kubeconfig_with_token};
use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret, ServiceAccount};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use serde_json::{Value, json};

const ACCOUNT: &str = "framefarm-agent";

/// An emulator enforcing RBAC, its administrator's client, and a fresh namespace.
async fn enforcing(prefix: &str) -> (Emulator, Client, String) {
    let emulator = Emulator::start_with(EmulatorConfig {
        enforce_rbac: true,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let admin = emulator.client().await.unwrap();
    let namespace = format!("{prefix}-{}", framefarm_tests::emulator::random_suffix());
    create(
        &admin,
        None,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}),
    )
    .await;
    (emulator, admin, namespace)
}

/// Creates any object as the administrator.
async fn create(admin: &Client, namespace: Option<&str>, object: Value) {
    let object: kube::api::DynamicObject = serde_json::from_value(object).unwrap();
    let types = object.types.clone().unwrap();
    let (group, version) = types
        .api_version
        .split_once('/')
        .unwrap_or(("", &types.api_version));
    let gvk = kube::api::GroupVersionKind::gvk(group, version, &types.kind);
    let (resource, _) = kube::discovery::pinned_kind(admin, &gvk).await.unwrap();
    let api: Api<kube::api::DynamicObject> = match namespace {
        Some(namespace) => Api::namespaced_with(admin.clone(), namespace, &resource),
        None => Api::all_with(admin.clone(), &resource),
    };
    api.create(&PostParams::default(), &object).await.unwrap();
}

/// A Role with `rules` in `namespace`, bound to the ServiceAccount `ACCOUNT` there.
async fn grant(admin: &Client, namespace: &str, rules: Value) {
    create(
        admin,
        Some(namespace),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "agent"}, "rules": rules
        }),
    )
    .await;
    create(
        admin,
        Some(namespace),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "agent"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "agent"},
            "subjects": [{"kind": "ServiceAccount", "name": ACCOUNT, "namespace": namespace}]
        }),
    )
    .await;
}

/// The 403's message, or a failure naming what came back instead.
fn forbidden<T: std::fmt::Debug>(result: Result<T, kube::Error>) -> String {
    match result {
        Err(kube::Error::Api(status)) if status.code == 403 => {
            assert_eq!(status.reason, "Forbidden");
            status.message
        }
        other => panic!("expected 403 Forbidden, got {other:?}"),
    }
}

fn user(namespace: &str) -> String {
    format!("system:serviceaccount:{namespace}:{ACCOUNT}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_may_do_what_its_role_grants_and_nothing_more() {
    let (emulator, admin, namespace) = enforcing("rbac").await;
    grant(
        &admin,
        &namespace,
        json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]),
    )
    .await;
    create(
        &admin,
        Some(&namespace),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}),
    )
    .await;
    let agent = emulator
        .service_account_client(&namespace, ACCOUNT)
        .await
        .unwrap();
    let configmaps: Api<ConfigMap> = Api::namespaced(agent.clone(), &namespace);

    configmaps.get("settings").await.unwrap();
    assert_eq!(
        configmaps
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let message = forbidden(
        configmaps
            .create(
                &PostParams::default(),
                &serde_json::from_value(json!({"metadata": {"name": "new"}})).unwrap(),
            )
            .await,
    );
    assert_eq!(
        message,
        format!(
            "configmaps is forbidden: User \"{}\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"{namespace}\"",
            user(&namespace)
        )
    );
    let message = forbidden(
        Api::<Secret>::namespaced(agent.clone(), &namespace)
            .get("storage")
            .await,
    );
    assert_eq!(
        message,
        format!(
            "secrets \"storage\" is forbidden: User \"{}\" cannot get resource \"secrets\" in API group \"\" in the namespace \"{namespace}\"",
            user(&namespace)
        )
    );
    let message = forbidden(
        Api::<ConfigMap>::all(agent.clone())
            .list(&ListParams::default())
            .await,
    );
    assert!(
        message.ends_with(
            "cannot list resource \"configmaps\" in API group \"\" at the cluster scope"
        ),
        "{message}"
    );
    let message = forbidden(
        Api::<Pod>::namespaced(agent.clone(), &namespace)
            .watch(&Default::default(), "0")
            .await
            .map(|_| ()),
    );
    assert!(
        message.contains("cannot watch resource \"pods\""),
        "{message}"
    );

    // Discovery and the version are every authenticated user's.
    agent.apiserver_version().await.unwrap();
    agent.list_api_groups().await.unwrap();
    // The administrator is unaffected.
    Api::<Secret>::namespaced(admin, &namespace)
        .list(&ListParams::default())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_names_allow_the_named_object_only_and_a_list_of_it_by_field_selector() {
    let (emulator, admin, namespace) = enforcing("rbac-names").await;
    grant(
        &admin,
        &namespace,
        json!([{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
        "resourceNames": ["framefarm-operator"], "verbs": ["get", "list", "create"]}]),
    )
    .await;
    for name in ["framefarm-operator", "someone-else"] {
        create(&admin, Some(&namespace), json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name}})).await;
    }
    let agent = emulator
        .service_account_client(&namespace, ACCOUNT)
        .await
        .unwrap();
    let leases: Api<Lease> = Api::namespaced(agent, &namespace);

    leases.get("framefarm-operator").await.unwrap();
    forbidden(leases.get("someone-else").await);
    forbidden(leases.list(&ListParams::default()).await);
    let selected = leases
        .list(&ListParams::default().fields("metadata.name=framefarm-operator"))
        .await
        .unwrap();
    assert_eq!(selected.items.len(), 1);
    // A create names no object in its URL, so resourceNames never allow it.
    forbidden(
        leases
            .create(
                &PostParams::default(),
                &serde_json::from_value(json!({"metadata": {"name": "framefarm-operator-2"}}))
                    .unwrap(),
            )
            .await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_role_binding_grants_in_every_namespace_and_at_the_cluster_scope() {
    let (emulator, admin, namespace) = enforcing("rbac-cluster").await;
    let agent = emulator
        .service_account_client(&namespace, ACCOUNT)
        .await
        .unwrap();
    let namespaces: Api<Namespace> = Api::all(agent.clone());
    let message = forbidden(namespaces.list(&ListParams::default()).await);
    assert_eq!(
        message,
        format!(
            "namespaces is forbidden: User \"{}\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope",
            user(&namespace)
        )
    );
    create(&admin, None, json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "reader"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["list"]}]})).await;
    create(&admin, None, json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": ACCOUNT, "namespace": namespace}]})).await;

    namespaces.list(&ListParams::default()).await.unwrap();
    Api::<Secret>::namespaced(agent.clone(), "default")
        .list(&ListParams::default())
        .await
        .unwrap();
    forbidden(Api::<Secret>::namespaced(agent, "default").get("any").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_request_issues_a_token_of_an_existing_service_account_and_unknown_tokens_get_401()
{
    let (emulator, admin, namespace) = enforcing("rbac-tokens").await;
    let accounts: Api<ServiceAccount> = Api::namespaced(admin.clone(), &namespace);
    let missing = accounts
        .create_subresource::<_, TokenRequest>(
            "token",
            ACCOUNT,
            &PostParams::default(),
            &TokenRequest::default(),
        )
        .await;
    assert!(
        matches!(missing, Err(kube::Error::Api(ref status)) if status.code == 404),
        "{missing:?}"
    );
    create(
        &admin,
        Some(&namespace),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": ACCOUNT}}),
    )
    .await;
    let issued = accounts
        .create_subresource::<_, TokenRequest>(
            "token",
            ACCOUNT,
            &PostParams::default(),
            &TokenRequest::default(),
        )
        .await
        .unwrap();
    let token = issued.status.unwrap().token;

    let agent = client_with_token(&emulator, &namespace, &token).await;
    let message = forbidden(
        Api::<Pod>::namespaced(agent, &namespace)
            .list(&ListParams::default())
            .await,
    );
    assert!(message.contains(&user(&namespace)), "{message}");
    let stranger = client_with_token(&emulator, &namespace, "framefarm-emulator.forged").await;
    match stranger.apiserver_version().await {
        Err(kube::Error::Api(status)) => {
            assert_eq!((status.code, status.reason.as_str()), (401, "Unauthorized"));
        }
        other => panic!("expected 401 Unauthorized, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_enforcement_a_service_account_token_is_allowed_everything() {
    let emulator = Emulator::start().await.unwrap();
    let agent = emulator
        .service_account_client("default", ACCOUNT)
        .await
        .unwrap();
    Api::<Secret>::namespaced(agent, "default")
        .list(&ListParams::default())
        .await
        .unwrap();
}

async fn client_with_token(emulator: &Emulator, namespace: &str, token: &str) -> Client {
    let text = kubeconfig_with_token(&emulator.url(), namespace, token);
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&text).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}
