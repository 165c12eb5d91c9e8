//! Label sets and label selectors written the way the apiserver's printers write them
//! (`app=farm,tier in (a,b)`, `!legacy`). Writing only; matching objects against selectors is
//! not done here.

use serde_json::Value;

/// A `metav1.LabelSelector` as `labels.Selector.String()` writes it: requirements sorted by
/// key, `""` for a missing or empty selector, `<invalid>` for an unknown operator.
pub(crate) fn selector_string(selector: Option<&Value>) -> String {
    let Some(selector) = selector.filter(|value| value.is_object()) else {
        return String::new();
    };
    let mut requirements: Vec<(String, String)> = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (key, value) in labels {
            let value = value.as_str().unwrap_or_default();
            requirements.push((key.clone(), format!("{key}={value}")));
        }
    }
    let expressions = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for expression in expressions {
        let key = expression["key"].as_str().unwrap_or_default();
        let mut values: Vec<&str> = expression["values"]
            .as_array()
            .map(|values| values.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        values.sort_unstable();
        let written = match expression["operator"].as_str().unwrap_or_default() {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_owned(),
            "DoesNotExist" => format!("!{key}"),
            _ => return "<invalid>".to_owned(),
        };
        requirements.push((key.to_owned(), written));
    }
    requirements.sort_by(|a, b| a.0.cmp(&b.0));
    requirements
        .into_iter()
        .map(|(_, written)| written)
        .collect::<Vec<_>>()
        .join(",")
}

/// `metav1.FormatLabelSelector`: like [`selector_string`], `<none>` when that is empty.
pub(crate) fn format_selector(selector: Option<&Value>) -> String {
    match selector_string(selector) {
        empty if empty.is_empty() => "<none>".to_owned(),
        written if written == "<invalid>" => "<error>".to_owned(),
        written => written,
    }
}

/// `labels.FormatLabels`: `key=value` pairs sorted by key, `<none>` for none.
pub(crate) fn format_labels(labels: Option<&Value>) -> String {
    let pairs: Vec<String> = labels
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    if pairs.is_empty() {
        "<none>".to_owned()
    } else {
        pairs.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_list_requirements_sorted_by_key() {
        let selector = json!({
            "matchLabels": {"tier": "render", "app": "farm"},
            "matchExpressions": [
                {"key": "zone", "operator": "In", "values": ["b", "a"]},
                {"key": "legacy", "operator": "DoesNotExist"},
                {"key": "gpu", "operator": "Exists"},
                {"key": "os", "operator": "NotIn", "values": ["windows"]}
            ]
        });
        assert_eq!(
            selector_string(Some(&selector)),
            "app=farm,gpu,!legacy,os notin (windows),tier=render,zone in (a,b)"
        );
    }

    #[test]
    fn empty_and_missing_selectors() {
        assert_eq!(selector_string(None), "");
        assert_eq!(selector_string(Some(&json!({}))), "");
        assert_eq!(format_selector(Some(&json!({}))), "<none>");
        let bad = json!({"matchExpressions": [{"key": "a", "operator": "Near"}]});
        assert_eq!(selector_string(Some(&bad)), "<invalid>");
        assert_eq!(format_selector(Some(&bad)), "<error>");
    }

    #[test]
    fn labels_are_sorted_pairs() {
        let labels = json!({"b": "2", "a": "1"});
        assert_eq!(format_labels(Some(&labels)), "a=1,b=2");
        assert_eq!(format_labels(None), "<none>");
    }
}
