//! Waiting for an object to reach a condition, by watching it, as `kubectl wait` does.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::Api;
use kube::api::{ApiResource, DynamicObject, WatchEvent, WatchParams};
use serde_json::Value;
use thiserror::Error;

/// Why a wait ended without the condition.
#[derive(Debug, Error)]
pub enum WaitError {
    #[error(
        "timed out after {seconds} s waiting for {kind} {namespace}/{name} to have {condition}=True; last status: {last_status}"
    )]
    TimedOut {
        kind: String,
        namespace: String,
        name: String,
        condition: String,
        seconds: u64,
        last_status: String,
    },
    #[error("failed to watch {kind} {namespace}/{name}")]
    Watch {
        kind: String,
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
}

/// Waits until the object's `status.conditions` has `condition` with status `True`; returns
/// the object at that moment.
pub async fn wait_for_condition(
    client: kube::Client,
    resource: &ApiResource,
    namespace: &str,
    name: &str,
    condition: &str,
    timeout: Duration,
) -> Result<DynamicObject, WaitError> {
    let api: Api<DynamicObject> = Api::namespaced_with(client, namespace, resource);
    let watch_error = |source| WaitError::Watch {
        kind: resource.kind.clone(),
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        source,
    };
    let mut last_status = Value::Null;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(object) = api.get_opt(name).await.map_err(watch_error)? {
            if has_condition(&object, condition) {
                return Ok(object);
            }
            last_status = object.data["status"].clone();
            let version = object.metadata.resource_version.clone().unwrap_or_default();
            let params = WatchParams::default()
                .fields(&format!("metadata.name={name}"))
                .timeout(10);
            let mut events = api
                .watch(&params, &version)
                .await
                .map_err(watch_error)?
                .boxed();
            loop {
                let next = tokio::time::timeout_at(deadline, events.try_next()).await;
                match next {
                    Err(_) => break,
                    Ok(Ok(Some(WatchEvent::Added(object) | WatchEvent::Modified(object)))) => {
                        if has_condition(&object, condition) {
                            return Ok(object);
                        }
                        last_status = object.data["status"].clone();
                    }
                    Ok(Ok(Some(_))) => {}
                    Ok(Ok(None) | Err(_)) => break,
                }
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(WaitError::TimedOut {
                kind: resource.kind.clone(),
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                condition: condition.to_owned(),
                seconds: timeout.as_secs(),
                last_status: last_status.to_string(),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn has_condition(object: &DynamicObject, condition: &str) -> bool {
    object.data["status"]["conditions"]
        .as_array()
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c["type"] == condition && c["status"] == "True")
        })
}
