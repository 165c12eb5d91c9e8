//! The query parameters of list, watch, write and delete requests, decoded into the store's
//! options.

use std::collections::HashMap;

use serde_json::Value;

use crate::emulator::api_error::ApiError;
use crate::emulator::store::selectors::{FieldSelector, LabelSelector};
use crate::emulator::store::{
    DeleteOptions, FieldValidation, Propagation, Selectors, WriteOptions,
};
use crate::emulator::table::IncludeObject;

/// The query string of a request.
#[derive(Clone, Debug, Default)]
pub struct Query(pub HashMap<String, String>);

impl Query {
    pub fn parse(query: Option<&str>) -> Query {
        let pairs = query
            .map(|query| {
                url_decode_pairs(query)
                    .into_iter()
                    .collect::<HashMap<String, String>>()
            })
            .unwrap_or_default();
        Query(pairs)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true" | "1"))
    }

    pub fn number(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|value| {
                value.parse().map_err(|_| {
                    ApiError::bad_request(format!("invalid value {value:?} for {name}"))
                })
            })
            .transpose()
    }

    pub fn selectors(&self, kind: &str) -> Result<Selectors, ApiError> {
        Ok(Selectors {
            labels: LabelSelector::parse(self.get("labelSelector").unwrap_or_default())?,
            fields: FieldSelector::parse(self.get("fieldSelector").unwrap_or_default(), kind)?,
        })
    }

    pub fn include_object(&self) -> Result<IncludeObject, ApiError> {
        Ok(IncludeObject::from_query(self.get("includeObject"))?)
    }

    /// Options of a create, update or patch; `user_agent` names the manager when the request
    /// does not, as the apiserver does.
    pub fn write_options(&self, user_agent: Option<&str>) -> Result<WriteOptions, ApiError> {
        let validation = match self.get("fieldValidation") {
            None | Some("Warn") => FieldValidation::Warn,
            Some("Strict") => FieldValidation::Strict,
            Some("Ignore") => FieldValidation::Ignore,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "fieldValidation must be one of Ignore, Warn or Strict, not {other:?}"
                )));
            }
        };
        let manager = self.get("fieldManager").map(str::to_owned).or_else(|| {
            user_agent
                .and_then(|agent| agent.split('/').next())
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
        });
        Ok(WriteOptions {
            dry_run: self.get("dryRun") == Some("All"),
            manager,
            validation,
            force: self.flag("force"),
        })
    }

    /// Options of a delete, from the query and an optional `DeleteOptions` body.
    pub fn delete_options(&self, body: &Value) -> Result<DeleteOptions, ApiError> {
        let policy = body["propagationPolicy"]
            .as_str()
            .or_else(|| self.get("propagationPolicy"));
        let propagation = match policy {
            None | Some("Background") => Propagation::Background,
            Some("Foreground") => Propagation::Foreground,
            Some("Orphan") => Propagation::Orphan,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "propagationPolicy must be Background, Foreground or Orphan, not {other:?}"
                )));
            }
        };
        let orphan =
            body["orphanDependents"].as_bool() == Some(true) || self.flag("orphanDependents");
        let dry_run = body["dryRun"]
            .as_array()
            .is_some_and(|modes| modes.iter().any(|mode| mode == "All"))
            || self.get("dryRun") == Some("All");
        Ok(DeleteOptions {
            grace_period_seconds: body["gracePeriodSeconds"]
                .as_i64()
                .or(self.number("gracePeriodSeconds")?),
            propagation: if orphan {
                Propagation::Orphan
            } else {
                propagation
            },
            precondition_uid: body["preconditions"]["uid"].as_str().map(str::to_owned),
            precondition_resource_version: body["preconditions"]["resourceVersion"]
                .as_str()
                .map(str::to_owned),
            dry_run,
        })
    }
}

fn url_decode_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => decoded.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        decoded.push(byte);
                        index += 2;
                    }
                    Err(_) => decoded.push(b'%'),
                }
            }
            byte => decoded.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_percent_decoded() {
        let query = Query::parse(Some(
            "labelSelector=app%3Dframefarm%2Ctier+in+%28a%29&watch=1&fieldManager=kubectl-client-side-apply",
        ));
        assert_eq!(
            query.get("labelSelector"),
            Some("app=framefarm,tier in (a)")
        );
        assert!(query.flag("watch"));
        let options = query.write_options(Some("kubectl/v1.32.0")).unwrap();
        assert_eq!(
            options.manager.as_deref(),
            Some("kubectl-client-side-apply")
        );
    }

    #[test]
    fn the_user_agent_names_the_manager_when_the_request_does_not() {
        let options = Query::default().write_options(Some("kube-rs/5.0")).unwrap();
        assert_eq!(options.manager.as_deref(), Some("kube-rs"));
    }

    #[test]
    fn delete_options_come_from_the_body_or_the_query() {
        let body = serde_json::json!({"propagationPolicy": "Orphan", "gracePeriodSeconds": 0});
        let options = Query::default().delete_options(&body).unwrap();
        assert_eq!(options.propagation, Propagation::Orphan);
        assert_eq!(options.grace_period_seconds, Some(0));
    }
}
