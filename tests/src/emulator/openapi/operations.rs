//! The `paths` of one group/version document: per resource the collection (list, create,
//! delete collection), the object (read, replace, patch, delete), `/status`, `pods/log` and
//! `pods/eviction`, plus listing across namespaces, each operation tagged with
//! `x-kubernetes-action` and `x-kubernetes-group-version-kind` as the apiserver tags them.
//! PATCH lists `application/strategic-merge-patch+json` for built-in kinds only: the apiserver
//! refuses strategic merge patches of custom resources, and kubectl picks its patch type from
//! this list.

use serde_json::{Map, Value, json};

use super::parameters::{self, queries};
use super::schemas::{self, list_component, object_component, reference};
use crate::emulator::registry::ResourceType;

/// The paths serving `resource`, added to `paths`.
pub(super) fn add_paths(paths: &mut Map<String, Value>, resource: &ResourceType) {
    let target = Target::new(resource);
    let root = if resource.group.is_empty() {
        format!("/api/{}", resource.version)
    } else {
        format!("/apis/{}/{}", resource.group, resource.version)
    };
    let mut scope_parameters = Vec::new();
    let collection = if resource.namespaced {
        scope_parameters.push(parameters::namespace());
        format!("{root}/namespaces/{{namespace}}/{}", resource.plural)
    } else {
        format!("{root}/{}", resource.plural)
    };
    let mut object_parameters = vec![parameters::name(&resource.kind)];
    object_parameters.extend(scope_parameters.iter().cloned());
    let object = format!("{collection}/{{name}}");

    let list_ref = reference(&list_component(resource));
    let status_ref = reference(schemas::STATUS);
    paths.insert(
        collection.clone(),
        path_item(
            &scope_parameters,
            [
                ("get", target.list("", &list_ref)),
                ("post", target.create()),
                ("delete", target.delete_collection(&status_ref)),
            ],
        ),
    );
    paths.insert(
        object.clone(),
        path_item(
            &object_parameters,
            [
                ("get", target.read("")),
                ("put", target.replace("")),
                ("patch", target.patch("")),
                ("delete", target.delete(&status_ref)),
            ],
        ),
    );
    if resource.subresources.status {
        paths.insert(
            format!("{object}/status"),
            path_item(
                &object_parameters,
                [
                    ("get", target.read("Status")),
                    ("put", target.replace("Status")),
                    ("patch", target.patch("Status")),
                ],
            ),
        );
    }
    if resource.subresources.log {
        paths.insert(
            format!("{object}/log"),
            path_item(&object_parameters, [("get", target.log())]),
        );
    }
    if resource.subresources.eviction {
        paths.insert(
            format!("{object}/eviction"),
            path_item(&object_parameters, [("post", target.evict())]),
        );
    }
    if resource.namespaced {
        paths.insert(
            format!("{root}/{}", resource.plural),
            path_item(&[], [("get", target.list("ForAllNamespaces", &list_ref))]),
        );
    }
}

fn path_item<const N: usize>(parameters: &[Value], operations: [(&str, Value); N]) -> Value {
    let mut item = Map::new();
    for (method, operation) in operations {
        item.insert(method.to_owned(), operation);
    }
    let mut all = parameters.to_vec();
    all.push(parameters::pretty());
    item.insert("parameters".to_owned(), Value::Array(all));
    Value::Object(item)
}

/// What the operations on one resource share.
struct Target<'a> {
    resource: &'a ResourceType,
    /// `CoreV1`, `FramefarmIoV1alpha1`: what operation ids put after the verb.
    id_infix: String,
    /// `core_v1`, `framefarmIo_v1alpha1`.
    tag: String,
    gvk: Value,
    object_ref: Value,
}

impl<'a> Target<'a> {
    fn new(resource: &'a ResourceType) -> Self {
        let group = if resource.group.is_empty() {
            "core"
        } else {
            resource
                .group
                .strip_suffix(".k8s.io")
                .unwrap_or(&resource.group)
        };
        Target {
            resource,
            id_infix: format!(
                "{}{}",
                operation_id_part(group, true),
                operation_id_part(&resource.version, true)
            ),
            tag: format!(
                "{}_{}",
                operation_id_part(group, false),
                operation_id_part(&resource.version, false)
            ),
            gvk: gvk(&resource.group, &resource.version, &resource.kind),
            object_ref: reference(&object_component(resource)),
        }
    }

    /// `patch` + `CoreV1` + `NamespacedPod` + `Status`.
    fn operation_id(&self, verb: &str, infix: &str, suffix: &str) -> String {
        let scope = if self.resource.namespaced && suffix != "ForAllNamespaces" {
            "Namespaced"
        } else {
            ""
        };
        format!(
            "{verb}{}{infix}{scope}{}{suffix}",
            self.id_infix, self.resource.kind
        )
    }

    fn operation(
        &self,
        id: String,
        description: String,
        action: &str,
        query: &[&str],
        request: Option<Value>,
        responses: Value,
    ) -> Value {
        let mut operation = json!({
            "tags": [self.tag],
            "description": description,
            "operationId": id,
            "responses": responses,
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": self.gvk,
        });
        if !query.is_empty() {
            operation["parameters"] = Value::Array(queries(query));
        }
        if let Some(request) = request {
            operation["requestBody"] = request;
        }
        operation
    }

