//! Deleting objects as the apiserver and its controllers do: finalizers hold an object with a
//! `deletionTimestamp` until they are removed; a pod on a node is deleted gracefully (its
//! kubelet finishes the deletion); the garbage collector deletes objects whose owners are all
//! gone (background and foreground cascades alike; `Orphan` strips the owner references);
//! a namespace goes `Terminating`, empties, then disappears; deleting a CRD deletes its objects.

use serde_json::Value;

use super::{ChangeKind, ObjectKey, State, Store, metadata};
use crate::emulator::api_error::ApiError;
use crate::emulator::registry::ResourceType;

/// `propagationPolicy` of a delete.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Propagation {
    #[default]
    Background,
    Foreground,
    Orphan,
}

/// A delete request's options (query parameters or a `DeleteOptions` body).
#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    pub propagation: Propagation,
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
    pub dry_run: bool,
}

/// What a delete did.
#[derive(Clone, Debug)]
pub enum Deleted {
    /// The object is gone; its last state.
    Gone(Value),
    /// The object waits for finalizers or its kubelet; its current state.
    Pending(Value),
}

impl Store {
    pub fn delete(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Deleted, ApiError> {
        let mut state = self.lock();
        let key = ObjectKey::new(resource, namespace, name);
        let object = state
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(resource, name))?;
        check_preconditions(resource, &object, options)?;
        let deleted = if options.dry_run {
            Deleted::Gone(object)
        } else {
            state.delete(resource, key, object, options)
        };
        Ok(match deleted {
            Deleted::Gone(last) => Deleted::Gone(super::served_as(resource, &last)),
            Deleted::Pending(current) => Deleted::Pending(super::served_as(resource, &current)),
        })
    }
}

impl State {
    pub(super) fn delete(
        &mut self,
        resource: &ResourceType,
        key: ObjectKey,
        object: Value,
        options: &DeleteOptions,
    ) -> Deleted {
        if options.propagation == Propagation::Orphan {
            self.orphan_dependents(&object);
        }
        let has_finalizers = metadata::has_finalizers(&object);
        let grace = graceful_period(resource, &object, options);
        let is_namespace = resource.is_core("namespaces");
        if has_finalizers || grace.is_some() || is_namespace {
            // Already marked: finalizers, the kubelet or the namespace controller finish it.
            if metadata::is_being_deleted(&object) {
                return Deleted::Pending(object);
            }
            let mut marked = object.clone();
            let seconds = grace.unwrap_or(0);
            marked["metadata"]["deletionTimestamp"] =
                Value::String(metadata::timestamp_after(seconds));
            marked["metadata"]["deletionGracePeriodSeconds"] = Value::from(seconds);
            if is_namespace {
                marked["status"]["phase"] = Value::String("Terminating".to_owned());
            }
            let marked = self.commit(ChangeKind::Modified, key.clone(), Some(object), marked);
            if is_namespace {
                self.empty_namespace(&key.name);
            }
            return match self.objects.get(&key) {
                Some(current) => Deleted::Pending(current.clone()),
                None => Deleted::Gone(marked),
            };
        }
        Deleted::Gone(self.remove(&key).unwrap_or(object))
    }

    /// Removes an object for good, then whatever that lets go: its dependents, a namespace
    /// waiting to be empty, a CRD's objects.
    pub(super) fn remove(&mut self, key: &ObjectKey) -> Option<Value> {
        let object = self.objects.get(key).cloned()?;
        let gone = self.commit(
            ChangeKind::Deleted,
            key.clone(),
            Some(object.clone()),
            object,
        );
        if key.group == "apiextensions.k8s.io" && key.plural == "customresourcedefinitions" {
            self.remove_custom_objects(&gone);
            // A stored CRD was just removed; the rest still parse.
            let _ = self.reload_crds();
        }
        if let Some(uid) = gone["metadata"]["uid"].as_str() {
            self.collect_garbage(uid);
        }
        if !key.namespace.is_empty() {
            self.finish_namespace_if_empty(&key.namespace);
        }
        Some(gone)
    }

    /// Deletes the objects whose owners are now all gone.
    fn collect_garbage(&mut self, owner_uid: &str) {
        let living: std::collections::BTreeSet<String> = self
            .objects
            .values()
            .filter_map(|object| object["metadata"]["uid"].as_str().map(str::to_owned))
            .collect();
        let orphaned: Vec<(ObjectKey, Value)> = self
            .objects
            .iter()
            .filter(|(_, object)| {
                let owners = object["metadata"]["ownerReferences"].as_array();
                owners.is_some_and(|owners| {
                    owners
                        .iter()
                        .any(|owner| owner["uid"].as_str() == Some(owner_uid))
                        && owners.iter().all(|owner| {
                            owner["uid"]
                                .as_str()
                                .is_none_or(|uid| !living.contains(uid))
                        })
                })
            })
            .filter(|(_, object)| !metadata::is_being_deleted(object))
            .map(|(key, object)| (key.clone(), object.clone()))
            .collect();
        for (key, object) in orphaned {
            if let Some(resource) = self.type_of(&key) {
                self.delete(&resource, key, object, &DeleteOptions::default());
            }
        }
    }

