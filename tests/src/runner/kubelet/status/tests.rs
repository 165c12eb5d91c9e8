//! The status a user reads back, for the situations a pod goes through.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod, PodCondition, PodStatus};
use serde_json::{Value, json};

use super::*;
use crate::runner::kubelet::state::{
    ContainerRecord, ContainerState, Disruption, PodRuntime, Termination,
};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + seconds).unwrap()
}

fn pod(spec: Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "p", "namespace": "shots", "uid": "u"},
        "spec": spec,
        "status": {"conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2023-11-14T22:13:00Z"}
        ]}
    }))
    .unwrap()
}

fn simple(restart_policy: &str) -> Pod {
    pod(
        json!({"restartPolicy": restart_policy, "containers": [{"name": "main", "image": "busybox:1.36"}]}),
    )
}

fn with_init(restart_policy: &str) -> Pod {
    pod(json!({
        "restartPolicy": restart_policy,
        "initContainers": [{"name": "fetch", "image": "busybox"}],
        "containers": [{"name": "main", "image": "busybox"}]
    }))
}

fn running(since: i64) -> ContainerRecord {
    let mut record = ContainerRecord::new(ContainerState::Running {
        started_at: at(since),
    });
    record.container_id = Some("local://42".to_owned());
    record
}

fn exited(code: i32) -> ContainerRecord {
    ContainerRecord::new(ContainerState::Terminated(Termination::exited(
        code,
        at(1),
        at(2),
        "local://42".to_owned(),
    )))
}

fn runtime(init: &[(&str, ContainerRecord)], main: &[(&str, ContainerRecord)]) -> PodRuntime {
    PodRuntime {
        init: init
            .iter()
            .map(|(name, record)| ((*name).to_owned(), record.clone()))
            .collect(),
        main: main
            .iter()
            .map(|(name, record)| ((*name).to_owned(), record.clone()))
            .collect(),
        sandbox_ready: true,
        start_time: Some(at(0)),
        terminal: false,
        disruption: None,
    }
}

fn condition<'a>(status: &'a PodStatus, type_: &str) -> &'a PodCondition {
    status
        .conditions
        .iter()
        .flatten()
        .find(|condition| condition.type_ == type_)
        .unwrap_or_else(|| panic!("no {type_} condition"))
}

fn state_of(status: &ContainerStatus) -> Value {
    serde_json::to_value(status.state.as_ref().unwrap()).unwrap()
}

fn main_status(status: &PodStatus) -> &ContainerStatus {
    &status.container_statuses.as_ref().unwrap()[0]
}

#[test]
fn a_pod_just_bound_is_pending_with_its_containers_being_created() {
    let status = build_pod_status(&simple("Never"), &runtime(&[], &[]), at(5));
    assert_eq!(status.phase.as_deref(), Some("Pending"));
    assert_eq!(
        state_of(main_status(&status)),
        json!({"waiting": {"reason": "ContainerCreating"}})
    );
    assert_eq!(main_status(&status).image, "busybox:1.36");
    let ready = condition(&status, "Ready");
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_deref()),
        ("False", Some("ContainersNotReady"))
    );
    assert_eq!(
        ready.message.as_deref(),
        Some("containers with unready status: [main]")
    );
    assert_eq!(condition(&status, "Initialized").status, "True");
    assert_eq!(condition(&status, "PodScheduled").status, "True");
    assert_eq!(status.host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(status.pod_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(status.qos_class.as_deref(), Some("BestEffort"));
    assert!(status.init_container_statuses.is_none());
}

#[test]
fn while_init_containers_run_everything_waits_on_pod_initializing() {
    let status = build_pod_status(
        &with_init("Never"),
        &runtime(&[("fetch", running(1))], &[]),
        at(5),
    );
    assert_eq!(status.phase.as_deref(), Some("Pending"));
    assert_eq!(
        state_of(main_status(&status)),
        json!({"waiting": {"reason": "PodInitializing"}})
    );
    let initialized = condition(&status, "Initialized");
    assert_eq!(initialized.status, "False");
    assert_eq!(
        initialized.reason.as_deref(),
        Some("ContainersNotInitialized")
    );
    assert_eq!(
        initialized.message.as_deref(),
        Some("containers with incomplete status: [fetch]")
    );
}

#[test]
fn a_running_container_makes_the_pod_running_and_ready() {
    let status = build_pod_status(
        &simple("Never"),
        &runtime(&[], &[("main", running(1))]),
        at(5),
    );
    assert_eq!(status.phase.as_deref(), Some("Running"));
    let main = main_status(&status);
    assert!(main.ready);
    assert_eq!(main.started, Some(true));
    assert_eq!(
        state_of(main),
        json!({"running": {"startedAt": "2023-11-14T22:13:21Z"}})
    );
    assert_eq!(condition(&status, "Ready").status, "True");
    assert_eq!(condition(&status, "ContainersReady").status, "True");
    assert_eq!(
        condition(&status, "PodReadyToStartContainers").status,
        "True"
    );
    assert_eq!(status.start_time, Some(Time(at(0))));
}

#[test]
fn a_failing_container_under_restart_policy_never_fails_the_pod() {
    let status = build_pod_status(
        &simple("Never"),
        &runtime(&[], &[("main", exited(3))]),
        at(5),
    );
    assert_eq!(status.phase.as_deref(), Some("Failed"));
    let state = state_of(main_status(&status));
    assert_eq!(state["terminated"]["exitCode"], 3);
    assert_eq!(state["terminated"]["reason"], "Error");
    assert_eq!(state["terminated"]["containerID"], "local://42");
    let ready = condition(&status, "ContainersReady");
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_deref()),
        ("False", Some("PodFailed"))
    );
}

