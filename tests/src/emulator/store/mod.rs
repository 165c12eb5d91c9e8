//! The emulated apiserver's storage: every object as JSON, one global revision counter that
//! becomes each object's `resourceVersion`, a bounded history of changes for watches, and the
//! registry of served types, which follows the CRDs stored here. Writes go through
//! [`write`]; deletions, finalizers and garbage collection through [`deletion`].

mod checks;
mod defaults;
mod deletion;
mod events;
mod metadata;
mod patching;
mod pods;
pub mod selectors;
mod write;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::broadcast;

use super::api_error::ApiError;
use super::registry::{Registry, ResourceType};
use crate::admission::Catalog;
pub use deletion::{DeleteOptions, Deleted, Propagation};
pub use metadata::generated_suffix;
pub use selectors::Selectors;
pub use write::{FieldValidation, Part, PatchKind, WriteOptions, Written};

/// How many changes are kept for watches that resume from a `resourceVersion`.
const HISTORY_LIMIT: usize = 20_000;

/// Where an object lives: its resource (by group and plural, so every served version of a
/// CRD sees the same objects), namespace (empty when cluster-scoped) and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub group: String,
    pub plural: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(resource: &ResourceType, namespace: Option<&str>, name: &str) -> ObjectKey {
        let (group, plural) = events::storage_identity(resource);
        ObjectKey {
            group: group.to_owned(),
            plural: plural.to_owned(),
            namespace: if resource.namespaced {
                namespace.unwrap_or_default().to_owned()
            } else {
                String::new()
            },
            name: name.to_owned(),
        }
    }

    /// The key of the namespace named `name`.
    pub fn namespace(name: &str) -> ObjectKey {
        ObjectKey {
            group: String::new(),
            plural: "namespaces".to_owned(),
            namespace: String::new(),
            name: name.to_owned(),
        }
    }

    fn is_of(&self, resource: &ResourceType) -> bool {
        events::storage_identity(resource) == (self.group.as_str(), self.plural.as_str())
    }
}

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

impl ChangeKind {
    /// The watch event type.
    pub fn event_type(self) -> &'static str {
        match self {
            ChangeKind::Added => "ADDED",
            ChangeKind::Modified => "MODIFIED",
            ChangeKind::Deleted => "DELETED",
        }
    }
}

/// One committed change, as watches see it.
#[derive(Clone, Debug)]
pub struct Change {
    pub revision: u64,
    pub kind: ChangeKind,
    pub key: ObjectKey,
    /// The object before the change (for selector transitions).
    pub old: Option<Value>,
    /// The object after the change; for a deletion, its last state.
    pub object: Value,
}

impl Change {
    /// Whether the change is to an object of this type.
    pub fn key_is(&self, resource: &ResourceType) -> bool {
        self.key.is_of(resource)
    }
}

/// One page of a list.
#[derive(Clone, Debug)]
pub struct ListPage {
    pub items: Vec<Value>,
    pub revision: u64,
    pub continue_token: Option<String>,
    pub remaining: Option<usize>,
}

/// What a watch starts from.
#[derive(Debug)]
pub struct Subscription {
    /// Changes already committed that the watch must send first.
    pub backlog: Vec<Arc<Change>>,
    pub live: broadcast::Receiver<Arc<Change>>,
    pub revision: u64,
}

pub(crate) struct State {
    revision: u64,
    objects: BTreeMap<ObjectKey, Value>,
    history: VecDeque<Arc<Change>>,
    /// The revision before the oldest change kept; a watch from earlier gets 410 Gone.
    compacted: u64,
    registry: Registry,
    catalog: Catalog,
    changes: broadcast::Sender<Arc<Change>>,
}

