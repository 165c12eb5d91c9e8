//! Creating, replacing and patching objects: the steps a write goes through in an apiserver —
//! decode the patch, keep status and spec apart, carry server-owned metadata over, default,
//! validate custom resources against their CRD (pruning or refusing unknown fields), bump
//! `generation`, record field ownership, then commit unless it is a dry run or a no-op.

use serde_json::Value;

use super::checks::{
    check_crd, check_finalizers_while_deleting, check_kind, check_pod_update, name_required,
    strict_decoding_error,
};
use super::{ChangeKind, ObjectKey, State, Store, defaults, events, metadata, patching, served_as};
use crate::admission::{CauseKind, UnknownFields};
use crate::emulator::api_error::ApiError;
use crate::emulator::registry::ResourceType;

/// Which part of an object a request writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Everything but the status, when the type has a status subresource.
    Main,
    /// Only the status (`…/status`).
    Status,
}

/// The `fieldValidation` of a request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FieldValidation {
    Strict,
    #[default]
    Warn,
    Ignore,
}

/// The content type of a PATCH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchKind {
    Json,
    Merge,
    Strategic,
    Apply,
}

/// Options every write takes.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    pub dry_run: bool,
    /// `fieldManager`, or one derived from the client's user agent.
    pub manager: Option<String>,
    pub validation: FieldValidation,
    /// `force` of a server-side apply.
    pub force: bool,
}

/// A stored (or, on a dry run, would-be stored) object.
#[derive(Clone, Debug)]
pub struct Written {
    pub object: Value,
    pub created: bool,
    /// `Warning` headers for the client (pruned unknown fields).
    pub warnings: Vec<String>,
}

impl Written {
    /// The written object as the type it was written through serves it.
    fn served_as(mut self, resource: &ResourceType) -> Written {
        self.object = served_as(resource, &self.object);
        self
    }
}

/// How a write came in, which decides how field ownership is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operation {
    Update,
    Apply,
}

impl Store {
    pub fn create(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        body: Value,
        options: &WriteOptions,
    ) -> Result<Written, ApiError> {
        self.lock()
            .create(resource, namespace, body, options, Operation::Update)
            .map(|written| written.served_as(resource))
    }

    /// Replaces an object (PUT), or its status.
    pub fn replace(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        body: Value,
        part: Part,
        options: &WriteOptions,
    ) -> Result<Written, ApiError> {
        let mut state = self.lock();
        let old = state.existing(resource, namespace, name)?;
        state
            .update(resource, old, body, part, options, Operation::Update)
            .map(|written| written.served_as(resource))
    }

    /// Patches an object or its status; an apply patch creates a missing object.
    #[allow(clippy::too_many_arguments)]
    pub fn patch(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        kind: PatchKind,
        body: &Value,
        part: Part,
        options: &WriteOptions,
    ) -> Result<Written, ApiError> {
        let mut state = self.lock();
        let key = ObjectKey::new(resource, namespace, name);
        let old = state.objects.get(&key).cloned();
        if kind == PatchKind::Apply {
            return state
                .apply(resource, namespace, name, old, body, part, options)
                .map(|written| written.served_as(resource));
        }
        let old = old.ok_or_else(|| ApiError::not_found(resource, name))?;
        // A patch applies to the object as this version serves it.
        let served = served_as(resource, &old);
        let patched = match kind {
            PatchKind::Merge => patching::merge(&served, body),
            PatchKind::Json => patching::json(&served, body)?,
            PatchKind::Strategic if resource.is_custom() => {
                return Err(ApiError::unsupported_media_type(
                    "application/strategic-merge-patch+json",
                ));
            }
            PatchKind::Strategic | PatchKind::Apply => {
                patching::strategic(resource, &served, body)?
            }
        };
        state
            .update(resource, old, patched, part, options, Operation::Update)
            .map(|written| written.served_as(resource))
    }
}

