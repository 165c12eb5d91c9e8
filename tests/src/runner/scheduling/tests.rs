//! The scheduler's choices, as a user of a cluster would describe them.

use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::{Value, json};

use super::*;

fn node(name: &str, labels: Value, allocatable: Value) -> Node {
    node_with(name, labels, allocatable, json!([]), "True")
}

fn node_with(name: &str, labels: Value, allocatable: Value, taints: Value, ready: &str) -> Node {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {"taints": taints},
        "status": {
            "allocatable": allocatable,
            "conditions": [{"type": "Ready", "status": ready}]
        }
    }))
    .unwrap()
}

fn small(name: &str) -> Node {
    node(
        name,
        json!({}),
        json!({"cpu": "2", "memory": "4Gi", "pods": "110"}),
    )
}

fn pod(name: &str, spec: Value) -> Pod {
    let mut spec = spec;
    if spec.get("containers").is_none() {
        spec["containers"] = json!([{"name": "main", "image": "busybox"}]);
    }
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "shots", "labels": {"app": name}},
        "spec": spec
    }))
    .unwrap()
}

fn placed(name: &str, node: &str, namespace: &str, cpu: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": "cache"}},
        "spec": {
            "nodeName": node,
            "containers": [{"name": "main", "image": "busybox", "resources": {"requests": {"cpu": cpu}}}]
        },
        "status": {"phase": "Running"}
    }))
    .unwrap()
}

fn decide(pod: &Pod, nodes: &[Node], placed: &[Pod]) -> Decision {
    schedule(pod, &Cluster { nodes, placed })
}

fn bound_to(node: &str) -> Decision {
    Decision::Bind {
        node: node.to_owned(),
    }
}

fn message_of(decision: Decision) -> String {
    match decision {
        Decision::Unschedulable { message } => message,
        Decision::Bind { node } => panic!("expected the pod to stay pending, it went to {node}"),
    }
}

#[test]
fn a_gpu_request_with_no_gpu_node_stays_pending_with_the_schedulers_message() {
    let gpu_pod = pod(
        "render",
        json!({"containers": [{"name": "r", "image": "blender", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}),
    );
    let message = message_of(decide(&gpu_pod, &[small("a"), small("b")], &[]));
    assert_eq!(
        message,
        "0/2 nodes are available: 2 Insufficient nvidia.com/gpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
    );
}

#[test]
fn a_gpu_request_goes_to_the_node_with_a_free_gpu() {
    let gpu_node = node(
        "gpu",
        json!({}),
        json!({"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"}),
    );
    let gpu_pod = pod(
        "render",
        json!({"containers": [{"name": "r", "image": "blender", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}),
    );
    assert_eq!(
        decide(&gpu_pod, &[small("a"), gpu_node.clone()], &[]),
        bound_to("gpu")
    );

    let holder: Pod = serde_json::from_value(json!({
        "metadata": {"name": "holder", "namespace": "shots"},
        "spec": {"nodeName": "gpu", "containers": [{"name": "r", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}
    }))
    .unwrap();
    let message = message_of(decide(&gpu_pod, &[gpu_node], &[holder]));
    assert!(
        message.starts_with("0/1 nodes are available: 1 Insufficient nvidia.com/gpu."),
        "{message}"
    );
}

#[test]
fn pods_already_placed_use_up_cpu() {
    let busy = [placed("p1", "a", "shots", "1500m")];
    let wants_one_core = pod(
        "job",
        json!({"containers": [{"name": "m", "resources": {"requests": {"cpu": "1"}}}]}),
    );
    assert_eq!(
        decide(&wants_one_core, &[small("a"), small("b")], &busy),
        bound_to("b")
    );
    let message = message_of(decide(&wants_one_core, &[small("a")], &busy));
    assert!(message.contains("1 Insufficient cpu"), "{message}");
}

#[test]
fn a_node_selector_picks_labelled_nodes_only() {
    let gpu = node("gpu-1", json!({"pool": "gpu"}), json!({"cpu": "2"}));
    let selecting = pod("job", json!({"nodeSelector": {"pool": "gpu"}}));
    assert_eq!(
        decide(&selecting, &[small("a"), gpu], &[]),
        bound_to("gpu-1")
    );
    let message = message_of(decide(&selecting, &[small("a")], &[]));
    assert_eq!(
        message,
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    );
}

#[test]
fn required_node_affinity_uses_its_operators_and_any_term_suffices() {
    let big = node("big", json!({"cores": "32"}), json!({"cpu": "2"}));
    let tiny = node("tiny", json!({"cores": "2"}), json!({"cpu": "2"}));
    let affinity = pod(
        "job",
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["16"]}]},
            {"matchExpressions": [{"key": "zone", "operator": "Exists"}]}
        ]}}}}),
    );
    assert_eq!(
        decide(&affinity, &[tiny.clone(), big], &[]),
        bound_to("big")
    );
    assert!(matches!(
        decide(&affinity, &[tiny], &[]),
        Decision::Unschedulable { .. }
    ));
}