/// The objects of the emulated cluster.
pub struct Store {
    state: Mutex<State>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// An empty cluster with the namespaces every cluster has.
    pub fn new() -> Result<Store, ApiError> {
        let (changes, _) = broadcast::channel(8192);
        let catalog = Catalog::new(&[]).map_err(|error| ApiError::internal(error.to_string()))?;
        let store = Store {
            state: Mutex::new(State {
                revision: 1,
                objects: BTreeMap::new(),
                history: VecDeque::new(),
                compacted: 1,
                registry: Registry::default(),
                catalog,
                changes,
            }),
        };
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let body = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}});
            let namespaces = store.resource("", "v1", "namespaces")?;
            store.create(&namespaces, None, body, &WriteOptions::default())?;
        }
        Ok(store)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock is a bug in the emulator; keep serving what is there.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A copy of the served types (they change when CRDs do).
    pub fn registry(&self) -> Registry {
        self.lock().registry.clone()
    }

    /// The type served at a group/version/plural, or 404.
    pub fn resource(
        &self,
        group: &str,
        version: &str,
        plural: &str,
    ) -> Result<ResourceType, ApiError> {
        self.lock()
            .registry
            .by_resource(group, version, plural)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                )
            })
    }

    pub fn revision(&self) -> u64 {
        self.lock().revision
    }

    pub fn get(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        let state = self.lock();
        state
            .objects
            .get(&ObjectKey::new(resource, namespace, name))
            .map(|object| served_as(resource, object))
            .ok_or_else(|| ApiError::not_found(resource, name))
    }

    /// Objects of a type, in one namespace or all, in (namespace, name) order, paged by
    /// `limit` and a `continue` token from the previous page.
    pub fn list(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        selectors: &Selectors,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<ListPage, ApiError> {
        let state = self.lock();
        let after = continue_token.map(decode_continue).transpose()?;
        let matching: Vec<(&ObjectKey, &Value)> = state
            .objects
            .iter()
            .filter(|(key, _)| key.is_of(resource))
            .filter(|(key, _)| {
                namespace.is_none_or(|ns| !resource.namespaced || key.namespace == ns)
            })
            .filter(|(key, _)| {
                after
                    .as_ref()
                    .is_none_or(|(ns, name)| (&key.namespace, &key.name) > (ns, name))
            })
            .filter(|(_, object)| selectors.matches(object))
            .collect();
        // A limit of 0 means no limit, as in the real API.
        let page_len = limit
            .filter(|limit| *limit > 0)
            .map_or(matching.len(), |limit| limit.min(matching.len()));
        let remaining = matching.len() - page_len;
        let continue_token = match matching[..page_len].last() {
            Some((last, _)) if remaining > 0 => Some(encode_continue(&last.namespace, &last.name)),
            _ => None,
        };
        Ok(ListPage {
            items: matching[..page_len]
                .iter()
                .map(|(_, object)| served_as(resource, object))
                .collect(),
            revision: state.revision,
            continue_token,
            remaining: (remaining > 0).then_some(remaining),
        })
    }

    /// Starts a watch of a type: the backlog after `from` (or the current objects as
    /// additions when `from` is `None`), then live changes.
    pub fn subscribe(
        &self,
        resource: &ResourceType,
        from: Option<u64>,
    ) -> Result<Subscription, ApiError> {
        let state = self.lock();
        let live = state.changes.subscribe();
        let backlog = match from {
            Some(revision) if revision < state.compacted => {
                return Err(ApiError::gone(revision, state.compacted));
            }
            Some(revision) => state
                .history
                .iter()
                .filter(|change| change.revision > revision && change.key.is_of(resource))
                .cloned()
                .collect(),
            None => state
                .objects
                .iter()
                .filter(|(key, _)| key.is_of(resource))
                .map(|(key, object)| {
                    Arc::new(Change {
                        revision: resource_version(object),
                        kind: ChangeKind::Added,
                        key: key.clone(),
                        old: None,
                        object: object.clone(),
                    })
                })
                .collect(),
        };
        Ok(Subscription {
            backlog,
            live,
            revision: state.revision,
        })
    }

    /// Forgets the change history, so that watches resuming from before now get 410 Gone —
    /// what etcd compaction does to a real cluster.
    pub fn compact(&self) {
        let mut state = self.lock();
        state.history.clear();
        state.compacted = state.revision;
    }
}

impl State {
    /// Commits a change: bumps the revision, stamps the object, records and publishes it.
    fn commit(
        &mut self,
        kind: ChangeKind,
        key: ObjectKey,
        old: Option<Value>,
        mut object: Value,
    ) -> Value {
        self.revision += 1;
        object["metadata"]["resourceVersion"] = Value::String(self.revision.to_string());
        match kind {
            ChangeKind::Deleted => {
                self.objects.remove(&key);
            }
            ChangeKind::Added | ChangeKind::Modified => {
                self.objects.insert(key.clone(), object.clone());
            }
        }
        let change = Arc::new(Change {
            revision: self.revision,
            kind,
            key,
            old,
            object: object.clone(),
        });
        self.history.push_back(Arc::clone(&change));
        while self.history.len() > HISTORY_LIMIT {
            if let Some(dropped) = self.history.pop_front() {
                self.compacted = dropped.revision;
            }
        }
        // No watcher is not an error.
        let _ = self.changes.send(change);
        object
    }

    fn objects_of<'a>(
        &'a self,
        group: &'a str,
        plural: &'a str,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Value)> + 'a {
        self.objects
            .iter()
            .filter(move |(key, _)| key.group == group && key.plural == plural)
    }

    /// Rebuilds the served types and the admission catalog from the stored CRDs.
    fn reload_crds(&mut self) -> Result<(), ApiError> {
        let crds: Vec<Value> = self
            .objects_of("apiextensions.k8s.io", "customresourcedefinitions")
            .map(|(_, crd)| crd.clone())
            .collect();
        let mut registry = Registry::default();
        let mut typed = Vec::new();
        for crd in &crds {
            registry.install_crd(crd);
            let parsed = serde_json::from_value(crd.clone()).map_err(|error| {
                ApiError::internal(format!("failed to read a stored CRD: {error}"))
            })?;
            typed.push(parsed);
        }
        self.catalog =
            Catalog::new(&typed).map_err(|error| ApiError::internal(error.to_string()))?;
        self.registry = registry;
        Ok(())
    }
}

/// The object as served at this type's version: objects of a multi-version CRD are stored once
/// and shown at the version asked for, without conversion; Events in the shape of their group.
pub fn served_as(resource: &ResourceType, object: &Value) -> Value {
    events::to_served(resource, object)
}

pub fn resource_version(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|version| version.parse().ok())
        .unwrap_or(0)
}

fn encode_continue(namespace: &str, name: &str) -> String {
    use base64::Engine;
    let token = serde_json::json!({"namespace": namespace, "name": name}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token)
}

fn decode_continue(token: &str) -> Result<(String, String), ApiError> {
    use base64::Engine;
    let invalid = || ApiError::bad_request(format!("continue key is not valid: {token}"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let text = |field: &str| value[field].as_str().map(str::to_owned).ok_or_else(invalid);
    Ok((text("namespace")?, text("name")?))
}
