#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use serde_json::{Value, json};

use super::*;

fn agent() -> User {
    User::service_account("farm", "framefarm-agent")
}

fn request(verb: &str, group: &str, resource: &str, name: Option<&str>) -> Attributes {
    let (resource, subresource) = match resource.split_once('/') {
        Some((resource, subresource)) => (resource, Some(subresource.to_owned())),
        None => (resource, None),
    };
    Attributes::Resource(ResourceAttributes {
        verb: verb.to_owned(),
        group: group.to_owned(),
        resource: resource.to_owned(),
        subresource,
        namespace: Some("farm".to_owned()),
        name: name.map(str::to_owned),
    })
}

fn cluster_wide(attributes: Attributes) -> Attributes {
    match attributes {
        Attributes::Resource(mut resource) => {
            resource.namespace = None;
            Attributes::Resource(resource)
        }
        other => other,
    }
}

fn rule(value: Value) -> PolicyRule {
    serde_json::from_value(value).unwrap()
}

/// A Role `name` in `farm` with `rules`, bound to the agent's ServiceAccount there.
fn role_policy(rules: Value) -> Policy {
    Policy {
        roles: vec![
            serde_json::from_value(json!({
                "metadata": {"name": "agent", "namespace": "farm"}, "rules": rules
            }))
            .unwrap(),
        ],
        role_bindings: vec![
            serde_json::from_value(json!({
                "metadata": {"name": "agent", "namespace": "farm"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "agent"},
                "subjects": [{"kind": "ServiceAccount", "name": "framefarm-agent", "namespace": "farm"}]
            }))
            .unwrap(),
        ],
        ..Policy::default()
    }
}

fn cluster_role(rules: Value) -> ClusterRole {
    serde_json::from_value(json!({"metadata": {"name": "reader"}, "rules": rules})).unwrap()
}

fn allowed(policy: &Policy, attributes: &Attributes) -> bool {
    authorize(policy, &agent(), attributes) == Decision::Allow
}

#[test]
fn a_rule_allows_only_its_verbs_groups_and_resources() {
    let policy = role_policy(json!([
        {"apiGroups": ["framefarm.io"], "resources": ["renderjobs"], "verbs": ["get", "list"]}
    ]));
    assert!(allowed(
        &policy,
        &request("get", "framefarm.io", "renderjobs", Some("j"))
    ));
    assert!(allowed(
        &policy,
        &request("list", "framefarm.io", "renderjobs", None)
    ));
    assert!(!allowed(
        &policy,
        &request("watch", "framefarm.io", "renderjobs", None)
    ));
    assert!(!allowed(
        &policy,
        &request("get", "", "renderjobs", Some("j"))
    ));
    assert!(!allowed(
        &policy,
        &request("get", "framefarm.io", "rendershots", Some("s"))
    ));
}

#[test]
fn wildcards_match_every_verb_group_and_resource() {
    let policy = role_policy(json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]));
    assert!(allowed(
        &policy,
        &request("deletecollection", "", "secrets", None)
    ));
    assert!(allowed(
        &policy,
        &request("patch", "framefarm.io", "renderjobs/status", Some("j"))
    ));
}

#[test]
fn a_resource_does_not_reach_its_subresources_nor_a_subresource_its_resource() {
    let policy = role_policy(json!([
        {"apiGroups": ["framefarm.io"], "resources": ["renderjobs/status"], "verbs": ["get", "patch"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
    ]));
    assert!(allowed(
        &policy,
        &request("patch", "framefarm.io", "renderjobs/status", Some("j"))
    ));
    assert!(!allowed(
        &policy,
        &request("get", "framefarm.io", "renderjobs", Some("j"))
    ));
    assert!(!allowed(
        &policy,
        &request("get", "", "pods/log", Some("p"))
    ));
}

#[test]
fn star_slash_subresource_matches_that_subresource_of_every_resource() {
    let policy =
        role_policy(json!([{"apiGroups": ["*"], "resources": ["*/status"], "verbs": ["get"]}]));
    assert!(allowed(
        &policy,
        &request("get", "framefarm.io", "rendershots/status", Some("s"))
    ));
    assert!(allowed(
        &policy,
        &request("get", "", "pods/status", Some("p"))
    ));
    assert!(!allowed(&policy, &request("get", "", "pods", Some("p"))));
    assert!(!allowed(
        &policy,
        &request("get", "", "pods/log", Some("p"))
    ));
}

#[test]
fn resource_names_restrict_named_requests_and_never_match_unnamed_ones() {
    let policy = role_policy(json!([
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
         "resourceNames": ["framefarm-operator"], "verbs": ["get", "patch", "create", "list", "watch", "deletecollection"]}
    ]));
    let lease =
        |verb: &str, name: Option<&str>| request(verb, "coordination.k8s.io", "leases", name);
    assert!(allowed(&policy, &lease("get", Some("framefarm-operator"))));
    assert!(allowed(
        &policy,
        &lease("patch", Some("framefarm-operator"))
    ));
    assert!(!allowed(&policy, &lease("get", Some("someone-else"))));
    for unnamed in ["create", "list", "watch", "deletecollection"] {
        assert!(!allowed(&policy, &lease(unnamed, None)), "{unnamed}");
    }
}

#[test]
fn role_bindings_grant_only_in_their_namespace() {
    let policy =
        role_policy(json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]));
    assert!(allowed(&policy, &request("get", "", "secrets", Some("s"))));
    let Attributes::Resource(mut elsewhere) = request("get", "", "secrets", Some("s")) else {
        unreachable!()
    };
    elsewhere.namespace = Some("other".to_owned());
    assert!(!allowed(&policy, &Attributes::Resource(elsewhere)));
    assert!(!allowed(
        &policy,
        &cluster_wide(request("list", "", "secrets", None))
    ));
}

