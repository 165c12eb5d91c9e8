//! Role-based access control as the apiserver's RBAC authorizer decides it: a request's
//! attributes (verb, API group, resource and subresource, namespace, name, or a non-resource
//! path) checked against the rules of the Roles and ClusterRoles bound to the user, plus the
//! discovery rights every authenticated user has by the default bootstrap policy. Pure: the
//! caller gathers the RBAC objects and the user; nothing here reads the store or HTTP.

#[cfg(test)]
mod tests;

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};

/// Paths every authenticated user may `get`, as the bootstrap `system:discovery`,
/// `system:basic-user` and `system:public-info-viewer` bindings allow them.
const DISCOVERY_URLS: &[&str] = &[
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/version/",
    "/openapi",
    "/openapi/*",
];

/// Who makes a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

impl User {
    /// The user a ServiceAccount token authenticates as, with the groups the apiserver adds.
    pub fn service_account(namespace: &str, name: &str) -> User {
        User {
            name: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                "system:serviceaccounts".to_owned(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".to_owned(),
            ],
        }
    }
}

/// What a request does, as the apiserver's request info resolver describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attributes {
    Resource(ResourceAttributes),
    NonResource { verb: String, path: String },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceAttributes {
    /// get, list, watch, create, update, patch, delete or deletecollection.
    pub verb: String,
    /// Empty for the core group.
    pub group: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl Attributes {
    pub fn verb(&self) -> &str {
        match self {
            Attributes::Resource(resource) => &resource.verb,
            Attributes::NonResource { verb, .. } => verb,
        }
    }
}

/// The RBAC objects of the cluster, as stored.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub roles: Vec<Role>,
    pub cluster_roles: Vec<ClusterRole>,
    pub role_bindings: Vec<RoleBinding>,
    pub cluster_role_bindings: Vec<ClusterRoleBinding>,
}

/// The authorizer's answer; a denial carries the reason the apiserver appends to its message
/// (missing roles named by the user's bindings), empty when there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny { reason: String },
}

/// Decides whether `user` may do what `attributes` describe under `policy`.
pub fn authorize(policy: &Policy, user: &User, attributes: &Attributes) -> Decision {
    if user
        .groups
        .iter()
        .any(|group| group == "system:authenticated")
        && let Attributes::NonResource { verb, path } = attributes
        && verb == "get"
        && DISCOVERY_URLS.iter().any(|url| url_matches(url, path))
    {
        return Decision::Allow;
    }
    let mut missing = Vec::new();
    for binding in &policy.cluster_role_bindings {
        if !binds(binding.subjects.as_deref(), None, user) {
            continue;
        }
        match cluster_role_rules(policy, &binding.role_ref) {
            Some(rules) if rules.iter().any(|rule| rule_allows(rule, attributes)) => {
                return Decision::Allow;
            }
            Some(_) => {}
            None => missing.push(missing_role(&binding.role_ref)),
        }
    }
    if let Attributes::Resource(ResourceAttributes {
        namespace: Some(namespace),
        ..
    }) = attributes
    {
        for binding in &policy.role_bindings {
            if binding.metadata.namespace.as_deref() != Some(namespace.as_str())
                || !binds(binding.subjects.as_deref(), Some(namespace), user)
            {
                continue;
            }
            let rules = if binding.role_ref.kind == "Role" {
                role_rules(policy, namespace, &binding.role_ref.name)
            } else {
                cluster_role_rules(policy, &binding.role_ref)
            };
            match rules {
                Some(rules) if rules.iter().any(|rule| rule_allows(rule, attributes)) => {
                    return Decision::Allow;
                }
                Some(_) => {}
                None => missing.push(missing_role(&binding.role_ref)),
            }
        }
    }
    let reason = match missing.as_slice() {
        [] => String::new(),
        [one] => format!("RBAC: {one}"),
        many => format!("RBAC: [{}]", many.join(", ")),
    };
    Decision::Deny { reason }
}

/// The message of the 403 a denied request gets, as the apiserver writes it.
pub fn forbidden_message(user: &User, attributes: &Attributes, reason: &str) -> String {
    let mut message = match attributes {
        Attributes::Resource(request) => {
            let detail = denial_detail(user, request);
            let qualified = if request.group.is_empty() {
                request.resource.clone()
            } else {
                format!("{}.{}", request.resource, request.group)
            };
            match &request.name {
                Some(name) => format!("{qualified} \"{name}\" is forbidden: {detail}"),
                None => format!("{qualified} is forbidden: {detail}"),
            }
        }
        Attributes::NonResource { verb, path } => format!(
            "forbidden: User \"{}\" cannot {verb} path \"{path}\"",
            user.name
        ),
    };
    if !reason.is_empty() {
        message.push_str(": ");
        message.push_str(reason);
    }
    message
}

