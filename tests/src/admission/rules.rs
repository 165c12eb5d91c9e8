//! Checks of a CRD's CEL rules as the apiserver makes them when the CRD is installed: each
//! rule compiles, and its estimated cost stays within the budget given the schema's bounds
//! (kube-cel's estimate is coarser than the apiserver's; it catches missing bounds).

use std::sync::LazyLock;

use kube_cel::{CompiledSchema, ScopeContext, WarningKind, analyze_rule, compile_schema};
use regex::Regex;
use serde_json::Value;

/// A variable bound by a CEL macro: `key` in `self.all(key, …)`.
static MACRO_BINDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,")
        .unwrap_or_else(|error| panic!("the macro binder pattern is a constant: {error}"))
});

/// One line per rule that does not compile or may exceed the cost budget.
pub fn rule_problems(schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    walk(&compile_schema(schema), "openAPIV3Schema", &mut problems);
    problems
}

fn walk(node: &CompiledSchema, at: &str, problems: &mut Vec<String>) {
    for compiled in &node.validations {
        match compiled {
            Err(error) => problems.push(format!("{at}: {error}")),
            Ok(result) => {
                let rule = &result.rule.rule;
                let binders: Vec<&str> = MACRO_BINDER
                    .captures_iter(rule)
                    .filter_map(|captures| captures.get(1))
                    .map(|binder| binder.as_str())
                    .collect();
                for warning in analyze_rule(rule, node, ScopeContext::CrdValidation) {
                    // The analyzer counts macro-bound variables as free ones.
                    let bound_by_macro = warning.kind == WarningKind::WrongScope
                        && binders
                            .iter()
                            .any(|binder| warning.message.contains(&format!("'{binder}'")));
                    if !bound_by_macro {
                        problems.push(format!("{at}: {}", warning.message));
                    }
                }
            }
        }
    }
    let mut properties: Vec<_> = node.properties.iter().collect();
    properties.sort_by_key(|(name, _)| *name);
    for (name, property) in properties {
        walk(property, &format!("{at}.{name}"), problems);
    }
    if let Some(items) = &node.items {
        walk(items, &format!("{at}[]"), problems);
    }
    if let Some(values) = &node.additional_properties {
        walk(values, &format!("{at}{{}}"), problems);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reports_rules_that_do_not_compile_or_lack_bounds() {
        let schema = json!({"type": "object", "properties": {
            "broken": {"type": "string", "x-kubernetes-validations": [{"rule": "self.matches("}]},
            "unbounded": {"type": "object", "properties": {"list": {"type": "array", "items": {"type": "string"}}},
                "x-kubernetes-validations": [{"rule": "self.list.all(x, x.matches('a'))"}]}
        }});
        let problems = rule_problems(&schema);
        assert!(
            problems
                .iter()
                .any(|problem| problem.starts_with("openAPIV3Schema.broken")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|problem| problem.contains("maxItems")),
            "{problems:?}"
        );
    }

    #[test]
    fn macro_variables_are_not_free_variables() {
        let schema = json!({"type": "object", "maxProperties": 4,
            "additionalProperties": {"type": "string", "maxLength": 8},
            "x-kubernetes-validations": [{"rule": "self.all(key, key.startsWith('a'))"},
                                         {"rule": "other == 1"}]});
        let problems = rule_problems(&schema);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("'other'"), "{problems:?}");
    }
}
