//! JSON merge patch (RFC 7386), what `kubectl patch --type=merge` and clients of custom
//! resources send: objects merge key by key, `null` deletes, everything else (lists included)
//! replaces. Knows nothing of list types or directives.

use serde_json::{Map, Value};

/// `target` with `patch` merged into it, as RFC 7386 defines it.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let Value::Object(patch_fields) = patch else {
        return patch.clone();
    };
    let mut merged = match target {
        Value::Object(fields) => fields.clone(),
        _ => Map::new(),
    };
    for (key, patch_value) in patch_fields {
        if patch_value.is_null() {
            merged.remove(key);
            continue;
        }
        let current = merged.get(key).unwrap_or(&Value::Null);
        let value = merge_patch(current, patch_value);
        merged.insert(key.clone(), value);
    }
    Value::Object(merged)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn objects_merge_recursively_and_null_deletes() {
        let target = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 1}});
        let patch =
            json!({"metadata": {"labels": {"b": null, "c": "3"}}, "spec": {"paused": true}});
        assert_eq!(
            merge_patch(&target, &patch),
            json!({"metadata": {"labels": {"a": "1", "c": "3"}}, "spec": {"replicas": 1, "paused": true}})
        );
    }

    #[test]
    fn lists_and_scalars_are_replaced_whole() {
        let target = json!({"list": [1, 2, 3], "name": "a"});
        let patch = json!({"list": [4], "name": {"nested": true}});
        assert_eq!(
            merge_patch(&target, &patch),
            json!({"list": [4], "name": {"nested": true}})
        );
    }

    #[test]
    fn a_patch_that_is_not_an_object_replaces_the_target() {
        assert_eq!(merge_patch(&json!({"a": 1}), &json!([1])), json!([1]));
        assert_eq!(merge_patch(&json!({"a": 1}), &json!("x")), json!("x"));
    }

    #[test]
    fn nulls_inside_new_objects_are_dropped() {
        // RFC 7386 appendix A: {"a": {"bb": {"ccc": null}}} on {} gives {"a": {"bb": {}}}.
        assert_eq!(
            merge_patch(&json!({}), &json!({"a": {"bb": {"ccc": null}}})),
            json!({"a": {"bb": {}}})
        );
    }

    #[test]
    fn rfc_7386_examples_hold() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
        ];
        for (target, patch, expected) in cases {
            assert_eq!(merge_patch(&target, &patch), expected, "patch {patch}");
        }
    }
}
