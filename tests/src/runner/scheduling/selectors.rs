//! Node selector terms (node affinity) and label selectors (pod affinity) evaluated as the
//! scheduler evaluates them. Pure; knows nothing of which node or pod is being placed.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, NodeSelectorTerm};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Whether a node matches a term: every expression against its labels and every field
/// (`metadata.name`) requirement against its fields. A term with neither matches no node.
pub fn node_term_matches(node: &Node, term: &NodeSelectorTerm) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let node_fields = BTreeMap::from([(
        "metadata.name".to_owned(),
        node.metadata.name.clone().unwrap_or_default(),
    )]);
    expressions
        .iter()
        .all(|requirement| requirement_matches(&labels, requirement))
        && fields
            .iter()
            .all(|requirement| requirement_matches(&node_fields, requirement))
}

/// One `In`/`NotIn`/`Exists`/`DoesNotExist`/`Gt`/`Lt` requirement. An unknown operator, or `Gt`
/// and `Lt` with anything but one integer, matches nothing.
pub fn requirement_matches(
    labels: &BTreeMap<String, String>,
    requirement: &NodeSelectorRequirement,
) -> bool {
    let values = requirement.values.as_deref().unwrap_or_default();
    let label = labels.get(&requirement.key);
    match requirement.operator.as_str() {
        "In" => label.is_some_and(|value| values.contains(value)),
        "NotIn" => label.is_none_or(|value| !values.contains(value)),
        "Exists" => label.is_some(),
        "DoesNotExist" => label.is_none(),
        "Gt" | "Lt" => {
            let [bound] = values else { return false };
            let (Ok(bound), Some(Ok(value))) = (
                bound.parse::<i64>(),
                label.map(|value| value.parse::<i64>()),
            ) else {
                return false;
            };
            if requirement.operator == "Gt" {
                value > bound
            } else {
                value < bound
            }
        }
        _ => false,
    }
}

/// Whether labels match a label selector. An empty selector matches everything; an unknown
/// operator matches nothing.
pub fn label_selector_matches(labels: &BTreeMap<String, String>, selector: &LabelSelector) -> bool {
    let match_labels = selector.match_labels.as_ref();
    let labels_match = match_labels.is_none_or(|wanted| {
        wanted
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value))
    });
    labels_match
        && selector
            .match_expressions
            .as_deref()
            .unwrap_or_default()
            .iter()
            .all(|expression| {
                let values = expression.values.as_deref().unwrap_or_default();
                let label = labels.get(&expression.key);
                match expression.operator.as_str() {
                    "In" => label.is_some_and(|value| values.contains(value)),
                    "NotIn" => label.is_none_or(|value| !values.contains(value)),
                    "Exists" => label.is_some(),
                    "DoesNotExist" => label.is_none(),
                    _ => false,
                }
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn requirement(key: &str, operator: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.to_owned(),
            operator: operator.to_owned(),
            values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
        }
    }

    #[test]
    fn in_and_not_in_compare_the_label_value() {
        let gpu = labels(&[("pool", "gpu")]);
        assert!(requirement_matches(
            &gpu,
            &requirement("pool", "In", &["gpu", "big"])
        ));
        assert!(!requirement_matches(
            &gpu,
            &requirement("pool", "NotIn", &["gpu"])
        ));
        assert!(
            requirement_matches(&labels(&[]), &requirement("pool", "NotIn", &["gpu"])),
            "NotIn matches a missing label"
        );
        assert!(!requirement_matches(
            &labels(&[]),
            &requirement("pool", "In", &["gpu"])
        ));
    }

    #[test]
    fn exists_and_does_not_exist_look_at_the_key_only() {
        let gpu = labels(&[("pool", "")]);
        assert!(requirement_matches(
            &gpu,
            &requirement("pool", "Exists", &[])
        ));
        assert!(!requirement_matches(
            &gpu,
            &requirement("pool", "DoesNotExist", &[])
        ));
        assert!(requirement_matches(
            &gpu,
            &requirement("zone", "DoesNotExist", &[])
        ));
    }

    #[test]
    fn gt_and_lt_compare_integers() {
        let cores = labels(&[("cores", "16")]);
        assert!(requirement_matches(
            &cores,
            &requirement("cores", "Gt", &["8"])
        ));
        assert!(!requirement_matches(
            &cores,
            &requirement("cores", "Lt", &["8"])
        ));
        assert!(!requirement_matches(
            &labels(&[("cores", "many")]),
            &requirement("cores", "Gt", &["8"])
        ));
        assert!(!requirement_matches(
            &cores,
            &requirement("cores", "Gt", &["8", "9"])
        ));
    }

    #[test]
    fn a_term_needs_all_its_requirements_and_an_empty_term_matches_nothing() {
        let node: Node = serde_json::from_value(json!({
            "metadata": {"name": "n1", "labels": {"pool": "gpu", "zone": "a"}}
        }))
        .unwrap();
        let both = NodeSelectorTerm {
            match_expressions: Some(vec![
                requirement("pool", "In", &["gpu"]),
                requirement("zone", "In", &["b"]),
            ]),
            match_fields: None,
        };
        assert!(!node_term_matches(&node, &both));
        let by_name = NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![requirement("metadata.name", "In", &["n1"])]),
        };
        assert!(node_term_matches(&node, &by_name));
        assert!(!node_term_matches(&node, &NodeSelectorTerm::default()));
    }

    #[test]
    fn label_selectors_combine_labels_and_expressions() {
        let pod = labels(&[("app", "render"), ("tier", "gpu")]);
        let selector = LabelSelector {
            match_labels: Some(labels(&[("app", "render")])),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".to_owned(),
                operator: "In".to_owned(),
                values: Some(vec!["gpu".to_owned()]),
            }]),
        };
        assert!(label_selector_matches(&pod, &selector));
        assert!(!label_selector_matches(
            &labels(&[("app", "render")]),
            &selector
        ));
        assert!(
            label_selector_matches(&pod, &LabelSelector::default()),
            "an empty selector matches everything"
        );
    }
}
