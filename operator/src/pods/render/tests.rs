#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec, Toleration};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::*;

/// A GPU RenderJob made by the shot controller, with the user's own placement terms.
const GPU_JOB: &str = r#"
apiVersion: framefarm.io/v1alpha1
kind: RenderJob
metadata:
  name: sh020-fx-v012-0123abcd-1001
  namespace: studio
  uid: 6f1c-uid
  labels:
    framefarm.io/shot: sh020-fx-v012
spec:
  frames: "1001-1005"
  scene:
    uri: s3://studio-projects/shots/sh020/sh020_fx_v012.blend
  engine:
    blender:
      renderEngine: CYCLES
      device: OPTIX
  output:
    uri: s3://studio-renders/sh020/fx/v012/
    naming: "sh020_fx_{frame:04}"
  storage:
    provider: wasabi
    region: us-east-1
    credentialsSecret:
      name: wasabi-credentials
      accessKeyIdKey: id
  resources:
    requests:
      cpu: "4"
      memory: 24Gi
      nvidia.com/gpu: "1"
  nodeSelector:
    cloud.google.com/gke-accelerator: nvidia-l4
  tolerations:
    - key: dedicated
      operator: Equal
      value: render
      effect: NoSchedule
  affinity:
    nodeAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 10
          preference:
            matchExpressions:
              - key: topology.kubernetes.io/zone
                operator: In
                values: [us-east-1a]
  priorityClassName: render-batch
  podLabels:
    kueue.x-k8s.io/queue-name: gpu-render
  podAnnotations:
    example.com/cost-center: fx
"#;

/// A RenderJob applied on its own, with a command engine and no credentials.
const LONE_JOB: &str = r#"
apiVersion: framefarm.io/v1alpha1
kind: RenderJob
metadata:
  name: fix-101
  namespace: studio
  uid: 11-uid
spec:
  frames: "101-110"
  scene:
    uri: s3://studio-projects/scene.txt
  engine:
    command:
      image: registry.example.com/tools/convert:7
      command: ["/usr/bin/convert"]
  output:
    uri: s3://studio-renders/fix/
    naming: "fix_{frame:04}"
  storage:
    endpoint: http://10.0.0.5:9000
  serviceAccountName: studio-render
"#;

fn job(yaml: &str) -> RenderJob {
    serde_saphyr::from_str(yaml).unwrap()
}

fn build(job: &RenderJob, avoid: &[&str]) -> Pod {
    let avoid = avoid.iter().map(|node| (*node).to_owned()).collect();
    build_render_pod(job, 3, &avoid, &crate::pods::default_settings()).unwrap()
}

fn spec(pod: &Pod) -> &PodSpec {
    pod.spec.as_ref().unwrap()
}

fn render_container(pod: &Pod) -> &Container {
    let containers = &spec(pod).containers;
    assert_eq!(containers.len(), 1);
    &containers[0]
}

fn env<'a>(pod: &'a Pod, name: &str) -> Option<&'a EnvVar> {
    render_container(pod)
        .env
        .iter()
        .flatten()
        .find(|var| var.name == name)
}

fn env_value<'a>(pod: &'a Pod, name: &str) -> Option<&'a str> {
    env(pod, name).and_then(|var| var.value.as_deref())
}

#[test]
fn the_pod_is_named_after_the_job_and_attempt_and_labelled_for_the_operator() {
    let pod = build(&job(GPU_JOB), &[]);
    assert_eq!(
        pod.metadata.name.as_deref(),
        Some("sh020-fx-v012-0123abcd-1001-3")
    );
    assert_eq!(pod.metadata.namespace.as_deref(), Some("studio"));
    let labels = pod.metadata.labels.clone().unwrap();
    let expected = [
        ("framefarm.io/shot", "sh020-fx-v012"),
        ("framefarm.io/job", "sh020-fx-v012-0123abcd-1001"),
        ("framefarm.io/attempt", "3"),
        ("app.kubernetes.io/component", "render"),
        ("app.kubernetes.io/managed-by", "framefarm-operator"),
        ("kueue.x-k8s.io/queue-name", "gpu-render"),
    ];
    assert_eq!(
        labels,
        expected
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    );
    let lone = build(&job(LONE_JOB), &[]);
    assert!(
        !lone.labels().contains_key(SHOT_LABEL),
        "a job without a shot has no shot label"
    );
}

