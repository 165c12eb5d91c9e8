//! Requests on resources: get, list, create, replace, patch, delete and delete-collection of
//! any served type, its `status` subresource, and the pod subresources (`binding`,
//! `eviction`; `log` is in [`super::logs`]; ServiceAccount `token` in [`super::authorize`]).
//! Watches go to [`super::watch`].

use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

use super::path::ResourcePath;
use super::{Request, Server, logs, protobuf, respond, watch};
use crate::emulator::api_error::ApiError;
use crate::emulator::registry::ResourceType;
use crate::emulator::store::{Deleted, Part, PatchKind};
use crate::emulator::table;

pub async fn handle(server: &Server, request: Request, path: ResourcePath) -> Response {
    match route(server, request, path).await {
        Ok(response) => response,
        Err(error) => respond::error(&error),
    }
}

async fn route(
    server: &Server,
    request: Request,
    path: ResourcePath,
) -> Result<Response, ApiError> {
    let resource = server
        .store
        .resource(&path.group, &path.version, &path.plural)?;
    if path.namespace.is_some() && !resource.namespaced {
        return Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    }
    let namespace = path.namespace.as_deref();
    let name = path.name.as_deref();
    match (&request.method, name, path.subresource.as_deref()) {
        (&Method::GET, None, None) if request.query.flag("watch") => {
            watch::serve(server, &request, &resource, namespace).await
        }
        (&Method::GET, None, None) => list(server, &request, &resource, namespace),
        (&Method::POST, None, None) => create(server, &request, &resource, namespace),
        (&Method::DELETE, None, None) => delete_collection(server, &request, &resource, namespace),
        (method, Some(name), sub @ (None | Some("status"))) => {
            let part = part_of(&resource, sub)?;
            match *method {
                Method::GET => get(server, &request, &resource, namespace, name),
                Method::PUT => replace(server, &request, &resource, namespace, name, part),
                Method::PATCH => patch(server, &request, &resource, namespace, name, part),
                Method::DELETE if part == Part::Main => {
                    delete(server, &request, &resource, namespace, name)
                }
                _ => Err(ApiError::method_not_allowed(format!(
                    "{} is not supported here",
                    request.method
                ))),
            }
        }
        (&Method::GET, Some(name), Some("log")) if resource.subresources.log => {
            logs::serve(
                server,
                &request,
                &resource,
                namespace.unwrap_or("default"),
                name,
            )
            .await
        }
        (&Method::POST, Some(name), Some("eviction")) if resource.subresources.eviction => {
            let body = request.json_body()?;
            server
                .store
                .evict(&resource, namespace.unwrap_or("default"), name, &body)?;
            Ok(respond::success(201))
        }
        (&Method::POST, Some(name), Some("token")) if resource.kind == "ServiceAccount" => {
            super::authorize::token_request(
                server,
                &request,
                &resource,
                namespace.unwrap_or("default"),
                name,
            )
        }
        (&Method::POST, Some(name), Some("binding")) if resource.kind == "Pod" => {
            let body = request.json_body()?;
            server
                .store
                .bind(&resource, namespace.unwrap_or("default"), name, &body)?;
            Ok(respond::success(201))
        }
        _ => Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )),
    }
}

fn part_of(resource: &ResourceType, subresource: Option<&str>) -> Result<Part, ApiError> {
    match subresource {
        None => Ok(Part::Main),
        Some(_) if resource.subresources.status => Ok(Part::Status),
        Some(_) => Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )),
    }
}

fn get(
    server: &Server,
    request: &Request,
    resource: &ResourceType,
    namespace: Option<&str>,
    name: &str,
) -> Result<Response, ApiError> {
    let object = server.store.get(resource, namespace, name)?;
    if table::wants_table(&request.accept) {
        let version = object["metadata"]["resourceVersion"].clone();
        return table_answer(
            request,
            resource,
            std::slice::from_ref(&object),
            json!({"resourceVersion": version}),
        );
    }
    Ok(respond::json(200, &object))
}

/// Objects as the `Table` kubectl asks for.
fn table_answer(
    request: &Request,
    resource: &ResourceType,
    objects: &[Value],
    list_metadata: Value,
) -> Result<Response, ApiError> {
    let rendered = table::table(
        resource,
        objects,
        request.query.include_object()?,
        list_metadata,
        jiff::Timestamp::now(),
    );
    Ok(respond::with_type(
        200,
        table::TABLE_CONTENT_TYPE,
        rendered.to_string(),
    ))
}

fn list(
    server: &Server,
    request: &Request,
    resource: &ResourceType,
    namespace: Option<&str>,
) -> Result<Response, ApiError> {
    let selectors = request.query.selectors(&resource.kind)?;
    let limit = request
        .query
        .number("limit")?
        .map(|limit| usize::try_from(limit).unwrap_or(0));
    let page = server.store.list(
        resource,
        namespace,
        &selectors,
        limit,
        request.query.get("continue"),
    )?;
    let mut metadata = json!({"resourceVersion": page.revision.to_string()});
    if let Some(token) = &page.continue_token {
        metadata["continue"] = json!(token);
    }
    if let Some(remaining) = page.remaining {
        metadata["remainingItemCount"] = json!(remaining);
    }
    if table::wants_table(&request.accept) {
        return table_answer(request, resource, &page.items, metadata);
    }
    Ok(respond::json(
        200,
        &json!({"kind": resource.list_kind, "apiVersion": resource.api_version(), "metadata": metadata, "items": page.items}),
    ))
}

