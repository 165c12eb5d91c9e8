use super::*;
use serde_json::json;

fn now() -> Timestamp {
    "2025-03-01T12:00:00Z".parse().unwrap()
}

/// A pod with one container `agent`, created an hour before `now()`.
fn pod(status: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "render-0", "creationTimestamp": "2025-03-01T11:00:00Z"},
        "spec": {"containers": [{"name": "agent", "image": "farm/agent"}]},
        "status": status
    })
}

fn cells(pod: &Value) -> Vec<Value> {
    pod_row(pod, now()).cells
}

/// Ready, Status and Restarts.
fn summary(pod: &Value) -> (String, String, String) {
    let cells = cells(pod);
    let text = |i: usize| cells[i].as_str().unwrap().to_owned();
    (text(1), text(2), text(3))
}

fn summary_of(ready: &str, status: &str, restarts: &str) -> (String, String, String) {
    (ready.to_owned(), status.to_owned(), restarts.to_owned())
}

fn running(ready: bool) -> Value {
    json!({"name": "agent", "ready": ready, "restartCount": 0,
           "state": {"running": {"startedAt": "2025-03-01T11:00:05Z"}}})
}

#[test]
fn columns_match_kubectl_get_pods() {
    let names: Vec<&str> = COLUMNS.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates"
        ]
    );
    let wide: Vec<i64> = COLUMNS.iter().map(|c| c.priority).collect();
    assert_eq!(wide, [0, 0, 0, 0, 0, 1, 1, 1, 1]);
    assert!(COLUMNS[6].description.contains("NodeName"));
}

#[test]
fn a_running_pod_shows_its_ready_containers_ip_and_node() {
    let mut running_pod = pod(json!({
        "phase": "Running",
        "podIPs": [{"ip": "10.0.0.7"}],
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [running(true)]
    }));
    running_pod["spec"]["nodeName"] = json!("node-a");
    assert_eq!(
        cells(&running_pod),
        [
            json!("render-0"),
            json!("1/1"),
            json!("Running"),
            json!("0"),
            json!("60m"),
            json!("10.0.0.7"),
            json!("node-a"),
            json!("<none>"),
            json!("<none>")
        ]
    );
    assert!(pod_row(&running_pod, now()).conditions.is_empty());
}

#[test]
fn a_pod_not_yet_scheduled_is_pending() {
    let pending = pod(json!({"phase": "Pending"}));
    assert_eq!(summary(&pending), summary_of("0/1", "Pending", "0"));
    assert_eq!(cells(&pending)[5], json!("<none>"));
    let gated = pod(json!({
        "phase": "Pending",
        "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]
    }));
    assert_eq!(summary(&gated).1, "SchedulingGated");
}

#[test]
fn a_waiting_container_gives_its_reason() {
    let creating = pod(json!({
        "phase": "Pending",
        "containerStatuses": [{"name": "agent", "ready": false, "restartCount": 0,
                               "state": {"waiting": {"reason": "ContainerCreating"}}}]
    }));
    assert_eq!(
        summary(&creating),
        summary_of("0/1", "ContainerCreating", "0")
    );
}

#[test]
fn terminated_containers_give_their_reason_exit_code_or_signal() {
    let terminated = |state: Value, phase: &str| {
        pod(json!({
            "phase": phase,
            "containerStatuses": [{"name": "agent", "ready": false, "restartCount": 0,
                                   "state": {"terminated": state}}]
        }))
    };
    let completed = terminated(json!({"exitCode": 0, "reason": "Completed"}), "Succeeded");
    assert_eq!(summary(&completed), summary_of("0/1", "Completed", "0"));
    let failed = terminated(json!({"exitCode": 1, "reason": "Error"}), "Failed");
    assert_eq!(summary(&failed).1, "Error");
    let bare = terminated(json!({"exitCode": 3}), "Failed");
    assert_eq!(summary(&bare).1, "ExitCode:3");
    let killed = terminated(json!({"exitCode": 137, "signal": 9}), "Failed");
    assert_eq!(summary(&killed).1, "Signal:9");
}

#[test]
fn finished_pods_carry_a_completed_row_condition() {
    let succeeded = pod(json!({"phase": "Succeeded"}));
    assert_eq!(
        pod_row(&succeeded, now()).conditions,
        [
            json!({"type": "Completed", "status": "True", "reason": "Succeeded",
                "message": "The pod has completed successfully."})
        ]
    );
    let failed = pod(json!({"phase": "Failed"}));
    assert_eq!(pod_row(&failed, now()).conditions[0]["reason"], "Failed");
}

