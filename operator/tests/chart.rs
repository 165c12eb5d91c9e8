//! The Helm chart `charts/framefarm` with real Helm (helm-sdkpy): it lints clean, a misspelled
//! value fails the install naming it, its RBAC grants what the code calls and no more,
//! non-default values reach the objects, the installed manifests match the Kubernetes schemas,
//! and the operator run with the settings of the chart's Deployment renders the demo shot with
//! RBAC enforced: the operator and agent pods hold only the rights the chart grants.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::collections::BTreeSet;

use framefarm_crds::RenderJob;
use framefarm_crds::shot::ShotPhase;
use framefarm_tests::blender::SceneOptions;
use framefarm_tests::emulator::Emulator;
use framefarm_tests::runner::LocalImage;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{ListParams, PostParams};
use serde_json::{Value, json};
use support::helm::{
    self, binding, create_namespace, describe, env_of, env_value, in_namespace, names, object,
    of_kind, pod_of, wait_for_ready_shot, wait_until_ready,
};
use support::operator::free_port;
use support::{AGENT_IMAGE, BUCKET, Farm};

const OPERATOR_IMAGE: &str = "registry.example.com/framefarm/operator";
const OPERATOR_PATH: &str = "/usr/local/bin/framefarm-operator";

#[test]
fn the_chart_lints_without_warnings() {
    let output = helm::tool(&["lint", helm::CHART], None);
    assert!(output.status.success(), "helm lint: {}", describe(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misspelled_or_mistyped_value_fails_the_install_naming_it() {
    let emulator = Emulator::start().await.unwrap();
    for (values, field) in [
        (json!({"operator": {"replica": 3}}), "replica"),
        (json!({"cache": {"sizeGiB": "lots"}}), "/cache/sizeGiB"),
        (json!({"rbac": {"clusterwide": true}}), "clusterwide"),
        (
            json!({"networkPolicy": {"storage": {"cidrs": ["wasabi"], "ports": [443]}}}),
            "/networkPolicy/storage/cidrs/0",
        ),
    ] {
        let output = helm::try_install(emulator.kubeconfig(), "typo", "typo", &values);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{values} was accepted");
        assert!(
            stderr.contains("schema") && stderr.contains(field),
            "the error for {values} names {field}: {stderr}"
        );
    }
}

/// What operator/src calls, namespace by namespace (see templates/rbac-operator.yaml).
fn operator_rules() -> Value {
    json!([
        {"apiGroups": ["framefarm.io"], "resources": ["rendershots"],
         "verbs": ["get", "list", "watch", "patch"]},
        {"apiGroups": ["framefarm.io"], "resources": ["renderjobs"],
         "verbs": ["get", "list", "watch", "create", "patch", "delete"]},
        {"apiGroups": ["framefarm.io"], "resources": ["rendershots/status", "renderjobs/status"],
         "verbs": ["patch"]},
        {"apiGroups": ["framefarm.io"],
         "resources": ["rendershots/finalizers", "renderjobs/finalizers"], "verbs": ["update"]},
        {"apiGroups": [""], "resources": ["pods"],
         "verbs": ["get", "list", "watch", "create", "patch", "delete"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]},
    ])
}

fn lease_rules(names: &[&str]) -> Value {
    json!([
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": names,
         "verbs": ["get", "patch"]},
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn rbac_is_namespaced_by_default_and_the_agent_may_only_read_and_patch_job_status() {
    let emulator = Emulator::start().await.unwrap();
    let objects = helm::install(emulator.kubeconfig(), "farm", "ff", &json!({}));

    assert!(
        of_kind(&objects, "ClusterRole").is_empty(),
        "{}",
        names(&objects)
    );
    assert!(of_kind(&objects, "ClusterRoleBinding").is_empty());
    let roles = of_kind(&objects, "Role");
    let roles = in_namespace(&roles, "farm");
    assert_eq!(
        roles.len(),
        3,
        "operator, its Lease and the agent: {}",
        names(&objects)
    );

    let agent = object(&objects, "Role", "ff-framefarm-agent");
    assert_eq!(
        agent["rules"],
        json!([
            {"apiGroups": ["framefarm.io"], "resources": ["renderjobs/status"],
             "verbs": ["get", "patch"]},
            {"apiGroups": ["framefarm.io"], "resources": ["rendershots/status"],
             "verbs": ["get"]}
        ]),
        "the agent's Role grants get and patch of RenderJob status and get of RenderShot status"
    );
    assert_eq!(
        binding(&objects, "RoleBinding", Some("farm"), "ff-framefarm-agent"),
        (
            "Role".into(),
            "ff-framefarm-agent".into(),
            "farm".into(),
            "framefarm-agent".into()
        )
    );
    let account = object(&objects, "ServiceAccount", "framefarm-agent");
    assert_eq!(account["metadata"]["namespace"], "farm");

    let operator = object(&objects, "Role", "ff-framefarm-operator");
    assert_eq!(operator["rules"], operator_rules());
    assert_eq!(
        binding(
            &objects,
            "RoleBinding",
            Some("farm"),
            "ff-framefarm-operator"
        ),
        (
            "Role".into(),
            "ff-framefarm-operator".into(),
            "farm".into(),
            "ff-framefarm-operator".into()
        )
    );
    let lease = object(&objects, "Role", "ff-framefarm-operator-lease");
    assert_eq!(lease["rules"], lease_rules(&["framefarm-operator"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn non_default_values_reach_the_installed_objects() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client().await.unwrap();
    for namespace in ["team-a", "team-b"] {
        create_namespace(&client, namespace).await;
    }
    let fixture = include_str!("../../charts/framefarm/tests/fixtures/servicemonitor-crd.yaml");
    let crd: CustomResourceDefinition = serde_saphyr::from_str(fixture).unwrap();
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &crd)
        .await
        .unwrap();
    let values = json!({
        "rbac": {"clusterWide": true},
        "watchNamespaces": ["team-a", "team-b"],
        "metrics": {"serviceMonitor": {"enabled": true, "labels": {"release": "prometheus"}}},
        "podDisruptionBudget": {"enabled": true},
        "operator": {"image": {"repository": "registry.example.com/ff/operator", "tag": "1.2.3"},
                     "replicas": 3},
        "agent": {"image": {"repository": "registry.example.com/ff/agent", "tag": "1.2.3"},
                  "blenderImage": "registry.example.com/blender:4.2"},
        "cache": {"sizeGiB": 7.5, "hostPath": "/mnt/nvme/framefarm"},
        "networkPolicy": {"storage": {"cidrs": ["203.0.113.0/24"], "ports": [443]}},
    });
    let objects = helm::install(emulator.kubeconfig(), "ops", "big", &values);

    // Read back from the API, not from the manifest: what the cluster holds.
    let deployment = Api::<Deployment>::namespaced(client.clone(), "ops")
        .get("big-framefarm")
        .await
        .unwrap();
    let spec = deployment.spec.clone().unwrap();
    assert_eq!(spec.replicas, Some(3));
    let container = &spec.template.spec.clone().unwrap().containers[0];
    assert_eq!(
        container.image.as_deref(),
        Some("registry.example.com/ff/operator:1.2.3")
    );
    assert_eq!(
        env_value(&deployment, "FRAMEFARM_NAMESPACE"),
        None,
        "cluster-wide watches all"
    );
    let expected = [
        (
            "FRAMEFARM_AGENT_IMAGE",
            "registry.example.com/ff/agent:1.2.3",
        ),
        (
            "FRAMEFARM_BLENDER_IMAGE",
            "registry.example.com/blender:4.2",
        ),
        ("FRAMEFARM_CACHE_GIB", "7.5"),
        ("FRAMEFARM_CACHE_HOST_PATH", "/mnt/nvme/framefarm"),
        ("FRAMEFARM_LEASE_NAMESPACE", "ops"),
    ];
    for (name, value) in expected {
        assert_eq!(
            env_value(&deployment, name).as_deref(),
            Some(value),
            "{name}"
        );
    }

    let kubectl = |args: &[&str]| {
        let output = std::process::Command::new("kubectl")
            .env("KUBECONFIG", emulator.kubeconfig())
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "kubectl {args:?}: {}",
            describe(&output)
        );
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let role = kubectl(&["get", "clusterrole", "big-framefarm-operator", "-o", "json"]);
    assert_eq!(role["rules"], operator_rules());
    assert_eq!(
        binding(
            &objects,
            "ClusterRoleBinding",
            None,
            "big-framefarm-operator"
        ),
        (
            "ClusterRole".into(),
            "big-framefarm-operator".into(),
            "ops".into(),
            "big-framefarm-operator".into()
        )
    );
    let monitor = kubectl(&[
        "-n",
        "ops",
        "get",
        "servicemonitor",
        "big-framefarm",
        "-o",
        "json",
    ]);
    assert_eq!(monitor["metadata"]["labels"]["release"], "prometheus");
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "http");
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
    let budget = kubectl(&["-n", "ops", "get", "pdb", "big-framefarm", "-o", "json"]);
    assert_eq!(budget["spec"]["minAvailable"], 1);
    for namespace in ["team-a", "team-b"] {
        let account = kubectl(&[
            "-n",
            namespace,
            "get",
            "serviceaccount",
            "framefarm-agent",
            "-o",
            "json",
        ]);
        assert_eq!(account["metadata"]["name"], "framefarm-agent");
        let agent = kubectl(&[
            "-n",
            namespace,
            "get",
            "role",
            "big-framefarm-agent",
            "-o",
            "json",
        ]);
        assert_eq!(agent["rules"][0]["resources"], json!(["renderjobs/status"]));
        let policy = kubectl(&[
            "-n",
            namespace,
            "get",
            "networkpolicy",
            "big-framefarm-render-pods",
            "-o",
            "json",
        ]);
        assert!(
            policy["spec"]["ingress"].is_null(),
            "no ingress to render pods: {policy}"
        );
        let egress = policy["spec"]["egress"].as_array().unwrap();
        assert!(
            egress
                .iter()
                .any(|rule| rule["to"][0]["ipBlock"]["cidr"] == "203.0.113.0/24"),
            "the storage CIDR: {policy}"
        );
    }
    assert!(
        of_kind(&objects, "Role")
            .iter()
            .all(|role| role["metadata"]["name"] != "big-framefarm-operator"),
        "no namespaced operator Role when cluster-wide"
    );

    let manifest = helm::manifest_yaml(emulator.kubeconfig(), "ops", "big");
    let validated = helm::validate(&manifest);
    assert!(
        validated.status.success(),
        "kubernetes-validate: {}",
        describe(&validated)
    );
    assert!(
        String::from_utf8_lossy(&validated.stdout).contains("skipped ServiceMonitor/big-framefarm")
    );
}

/// Every `FRAMEFARM_*` variable the operator reads (operator/src/config.rs).
fn operator_env_names() -> BTreeSet<String> {
    let config = include_str!("../src/config.rs");
    config
        .split("env = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_run_as_the_charts_deployment_renders_the_demo_shot() {
    let operator = env!("CARGO_BIN_EXE_framefarm-operator");
    let mut farm = Farm::start_for_chart(vec![
        LocalImage::new(OPERATOR_IMAGE)
            .with_file(OPERATOR_PATH, operator)
            .with_entrypoint([OPERATOR_PATH]),
    ])
    .await;
    let namespace = farm.namespace.clone();
    // Every emulated pod has the loopback address: a free port keeps parallel tests apart.
    let port = free_port();
    farm.operator.http_port = port;
    let (agent_repository, agent_tag) = AGENT_IMAGE.rsplit_once(':').unwrap();
    let values = json!({
        "operator": {"image": {"repository": OPERATOR_IMAGE, "tag": "test"},
                     "httpPort": port, "log": "info,framefarm_operator=debug"},
        "agent": {"image": {"repository": agent_repository, "tag": agent_tag}},
    });
    let kubeconfig = farm.cluster.kubeconfig();
    let objects = helm::install(kubeconfig, &namespace, "framefarm", &values);
    let manifest = helm::manifest_yaml(kubeconfig, &namespace, "framefarm");
    let validated = helm::validate(&manifest);
    assert!(
        validated.status.success(),
        "kubernetes-validate: {}",
        describe(&validated)
    );
    for kind in [
        "Deployment",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "Service",
        "NetworkPolicy",
    ] {
        assert!(
            !of_kind(&objects, kind).is_empty(),
            "a {kind}: {}",
            names(&objects)
        );
    }
    assert!(
        of_kind(&objects, "PodDisruptionBudget").is_empty(),
        "no PDB by default"
    );
    assert!(
        of_kind(&objects, "ServiceMonitor").is_empty(),
        "no ServiceMonitor by default"
    );

    let deployment = Api::<Deployment>::namespaced(farm.cluster.client(), &namespace)
        .get("framefarm")
        .await
        .unwrap();
    let spec = deployment.spec.clone().unwrap();
    assert_eq!(spec.replicas, Some(2));
    let pod_spec = spec.template.spec.clone().unwrap();
    let container = &pod_spec.containers[0];
    let probe_path = |probe: &Option<k8s_openapi::api::core::v1::Probe>| {
        probe
            .as_ref()
            .and_then(|probe| probe.http_get.as_ref())
            .and_then(|get| get.path.clone())
    };
    assert_eq!(
        probe_path(&container.liveness_probe).as_deref(),
        Some("/healthz")
    );
    assert_eq!(
        probe_path(&container.readiness_probe).as_deref(),
        Some("/readyz")
    );
    assert!(
        container
            .resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .is_some()
    );
    let security = container.security_context.clone().unwrap();
    assert_eq!(security.allow_privilege_escalation, Some(false));
    assert_eq!(security.read_only_root_filesystem, Some(true));
    assert_eq!(
        security.capabilities.unwrap().drop,
        Some(vec!["ALL".to_owned()])
    );
    let pod_security = pod_spec.security_context.clone().unwrap();
    assert_eq!(pod_security.run_as_non_root, Some(true));
    assert_eq!(
        pod_security.seccomp_profile.unwrap().type_,
        "RuntimeDefault"
    );
    let env: BTreeSet<String> = env_of(&deployment)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let missing: Vec<_> = operator_env_names().difference(&env).cloned().collect();
    assert!(
        missing.is_empty(),
        "settings of config.rs the chart does not pass: {missing:?}"
    );
    assert!(
        env.contains("POD_NAME"),
        "the Lease identity from the downward API"
    );
    assert_eq!(
        env_value(&deployment, "FRAMEFARM_NAMESPACE"),
        Some(namespace.clone())
    );
    assert_eq!(
        env_value(&deployment, "FRAMEFARM_LEADER_ELECTION").as_deref(),
        Some("true")
    );

    // No Deployment controller here: start one replica the way its ReplicaSet would.
    let pods = farm.pods_api();
    let pod_name = "framefarm-7d4b9c-x2x9q";
    pods.create(&PostParams::default(), &pod_of(&deployment, pod_name))
        .await
        .unwrap();
    wait_until_ready(&farm, pod_name).await;

    let scene_key = "shots/sh010/sh010_lighting_v001.blend";
    farm.upload_scene(scene_key, &SceneOptions::default());
    let demo = include_str!("../../examples/demo-shot.yaml")
        .replace("http://127.0.0.1:3900", &farm.garage().endpoint())
        .replace(
            "metadata:\n",
            &format!("metadata:\n  namespace: {namespace}\n"),
        );
    let applied = farm.apply(&demo);
    assert!(applied.status.success(), "{applied:?}");
    let shot = wait_for_ready_shot(&farm, "sh010-lighting-v001", pod_name).await;
    let status = shot.status.unwrap();
    assert_eq!(status.phase, Some(ShotPhase::Succeeded));
    assert_eq!(status.rendered_frames.as_deref(), Some("1-24"));
    let keys = farm.keys("renders/sh010/lighting/v001/");
    for frame in 1..=24 {
        let key = format!("renders/sh010/lighting/v001/sh010_{frame:04}.png");
        assert!(keys.contains(&key), "{key} in {BUCKET}: {keys:?}");
    }
    agent_may_not_read_secrets_or_job_specs(&farm, &namespace).await;
    let render_pods = farm.pods_of("sh010-lighting-v001").await;
    assert!(
        render_pods.iter().all(|pod| {
            pod.spec
                .as_ref()
                .and_then(|spec| spec.service_account_name.as_deref())
                == Some("framefarm-agent")
        }),
        "render pods run as the chart's agent ServiceAccount"
    );
}

/// The enforcement is live: the agent's ServiceAccount may read and patch job status, but
/// not list the namespace's Secrets nor get a RenderJob itself.
async fn agent_may_not_read_secrets_or_job_specs(farm: &Farm, namespace: &str) {
    let agent = farm
        .cluster
        .emulator()
        .service_account_client(namespace, "framefarm-agent")
        .await
        .unwrap();
    let user = format!("system:serviceaccount:{namespace}:framefarm-agent");
    let secrets = Api::<Secret>::namespaced(agent.clone(), namespace)
        .list(&ListParams::default())
        .await;
    match secrets {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 403, "{status:?}");
            assert_eq!(
                status.message,
                format!(
                    "secrets is forbidden: User \"{user}\" cannot list resource \"secrets\" in API group \"\" in the namespace \"{namespace}\""
                )
            );
        }
        other => panic!("listing Secrets as the agent: {other:?}"),
    }
    let job_name = Api::<RenderJob>::namespaced(farm.cluster.client(), namespace)
        .list(&ListParams::default())
        .await
        .unwrap()
        .items[0]
        .metadata
        .name
        .clone()
        .unwrap();
    let jobs = Api::<RenderJob>::namespaced(agent, namespace);
    match jobs.get(&job_name).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 403, "{status:?}");
            assert_eq!(
                status.message,
                format!(
                    "renderjobs.framefarm.io \"{job_name}\" is forbidden: User \"{user}\" cannot get resource \"renderjobs\" in API group \"framefarm.io\" in the namespace \"{namespace}\""
                )
            );
        }
        other => panic!("getting a RenderJob as the agent: {other:?}"),
    }
    let status = jobs.get_status(&job_name).await;
    assert!(status.is_ok(), "the agent reads job status: {status:?}");
}