    fn orphan_dependents(&mut self, owner: &Value) {
        let Some(owner_uid) = owner["metadata"]["uid"].as_str() else {
            return;
        };
        let dependents: Vec<(ObjectKey, Value)> = self
            .objects
            .iter()
            .filter(|(_, object)| {
                object["metadata"]["ownerReferences"]
                    .as_array()
                    .is_some_and(|owners| {
                        owners.iter().any(|o| o["uid"].as_str() == Some(owner_uid))
                    })
            })
            .map(|(key, object)| (key.clone(), object.clone()))
            .collect();
        for (key, old) in dependents {
            let mut object = old.clone();
            if let Some(owners) = object["metadata"]["ownerReferences"].as_array_mut() {
                owners.retain(|o| o["uid"].as_str() != Some(owner_uid));
            }
            self.commit(ChangeKind::Modified, key, Some(old), object);
        }
    }

    fn empty_namespace(&mut self, namespace: &str) {
        let contents: Vec<(ObjectKey, Value)> = self
            .objects
            .iter()
            .filter(|(key, _)| key.namespace == namespace)
            .filter(|(_, object)| !metadata::is_being_deleted(object))
            .map(|(key, object)| (key.clone(), object.clone()))
            .collect();
        for (key, object) in contents {
            if let Some(resource) = self.type_of(&key) {
                self.delete(&resource, key, object, &DeleteOptions::default());
            }
        }
        self.finish_namespace_if_empty(namespace);
    }

    /// A terminating namespace disappears once nothing is left in it (its `kubernetes`
    /// finalizer is the namespace controller's).
    fn finish_namespace_if_empty(&mut self, namespace: &str) {
        let key = ObjectKey::namespace(namespace);
        let terminating = self
            .objects
            .get(&key)
            .is_some_and(|ns| metadata::is_being_deleted(ns) && !metadata::has_finalizers(ns));
        let empty = !self.objects.keys().any(|k| k.namespace == namespace);
        if terminating && empty {
            self.remove(&key);
        }
    }

    fn remove_custom_objects(&mut self, crd: &Value) {
        let group = crd["spec"]["group"].as_str().unwrap_or_default().to_owned();
        let plural = crd["spec"]["names"]["plural"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let keys: Vec<ObjectKey> = self
            .objects
            .keys()
            .filter(|key| key.group == group && key.plural == plural)
            .cloned()
            .collect();
        for key in keys {
            self.remove(&key);
        }
    }

    /// The served type of a stored object (any served version).
    pub(super) fn type_of(&self, key: &ObjectKey) -> Option<ResourceType> {
        self.registry
            .types()
            .iter()
            .find(|t| t.group == key.group && t.plural == key.plural)
            .cloned()
    }
}

/// The grace period of a pod that a kubelet must stop first; `None` for immediate deletion.
fn graceful_period(
    resource: &ResourceType,
    object: &Value,
    options: &DeleteOptions,
) -> Option<i64> {
    let is_pod = resource.is_core("pods");
    if !is_pod
        || object["spec"]["nodeName"]
            .as_str()
            .is_none_or(str::is_empty)
    {
        return None;
    }
    if matches!(
        object["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    ) {
        return None;
    }
    let grace = options
        .grace_period_seconds
        .or_else(|| object["spec"]["terminationGracePeriodSeconds"].as_i64())
        .unwrap_or(30);
    (grace > 0).then_some(grace)
}

fn check_preconditions(
    resource: &ResourceType,
    object: &Value,
    options: &DeleteOptions,
) -> Result<(), ApiError> {
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    if let Some(uid) = &options.precondition_uid
        && object["metadata"]["uid"].as_str() != Some(uid.as_str())
    {
        let mut error = ApiError::conflict(resource, name);
        error.message = format!(
            "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
            resource.qualified_resource(),
            object["metadata"]["uid"].as_str().unwrap_or_default()
        );
        return Err(error);
    }
    if let Some(version) = &options.precondition_resource_version
        && object["metadata"]["resourceVersion"].as_str() != Some(version.as_str())
    {
        return Err(ApiError::conflict(resource, name));
    }
    Ok(())
}
