//! The path and query parameters of the apiserver's operations, with the types and (shortened)
//! descriptions it publishes. kubectl reads `fieldValidation` on PATCH to decide whether the
//! server validates fields; the rest documents what the emulator accepts.

use serde_json::{Value, json};

/// The query parameters of each action.
pub(super) const LIST: &[&str] = &[
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
];
pub(super) const CREATE: &[&str] = &["dryRun", "fieldManager", "fieldValidation"];
pub(super) const UPDATE: &[&str] = &["dryRun", "fieldManager", "fieldValidation"];
pub(super) const PATCH: &[&str] = &["dryRun", "fieldManager", "fieldValidation", "force"];
pub(super) const DELETE: &[&str] = &[
    "dryRun",
    "gracePeriodSeconds",
    "orphanDependents",
    "propagationPolicy",
];
pub(super) const DELETE_COLLECTION: &[&str] = &[
    "continue",
    "dryRun",
    "fieldSelector",
    "gracePeriodSeconds",
    "labelSelector",
    "limit",
    "orphanDependents",
    "propagationPolicy",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
];
pub(super) const LOG: &[&str] = &[
    "container",
    "follow",
    "insecureSkipTLSVerifyBackend",
    "limitBytes",
    "previous",
    "sinceSeconds",
    "tailLines",
    "timestamps",
];

/// The query parameters named, in order.
pub(super) fn queries(names: &[&str]) -> Vec<Value> {
    names.iter().map(|name| query(name)).collect()
}

fn query(name: &str) -> Value {
    let (kind, description) = match name {
        "allowWatchBookmarks" => (
            "boolean",
            "allowWatchBookmarks requests watch events with type \"BOOKMARK\".",
        ),
        "container" => (
            "string",
            "The container for which to stream logs. Defaults to only container if there is one \
             container in the pod.",
        ),
        "continue" => (
            "string",
            "The continue option should be set when retrieving more results from the server.",
        ),
        "dryRun" => (
            "string",
            "When present, indicates that modifications should not be persisted. Valid values \
             are: - All: all dry run stages will be processed",
        ),
        "fieldManager" => (
            "string",
            "fieldManager is a name associated with the actor or entity that is making these \
             changes.",
        ),
        "fieldSelector" => (
            "string",
            "A selector to restrict the list of returned objects by their fields. Defaults to \
             everything.",
        ),
        "fieldValidation" => (
            "string",
            "fieldValidation instructs the server on how to handle objects in the request \
             containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict",
        ),
        "follow" => ("boolean", "Follow the log stream of the pod."),
        "force" => (
            "boolean",
            "Force is going to \"force\" Apply requests. It means user will re-acquire \
             conflicting fields owned by other people.",
        ),
        "gracePeriodSeconds" => (
            "integer",
            "The duration in seconds before the object should be deleted.",
        ),
        "insecureSkipTLSVerifyBackend" => (
            "boolean",
            "insecureSkipTLSVerifyBackend indicates that the apiserver should not confirm the \
             validity of the serving certificate of the backend it is connecting to.",
        ),
        "labelSelector" => (
            "string",
            "A selector to restrict the list of returned objects by their labels. Defaults to \
             everything.",
        ),
        "limit" => (
            "integer",
            "limit is a maximum number of responses to return for a list call.",
        ),
        "limitBytes" => (
            "integer",
            "If set, the number of bytes to read from the server before terminating the log \
             output.",
        ),
        "orphanDependents" => ("boolean", "Deprecated: please use the PropagationPolicy."),
        "previous" => (
            "boolean",
            "Return previous terminated container logs. Defaults to false.",
        ),
        "propagationPolicy" => (
            "string",
            "Whether and how garbage collection will be performed: 'Orphan', 'Background' or \
             'Foreground'.",
        ),
        "resourceVersion" => (
            "string",
            "resourceVersion sets a constraint on what resource versions a request may be served \
             from.",
        ),
        "resourceVersionMatch" => (
            "string",
            "resourceVersionMatch determines how resourceVersion is applied to list calls.",
        ),
        "sendInitialEvents" => (
            "boolean",
            "`sendInitialEvents=true` may be set together with `watch=true`.",
        ),
        "sinceSeconds" => (
            "integer",
            "A relative time in seconds before the current time from which to show logs.",
        ),
        "tailLines" => (
            "integer",
            "If set, the number of lines from the end of the logs to show.",
        ),
        "timeoutSeconds" => ("integer", "Timeout for the list/watch call."),
        "timestamps" => (
            "boolean",
            "If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of \
             log output.",
        ),
        "watch" => (
            "boolean",
            "Watch for changes to the described resources and return them as a stream of add, \
             update, and remove notifications.",
        ),
        _ => ("string", ""),
    };
    json!({
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": kind, "uniqueItems": true},
    })
}

/// `pretty`, which every path accepts.
pub(super) fn pretty() -> Value {
    json!({
        "name": "pretty",
        "in": "query",
        "description": "If 'true', then the output is pretty printed.",
        "schema": {"type": "string", "uniqueItems": true},
    })
}

/// The `{namespace}` path segment.
pub(super) fn namespace() -> Value {
    json!({
        "name": "namespace",
        "in": "path",
        "description": "object name and auth scope, such as for teams and projects",
        "required": true,
        "schema": {"type": "string", "uniqueItems": true},
    })
}

/// The `{name}` path segment of objects of `kind`.
pub(super) fn name(kind: &str) -> Value {
    json!({
        "name": "name",
        "in": "path",
        "description": format!("name of the {kind}"),
        "required": true,
        "schema": {"type": "string", "uniqueItems": true},
    })
}
