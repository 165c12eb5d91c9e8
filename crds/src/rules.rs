//! Builders for the CEL `x-kubernetes-validations` rules attached to the API types.
//!
//! Rules stay within what the apiserver can cost-estimate: `matches()` on bounded strings,
//! `all()` over bounded lists, `has()` and comparisons. No string function is applied to the
//! elements of a list built at runtime (`split()`), whose size the estimator cannot bound.

use kube::core::Rule;

use crate::patterns::Pattern;

/// `self` matches `pattern`.
pub(crate) fn matches(pattern: &Pattern, message: &str) -> Rule {
    Rule::new(pattern.cel_matches("self")).message(message)
}

/// `self` does not match `pattern` anywhere.
pub(crate) fn never_matches(pattern: &Pattern, message: &str) -> Rule {
    Rule::new(format!("!{}", pattern.cel_matches("self"))).message(message)
}

/// Every key of the map `self` matches `pattern`.
pub(crate) fn each_key_matches(pattern: &Pattern, message: &str) -> Rule {
    Rule::new(format!("self.all(key, {})", pattern.cel_matches("key"))).message(message)
}

/// `rule` holds, reported on the field at `field_path` (relative, e.g. `.region`).
pub(crate) fn on_field(rule: &str, field_path: &str, message: &str) -> Rule {
    Rule::new(rule).field_path(field_path).message(message)
}

/// The schema of a list of strings whose items carry CEL rules, so that an error names the
/// offending item (`args[2]`) rather than the whole list.
#[derive(Debug, Default)]
pub(crate) struct StringList {
    pub min_items: u32,
    pub max_items: u32,
    pub max_length: u32,
    /// `x-kubernetes-list-type`, e.g. `set`; atomic when unset.
    pub list_type: Option<&'static str>,
    pub item_rules: Vec<Rule>,
    pub list_rules: Vec<Rule>,
}

impl StringList {
    pub(crate) fn schema(self) -> schemars::Schema {
        let mut item = serde_json::json!({
            "type": "string",
            "minLength": 1,
            "maxLength": self.max_length,
        });
        if !self.item_rules.is_empty() {
            item["x-kubernetes-validations"] = rules_json(&self.item_rules);
        }
        let mut list = serde_json::json!({
            "type": "array",
            "maxItems": self.max_items,
            "items": item,
        });
        if self.min_items > 0 {
            list["minItems"] = self.min_items.into();
        }
        if let Some(list_type) = self.list_type {
            list["x-kubernetes-list-type"] = list_type.into();
        }
        if !self.list_rules.is_empty() {
            list["x-kubernetes-validations"] = rules_json(&self.list_rules);
        }
        schemars::Schema::try_from(list).unwrap_or_default()
    }
}

fn rules_json(rules: &[Rule]) -> serde_json::Value {
    serde_json::Value::Array(
        rules
            .iter()
            .filter_map(|rule| serde_json::to_value(rule).ok())
            .collect(),
    )
}