#[test]
fn a_container_that_exits_zero_completes_the_pod() {
    let status = build_pod_status(
        &with_init("Never"),
        &runtime(&[("fetch", exited(0))], &[("main", exited(0))]),
        at(5),
    );
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    assert_eq!(
        state_of(main_status(&status))["terminated"]["reason"],
        "Completed"
    );
    assert!(
        status.init_container_statuses.as_ref().unwrap()[0].ready,
        "a completed init container is ready"
    );
    let initialized = condition(&status, "Initialized");
    assert_eq!(
        (initialized.status.as_str(), initialized.reason.as_deref()),
        ("True", Some("PodCompleted"))
    );
    assert_eq!(
        condition(&status, "Ready").reason.as_deref(),
        Some("PodCompleted")
    );
}

#[test]
fn a_failed_init_container_under_never_fails_the_pod_and_its_containers_are_unknown() {
    let mut runtime = runtime(&[("fetch", exited(1))], &[]);
    runtime.terminal = true;
    let status = build_pod_status(&with_init("Never"), &runtime, at(5));
    assert_eq!(status.phase.as_deref(), Some("Failed"));
    let state = state_of(main_status(&status));
    assert_eq!(state["terminated"]["reason"], "ContainerStatusUnknown");
    assert_eq!(state["terminated"]["exitCode"], 137);
    assert_eq!(
        condition(&status, "PodReadyToStartContainers").status,
        "False"
    );
}

#[test]
fn a_crash_looping_container_keeps_an_on_failure_pod_running() {
    let mut record = ContainerRecord::new(ContainerState::waiting(
        "CrashLoopBackOff",
        Some("back-off 10s".to_owned()),
    ));
    record.last_termination = Some(Termination::exited(
        1,
        at(1),
        at(2),
        "local://41".to_owned(),
    ));
    record.restart_count = 1;
    let status = build_pod_status(
        &simple("OnFailure"),
        &runtime(&[], &[("main", record)]),
        at(5),
    );
    assert_eq!(status.phase.as_deref(), Some("Running"));
    let main = main_status(&status);
    assert_eq!(main.restart_count, 1);
    assert_eq!(
        serde_json::to_value(main.last_state.as_ref().unwrap()).unwrap()["terminated"]["exitCode"],
        1
    );
}

#[test]
fn a_pod_deleted_before_its_container_started_ends_failed() {
    let mut runtime = runtime(&[], &[]);
    runtime.terminal = true;
    let status = build_pod_status(&simple("Always"), &runtime, at(5));
    assert_eq!(status.phase.as_deref(), Some("Failed"));
    assert_eq!(
        state_of(main_status(&status))["terminated"]["reason"],
        "ContainerStatusUnknown"
    );
}

