//! The pod subresources a scheduler and an evicting client use: `binding` (assigns a node,
//! once) and `eviction` (honours PodDisruptionBudgets, marks the pod with a `DisruptionTarget`
//! condition, then deletes it gracefully).

use serde_json::{Value, json};

use super::deletion::DeleteOptions;
use super::selectors::LabelSelector;
use super::{ChangeKind, ObjectKey, State, Store, metadata};
use crate::emulator::api_error::{ApiError, StatusCause};
use crate::emulator::registry::ResourceType;
use crate::emulator::table::selector_string;

impl Store {
    /// `POST pods/{name}/binding`.
    pub fn bind(
        &self,
        pods: &ResourceType,
        namespace: &str,
        name: &str,
        binding: &Value,
    ) -> Result<(), ApiError> {
        let node = binding["target"]["name"]
            .as_str()
            .filter(|node| !node.is_empty())
            .ok_or_else(|| {
                ApiError::bad_request("a Binding needs target.name, the node to bind to")
            })?;
        let mut state = self.lock();
        let key = ObjectKey::new(pods, Some(namespace), name);
        let old = state
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(pods, name))?;
        if let Some(current) = old["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) {
            let mut error = ApiError::conflict(pods, name);
            error.message = format!(
                "Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is already assigned to node \"{current}\""
            );
            return Err(error);
        }
        if metadata::is_being_deleted(&old) {
            let mut error = ApiError::conflict(pods, name);
            error.message = format!(
                "Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is being deleted, cannot be assigned to a host"
            );
            return Err(error);
        }
        let mut pod = old.clone();
        pod["spec"]["nodeName"] = json!(node);
        set_condition(
            &mut pod,
            json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": metadata::now()}),
        );
        state.commit(ChangeKind::Modified, key, Some(old), pod);
        Ok(())
    }

    /// `POST pods/{name}/eviction`.
    pub fn evict(
        &self,
        pods: &ResourceType,
        namespace: &str,
        name: &str,
        eviction: &Value,
    ) -> Result<(), ApiError> {
        let mut state = self.lock();
        let key = ObjectKey::new(pods, Some(namespace), name);
        let old = state
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(pods, name))?;
        state.check_disruption_budgets(namespace, &old)?;
        let mut pod = old.clone();
        set_condition(
            &mut pod,
            json!({"type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI",
            "message": "Eviction API: evicting", "lastProbeTime": null, "lastTransitionTime": metadata::now()}),
        );
        let pod = state.commit(ChangeKind::Modified, key.clone(), Some(old), pod);
        let options = DeleteOptions {
            grace_period_seconds: eviction["deleteOptions"]["gracePeriodSeconds"].as_i64(),
            ..DeleteOptions::default()
        };
        state.delete(pods, key, pod, &options);
        Ok(())
    }
}

impl State {
    /// 429 when evicting the pod would take a matching budget below what it allows.
    fn check_disruption_budgets(&self, namespace: &str, pod: &Value) -> Result<(), ApiError> {
        let budgets: Vec<&Value> = self
            .objects_of("policy", "poddisruptionbudgets")
            .filter(|(key, _)| key.namespace == namespace)
            .map(|(_, budget)| budget)
            .collect();
        for budget in budgets {
            let selector = selector_string(Some(&budget["spec"]["selector"]));
            let Ok(selector) = LabelSelector::parse(&selector) else {
                continue;
            };
            if !selector.matches(pod) {
                continue;
            }
            let healthy = self
                .objects_of("", "pods")
                .filter(|(key, _)| key.namespace == namespace)
                .filter(|(_, other)| selector.matches(other) && is_ready(other))
                .count();
            let healthy = i64::try_from(healthy).unwrap_or(i64::MAX);
            let allowed = match (
                budget["spec"]["minAvailable"].as_i64(),
                budget["spec"]["maxUnavailable"].as_i64(),
            ) {
                (Some(min_available), _) => healthy - min_available,
                (None, Some(max_unavailable)) => max_unavailable,
                (None, None) => 1,
            };
            let evicting_a_ready_pod = is_ready(pod);
            if evicting_a_ready_pod && allowed <= 0 {
                // As the apiserver words it: the budget's numbers are a cause, not the message.
                let mut error = ApiError::new(
                    429,
                    "TooManyRequests",
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                );
                error.details.causes.push(StatusCause {
                    reason: "DisruptionBudget".to_owned(),
                    message: format!(
                        "The disruption budget {} needs {} healthy pods and has {healthy} currently",
                        budget["metadata"]["name"].as_str().unwrap_or_default(),
                        budget["spec"]["minAvailable"].as_i64().unwrap_or(healthy),
                    ),
                    field: String::new(),
                });
                return Err(error);
            }
        }
        Ok(())
    }
}

fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// Adds or replaces a pod condition of the same type.
fn set_condition(pod: &mut Value, condition: Value) {
    let conditions = &mut pod["status"]["conditions"];
    if !conditions.is_array() {
        *conditions = json!([]);
    }
    if let Some(list) = conditions.as_array_mut() {
        list.retain(|existing| existing["type"] != condition["type"]);
        list.push(condition);
    }
}
