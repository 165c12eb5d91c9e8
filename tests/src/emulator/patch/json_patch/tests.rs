//! Specifications of JSON patch (RFC 6902) as the apiserver applies it.

use serde_json::{Value, json};

use super::*;

fn apply(target: Value, patch: Value) -> Result<Value, PatchError> {
    json_patch(&target, &patch)
}

#[test]
fn add_sets_members_and_inserts_into_lists() {
    let patched = apply(
        json!({"metadata": {"labels": {}}, "spec": {"args": ["a", "c"]}}),
        json!([
            {"op": "add", "path": "/metadata/labels/app", "value": "x"},
            {"op": "add", "path": "/spec/args/1", "value": "b"},
            {"op": "add", "path": "/spec/args/-", "value": "d"},
            {"op": "add", "path": "/spec/args/4", "value": "e"}
        ]),
    );
    assert_eq!(
        patched,
        Ok(
            json!({"metadata": {"labels": {"app": "x"}}, "spec": {"args": ["a", "b", "c", "d", "e"]}})
        )
    );
}

#[test]
fn add_replaces_an_existing_member_and_may_add_null() {
    let patched = apply(
        json!({"a": 1}),
        json!([{"op": "add", "path": "/a", "value": 2}, {"op": "add", "path": "/b", "value": null}]),
    );
    assert_eq!(patched, Ok(json!({"a": 2, "b": null})));
}

#[test]
fn add_at_the_root_replaces_the_document() {
    assert_eq!(
        apply(
            json!({"a": 1}),
            json!([{"op": "add", "path": "", "value": [1]}])
        ),
        Ok(json!([1]))
    );
}

#[test]
fn add_needs_an_existing_parent_and_an_index_within_the_list() {
    let missing_parent = apply(
        json!({}),
        json!([{"op": "add", "path": "/a/b", "value": 1}]),
    );
    assert_eq!(
        missing_parent,
        Err(PatchError::JsonPatchPathNotFound {
            index: 0,
            op: "add".to_owned(),
            pointer: "/a/b".to_owned()
        })
    );
    let past_the_end = apply(
        json!({"l": [1]}),
        json!([{"op": "add", "path": "/l/2", "value": 1}]),
    );
    assert!(matches!(
        past_the_end,
        Err(PatchError::JsonPatchPathNotFound { .. })
    ));
    let leading_zero = apply(
        json!({"l": [1, 2]}),
        json!([{"op": "add", "path": "/l/01", "value": 1}]),
    );
    assert!(matches!(
        leading_zero,
        Err(PatchError::JsonPatchPathNotFound { .. })
    ));
}

#[test]
fn remove_deletes_members_and_list_items() {
    let patched = apply(
        json!({"metadata": {"finalizers": ["a", "b", "c"], "labels": {"x": "1"}}}),
        json!([
            {"op": "remove", "path": "/metadata/finalizers/1"},
            {"op": "remove", "path": "/metadata/labels/x"}
        ]),
    );
    assert_eq!(
        patched,
        Ok(json!({"metadata": {"finalizers": ["a", "c"], "labels": {}}}))
    );
}

#[test]
fn remove_of_a_missing_location_fails() {
    let missing = apply(json!({"l": [1]}), json!([{"op": "remove", "path": "/l/1"}]));
    assert_eq!(
        missing,
        Err(PatchError::JsonPatchPathNotFound {
            index: 0,
            op: "remove".to_owned(),
            pointer: "/l/1".to_owned()
        })
    );
    let end_marker = apply(json!({"l": [1]}), json!([{"op": "remove", "path": "/l/-"}]));
    assert!(matches!(
        end_marker,
        Err(PatchError::JsonPatchPathNotFound { .. })
    ));
}

#[test]
fn replace_needs_the_location_to_exist() {
    assert_eq!(
        apply(
            json!({"spec": {"replicas": 1}}),
            json!([{"op": "replace", "path": "/spec/replicas", "value": 3}])
        ),
        Ok(json!({"spec": {"replicas": 3}}))
    );
    assert!(matches!(
        apply(
            json!({"spec": {}}),
            json!([{"op": "replace", "path": "/spec/replicas", "value": 3}])
        ),
        Err(PatchError::JsonPatchPathNotFound { .. })
    ));
}