fn create(
    server: &Server,
    request: &Request,
    resource: &ResourceType,
    namespace: Option<&str>,
) -> Result<Response, ApiError> {
    let body = request.json_body()?;
    let options = request.query.write_options(request.user_agent.as_deref())?;
    let written = server.store.create(resource, namespace, body, &options)?;
    Ok(respond::warn(
        respond::json(201, &written.object),
        &written.warnings,
    ))
}

fn replace(
    server: &Server,
    request: &Request,
    resource: &ResourceType,
    namespace: Option<&str>,
    name: &str,
    part: Part,
) -> Result<Response, ApiError> {
    let body = request.json_body()?;
    let options = request.query.write_options(request.user_agent.as_deref())?;
    let written = server
        .store
        .replace(resource, namespace, name, body, part, &options)?;
    Ok(respond::warn(
        respond::json(200, &written.object),
        &written.warnings,
    ))
}

fn patch(
    server: &Server,
    request: &Request,
    resource: &ResourceType,
    namespace: Option<&str>,
    name: &str,
    part: Part,
) -> Result<Response, ApiError> {
    let media_type = request
        .content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let kind = match media_type.as_str() {
        "application/json-patch+json" => PatchKind::Json,
        "application/merge-patch+json" => PatchKind::Merge,
        "application/strategic-merge-patch+json" => PatchKind::Strategic,
        "application/apply-patch+yaml" => PatchKind::Apply,
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    let body = if kind == PatchKind::Apply {
        request.yaml_body()?
    } else {
        request.json_body()?
    };
    let options = request.query.write_options(request.user_agent.as_deref())?;
    let options = if kind == PatchKind::Apply {
        // Apply needs a manager named by the request itself.
        crate::emulator::store::WriteOptions {
            manager: request.query.get("fieldManager").map(str::to_owned),
            ..options
        }
    } else {
        options
    };
    let written = server
        .store
        .patch(resource, namespace, name, kind, &body, part, &options)?;
    let code = if written.created { 201 } else { 200 };
    Ok(respond::warn(
        respond::json(code, &written.object),
        &written.warnings,
    ))
}

fn delete(
    server: &Server,
    request: &Request,
    resource: &ResourceType,
    namespace: Option<&str>,
    name: &str,
) -> Result<Response, ApiError> {
    let body = request.json_body_or_empty()?;
    let options = request.query.delete_options(&body)?;
    match server.store.delete(resource, namespace, name, &options)? {
        Deleted::Gone(object) | Deleted::Pending(object) => Ok(respond::json(200, &object)),
    }
}

fn delete_collection(
    server: &Server,
    request: &Request,
    resource: &ResourceType,
    namespace: Option<&str>,
) -> Result<Response, ApiError> {
    let body = request.json_body_or_empty()?;
    let options = request.query.delete_options(&body)?;
    let selectors = request.query.selectors(&resource.kind)?;
    let page = server
        .store
        .list(resource, namespace, &selectors, None, None)?;
    let mut deleted = Vec::new();
    for object in page.items {
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let namespace = object["metadata"]["namespace"].as_str().map(str::to_owned);
        match server
            .store
            .delete(resource, namespace.as_deref(), &name, &options)
        {
            Ok(Deleted::Gone(object) | Deleted::Pending(object)) => deleted.push(object),
            // Deleted by someone else meanwhile.
            Err(error) if error.code == 404 => {}
            Err(error) => return Err(error),
        }
    }
    Ok(respond::json(
        200,
        &json!({"kind": resource.list_kind, "apiVersion": resource.api_version(), "metadata": {"resourceVersion": server.store.revision().to_string()}, "items": deleted}),
    ))
}

/// Body decoding for requests.
impl Request {
    pub fn json_body(&self) -> Result<Value, ApiError> {
        if protobuf::is_protobuf(&self.content_type) {
            return protobuf::decode(&self.body).map_err(|error| match error {
                protobuf::ProtobufError::UnknownKind { .. } => ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    format!("{error}; send it as application/json"),
                ),
                other => ApiError::bad_request(other.to_string()),
            });
        }
        serde_json::from_slice(&self.body).map_err(|error| {
            ApiError::bad_request(format!("the request body is not valid JSON: {error}"))
        })
    }

    pub fn json_body_or_empty(&self) -> Result<Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        self.json_body()
    }

    pub fn yaml_body(&self) -> Result<Value, ApiError> {
        let text = std::str::from_utf8(&self.body)
            .map_err(|_| ApiError::bad_request("the apply patch is not UTF-8 text"))?;
        serde_saphyr::from_str(text)
            .map_err(|error| ApiError::bad_request(format!("error decoding YAML: {error}")))
    }
}
