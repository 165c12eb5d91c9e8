//! Custom resources are admitted as a real apiserver admits them from their CRD: a value a
//! schema or CEL rule refuses is a 422 naming the field, an unknown field is pruned with a
//! warning unless the request asks for strict validation, and schema defaults are filled in.

use kube::api::PostParams;
use serde_json::json;

use crate::support_emulator::{
    cluster_with_crds, dynamic, example_shot, refusal, rendershots, send_json,
};

const SHOTS: &str = "/apis/framefarm.io/v1alpha1/namespaces/{ns}/rendershots";

fn shots_path(namespace: &str) -> String {
    SHOTS.replace("{ns}", namespace)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_a_cel_rule_refuses_is_invalid_with_a_cause_naming_the_field() {
    let cluster = cluster_with_crds("cel-refusal").await;
    let shots = rendershots(&cluster.client, "cel-refusal");
    let mut shot = example_shot("bad-step");
    shot["spec"]["frames"] = json!("1-240x0");
    let status = refusal(shots.create(&PostParams::default(), &dynamic(shot)).await);

    assert_eq!(status.code, 422);
    assert_eq!(status.reason, "Invalid");
    assert_eq!(
        status.message,
        "RenderShot.framefarm.io \"bad-step\" is invalid: spec.frames: Invalid value: \"string\": \
         a range step (the number after x) must be at least 1, e.g. 1-240x2"
    );
    let details = status.details.expect("a 422 has details");
    assert_eq!(details.name, "bad-step");
    assert_eq!(details.group, "framefarm.io");
    assert_eq!(details.kind, "RenderShot");
    let cause = details
        .causes
        .iter()
        .find(|cause| cause.field == "spec.frames")
        .expect("a cause names spec.frames");
    assert_eq!(cause.reason, "FieldValueInvalid");
    assert!(cause.message.contains("a range step"), "{}", cause.message);
    assert!(shots.get_opt("bad-step").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_outside_the_schema_is_invalid() {
    let cluster = cluster_with_crds("schema-refusal").await;
    let shots = rendershots(&cluster.client, "schema-refusal");
    let mut shot = example_shot("zero-chunks");
    shot["spec"]["chunkSize"] = json!(0);
    let status = refusal(shots.create(&PostParams::default(), &dynamic(shot)).await);
    assert_eq!(status.code, 422);
    let details = status.details.unwrap();
    let cause = details
        .causes
        .iter()
        .find(|cause| cause.field == "spec.chunkSize")
        .unwrap_or_else(|| panic!("a cause names spec.chunkSize: {:?}", details.causes));
    assert!(
        cause.message.contains("greater than or equal to 1"),
        "{}",
        cause.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_are_pruned_with_a_warning() {
    let cluster = cluster_with_crds("prune").await;
    let mut shot = example_shot("sh010");
    shot["spec"]["colour"] = json!("red");
    let answer = send_json(&cluster.client, "POST", &shots_path("prune"), &shot).await;

    assert_eq!(answer.code, 201, "{}", answer.body);
    assert_eq!(
        answer.warnings,
        [r#"299 - "unknown field \"spec.colour\"""#]
    );
    assert!(answer.body["spec"].get("colour").is_none());
    let stored = rendershots(&cluster.client, "prune")
        .get("sh010")
        .await
        .unwrap();
    assert!(stored.data["spec"].get("colour").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_field_validation_refuses_unknown_fields() {
    let cluster = cluster_with_crds("strict").await;
    let mut shot = example_shot("sh010");
    shot["spec"]["colour"] = json!("red");
    let path = format!("{}?fieldValidation=Strict", shots_path("strict"));
    let answer = send_json(&cluster.client, "POST", &path, &shot).await;

    assert_eq!(answer.code, 400, "{}", answer.body);
    assert_eq!(answer.body["kind"], "Status");
    assert_eq!(answer.body["reason"], "BadRequest");
    assert_eq!(
        answer.body["message"],
        "RenderShot in version \"v1alpha1\" cannot be handled as a RenderShot: strict decoding \
         error: unknown field \"spec.colour\""
    );
    let stored = rendershots(&cluster.client, "strict")
        .get_opt("sh010")
        .await
        .unwrap();
    assert!(stored.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_defaults_are_filled_in() {
    let cluster = cluster_with_crds("defaults").await;
    let shots = rendershots(&cluster.client, "defaults");
    let mut shot = example_shot("sh010");
    let spec = shot["spec"].as_object_mut().unwrap();
    spec.remove("chunkSize");
    spec.remove("parallelism");
    let created = shots
        .create(&PostParams::default(), &dynamic(shot))
        .await
        .unwrap();
    let spec = &created.data["spec"];
    assert_eq!(spec["chunkSize"], 10);
    assert_eq!(spec["parallelism"], 10);
    assert_eq!(spec["suspend"], false);
    assert_eq!(
        spec["storage"]["credentialsSecret"]["accessKeyIdKey"],
        "AWS_ACCESS_KEY_ID"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_validation_reports_unknown_fields_before_invalid_values() {
    let cluster = cluster_with_crds("strict-first").await;
    let mut shot = example_shot("sh010");
    shot["spec"]["engine"] = json!({"arnold": {}});
    let strict = format!("{}?fieldValidation=Strict", shots_path("strict-first"));
    let answer = send_json(&cluster.client, "POST", &strict, &shot).await;
    assert_eq!(answer.code, 400, "decoding comes first: {}", answer.body);
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap()
            .ends_with("strict decoding error: unknown field \"spec.engine.arnold\""),
        "{}",
        answer.body
    );

    let warned = send_json(&cluster.client, "POST", &shots_path("strict-first"), &shot).await;
    assert_eq!(warned.code, 422, "pruned, then invalid: {}", warned.body);
    assert_eq!(
        warned.body["message"],
        "RenderShot.framefarm.io \"sh010\" is invalid: spec.engine: Invalid value: \"object\": \
         set exactly one engine: blender or command"
    );
}
