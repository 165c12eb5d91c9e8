//! Containers run as local processes: commands, exit codes, logs, environment, volumes,
//! images and restarts.

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

use super::farm::{Farm, as_json, node, phase_of, shell};

#[tokio::test]
async fn a_failing_command_fails_the_pod_with_its_exit_code_and_its_log() {
    let farm = Farm::start(vec![node("node-a")]).await;
    farm.create_pod(
        "hello",
        json!({"restartPolicy": "Never", "containers": [shell("echo hello; exit 3")]}),
    )
    .await;

    let pod = as_json(&farm.wait_for_phase("hello", "Failed").await);
    let terminated = &pod["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(terminated["exitCode"], 3);
    assert_eq!(terminated["reason"], "Error");
    assert!(terminated["startedAt"].is_string() && terminated["finishedAt"].is_string());
    assert_eq!(pod["spec"]["nodeName"], "node-a");
    assert_eq!(pod["status"]["podIP"], "127.0.0.1");
    assert_eq!(pod["status"]["hostIP"], "127.0.0.1");
    assert!(pod["status"]["startTime"].is_string());
    let ready = pod["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap();
    assert_eq!(ready["reason"], "PodFailed");
    assert_eq!(farm.log("hello").await, "hello\n");

    let events = farm.events_about("hello").await;
    let reasons: Vec<&str> = events
        .iter()
        .map(|event| event.split(':').next().unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["Scheduled", "Pulled", "Created", "Started"],
        "{events:?}"
    );
    assert!(
        events[0].ends_with(&format!(
            "Successfully assigned {}/hello to node-a",
            farm.namespace
        )),
        "{events:?}"
    );
}

#[tokio::test]
async fn env_comes_from_a_secret_and_the_downward_api() {
    let farm = Farm::start(vec![node("node-a")]).await;
    let secrets: Api<Secret> = Api::namespaced(farm.client.clone(), &farm.namespace);
    let secret: Secret = serde_json::from_value(
        json!({"metadata": {"name": "s3"}, "stringData": {"access-key": "AKIA123"}}),
    )
    .unwrap();
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let mut container = shell(
        "echo key=$ACCESS pod=$POD_NAME ns=$POD_NAMESPACE node=$NODE ip=$POD_IP home=$HOME kubeconfig=$KUBECONFIG",
    );
    container["env"] = json!([
        {"name": "ACCESS", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "access-key"}}},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}
    ]);
    farm.create_pod(
        "env",
        json!({"restartPolicy": "Never", "containers": [container]}),
    )
    .await;
    farm.wait_for_phase("env", "Succeeded").await;
    let log = farm.log("env").await;
    assert!(
        log.starts_with(&format!(
            "key=AKIA123 pod=env ns={} node=node-a ip=127.0.0.1 home=",
            farm.namespace
        )),
        "{log}"
    );
    assert!(log.trim_end().ends_with("/kubeconfig"), "{log}");
}

#[tokio::test]
async fn a_missing_secret_holds_the_container_with_a_config_error_until_it_exists() {
    let farm = Farm::start(vec![node("node-a")]).await;
    let mut container = shell("echo $TOKEN");
    container["env"] = json!([{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "later", "key": "token"}}}]);
    farm.create_pod(
        "waits",
        json!({"restartPolicy": "Never", "containers": [container]}),
    )
    .await;
    let pod = farm
        .wait_for("waits", "showed CreateContainerConfigError", |pod| {
            as_json(pod)["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
                == "CreateContainerConfigError"
        })
        .await;
    assert_eq!(
        as_json(&pod)["status"]["containerStatuses"][0]["state"]["waiting"]["message"],
        "secret \"later\" not found"
    );
    assert_eq!(phase_of(&pod), "Pending");

    let secrets: Api<Secret> = Api::namespaced(farm.client.clone(), &farm.namespace);
    let secret: Secret = serde_json::from_value(
        json!({"metadata": {"name": "later"}, "stringData": {"token": "t0k"}}),
    )
    .unwrap();
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    farm.wait_for_phase("waits", "Succeeded").await;
    assert_eq!(farm.log("waits").await, "t0k\n");
}