fn denial_detail(user: &User, request: &ResourceAttributes) -> String {
    let resource = match &request.subresource {
        Some(subresource) => format!("{}/{subresource}", request.resource),
        None => request.resource.clone(),
    };
    let scope = match &request.namespace {
        Some(namespace) => format!("in the namespace \"{namespace}\""),
        None => "at the cluster scope".to_owned(),
    };
    format!(
        "User \"{}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}",
        user.name, request.verb, request.group
    )
}

fn missing_role(role_ref: &RoleRef) -> String {
    format!(
        "{}.rbac.authorization.k8s.io \"{}\" not found",
        role_ref.kind.to_lowercase(),
        role_ref.name
    )
}

fn role_rules<'a>(policy: &'a Policy, namespace: &str, name: &str) -> Option<&'a [PolicyRule]> {
    policy
        .roles
        .iter()
        .find(|role| {
            role.metadata.namespace.as_deref() == Some(namespace)
                && role.metadata.name.as_deref() == Some(name)
        })
        .map(|role| role.rules.as_deref().unwrap_or_default())
}

fn cluster_role_rules<'a>(policy: &'a Policy, role_ref: &RoleRef) -> Option<&'a [PolicyRule]> {
    if role_ref.kind != "ClusterRole" {
        return None;
    }
    policy
        .cluster_roles
        .iter()
        .find(|role| role.metadata.name.as_deref() == Some(role_ref.name.as_str()))
        .map(|role| role.rules.as_deref().unwrap_or_default())
}

/// Whether one of `subjects` is `user`. A ServiceAccount subject without a namespace means
/// the binding's own namespace, as in the real authorizer.
fn binds(subjects: Option<&[Subject]>, binding_namespace: Option<&str>, user: &User) -> bool {
    subjects
        .unwrap_or_default()
        .iter()
        .any(|subject| match subject.kind.as_str() {
            "User" => subject.name == user.name,
            "Group" => user.groups.contains(&subject.name),
            "ServiceAccount" => {
                let namespace = subject
                    .namespace
                    .as_deref()
                    .filter(|namespace| !namespace.is_empty())
                    .or(binding_namespace);
                namespace.is_some_and(|namespace| {
                    user.name == format!("system:serviceaccount:{namespace}:{}", subject.name)
                })
            }
            _ => false,
        })
}

/// Whether one rule allows the request: verb, group, resource (with subresource) and name
/// for resource requests; verb and path for the others.
pub fn rule_allows(rule: &PolicyRule, attributes: &Attributes) -> bool {
    let verb_matches = rule
        .verbs
        .iter()
        .any(|verb| verb == "*" || verb == attributes.verb());
    if !verb_matches {
        return false;
    }
    match attributes {
        Attributes::Resource(request) => {
            group_matches(rule, &request.group)
                && resource_matches(rule, request)
                && name_matches(rule, request.name.as_deref())
        }
        Attributes::NonResource { path, .. } => rule
            .non_resource_urls
            .as_deref()
            .unwrap_or_default()
            .iter()
            .any(|url| url_matches(url, path)),
    }
}

fn group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|rule_group| rule_group == "*" || rule_group == group)
}

/// `*` matches every resource and subresource; `*/status` every resource's status; a plain
/// resource name does not reach its subresources.
fn resource_matches(rule: &PolicyRule, request: &ResourceAttributes) -> bool {
    let combined = match &request.subresource {
        Some(subresource) => format!("{}/{subresource}", request.resource),
        None => request.resource.clone(),
    };
    rule.resources
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|resource| {
            resource == "*"
                || *resource == combined
                || request.subresource.as_ref().is_some_and(|subresource| {
                    resource.strip_prefix("*/") == Some(subresource.as_str())
                })
        })
}

/// `resourceNames` restrict requests that name an object; requests without a name (list,
/// watch, create, deletecollection) never match a rule that has them.
fn name_matches(rule: &PolicyRule, name: Option<&str>) -> bool {
    match rule.resource_names.as_deref() {
        None | Some([]) => true,
        Some(names) => name.is_some_and(|name| names.iter().any(|allowed| allowed == name)),
    }
}

fn url_matches(rule_url: &str, path: &str) -> bool {
    match rule_url.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => rule_url == path,
    }
}