#[test]
fn an_untolerated_taint_keeps_pods_away_and_a_toleration_lets_them_in() {
    let tainted = node_with(
        "gpu",
        json!({}),
        json!({"cpu": "2"}),
        json!([{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]),
        "True",
    );
    let plain = pod("job", json!({}));
    let message = message_of(decide(&plain, std::slice::from_ref(&tainted), &[]));
    assert!(
        message.contains("1 node(s) had untolerated taint {nvidia.com/gpu: true}"),
        "{message}"
    );

    let tolerating = pod(
        "job",
        json!({"tolerations": [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]}),
    );
    assert_eq!(
        decide(&tolerating, std::slice::from_ref(&tainted), &[]),
        bound_to("gpu")
    );
    let wrong_value = pod(
        "job",
        json!({"tolerations": [{"key": "nvidia.com/gpu", "value": "false"}]}),
    );
    assert!(matches!(
        decide(&wrong_value, std::slice::from_ref(&tainted), &[]),
        Decision::Unschedulable { .. }
    ));
    let tolerates_everything = pod("job", json!({"tolerations": [{"operator": "Exists"}]}));
    assert_eq!(
        decide(&tolerates_everything, &[tainted], &[]),
        bound_to("gpu")
    );
}

#[test]
fn prefer_no_schedule_taints_only_steer() {
    let soft = node_with(
        "soft",
        json!({}),
        json!({"cpu": "2"}),
        json!([{"key": "spot", "effect": "PreferNoSchedule"}]),
        "True",
    );
    assert_eq!(
        decide(&pod("job", json!({})), &[soft.clone(), small("z")], &[]),
        bound_to("z")
    );
    assert_eq!(
        decide(&pod("job", json!({})), &[soft], &[]),
        bound_to("soft")
    );
}

#[test]
fn a_node_that_is_not_ready_takes_no_pods() {
    let lost = node_with("lost", json!({}), json!({"cpu": "2"}), json!([]), "Unknown");
    let message = message_of(decide(&pod("job", json!({})), &[lost], &[]));
    assert!(
        message.contains("1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }"),
        "{message}"
    );
    let not_ready = node_with("new", json!({}), json!({"cpu": "2"}), json!([]), "False");
    let message = message_of(decide(&pod("job", json!({})), &[not_ready], &[]));
    assert!(
        message.contains("{node.kubernetes.io/not-ready: }"),
        "{message}"
    );
}

#[test]
fn a_cordoned_node_is_unschedulable() {
    let mut cordoned = small("a");
    cordoned.spec.get_or_insert_default().unschedulable = Some(true);
    let message = message_of(decide(&pod("job", json!({})), &[cordoned], &[]));
    assert!(
        message.starts_with("0/1 nodes are available: 1 node(s) were unschedulable."),
        "{message}"
    );
}

#[test]
fn the_pod_limit_of_a_node_counts() {
    let one_pod = node("a", json!({}), json!({"cpu": "2", "pods": "1"}));
    let message = message_of(decide(
        &pod("job", json!({})),
        &[one_pod],
        &[placed("p", "a", "shots", "0")],
    ));
    assert!(message.contains("1 Too many pods"), "{message}");
}

#[test]
fn ties_go_to_the_node_with_fewer_pods_then_to_the_first_name() {
    let busy = [placed("p", "a", "shots", "0")];
    assert_eq!(
        decide(&pod("job", json!({})), &[small("a"), small("b")], &busy),
        bound_to("b")
    );
    assert_eq!(
        decide(&pod("job", json!({})), &[small("b"), small("a")], &[]),
        bound_to("a")
    );
}

#[test]
fn preferred_node_affinity_outweighs_fewer_pods() {
    let preferred = node("fast", json!({"disk": "ssd"}), json!({"cpu": "4"}));
    let busy = [placed("p", "fast", "shots", "0")];
    let preferring = pod(
        "job",
        json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}}
        ]}}}),
    );
    assert_eq!(
        decide(&preferring, &[small("a"), preferred], &busy),
        bound_to("fast")
    );
}