#[tokio::test]
async fn init_and_main_containers_share_an_empty_dir() {
    let farm = Farm::start(vec![node("node-a")]).await;
    let mut init = shell("echo rendered > /work/greeting");
    init["name"] = json!("prepare");
    init["volumeMounts"] = json!([{"name": "scratch", "mountPath": "/work"}]);
    let mut main = shell("cat /work/greeting");
    main["volumeMounts"] = json!([{"name": "scratch", "mountPath": "/work"}]);
    farm.create_pod(
        "shared",
        json!({"restartPolicy": "Never", "initContainers": [init], "containers": [main], "volumes": [{"name": "scratch", "emptyDir": {}}]}),
    )
    .await;
    let pod = as_json(&farm.wait_for_phase("shared", "Succeeded").await);
    assert_eq!(
        pod["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"],
        "Completed"
    );
    assert_eq!(farm.log("shared").await, "rendered\n");
    // Like the kubelet, the runner tears a terminated pod's volumes down; the pod stays.
    let volumes = farm.pod_volumes("node-a", pod["metadata"]["uid"].as_str().unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while volumes.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "{} is still there",
            volumes.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(farm.pods().get_opt("shared").await.unwrap().is_some());
}

#[tokio::test]
async fn a_host_path_is_shared_on_one_node_but_not_across_nodes() {
    let farm = Farm::start(vec![node("node-a"), node("node-b")]).await;
    let on = |node: &str, script: &str| {
        let mut container = shell(script);
        container["volumeMounts"] = json!([{"name": "cache", "mountPath": "/cache"}]);
        json!({
            "restartPolicy": "Never",
            "nodeSelector": {"kubernetes.io/hostname": node},
            "containers": [container],
            "volumes": [{"name": "cache", "hostPath": {"path": "/var/cache/frames", "type": "DirectoryOrCreate"}}]
        })
    };
    farm.create_pod("writer", on("node-a", "echo frame > /cache/f1"))
        .await;
    farm.wait_for_phase("writer", "Succeeded").await;
    farm.create_pod("same-node", on("node-a", "cat /cache/f1"))
        .await;
    farm.create_pod(
        "other-node",
        on("node-b", "test ! -e /cache/f1 && echo absent"),
    )
    .await;
    farm.wait_for_phase("same-node", "Succeeded").await;
    farm.wait_for_phase("other-node", "Succeeded").await;
    assert_eq!(farm.log("same-node").await, "frame\n");
    assert_eq!(farm.log("other-node").await, "absent\n");
    assert_eq!(
        std::fs::read_to_string(farm.host_path("node-a", "/var/cache/frames/f1")).unwrap(),
        "frame\n"
    );
}

#[tokio::test]
async fn an_unknown_image_cannot_be_pulled() {
    let farm = Farm::start(vec![node("node-a")]).await;
    farm.create_pod(
        "nope",
        json!({"containers": [{"name": "main", "image": "blender:4.2"}]}),
    )
    .await;
    let pod = farm
        .wait_for("nope", "failed to pull", |pod| {
            let reason =
                as_json(pod)["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
                    .clone();
            reason == "ErrImagePull" || reason == "ImagePullBackOff"
        })
        .await;
    let message = as_json(&pod)["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("blender:4.2"), "{message}");
    assert_eq!(phase_of(&pod), "Pending");
}

#[tokio::test]
async fn an_on_failure_container_is_restarted_until_it_succeeds() {
    let farm = Farm::start(vec![node("node-a")]).await;
    let mut container =
        shell("test -e /data/tried && echo second || { touch /data/tried; echo first; exit 1; }");
    container["volumeMounts"] = json!([{"name": "data", "mountPath": "/data"}]);
    farm.create_pod("retry", json!({"restartPolicy": "OnFailure", "containers": [container], "volumes": [{"name": "data", "emptyDir": {}}]})).await;
    let pod = as_json(&farm.wait_for_phase("retry", "Succeeded").await);
    let status = &pod["status"]["containerStatuses"][0];
    assert_eq!(status["restartCount"], 1);
    assert_eq!(status["lastState"]["terminated"]["exitCode"], 1);
    assert_eq!(farm.log("retry").await, "first\nsecond\n");
}
