use super::*;
use serde_json::json;

fn now() -> Timestamp {
    "2025-03-01T12:00:00Z".parse().unwrap()
}

fn column_names(printer: &Printer) -> Vec<&str> {
    printer.columns.iter().map(|c| c.name.as_str()).collect()
}

fn metadata(name: &str) -> Value {
    json!({"name": name, "creationTimestamp": "2025-02-27T08:00:00Z"})
}

#[test]
fn nodes_show_readiness_roles_and_versions() {
    let printer = node();
    assert_eq!(
        column_names(&printer),
        [
            "Name",
            "Status",
            "Roles",
            "Age",
            "Version",
            "Internal-IP",
            "External-IP",
            "OS-Image",
            "Kernel-Version",
            "Container-Runtime"
        ]
    );
    let mut worker = json!({
        "metadata": metadata("node-a"),
        "spec": {},
        "status": {
            "conditions": [{"type": "MemoryPressure", "status": "False"},
                           {"type": "Ready", "status": "True"}],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.2"}],
            "nodeInfo": {"kubeletVersion": "v1.32.4", "osImage": "Debian"}
        }
    });
    worker["metadata"]["labels"] = json!({
        "node-role.kubernetes.io/render": "",
        "node-role.kubernetes.io/gpu": "",
        "kubernetes.io/role": "worker"
    });
    assert_eq!(
        printer.row(&worker, now()).cells,
        [
            json!("node-a"),
            json!("Ready"),
            json!("gpu,render,worker"),
            json!("2d4h"),
            json!("v1.32.4"),
            json!("10.0.0.2"),
            json!("<none>"),
            json!("Debian"),
            json!("<unknown>"),
            json!("<unknown>")
        ]
    );
    worker["spec"]["unschedulable"] = json!(true);
    worker["status"]["conditions"][1]["status"] = json!("Unknown");
    let cells = printer.row(&worker, now()).cells;
    assert_eq!(cells[1], json!("NotReady,SchedulingDisabled"));
    let bare = json!({"metadata": {"name": "new"}});
    let cells = printer.row(&bare, now()).cells;
    assert_eq!(
        (&cells[1], &cells[2], &cells[3]),
        (&json!("Unknown"), &json!("<none>"), &json!("<unknown>"))
    );
}

#[test]
fn namespaces_show_their_phase() {
    let printer = namespace();
    assert_eq!(column_names(&printer), ["Name", "Status", "Age"]);
    let farm = json!({"metadata": metadata("farm"), "status": {"phase": "Active"}});
    assert_eq!(
        printer.row(&farm, now()).cells,
        [json!("farm"), json!("Active"), json!("2d4h")]
    );
}

#[test]
fn core_events_show_when_what_and_where() {
    let printer = event("");
    assert_eq!(
        column_names(&printer),
        [
            "Last Seen",
            "Type",
            "Reason",
            "Object",
            "Subobject",
            "Source",
            "Message",
            "First Seen",
            "Count",
            "Name"
        ]
    );
    assert_eq!(printer.columns[9].priority, 1);
    let scheduled = json!({
        "metadata": {"name": "render-0.1"},
        "type": "Normal",
        "reason": "Scheduled",
        "message": "Successfully assigned farm/render-0 to node-a\n",
        "involvedObject": {"kind": "Pod", "name": "render-0", "fieldPath": "spec.containers{agent}"},
        "source": {"component": "default-scheduler"},
        "firstTimestamp": "2025-03-01T11:50:00Z",
        "lastTimestamp": "2025-03-01T11:59:00Z",
        "count": 3
    });
    assert_eq!(
        printer.row(&scheduled, now()).cells,
        [
            json!("60s"),
            json!("Normal"),
            json!("Scheduled"),
            json!("pod/render-0"),
            json!("spec.containers{agent}"),
            json!("default-scheduler"),
            json!("Successfully assigned farm/render-0 to node-a"),
            json!("10m"),
            json!(3),
            json!("render-0.1")
        ]
    );
}

