//! Authentication and authorization of a request before it is served: a bearer token names
//! a ServiceAccount (no credentials is the administrator), and when the emulator enforces
//! RBAC, the request's attributes are checked against the stored RBAC objects by
//! [`crate::emulator::rbac`]. Also serves TokenRequests (`serviceaccounts/{name}/token`).

use axum::http::Method;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::path::ResourcePath;
use super::{Request, Server, respond};
use crate::emulator::api_error::ApiError;
use crate::emulator::rbac::{self, Attributes, Decision, Policy, ResourceAttributes, User};
use crate::emulator::registry::ResourceType;
use crate::emulator::store::{Selectors, Store};
use crate::emulator::tokens::Identity;

/// `Err` with the 401 or 403 answer when the request may not go on.
pub fn check(
    server: &Server,
    authorization: Option<&str>,
    request: &Request,
    path: &str,
) -> Result<(), Box<Response>> {
    let user = match server.tokens.identify(authorization) {
        Identity::Admin => return Ok(()),
        Identity::Unknown => {
            return Err(Box::new(respond::error(&ApiError::new(
                401,
                "Unauthorized",
                "Unauthorized",
            ))));
        }
        Identity::ServiceAccount(user) => user,
    };
    if !server.tokens.enforce_rbac() {
        return Ok(());
    }
    let attributes = attributes_of(request, path);
    match rbac::authorize(&policy(&server.store), &user, &attributes) {
        Decision::Allow => Ok(()),
        Decision::Deny { reason } => Err(Box::new(respond::error(&forbidden(
            &user,
            &attributes,
            &reason,
        )))),
    }
}

/// The request's attributes, as the apiserver's request info resolver reads them.
fn attributes_of(request: &Request, path: &str) -> Attributes {
    let Some(resource_path) = ResourcePath::parse(path) else {
        return Attributes::NonResource {
            verb: request.method.as_str().to_lowercase(),
            path: if path.is_empty() {
                "/".to_owned()
            } else {
                path.to_owned()
            },
        };
    };
    let ResourcePath {
        group,
        plural,
        mut namespace,
        mut name,
        subresource,
        ..
    } = resource_path;
    let watch = request.query.flag("watch");
    let verb = match (&request.method, &name) {
        (&Method::GET, _) if watch => "watch",
        (&Method::GET, None) => "list",
        (&Method::GET | &Method::HEAD, Some(_)) => "get",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, None) => "deletecollection",
        (&Method::DELETE, Some(_)) => "delete",
        (other, _) => {
            return Attributes::NonResource {
                verb: other.as_str().to_lowercase(),
                path: path.to_owned(),
            };
        }
    };
    if verb == "list" || verb == "watch" {
        // A list or watch of one name by field selector is authorized as naming it.
        name = name.or_else(|| selected_name(request.query.get("fieldSelector")));
    }
    if plural == "namespaces" && namespace.is_none() {
        // A namespace is addressed inside itself, so a RoleBinding there can grant it.
        namespace.clone_from(&name);
    }
    Attributes::Resource(ResourceAttributes {
        verb: verb.to_owned(),
        group,
        resource: plural,
        subresource,
        namespace,
        name,
    })
}

fn selected_name(field_selector: Option<&str>) -> Option<String> {
    field_selector?.split(',').find_map(|term| {
        let value = term
            .strip_prefix("metadata.name==")
            .or_else(|| term.strip_prefix("metadata.name="))?;
        Some(value.to_owned())
    })
}

/// 403 in the apiserver's shape: details name the group, resource and object.
fn forbidden(user: &User, attributes: &Attributes, reason: &str) -> ApiError {
    let mut error = ApiError::new(
        403,
        "Forbidden",
        rbac::forbidden_message(user, attributes, reason),
    );
    if let Attributes::Resource(request) = attributes {
        error.details.group = Some(request.group.clone());
        error.details.kind = Some(request.resource.clone());
        error.details.name.clone_from(&request.name);
    }
    error
}

/// The stored RBAC objects; objects that do not read as their kind are left out.
fn policy(store: &Store) -> Policy {
    Policy {
        roles: stored(store, "roles"),
        cluster_roles: stored(store, "clusterroles"),
        role_bindings: stored(store, "rolebindings"),
        cluster_role_bindings: stored(store, "clusterrolebindings"),
    }
}

fn stored<T: DeserializeOwned>(store: &Store, plural: &str) -> Vec<T> {
    let Ok(resource) = store.resource("rbac.authorization.k8s.io", "v1", plural) else {
        return Vec::new();
    };
    store
        .list(&resource, None, &Selectors::default(), None, None)
        .map(|page| {
            page.items
                .into_iter()
                .filter_map(|item| serde_json::from_value(item).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// A TokenRequest for an existing ServiceAccount: a token of this emulator, valid for as long
/// as it runs (the `expirationTimestamp` is what the request asked for, or an hour).
pub fn token_request(
    server: &Server,
    request: &Request,
    resource: &ResourceType,
    namespace: &str,
    name: &str,
) -> Result<Response, ApiError> {
    server.store.get(resource, Some(namespace), name)?;
    let body = request.json_body_or_empty()?;
    let seconds = body["spec"]["expirationSeconds"].as_i64().unwrap_or(3600);
    let expiration = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap_or(jiff::Timestamp::MAX);
    let token = server.tokens.issue(namespace, name);
    let mut spec = body.get("spec").cloned().unwrap_or_else(|| json!({}));
    spec["expirationSeconds"] = json!(seconds);
    if spec.get("audiences").is_none() {
        spec["audiences"] = json!(["https://kubernetes.default.svc"]);
    }
    Ok(respond::json(
        201,
        &json!({
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
            "status": {
                "token": token,
                "expirationTimestamp": expiration.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
            }
        }),
    ))
}