impl State {
    fn existing(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        self.objects
            .get(&ObjectKey::new(resource, namespace, name))
            .cloned()
            .ok_or_else(|| ApiError::not_found(resource, name))
    }

    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        old: Option<Value>,
        body: &Value,
        part: Part,
        options: &WriteOptions,
    ) -> Result<Written, ApiError> {
        let manager = options.manager.as_deref().ok_or_else(|| {
            ApiError::bad_request(
                "PATCH is not supported: fieldManager is required for apply requests",
            )
        })?;
        let mut applied = body.clone();
        if applied["metadata"]["name"]
            .as_str()
            .is_some_and(|sent| sent != name)
        {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                applied["metadata"]["name"].as_str().unwrap_or_default()
            )));
        }
        applied["metadata"]["name"] = Value::String(name.to_owned());
        restrict_to_part(resource, &mut applied, part);
        let served = old.as_ref().map(|old| served_as(resource, old));
        let result = patching::apply(
            resource,
            served.as_ref(),
            &applied,
            manager,
            options.force,
            part,
        )?;
        match old {
            Some(old) => self.update(resource, old, result, part, options, Operation::Apply),
            None => self.create(resource, namespace, result, options, Operation::Apply),
        }
    }

    fn create(
        &mut self,
        resource: &ResourceType,
        namespace: Option<&str>,
        object: Value,
        options: &WriteOptions,
        operation: Operation,
    ) -> Result<Written, ApiError> {
        check_kind(resource, &object)?;
        let mut object = events::to_storage(resource, object);
        let namespace = self.place(resource, namespace, &mut object)?;
        let name = match object["metadata"]["name"]
            .as_str()
            .filter(|name| !name.is_empty())
        {
            Some(name) => name.to_owned(),
            None => match object["metadata"]["generateName"].as_str() {
                Some(prefix) => format!("{prefix}{}", metadata::generated_suffix()),
                None => return Err(name_required(resource)),
            },
        };
        metadata::validate_name(resource, &name)?;
        let key = ObjectKey::new(resource, namespace.as_deref(), &name);
        if self.objects.contains_key(&key) {
            return Err(ApiError::already_exists(resource, &name));
        }
        let meta = &mut object["metadata"];
        meta["name"] = Value::String(name.clone());
        meta["uid"] = Value::String(metadata::new_uid());
        meta["creationTimestamp"] = Value::String(metadata::now());
        meta["generation"] = Value::from(1);
        if let Some(fields) = meta.as_object_mut() {
            for server_owned in [
                "resourceVersion",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "selfLink",
            ] {
                fields.remove(server_owned);
            }
        }
        if resource.subresources.status
            && resource.kind != "Node"
            && let Some(fields) = object.as_object_mut()
        {
            fields.remove("status");
        }
        if resource.kind == "CustomResourceDefinition" {
            check_crd(resource, &object)?;
        }
        defaults::on_create(resource, &mut object);
        let (mut object, warnings) = self.admit(resource, &object, None, options.validation)?;
        if operation == Operation::Update {
            patching::record_update(
                resource,
                None,
                &mut object,
                options.manager.as_deref(),
                Part::Main,
            );
        }
        if options.dry_run {
            return Ok(Written {
                object,
                created: true,
                warnings,
            });
        }
        let object = self.commit(ChangeKind::Added, key, None, object);
        if resource.kind == "CustomResourceDefinition" {
            self.reload_crds()?;
        }
        Ok(Written {
            object,
            created: true,
            warnings,
        })
    }

    fn update(
        &mut self,
        resource: &ResourceType,
        old: Value,
        object: Value,
        part: Part,
        options: &WriteOptions,
        operation: Operation,
    ) -> Result<Written, ApiError> {
        check_kind(resource, &object)?;
        let mut object = events::to_storage(resource, object);
        let name = old["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if object["metadata"]["name"]
            .as_str()
            .is_some_and(|sent| sent != name)
        {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                object["metadata"]["name"].as_str().unwrap_or_default()
            )));
        }
        if metadata::sent_resource_version(&object)
            .is_some_and(|sent| Some(sent) != metadata::sent_resource_version(&old))
        {
            return Err(ApiError::conflict(resource, &name));
        }
        keep_other_part(resource, &old, &mut object, part);
        carry_server_metadata(&old, &mut object);
        check_finalizers_while_deleting(resource, &old, &object)?;
        if resource.is_core("pods") && part == Part::Main {
            check_pod_update(resource, &old, &object)?;
        }
        if resource.kind == "CustomResourceDefinition" && part == Part::Main {
            check_crd(resource, &object)?;
            defaults::accept_crd(&mut object);
        }
        defaults::on_write(resource, &mut object);
        let (mut object, warnings) =
            self.admit(resource, &object, Some(&old), options.validation)?;
        if metadata::spec_changed(&old, &object) {
            let generation = old["metadata"]["generation"].as_i64().unwrap_or(1);
            object["metadata"]["generation"] = Value::from(generation + 1);
        }
        if operation == Operation::Update {
            patching::record_update(
                resource,
                Some(&old),
                &mut object,
                options.manager.as_deref(),
                part,
            );
        }
        let unchanged = {
            let mut before = old.clone();
            before["metadata"]["resourceVersion"] = Value::Null;
            let mut after = object.clone();
            after["metadata"]["resourceVersion"] = Value::Null;
            strip_times(&mut before) == strip_times(&mut after)
        };
        if unchanged || options.dry_run {
            let object = if unchanged { old } else { object };
            return Ok(Written {
                object,
                created: false,
                warnings,
            });
        }
        let key = self.key_of(resource, &object);
        // A graceful deletion (a pod waiting for its kubelet) ends with the kubelet's own
        // delete, not with the last finalizer.
        let finished_deleting = metadata::is_being_deleted(&object)
            && object["metadata"]["deletionGracePeriodSeconds"]
                .as_i64()
                .is_none_or(|seconds| seconds == 0)
            && !metadata::has_finalizers(&object);
        let object = self.commit(ChangeKind::Modified, key.clone(), Some(old), object);
        if finished_deleting {
            self.remove(&key);
        }
        if resource.kind == "CustomResourceDefinition" {
            self.reload_crds()?;
        }
        Ok(Written {
            object,
            created: false,
            warnings,
        })
    }

    pub(super) fn key_of(&self, resource: &ResourceType, object: &Value) -> ObjectKey {
        ObjectKey::new(
            resource,
            object["metadata"]["namespace"].as_str(),
            object["metadata"]["name"].as_str().unwrap_or_default(),
        )
    }

    /// Puts the object in the request's namespace, which must exist and not be terminating.
    fn place(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        object: &mut Value,
    ) -> Result<Option<String>, ApiError> {
        if !resource.namespaced {
            if let Some(fields) = object["metadata"].as_object_mut() {
                fields.remove("namespace");
            }
            return Ok(None);
        }
        let namespace = namespace.unwrap_or("default");
        if object["metadata"]["namespace"]
            .as_str()
            .is_some_and(|sent| !sent.is_empty() && sent != namespace)
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        match self.objects.get(&ObjectKey::namespace(namespace)) {
            None => {
                let mut error = ApiError::new(
                    404,
                    "NotFound",
                    format!("namespaces \"{namespace}\" not found"),
                );
                error.details.name = Some(namespace.to_owned());
                error.details.kind = Some("namespaces".to_owned());
                return Err(error);
            }
            Some(existing) if metadata::is_being_deleted(existing) => {
                return Err(ApiError::new(
                    403,
                    "Forbidden",
                    format!(
                        "{} \"{}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
                        resource.qualified_resource(),
                        object["metadata"]["name"].as_str().unwrap_or_default()
                    ),
                ));
            }
            Some(_) => {}
        }
        object["metadata"]["namespace"] = Value::String(namespace.to_owned());
        Ok(Some(namespace.to_owned()))
    }

    /// Validates a custom resource against its CRD; other kinds are stored as sent.
    fn admit(
        &self,
        resource: &ResourceType,
        object: &Value,
        old: Option<&Value>,
        validation: FieldValidation,
    ) -> Result<(Value, Vec<String>), ApiError> {
        if !resource.is_custom() {
            return Ok((object.clone(), Vec::new()));
        }
        let admitted = match self.catalog.admit_with(object, old, UnknownFields::Prune) {
            Ok(admitted) => admitted,
            Err(rejection) => {
                // The apiserver decodes before it validates: under strict field validation an
                // unknown field is a 400, even when some value is invalid as well.
                if validation == FieldValidation::Strict
                    && let Err(strict) = self.catalog.admit_with(object, old, UnknownFields::Reject)
                {
                    let unknown: Vec<String> = strict
                        .causes
                        .iter()
                        .filter(|cause| cause.kind == CauseKind::UnknownField)
                        .map(ToString::to_string)
                        .collect();
                    if !unknown.is_empty() {
                        return Err(strict_decoding_error(resource, &unknown));
                    }
                }
                return Err(ApiError::from_rejection(resource, &rejection));
            }
        };
        let unknown: Vec<String> = admitted
            .pruned
            .iter()
            .map(|field| format!("unknown field \"{field}\""))
            .collect();
        match validation {
            FieldValidation::Strict if !unknown.is_empty() => {
                Err(strict_decoding_error(resource, &unknown))
            }
            FieldValidation::Warn => Ok((admitted.object, unknown)),
            FieldValidation::Strict | FieldValidation::Ignore => Ok((admitted.object, Vec::new())),
        }
    }
}