#[test]
fn move_and_copy_take_their_value_from_another_location() {
    let patched = apply(
        json!({"a": {"b": 1}, "l": [1, 2, 3]}),
        json!([
            {"op": "move", "from": "/a/b", "path": "/c"},
            {"op": "copy", "from": "/l/0", "path": "/l/-"},
            {"op": "move", "from": "/l/0", "path": "/l/2"}
        ]),
    );
    assert_eq!(patched, Ok(json!({"a": {}, "c": 1, "l": [2, 3, 1, 1]})));
}

#[test]
fn move_onto_itself_changes_nothing_and_into_its_own_child_fails() {
    assert_eq!(
        apply(
            json!({"a": {"b": 1}}),
            json!([{"op": "move", "from": "/a", "path": "/a"}])
        ),
        Ok(json!({"a": {"b": 1}}))
    );
    assert_eq!(
        apply(
            json!({"a": {"b": 1}}),
            json!([{"op": "move", "from": "/a", "path": "/a/b/c"}])
        ),
        Err(PatchError::JsonPatchMoveIntoChild {
            index: 0,
            from: "/a".to_owned(),
            pointer: "/a/b/c".to_owned()
        })
    );
}

#[test]
fn test_compares_values_and_numbers_by_value() {
    let document = json!({"spec": {"replicas": 1, "args": ["a"]}, "ratio": 0.5});
    let passing = json!([
        {"op": "test", "path": "/spec/replicas", "value": 1.0},
        {"op": "test", "path": "/spec", "value": {"args": ["a"], "replicas": 1}},
        {"op": "test", "path": "/ratio", "value": 0.5}
    ]);
    assert_eq!(apply(document.clone(), passing), Ok(document.clone()));
    let failing = json!([
        {"op": "replace", "path": "/spec/replicas", "value": 2},
        {"op": "test", "path": "/spec/args", "value": ["b"]}
    ]);
    assert_eq!(
        apply(document, failing),
        Err(PatchError::JsonPatchTestFailed {
            index: 1,
            pointer: "/spec/args".to_owned()
        })
    );
}

#[test]
fn escaped_tokens_name_members_with_slashes_and_tildes() {
    let patched = apply(
        json!({"metadata": {"annotations": {"example.com/a~b": "old"}}}),
        json!([
            {"op": "test", "path": "/metadata/annotations/example.com~1a~0b", "value": "old"},
            {"op": "replace", "path": "/metadata/annotations/example.com~1a~0b", "value": "new"},
            {"op": "add", "path": "/metadata/annotations/~01", "value": "tilde-one"}
        ]),
    );
    assert_eq!(
        patched,
        Ok(json!({"metadata": {"annotations": {"example.com/a~b": "new", "~1": "tilde-one"}}}))
    );
}

#[test]
fn a_failing_operation_leaves_nothing_half_applied() {
    let target = json!({"a": 1});
    let result = apply(
        target,
        json!([{"op": "add", "path": "/b", "value": 2}, {"op": "remove", "path": "/missing"}]),
    );
    assert!(result.is_err());
}

#[test]
fn malformed_patches_are_bad_requests() {
    let cases = [
        json!({"op": "add"}),
        json!([{"op": "frobnicate", "path": "/a"}]),
        json!([{"op": "add", "path": "/a"}]),
        json!([{"op": "move", "path": "/a"}]),
        json!([{"op": "add", "path": "a", "value": 1}]),
        json!([{"op": "add", "path": "/a~2", "value": 1}]),
        json!(["add"]),
    ];
    for patch in cases {
        let error = apply(json!({}), patch.clone()).expect_err("malformed patch");
        assert_eq!(error.status_code(), 400, "{patch}: {error}");
    }
}

#[test]
fn failures_against_the_document_are_unprocessable() {
    let error = apply(json!({}), json!([{"op": "test", "path": "/a", "value": 1}]))
        .expect_err("missing location");
    assert_eq!(error.status_code(), 422);
    assert_eq!(
        error.to_string(),
        "failed to apply operation 0 (test) of the JSON patch: /a not found"
    );
}

#[test]
fn a_missing_member_tests_equal_to_null_only() {
    let patched = apply(
        json!({"metadata": {"name": "sh010"}}),
        json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": ["framefarm.io/delete-output"]}
        ]),
    );
    assert_eq!(
        patched,
        Ok(json!({"metadata": {"name": "sh010", "finalizers": ["framefarm.io/delete-output"]}}))
    );
    let refused = apply(
        json!({"metadata": {"name": "sh010"}}),
        json!([{"op": "test", "path": "/metadata/finalizers", "value": []}]),
    );
    assert!(matches!(
        refused,
        Err(PatchError::JsonPatchPathNotFound { .. })
    ));
}