#[test]
fn a_cluster_role_bound_by_a_role_binding_grants_in_that_namespace_only() {
    let policy = Policy {
        cluster_roles: vec![cluster_role(json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]))],
        role_bindings: vec![serde_json::from_value(json!({
            "metadata": {"name": "read", "namespace": "farm"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "reader"},
            // A ServiceAccount subject without a namespace is the binding's namespace.
            "subjects": [{"kind": "ServiceAccount", "name": "framefarm-agent"}]
        }))
        .unwrap()],
        ..Policy::default()
    };
    assert!(allowed(&policy, &request("list", "", "pods", None)));
    assert!(!allowed(
        &policy,
        &cluster_wide(request("list", "", "pods", None))
    ));
}

#[test]
fn a_cluster_role_binding_grants_everywhere_and_at_the_cluster_scope() {
    let policy = Policy {
        cluster_roles: vec![cluster_role(json!([{"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["list"]}]))],
        cluster_role_bindings: vec![serde_json::from_value(json!({
            "metadata": {"name": "read"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "framefarm-agent", "namespace": "farm"}]
        }))
        .unwrap()],
        ..Policy::default()
    };
    assert!(allowed(&policy, &request("list", "", "pods", None)));
    assert!(allowed(
        &policy,
        &cluster_wide(request("list", "", "nodes", None))
    ));
    let stranger = User::service_account("other", "framefarm-agent");
    assert_ne!(
        authorize(&policy, &stranger, &request("list", "", "pods", None)),
        Decision::Allow,
        "a ServiceAccount of the same name in another namespace"
    );
}

#[test]
fn groups_of_service_accounts_are_subjects_too() {
    let policy = Policy {
        cluster_roles: vec![cluster_role(json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]))],
        cluster_role_bindings: vec![serde_json::from_value(json!({
            "metadata": {"name": "read"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "reader"},
            "subjects": [{"kind": "Group", "name": "system:serviceaccounts:farm"}]
        }))
        .unwrap()],
        ..Policy::default()
    };
    assert!(allowed(
        &policy,
        &request("get", "", "configmaps", Some("c"))
    ));
}

#[test]
fn nothing_is_allowed_without_a_binding_except_discovery() {
    let policy = Policy::default();
    assert!(!allowed(&policy, &request("get", "", "pods", Some("p"))));
    for path in [
        "/api",
        "/apis/framefarm.io/v1alpha1",
        "/openapi/v3",
        "/version",
        "/healthz",
    ] {
        let discovery = Attributes::NonResource {
            verb: "get".into(),
            path: path.into(),
        };
        assert!(allowed(&policy, &discovery), "{path}");
    }
    let metrics = Attributes::NonResource {
        verb: "get".into(),
        path: "/metrics".into(),
    };
    assert!(!allowed(&policy, &metrics));
}

#[test]
fn non_resource_urls_match_exactly_or_by_trailing_star() {
    let rules = rule(json!({"nonResourceURLs": ["/metrics", "/debug/*"], "verbs": ["get"]}));
    let get = |path: &str| Attributes::NonResource {
        verb: "get".into(),
        path: path.into(),
    };
    assert!(rule_allows(&rules, &get("/metrics")));
    assert!(rule_allows(&rules, &get("/debug/pprof")));
    assert!(!rule_allows(&rules, &get("/metrics/extra")));
}

#[test]
fn a_binding_to_a_missing_role_denies_and_says_so() {
    let mut policy = role_policy(json!([]));
    policy.roles.clear();
    assert_eq!(
        authorize(&policy, &agent(), &request("get", "", "pods", Some("p"))),
        Decision::Deny {
            reason: "RBAC: role.rbac.authorization.k8s.io \"agent\" not found".into()
        }
    );
}

#[test]
fn the_denial_message_is_the_apiservers() {
    assert_eq!(
        forbidden_message(
            &agent(),
            &request("get", "framefarm.io", "renderjobs", Some("x")),
            ""
        ),
        "renderjobs.framefarm.io \"x\" is forbidden: User \"system:serviceaccount:farm:framefarm-agent\" cannot get resource \"renderjobs\" in API group \"framefarm.io\" in the namespace \"farm\""
    );
    assert_eq!(
        forbidden_message(
            &agent(),
            &cluster_wide(request("list", "", "secrets", None)),
            ""
        ),
        "secrets is forbidden: User \"system:serviceaccount:farm:framefarm-agent\" cannot list resource \"secrets\" in API group \"\" at the cluster scope"
    );
    assert_eq!(
        forbidden_message(
            &agent(),
            &request("patch", "framefarm.io", "renderjobs/status", Some("x")),
            ""
        ),
        "renderjobs.framefarm.io \"x\" is forbidden: User \"system:serviceaccount:farm:framefarm-agent\" cannot patch resource \"renderjobs/status\" in API group \"framefarm.io\" in the namespace \"farm\""
    );
    assert_eq!(
        forbidden_message(
            &agent(),
            &Attributes::NonResource {
                verb: "get".into(),
                path: "/metrics".into()
            },
            ""
        ),
        "forbidden: User \"system:serviceaccount:farm:framefarm-agent\" cannot get path \"/metrics\""
    );
}