fn cache_affinity(kind: &str, required: bool) -> Value {
    let term = json!({"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname"});
    let rules = if required {
        json!({"requiredDuringSchedulingIgnoredDuringExecution": [term]})
    } else {
        json!({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]})
    };
    json!({"affinity": {kind: rules}})
}

fn host(name: &str) -> Node {
    node(
        name,
        json!({"kubernetes.io/hostname": name}),
        json!({"cpu": "4"}),
    )
}

#[test]
fn preferred_pod_affinity_follows_matching_pods_in_the_same_namespace() {
    let nodes = [host("a"), host("b")];
    let near_cache = pod("job", cache_affinity("podAffinity", false));
    let cache_on_b = [placed("cache", "b", "shots", "0")];
    assert_eq!(decide(&near_cache, &nodes, &cache_on_b), bound_to("b"));
    let cache_elsewhere = [placed("cache", "b", "other", "0")];
    assert_eq!(
        decide(&near_cache, &nodes, &cache_elsewhere),
        bound_to("a"),
        "a pod in another namespace does not attract"
    );
}

#[test]
fn required_pod_anti_affinity_avoids_nodes_with_matching_pods() {
    let nodes = [host("a"), host("b")];
    let apart = pod("job", cache_affinity("podAntiAffinity", true));
    assert_eq!(
        decide(&apart, &nodes, &[placed("cache", "a", "shots", "0")]),
        bound_to("b")
    );
    let everywhere = [
        placed("c1", "a", "shots", "0"),
        placed("c2", "b", "shots", "0"),
    ];
    let message = message_of(decide(&apart, &nodes, &everywhere));
    assert!(
        message.contains("2 node(s) didn't match pod anti-affinity rules"),
        "{message}"
    );
}

#[test]
fn required_pod_affinity_needs_a_matching_pod_in_the_domain() {
    let nodes = [host("a"), host("b")];
    let together = pod("job", cache_affinity("podAffinity", true));
    assert_eq!(
        decide(&together, &nodes, &[placed("cache", "b", "shots", "0")]),
        bound_to("b")
    );
    let message = message_of(decide(&together, &nodes, &[]));
    assert!(
        message.contains("2 node(s) didn't match pod affinity rules"),
        "{message}"
    );
}

#[test]
fn no_nodes_at_all_is_reported_as_such() {
    assert_eq!(
        message_of(decide(&pod("job", json!({})), &[], &[])),
        "no nodes available to schedule pods"
    );
}

#[test]
fn only_unbound_live_pods_of_the_default_scheduler_are_scheduled() {
    assert!(wants_scheduling(&pod("job", json!({}))));
    assert!(!wants_scheduling(&placed("p", "a", "shots", "0")));
    assert!(!wants_scheduling(&pod(
        "job",
        json!({"schedulerName": "volcano"})
    )));
    let mut deleting = pod("job", json!({}));
    deleting.metadata.deletion_timestamp = Some(
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::UNIX_EPOCH),
    );
    assert!(!wants_scheduling(&deleting));
}

#[test]
fn finished_pods_free_their_node() {
    let mut finished = placed("p", "a", "shots", "2");
    assert!(occupies_node(&finished));
    finished.status.get_or_insert_default().phase = Some("Succeeded".to_owned());
    assert!(!occupies_node(&finished));
}
