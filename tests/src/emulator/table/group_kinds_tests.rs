use super::*;
use serde_json::json;

fn now() -> Timestamp {
    "2025-03-01T12:00:00Z".parse().unwrap()
}

fn column_names(printer: &Printer) -> Vec<&str> {
    printer.columns.iter().map(|c| c.name.as_str()).collect()
}

fn metadata(name: &str) -> Value {
    json!({"name": name, "creationTimestamp": "2025-03-01T11:57:00Z"})
}

#[test]
fn deployments_show_replica_counts_containers_and_selector() {
    let printer = deployment();
    assert_eq!(
        column_names(&printer),
        [
            "Name",
            "Ready",
            "Up-to-date",
            "Available",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let operator = json!({
        "metadata": metadata("operator"),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "operator"}},
            "template": {"spec": {"containers": [
                {"name": "operator", "image": "farm/operator:1"},
                {"name": "proxy", "image": "farm/proxy:2"}
            ]}}
        },
        "status": {"readyReplicas": 1, "updatedReplicas": 2, "availableReplicas": 1}
    });
    assert_eq!(
        printer.row(&operator, now()).cells,
        [
            json!("operator"),
            json!("1/2"),
            json!(2),
            json!(1),
            json!("3m"),
            json!("operator,proxy"),
            json!("farm/operator:1,farm/proxy:2"),
            json!("app=operator")
        ]
    );
    let fresh = json!({"metadata": metadata("fresh"), "spec": {"template": {"spec": {}}}});
    let cells = printer.row(&fresh, now()).cells;
    assert_eq!(
        (&cells[1], &cells[2], &cells[7]),
        (&json!("0/1"), &json!(0), &json!(""))
    );
}

#[test]
fn leases_show_their_holder() {
    let printer = lease();
    assert_eq!(column_names(&printer), ["Name", "Holder", "Age"]);
    let leader = json!({"metadata": metadata("framefarm-operator"),
                        "spec": {"holderIdentity": "operator-0"}});
    assert_eq!(
        printer.row(&leader, now()).cells,
        [
            json!("framefarm-operator"),
            json!("operator-0"),
            json!("3m")
        ]
    );
    let free = json!({"metadata": metadata("free"), "spec": {}});
    assert_eq!(printer.row(&free, now()).cells[1], json!(""));
}

#[test]
fn role_bindings_show_the_role_and_their_subjects() {
    let printer = role_binding();
    assert_eq!(
        column_names(&printer),
        ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]
    );
    let binding = json!({
        "metadata": metadata("operator"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "farm"},
        "subjects": [
            {"kind": "ServiceAccount", "name": "operator", "namespace": "farm"},
            {"kind": "User", "name": "alice"},
            {"kind": "User", "name": "bob"},
            {"kind": "Group", "name": "artists"}
        ]
    });
    assert_eq!(
        printer.row(&binding, now()).cells,
        [
            json!("operator"),
            json!("ClusterRole/farm"),
            json!("3m"),
            json!("alice, bob"),
            json!("artists"),
            json!("farm/operator")
        ]
    );
}

#[test]
fn network_policies_show_their_pod_selector() {
    let printer = network_policy();
    assert_eq!(column_names(&printer), ["Name", "Pod-Selector", "Age"]);
    let policy = json!({"metadata": metadata("agents"),
                        "spec": {"podSelector": {"matchLabels": {"role": "agent"}}}});
    assert_eq!(printer.row(&policy, now()).cells[1], json!("role=agent"));
    let everything = json!({"metadata": metadata("all"), "spec": {"podSelector": {}}});
    assert_eq!(printer.row(&everything, now()).cells[1], json!("<none>"));
}

#[test]
fn disruption_budgets_show_their_limits() {
    let printer = pod_disruption_budget();
    assert_eq!(
        column_names(&printer),
        [
            "Name",
            "Min Available",
            "Max Unavailable",
            "Allowed Disruptions",
            "Age"
        ]
    );
    let budget = json!({"metadata": metadata("agents"), "spec": {"maxUnavailable": "10%"},
                        "status": {"disruptionsAllowed": 3}});
    assert_eq!(
        printer.row(&budget, now()).cells,
        [
            json!("agents"),
            json!("N/A"),
            json!("10%"),
            json!(3),
            json!("3m")
        ]
    );
    let counted = json!({"metadata": metadata("one"), "spec": {"minAvailable": 1}});
    assert_eq!(printer.row(&counted, now()).cells[1], json!("1"));
}

#[test]
fn priority_classes_show_value_default_and_policy() {
    let printer = priority_class();
    assert_eq!(
        column_names(&printer),
        ["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]
    );
    let class = json!({"metadata": metadata("render"), "value": 1000,
                       "preemptionPolicy": "Never"});
    assert_eq!(
        printer.row(&class, now()).cells,
        [
            json!("render"),
            json!(1000),
            json!(false),
            json!("3m"),
            json!("Never")
        ]
    );
}