    fn list(&self, suffix: &str, list_ref: &Value) -> Value {
        let kind = &self.resource.kind;
        let responses = json!({"200": {"description": "OK", "content": {
            "application/json": {"schema": list_ref},
            "application/json;stream=watch": {"schema": list_ref},
        }}});
        self.operation(
            self.operation_id("list", "", suffix),
            format!("list or watch objects of kind {kind}"),
            "list",
            parameters::LIST,
            None,
            responses,
        )
    }

    fn create(&self) -> Value {
        self.operation(
            self.operation_id("create", "", ""),
            format!("create a {}", self.resource.kind),
            "post",
            parameters::CREATE,
            Some(json_body(&self.object_ref, true)),
            responses(&self.object_ref, &["200", "201", "202"]),
        )
    }

    fn delete_collection(&self, status_ref: &Value) -> Value {
        self.operation(
            self.operation_id("delete", "Collection", ""),
            format!("delete collection of {}", self.resource.kind),
            "deletecollection",
            parameters::DELETE_COLLECTION,
            Some(json_body(&reference(schemas::DELETE_OPTIONS), false)),
            responses(status_ref, &["200"]),
        )
    }

    fn read(&self, subresource: &str) -> Value {
        self.operation(
            self.operation_id("read", "", subresource),
            format!(
                "read {}the specified {}",
                of(subresource),
                self.resource.kind
            ),
            "get",
            &[],
            None,
            responses(&self.object_ref, &["200"]),
        )
    }

    fn replace(&self, subresource: &str) -> Value {
        self.operation(
            self.operation_id("replace", "", subresource),
            format!(
                "replace {}the specified {}",
                of(subresource),
                self.resource.kind
            ),
            "put",
            parameters::UPDATE,
            Some(json_body(&self.object_ref, true)),
            responses(&self.object_ref, &["200", "201"]),
        )
    }

    fn patch(&self, subresource: &str) -> Value {
        let patch_ref = reference(schemas::PATCH);
        let mut content = Map::new();
        let mut types = vec![
            "application/apply-patch+yaml",
            "application/json-patch+json",
            "application/merge-patch+json",
        ];
        if !self.resource.is_custom() {
            types.push("application/strategic-merge-patch+json");
        }
        for media_type in types {
            content.insert(media_type.to_owned(), json!({"schema": patch_ref}));
        }
        self.operation(
            self.operation_id("patch", "", subresource),
            format!(
                "partially update {}the specified {}",
                of(subresource),
                self.resource.kind
            ),
            "patch",
            parameters::PATCH,
            Some(json!({"content": content, "required": true})),
            responses(&self.object_ref, &["200", "201"]),
        )
    }

    fn delete(&self, status_ref: &Value) -> Value {
        self.operation(
            self.operation_id("delete", "", ""),
            format!("delete a {}", self.resource.kind),
            "delete",
            parameters::DELETE,
            Some(json_body(&reference(schemas::DELETE_OPTIONS), false)),
            responses(status_ref, &["200", "202"]),
        )
    }

    fn log(&self) -> Value {
        let text = json!({"200": {"description": "OK", "content": {
            "text/plain": {"schema": {"type": "string"}},
        }}});
        self.operation(
            self.operation_id("read", "", "Log"),
            format!("read log of the specified {}", self.resource.kind),
            "get",
            parameters::LOG,
            None,
            text,
        )
    }

    fn evict(&self) -> Value {
        let eviction = reference(schemas::EVICTION);
        let mut operation = self.operation(
            self.operation_id("create", "", "Eviction"),
            format!("create eviction of a {}", self.resource.kind),
            "post",
            parameters::CREATE,
            Some(json_body(&eviction, true)),
            responses(&eviction, &["200", "201", "202"]),
        );
        operation["x-kubernetes-group-version-kind"] = gvk("policy", "v1", "Eviction");
        operation
    }
}

/// `status of ` in "read status of the specified Pod".
fn of(subresource: &str) -> String {
    if subresource.is_empty() {
        String::new()
    } else {
        format!("{} of ", subresource.to_lowercase())
    }
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "kind": kind, "version": version})
}

fn json_body(schema: &Value, required: bool) -> Value {
    let mut body = json!({"content": {"application/json": {"schema": schema}}});
    if required {
        body["required"] = json!(true);
    }
    body
}

fn responses(schema: &Value, codes: &[&str]) -> Value {
    let mut answers = Map::new();
    for code in codes {
        let description = match *code {
            "201" => "Created",
            "202" => "Accepted",
            _ => "OK",
        };
        answers.insert(
            (*code).to_owned(),
            json!({"description": description,
                   "content": {"application/json": {"schema": schema}}}),
        );
    }
    Value::Object(answers)
}

/// Go's `ToValidOperationID`: letters and underscores kept, a letter after anything else
/// capitalised, leading digits dropped.
fn operation_id_part(text: &str, capitalize_first: bool) -> String {
    let mut id = String::new();
    let mut capitalize = capitalize_first;
    for (index, character) in text.chars().enumerate() {
        if character.is_alphabetic() || character == '_' || (index != 0 && character.is_numeric()) {
            if capitalize {
                id.extend(character.to_uppercase());
                capitalize = false;
            } else {
                id.push(character);
            }
        } else {
            capitalize = true;
        }
    }
    id
}

#[cfg(test)]
#[path = "operations_tests.rs"]
mod tests;