#[test]
fn the_job_owns_its_pods_and_a_job_without_identity_is_an_error() {
    let pod = build(&job(GPU_JOB), &[]);
    let owners = pod.metadata.owner_references.unwrap();
    assert_eq!(owners.len(), 1);
    let owner = &owners[0];
    assert_eq!(
        (owner.api_version.as_str(), owner.kind.as_str()),
        ("framefarm.io/v1alpha1", "RenderJob")
    );
    assert_eq!(owner.name, "sh020-fx-v012-0123abcd-1001");
    assert_eq!(owner.uid, "6f1c-uid");
    assert_eq!(owner.controller, Some(true));
    assert_eq!(owner.block_owner_deletion, Some(true));

    let mut unsaved = job(GPU_JOB);
    unsaved.metadata.uid = None;
    let error = build_render_pod(
        &unsaved,
        1,
        &BTreeSet::new(),
        &crate::pods::default_settings(),
    );
    assert_eq!(
        error.unwrap_err(),
        PodError::MissingMetadata {
            kind: "RenderJob".into(),
            name: "sh020-fx-v012-0123abcd-1001".into(),
            field: "uid",
        }
    );
}

#[test]
fn every_container_runs_restricted() {
    let settings = crate::pods::default_settings();
    let pod = build(&job(GPU_JOB), &[]);
    let pod_security = spec(&pod).security_context.clone().unwrap();
    assert_eq!(pod_security.run_as_non_root, Some(true));
    assert_eq!(pod_security.run_as_user, Some(65532));
    assert_eq!(pod_security.run_as_group, Some(65532));
    assert_eq!(pod_security.fs_group, Some(65532));
    assert_eq!(
        pod_security.seccomp_profile.unwrap().type_,
        "RuntimeDefault"
    );

    let init = spec(&pod).init_containers.clone().unwrap();
    for container in init.iter().chain([render_container(&pod)]) {
        let security = container.security_context.clone().unwrap();
        assert_eq!(security.allow_privilege_escalation, Some(false));
        assert_eq!(
            security.capabilities.unwrap().drop,
            Some(vec!["ALL".into()])
        );
        assert_eq!(security.read_only_root_filesystem, Some(true));
        assert_eq!(security.run_as_non_root, Some(true));
    }

    let writable = PodSettings {
        read_only_root_filesystem: false,
        ..settings
    };
    let pod = build_render_pod(&job(GPU_JOB), 1, &BTreeSet::new(), &writable).unwrap();
    let security = render_container(&pod).security_context.clone().unwrap();
    assert_eq!(security.read_only_root_filesystem, Some(false));
}

#[test]
fn the_agent_is_installed_into_the_engine_image_and_run_from_there() {
    let pod = build(&job(GPU_JOB), &[]);
    let init = spec(&pod).init_containers.clone().unwrap();
    assert_eq!(init.len(), 1);
    assert_eq!(init[0].name, "install-agent");
    assert_eq!(
        init[0].image,
        Some(crate::pods::default_settings().agent_image)
    );
    assert_eq!(
        init[0].command,
        Some(vec![
            "/usr/local/bin/node-agent".into(),
            "install".into(),
            "/framefarm/bin/node-agent".into()
        ])
    );
    let render = render_container(&pod);
    assert_eq!(render.name, "render");
    assert_eq!(
        render.command,
        Some(vec!["/framefarm/bin/node-agent".into(), "run".into()])
    );
    assert_eq!(
        render.image,
        Some(crate::pods::default_settings().blender_image),
        "a Blender engine without an image uses the operator's"
    );
    let lone = build(&job(LONE_JOB), &[]);
    assert_eq!(
        render_container(&lone).image.as_deref(),
        Some("registry.example.com/tools/convert:7")
    );

    let mounts: Vec<_> = render
        .volume_mounts
        .iter()
        .flatten()
        .map(|mount| (mount.name.as_str(), mount.mount_path.as_str()))
        .collect();
    assert_eq!(
        mounts,
        [
            ("agent-bin", "/framefarm/bin"),
            ("work", "/framefarm/work"),
            ("tmp", "/tmp"),
            ("cache", "/var/cache/framefarm"),
        ]
    );
    let volumes = spec(&pod).volumes.clone().unwrap();
    let cache = volumes
        .iter()
        .find(|volume| volume.name == "cache")
        .unwrap();
    let host_path = cache.host_path.clone().unwrap();
    assert_eq!(host_path.path, "/var/cache/framefarm");
    assert_eq!(host_path.type_.as_deref(), Some("DirectoryOrCreate"));
    for name in ["agent-bin", "work", "tmp"] {
        let volume = volumes.iter().find(|volume| volume.name == name).unwrap();
        assert!(volume.empty_dir.is_some(), "{name} is an emptyDir");
    }
}

