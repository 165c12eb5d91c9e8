//! Watches: a chunked stream of `{"type", "object"}` lines — the backlog from the requested
//! `resourceVersion` (or the current objects, as additions), then live changes — filtered by
//! namespace and selectors with the apiserver's transitions (an object leaving the selection
//! is a `DELETED`, one entering it an `ADDED`), with bookmarks, `sendInitialEvents`,
//! `timeoutSeconds`, and an `ERROR` event with a 410 `Status` when the version is too old.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::{Request, Server, respond};
use crate::emulator::api_error::ApiError;
use crate::emulator::registry::ResourceType;
use crate::emulator::store::{Change, ChangeKind, Selectors, Store, served_as};
use crate::emulator::table;

/// How often bookmarks are sent to watches that allow them.
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(1);

struct Filter {
    namespace: Option<String>,
    selectors: Selectors,
}

impl Filter {
    fn admits(&self, resource: &ResourceType, object: &Value) -> bool {
        let in_namespace = self.namespace.as_deref().is_none_or(|namespace| {
            !resource.namespaced || object["metadata"]["namespace"].as_str() == Some(namespace)
        });
        in_namespace && self.selectors.matches(object)
    }

    /// The event a change is to this watch, if any.
    fn event_for(&self, resource: &ResourceType, change: &Change) -> Option<&'static str> {
        let now = self.admits(resource, &change.object);
        let before = change
            .old
            .as_ref()
            .is_some_and(|old| self.admits(resource, old));
        match change.kind {
            ChangeKind::Added => now.then_some("ADDED"),
            ChangeKind::Deleted => (now || before).then_some("DELETED"),
            ChangeKind::Modified => match (before, now) {
                (true, true) => Some("MODIFIED"),
                (false, true) => Some("ADDED"),
                (true, false) => Some("DELETED"),
                (false, false) => None,
            },
        }
    }
}

/// How objects are written into events.
struct Encoding {
    table: bool,
    query: super::params::Query,
}

pub async fn serve(
    server: &Server,
    request: &Request,
    resource: &ResourceType,
    namespace: Option<&str>,
) -> Result<Response, ApiError> {
    let filter = Filter {
        namespace: namespace.map(str::to_owned),
        selectors: request.query.selectors(&resource.kind)?,
    };
    let from =
        match request.query.get("resourceVersion") {
            None | Some("0") => None,
            Some(version) => Some(version.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("invalid resource version {version:?}"))
            })?),
        };
    let send_initial_events = request.query.flag("sendInitialEvents");
    let from = if send_initial_events { None } else { from };
    let bookmarks = request.query.flag("allowWatchBookmarks");
    let timeout = request
        .query
        .number("timeoutSeconds")?
        .filter(|seconds| *seconds > 0)
        .map(|seconds| Duration::from_secs(seconds.unsigned_abs()));
    // Refuse a bad includeObject before the stream starts.
    request.query.include_object()?;
    let encoding = Encoding {
        table: table::wants_table(&request.accept),
        query: request.query.clone(),
    };
    let (sender, receiver) = mpsc::channel::<Bytes>(64);
    match server.store.subscribe(resource, from) {
        Err(error) if error.code == 410 => {
            let line = event_line("ERROR", &error.to_status());
            // The stream ends right after; a full channel cannot happen on an empty one.
            let _ = sender.try_send(line);
        }
        Err(error) => return Err(error),
        Ok(subscription) => {
            let stream = Stream {
                store: Arc::clone(&server.store),
                resource: resource.clone(),
                filter,
                encoding,
                sender,
                bookmarks,
                send_initial_events,
            };
            tokio::spawn(stream.run(subscription, timeout));
        }
    }
    let body = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|line| (Ok::<Bytes, Infallible>(line), receiver))
    });
    let content_type = "application/json";
    Ok(respond::with_type(
        200,
        content_type,
        Body::from_stream(body),
    ))
}

struct Stream {
    store: Arc<Store>,
    resource: ResourceType,
    filter: Filter,
    encoding: Encoding,
    sender: mpsc::Sender<Bytes>,
    bookmarks: bool,
    send_initial_events: bool,
}

impl Stream {
    async fn run(
        self,
        subscription: crate::emulator::store::Subscription,
        timeout: Option<Duration>,
    ) {
        let deadline = timeout.map(|timeout| tokio::time::Instant::now() + timeout);
        let mut last_revision = subscription.revision;
        for change in &subscription.backlog {
            if !self.send_change(change).await {
                return;
            }
        }
        if self.send_initial_events && !self.send_bookmark(subscription.revision, true).await {
            return;
        }
        let mut live = subscription.live;
        let mut ticker = tokio::time::interval(BOOKMARK_INTERVAL);
        ticker.tick().await;
        loop {
            let expired = async {
                match deadline {
                    Some(deadline) => tokio::time::sleep_until(deadline).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = live.recv() => match received {
                    Ok(change) => {
                        if change.revision <= subscription.revision || !change.key_is(&self.resource) {
                            continue;
                        }
                        last_revision = change.revision;
                        if !self.send_change(&change).await {
                            return;
                        }
                    }
                    // A watcher too slow to keep up is ended; its client resumes from the
                    // last version it saw, as with a real apiserver.
                    Err(broadcast::error::RecvError::Lagged(_) | broadcast::error::RecvError::Closed) => return,
                },
                _ = ticker.tick(), if self.bookmarks => {
                    let revision = self.store.revision().max(last_revision);
                    if !self.send_bookmark(revision, false).await {
                        return;
                    }
                }
                () = expired => return,
                () = self.sender.closed() => return,
            }
        }
    }

    async fn send_change(&self, change: &Change) -> bool {
        let Some(event_type) = self.filter.event_for(&self.resource, change) else {
            return true;
        };
        // An object leaving the selection is deleted as the watcher last saw it matching,
        // at the version of the change, as the apiserver's watch cache does.
        let left_selection = event_type == "DELETED" && change.kind == ChangeKind::Modified;
        let mut object = match (&change.old, left_selection) {
            (Some(old), true) => served_as(&self.resource, old),
            _ => served_as(&self.resource, &change.object),
        };
        object["metadata"]["resourceVersion"] = json!(change.revision.to_string());
        let object = if self.encoding.table {
            table::table(
                &self.resource,
                &[object],
                self.encoding
                    .query
                    .include_object()
                    .unwrap_or(table::IncludeObject::Metadata),
                json!({"resourceVersion": change.revision.to_string()}),
                jiff::Timestamp::now(),
            )
        } else {
            object
        };
        self.sender
            .send(event_line(event_type, &object))
            .await
            .is_ok()
    }

    async fn send_bookmark(&self, revision: u64, initial_events_end: bool) -> bool {
        let mut metadata = json!({"resourceVersion": revision.to_string()});
        if initial_events_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = json!({"kind": self.resource.kind, "apiVersion": self.resource.api_version(), "metadata": metadata});
        self.sender
            .send(event_line("BOOKMARK", &object))
            .await
            .is_ok()
    }
}

fn event_line(event_type: &str, object: &Value) -> Bytes {
    let mut line = json!({"type": event_type, "object": object}).to_string();
    line.push('\n');
    Bytes::from(line)
}