#[test]
fn a_completed_container_beside_a_running_one_is_running_or_not_ready() {
    let mut two = pod(json!({
        "phase": "Running",
        "containerStatuses": [
            running(true),
            {"name": "upload", "ready": false, "restartCount": 0,
             "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
        ]
    }));
    two["spec"]["containers"] = json!([{"name": "agent"}, {"name": "upload"}]);
    assert_eq!(summary(&two), summary_of("1/2", "NotReady", "0"));
    two["status"]["conditions"] = json!([{"type": "Ready", "status": "True"}]);
    assert_eq!(summary(&two).1, "Running");
}

#[test]
fn init_containers_show_progress_and_failures() {
    let with_init = |init_status: Value| {
        let mut p = pod(json!({"phase": "Pending", "initContainerStatuses": [init_status]}));
        p["spec"]["initContainers"] = json!([{"name": "fetch"}]);
        p
    };
    let fetching = with_init(json!({"name": "fetch", "ready": false, "restartCount": 0,
                                    "state": {"running": {}}}));
    assert_eq!(summary(&fetching), summary_of("0/1", "Init:0/1", "0"));
    let crashing = with_init(json!({"name": "fetch", "ready": false, "restartCount": 2,
                                    "state": {"waiting": {"reason": "CrashLoopBackOff"}}}));
    assert_eq!(
        summary(&crashing),
        summary_of("0/1", "Init:CrashLoopBackOff", "2")
    );
    let failed = with_init(json!({"name": "fetch", "ready": false, "restartCount": 0,
                                  "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}));
    assert_eq!(summary(&failed).1, "Init:Error");
    let exit = with_init(json!({"name": "fetch", "ready": false, "restartCount": 0,
                                "state": {"terminated": {"exitCode": 2}}}));
    assert_eq!(summary(&exit).1, "Init:ExitCode:2");
    let initialising = with_init(json!({"name": "fetch", "ready": false, "restartCount": 0,
                                        "state": {"waiting": {"reason": "PodInitializing"}}}));
    assert_eq!(summary(&initialising).1, "Init:0/1");
}

#[test]
fn finished_init_containers_let_the_main_containers_speak() {
    let mut p = pod(json!({
        "phase": "Running",
        "initContainerStatuses": [{"name": "fetch", "ready": false, "restartCount": 1,
                                   "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
        "containerStatuses": [running(true)]
    }));
    p["spec"]["initContainers"] = json!([{"name": "fetch"}]);
    assert_eq!(summary(&p), summary_of("1/1", "Running", "0"));
}

#[test]
fn sidecar_init_containers_count_as_containers() {
    let mut p = pod(json!({
        "phase": "Running",
        "initContainerStatuses": [{"name": "proxy", "ready": true, "started": true,
                                   "restartCount": 1, "state": {"running": {}}}],
        "containerStatuses": [running(true)]
    }));
    p["spec"]["initContainers"] = json!([{"name": "proxy", "restartPolicy": "Always"}]);
    assert_eq!(summary(&p), summary_of("2/2", "Running", "1"));
}

#[test]
fn restarts_say_how_long_ago_the_last_one_was() {
    let restarted = pod(json!({
        "phase": "Running",
        "containerStatuses": [{"name": "agent", "ready": true, "restartCount": 2,
                               "state": {"running": {}},
                               "lastState": {"terminated": {"exitCode": 1,
                                             "finishedAt": "2025-03-01T11:55:00Z"}}}]
    }));
    assert_eq!(summary(&restarted).2, "2 (5m ago)");
}

#[test]
fn a_deleted_pod_is_terminating_unless_finished_or_lost() {
    let mut deleting = pod(json!({"phase": "Running", "containerStatuses": [running(true)]}));
    deleting["metadata"]["deletionTimestamp"] = json!("2025-03-01T11:59:00Z");
    assert_eq!(summary(&deleting).1, "Terminating");
    deleting["status"]["phase"] = json!("Succeeded");
    assert_eq!(summary(&deleting).1, "Succeeded");
    deleting["status"]["reason"] = json!("NodeLost");
    assert_eq!(summary(&deleting).1, "Unknown");
}

#[test]
fn readiness_gates_count_the_true_conditions() {
    let mut gated = pod(json!({
        "phase": "Running",
        "conditions": [{"type": "farm/warm", "status": "True"},
                       {"type": "farm/licensed", "status": "False"}]
    }));
    gated["spec"]["readinessGates"] =
        json!([{"conditionType": "farm/warm"}, {"conditionType": "farm/licensed"}]);
    assert_eq!(cells(&gated)[8], json!("1/2"));
}