#[test]
fn the_agent_learns_its_job_attempt_and_node_from_the_environment() {
    let pod = build(&job(GPU_JOB), &[]);
    assert_eq!(
        env_value(&pod, "FRAMEFARM_JOB_NAME"),
        Some("sh020-fx-v012-0123abcd-1001")
    );
    assert_eq!(env_value(&pod, "FRAMEFARM_ATTEMPT"), Some("3"));
    for (name, field) in [
        ("FRAMEFARM_JOB_NAMESPACE", "metadata.namespace"),
        ("FRAMEFARM_NODE_NAME", "spec.nodeName"),
    ] {
        let source = env(&pod, name).unwrap().value_from.clone().unwrap();
        assert_eq!(source.field_ref.unwrap().field_path, field, "{name}");
    }
    for (name, value) in [
        ("FRAMEFARM_CACHE_DIR", "/var/cache/framefarm"),
        ("FRAMEFARM_CACHE_GIB", "50"),
        ("FRAMEFARM_WORK_DIR", "/framefarm/work"),
        ("FRAMEFARM_LOG", "info"),
        ("TMPDIR", "/tmp"),
        ("HOME", "/tmp"),
    ] {
        assert_eq!(env_value(&pod, name), Some(value), "{name}");
    }
    assert_eq!(env(&pod, "FRAMEFARM_OVERWRITE"), None);

    let mut overwriting = job(GPU_JOB);
    overwriting
        .annotations_mut()
        .insert(OVERWRITE_ANNOTATION.into(), "true".into());
    let pod = build(&overwriting, &[]);
    assert_eq!(env_value(&pod, "FRAMEFARM_OVERWRITE"), Some("true"));
}

#[test]
fn storage_keys_come_from_the_named_secret_and_keys() {
    let pod = build(&job(GPU_JOB), &[]);
    for (name, key) in [
        ("AWS_ACCESS_KEY_ID", "id"),
        ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
    ] {
        let var = env(&pod, name).unwrap();
        assert_eq!(var.value, None, "{name} is never a literal");
        let secret = var.value_from.clone().unwrap().secret_key_ref.unwrap();
        assert_eq!(
            (secret.name.as_str(), secret.key.as_str()),
            ("wasabi-credentials", key)
        );
    }
    let lone = build(&job(LONE_JOB), &[]);
    assert_eq!(env(&lone, "AWS_ACCESS_KEY_ID"), None);
    assert_eq!(env(&lone, "AWS_SECRET_ACCESS_KEY"), None);
}

#[test]
fn gpu_requests_get_their_limit_and_the_gpu_taint_is_tolerated() {
    let pod = build(&job(GPU_JOB), &[]);
    let resources = render_container(&pod).resources.clone().unwrap();
    let limits = resources.limits.unwrap();
    assert_eq!(limits.get("nvidia.com/gpu"), Some(&Quantity("1".into())));
    assert!(
        !limits.contains_key("cpu") && !limits.contains_key("memory"),
        "cpu and memory requests stay without limits"
    );
    let tolerations = spec(&pod).tolerations.clone().unwrap();
    assert_eq!(
        tolerations,
        [
            Toleration {
                key: Some("dedicated".into()),
                operator: Some("Equal".into()),
                value: Some("render".into()),
                effect: Some("NoSchedule".into()),
                toleration_seconds: None,
            },
            Toleration {
                key: Some("nvidia.com/gpu".into()),
                operator: Some("Exists".into()),
                effect: Some("NoSchedule".into()),
                ..Toleration::default()
            },
        ]
    );
    let lone = build(&job(LONE_JOB), &[]);
    assert_eq!(spec(&lone).tolerations, None, "no GPU, no toleration");
}