#[test]
fn events_without_timestamps_or_count_fall_back() {
    let printer = event("");
    let singleton = json!({
        "metadata": {"name": "e"},
        "eventTime": "2025-03-01T11:59:30.000000Z",
        "involvedObject": {"kind": "Namespace"},
        "reportingController": "framefarm-operator",
        "reportingInstance": "operator-0"
    });
    let cells = printer.row(&singleton, now()).cells;
    assert_eq!(cells[0], json!("30s"));
    assert_eq!(cells[3], json!("namespace"));
    assert_eq!(cells[5], json!("framefarm-operator, operator-0"));
    assert_eq!(cells[7], json!("30s"));
    assert_eq!(cells[8], json!(1));
    let series = json!({
        "metadata": {"name": "e"},
        "firstTimestamp": "2025-03-01T11:00:00Z",
        "series": {"count": 7, "lastObservedTime": "2025-03-01T11:58:00.000000Z"}
    });
    let cells = printer.row(&series, now()).cells;
    assert_eq!((&cells[0], &cells[8]), (&json!("2m"), &json!(7)));
}

#[test]
fn events_k8s_io_events_print_as_core_events() {
    let printer = event("events.k8s.io");
    let failed = json!({
        "metadata": {"name": "sh010.1"},
        "type": "Warning",
        "reason": "RenderFailed",
        "note": "frame 12 failed",
        "regarding": {"kind": "RenderShot", "name": "sh010"},
        "eventTime": "2025-03-01T11:59:00.000000Z",
        "reportingController": "framefarm.io/operator",
        "reportingInstance": ""
    });
    assert_eq!(
        printer.row(&failed, now()).cells,
        [
            json!("60s"),
            json!("Warning"),
            json!("RenderFailed"),
            json!("rendershot/sh010"),
            json!(""),
            json!("framefarm.io/operator"),
            json!("frame 12 failed"),
            json!("60s"),
            json!(1),
            json!("sh010.1")
        ]
    );
}

#[test]
fn secrets_config_maps_and_service_accounts_count_their_entries() {
    let token = json!({"metadata": metadata("s3"), "type": "Opaque",
                       "data": {"access": "YQ==", "secret": "Yg=="}});
    assert_eq!(column_names(&secret()), ["Name", "Type", "Data", "Age"]);
    assert_eq!(
        secret().row(&token, now()).cells,
        [json!("s3"), json!("Opaque"), json!(2), json!("2d4h")]
    );
    let map = json!({"metadata": metadata("settings"), "data": {"a": "1"},
                     "binaryData": {"b": "AA=="}});
    assert_eq!(column_names(&config_map()), ["Name", "Data", "Age"]);
    assert_eq!(config_map().row(&map, now()).cells[1], json!(2));
    let account = json!({"metadata": metadata("operator")});
    assert_eq!(column_names(&service_account()), ["Name", "Secrets", "Age"]);
    assert_eq!(service_account().row(&account, now()).cells[1], json!(0));
}

#[test]
fn services_show_addresses_and_ports_by_type() {
    let printer = service();
    assert_eq!(
        column_names(&printer),
        [
            "Name",
            "Type",
            "Cluster-IP",
            "External-IP",
            "Port(s)",
            "Age",
            "Selector"
        ]
    );
    let mut metrics = json!({
        "metadata": metadata("metrics"),
        "spec": {
            "type": "ClusterIP",
            "clusterIPs": ["10.96.0.10"],
            "ports": [{"port": 8080, "protocol": "TCP"}],
            "selector": {"app": "operator"}
        }
    });
    assert_eq!(
        printer.row(&metrics, now()).cells,
        [
            json!("metrics"),
            json!("ClusterIP"),
            json!("10.96.0.10"),
            json!("<none>"),
            json!("8080/TCP"),
            json!("2d4h"),
            json!("app=operator")
        ]
    );
    metrics["spec"]["type"] = json!("NodePort");
    metrics["spec"]["ports"][0]["nodePort"] = json!(30080);
    assert_eq!(
        printer.row(&metrics, now()).cells[4],
        json!("8080:30080/TCP")
    );
    metrics["spec"]["type"] = json!("LoadBalancer");
    assert_eq!(printer.row(&metrics, now()).cells[3], json!("<pending>"));
    metrics["status"] = json!({"loadBalancer": {"ingress": [{"hostname": "lb.example"},
                                                            {"ip": "203.0.113.9"}]}});
    assert_eq!(
        printer.row(&metrics, now()).cells[3],
        json!("203.0.113.9,lb.example")
    );
    let external = json!({"metadata": metadata("s3"),
                          "spec": {"type": "ExternalName", "externalName": "s3.example"}});
    let cells = printer.row(&external, now()).cells;
    assert_eq!(
        (&cells[2], &cells[3], &cells[4]),
        (&json!("<none>"), &json!("s3.example"), &json!("<none>"))
    );
}