/// Keeps the request to the part of the object its endpoint may write.
fn restrict_to_part(resource: &ResourceType, object: &mut Value, part: Part) {
    if !resource.subresources.status {
        return;
    }
    let Some(fields) = object.as_object_mut() else {
        return;
    };
    match part {
        Part::Main => {
            fields.remove("status");
        }
        Part::Status => fields.retain(|field, _| {
            matches!(
                field.as_str(),
                "apiVersion" | "kind" | "metadata" | "status"
            )
        }),
    }
}

/// The main endpoint ignores status and the status endpoint everything else.
fn keep_other_part(resource: &ResourceType, old: &Value, object: &mut Value, part: Part) {
    if !resource.subresources.status {
        return;
    }
    match part {
        Part::Main => metadata::copy_or_remove(old, object, "status"),
        Part::Status => {
            let mut kept = old.clone();
            metadata::copy_or_remove(object, &mut kept, "status");
            // The status endpoint changes no metadata but ownership records.
            if let Some(managed) = object["metadata"].get("managedFields") {
                kept["metadata"]["managedFields"] = managed.clone();
            }
            *object = kept;
        }
    }
}

/// Metadata only the server sets survives any write.
fn carry_server_metadata(old: &Value, object: &mut Value) {
    for field in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
        "namespace",
        "name",
    ] {
        metadata::copy_or_remove(&old["metadata"], &mut object["metadata"], field);
    }
    if object["metadata"].get("managedFields").is_none()
        && let Some(managed) = old["metadata"].get("managedFields")
    {
        object["metadata"]["managedFields"] = managed.clone();
    }
}

/// For the no-op check: managedFields timestamps change on every write.
fn strip_times(object: &mut Value) -> &Value {
    if let Some(entries) = object["metadata"]
        .get_mut("managedFields")
        .and_then(Value::as_array_mut)
    {
        for entry in entries {
            entry["time"] = Value::Null;
        }
    }
    object
}