#[test]
fn a_restart_always_pod_whose_container_handled_sigterm_ends_succeeded() {
    let mut runtime = runtime(&[], &[("main", exited(0))]);
    runtime.terminal = true;
    assert_eq!(
        build_pod_status(&simple("Always"), &runtime, at(5))
            .phase
            .as_deref(),
        Some("Succeeded")
    );
    runtime.terminal = false;
    assert_eq!(
        build_pod_status(&simple("Always"), &runtime, at(5))
            .phase
            .as_deref(),
        Some("Running"),
        "until the pod is finished, Always restarts it"
    );
}

#[test]
fn transition_times_move_only_when_a_condition_changes() {
    let mut pod = simple("Never");
    let first = build_pod_status(&pod, &runtime(&[], &[]), at(5));
    assert_eq!(
        condition(&first, "PodScheduled").last_transition_time,
        Some(Time("2023-11-14T22:13:00Z".parse().unwrap()))
    );
    pod.status = Some(first);
    let second = build_pod_status(&pod, &runtime(&[], &[("main", running(7))]), at(9));
    assert_eq!(
        condition(&second, "Ready").last_transition_time,
        Some(Time(at(9)))
    );
    assert_eq!(
        condition(&second, "Initialized").last_transition_time,
        Some(Time(at(5)))
    );
}

#[test]
fn conditions_of_other_components_are_kept_and_a_lost_node_adds_disruption() {
    let mut pod = simple("Never");
    pod.status
        .as_mut()
        .unwrap()
        .conditions
        .as_mut()
        .unwrap()
        .push(PodCondition {
            type_: "framefarm.io/Claimed".to_owned(),
            status: "True".to_owned(),
            ..PodCondition::default()
        });
    let mut runtime = runtime(&[], &[("main", exited(137))]);
    runtime.terminal = true;
    runtime.disruption = Some(Disruption {
        reason: "DeletionByTaintManager".to_owned(),
        message: "Taint manager: deleting due to NoExecute taint".to_owned(),
    });
    let status = build_pod_status(&pod, &runtime, at(5));
    assert_eq!(condition(&status, "framefarm.io/Claimed").status, "True");
    let disruption = condition(&status, "DisruptionTarget");
    assert_eq!(disruption.reason.as_deref(), Some("DeletionByTaintManager"));
    assert_eq!(status.phase.as_deref(), Some("Failed"));
}

#[test]
fn readiness_gates_hold_ready_back_until_their_condition_is_true() {
    let mut pod = pod(
        json!({"readinessGates": [{"conditionType": "framefarm.io/Warm"}], "containers": [{"name": "main"}]}),
    );
    let status = build_pod_status(&pod, &runtime(&[], &[("main", running(1))]), at(5));
    assert_eq!(
        condition(&status, "Ready").reason.as_deref(),
        Some("ReadinessGatesNotReady")
    );
    assert_eq!(condition(&status, "ContainersReady").status, "True");
    pod.status
        .as_mut()
        .unwrap()
        .conditions
        .as_mut()
        .unwrap()
        .push(PodCondition {
            type_: "framefarm.io/Warm".to_owned(),
            status: "True".to_owned(),
            ..PodCondition::default()
        });
    assert_eq!(
        condition(
            &build_pod_status(&pod, &runtime(&[], &[("main", running(1))]), at(5)),
            "Ready"
        )
        .status,
        "True"
    );
}

#[test]
fn qos_follows_requests_and_limits() {
    let container = |resources: Value| -> Container {
        serde_json::from_value(json!({"name": "c", "resources": resources})).unwrap()
    };
    let exact = container(json!({"limits": {"cpu": "1", "memory": "1Gi"}}));
    let loose = container(json!({"requests": {"cpu": "1"}}));
    let none = container(json!({}));
    assert_eq!(qos_class(std::slice::from_ref(&exact), &[]), "Guaranteed");
    assert_eq!(qos_class(&[exact, none.clone()], &[]), "Burstable");
    assert_eq!(qos_class(&[loose], &[]), "Burstable");
    assert_eq!(qos_class(&[none], &[]), "BestEffort");
}