#[test]
fn the_users_placement_is_kept_and_the_operators_preferences_are_added() {
    let pod = build(&job(GPU_JOB), &["node-b", "node-a"]);
    let spec = spec(&pod);
    assert_eq!(
        spec.node_selector
            .clone()
            .unwrap()
            .get("cloud.google.com/gke-accelerator"),
        Some(&"nvidia-l4".to_owned())
    );
    assert_eq!(spec.priority_class_name.as_deref(), Some("render-batch"));
    assert_eq!(spec.restart_policy.as_deref(), Some("Never"));
    assert_eq!(spec.termination_grace_period_seconds, Some(60));
    assert_eq!(spec.automount_service_account_token, Some(true));
    assert_eq!(
        spec.service_account_name.as_deref(),
        Some("framefarm-agent")
    );

    let affinity = spec.affinity.clone().unwrap();
    let node_terms = affinity
        .node_affinity
        .unwrap()
        .preferred_during_scheduling_ignored_during_execution
        .unwrap();
    assert_eq!(node_terms.len(), 2, "the user's term and ours");
    assert_eq!(node_terms[0].weight, 10);
    assert_eq!(node_terms[1].weight, 100);
    let avoid = &node_terms[1].preference.match_expressions.clone().unwrap()[0];
    assert_eq!(avoid.key, "kubernetes.io/hostname");
    assert_eq!(avoid.operator, "NotIn");
    assert_eq!(
        avoid.values,
        Some(vec!["node-a".into(), "node-b".into()]),
        "sorted, so the pod is the same on every reconcile"
    );
    let pod_terms = affinity
        .pod_affinity
        .unwrap()
        .preferred_during_scheduling_ignored_during_execution
        .unwrap();
    assert_eq!(pod_terms.len(), 1);
    assert_eq!(pod_terms[0].weight, 50);
    let term = &pod_terms[0].pod_affinity_term;
    assert_eq!(term.topology_key, "kubernetes.io/hostname");
    let selector = term.label_selector.clone().unwrap().match_labels.unwrap();
    assert_eq!(
        selector.get("framefarm.io/shot"),
        Some(&"sh020-fx-v012".to_owned())
    );

    let without_failures = build(&job(GPU_JOB), &[]);
    let node_terms = without_failures
        .spec
        .unwrap()
        .affinity
        .unwrap()
        .node_affinity
        .unwrap()
        .preferred_during_scheduling_ignored_during_execution
        .unwrap();
    assert_eq!(node_terms.len(), 1, "only the user's term");

    let lone = build(&job(LONE_JOB), &[]);
    assert_eq!(
        lone.spec.as_ref().unwrap().service_account_name.as_deref(),
        Some("studio-render"),
        "the spec's service account wins"
    );
    assert_eq!(lone.spec.unwrap().affinity, None);
}

#[test]
fn autoscalers_are_asked_to_keep_the_node_unless_turned_off() {
    let pod = build(&job(GPU_JOB), &[]);
    let annotations = pod.metadata.annotations.unwrap();
    assert_eq!(
        annotations
            .get("cluster-autoscaler.kubernetes.io/safe-to-evict")
            .map(String::as_str),
        Some("false")
    );
    assert_eq!(
        annotations
            .get("karpenter.sh/do-not-disrupt")
            .map(String::as_str),
        Some("true")
    );
    assert_eq!(
        annotations
            .get("example.com/cost-center")
            .map(String::as_str),
        Some("fx")
    );

    let settings = PodSettings {
        disruption_annotations: false,
        ..crate::pods::default_settings()
    };
    let pod = build_render_pod(&job(GPU_JOB), 1, &BTreeSet::new(), &settings).unwrap();
    let annotations = pod.metadata.annotations.unwrap();
    assert_eq!(annotations.len(), 1, "only the user's: {annotations:?}");
    let lone = build_render_pod(&job(LONE_JOB), 1, &BTreeSet::new(), &settings).unwrap();
    assert_eq!(lone.metadata.annotations, None);
}

#[test]
fn a_job_without_an_engine_is_an_error() {
    let mut broken = job(LONE_JOB);
    broken.spec.render.engine.command = None;
    assert_eq!(
        build_render_pod(
            &broken,
            1,
            &BTreeSet::new(),
            &crate::pods::default_settings()
        ),
        Err(PodError::NoEngine {
            namespace: "studio".into(),
            name: "fix-101".into()
        })
    );
}
