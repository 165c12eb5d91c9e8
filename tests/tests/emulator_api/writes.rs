//! Updates: optimistic concurrency through `resourceVersion`, `generation` following the spec,
//! and the status subresource keeping spec and status writers apart.

use kube::ResourceExt;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support_emulator::{cluster_with_crds, dynamic, example_shot, refusal, rendershots};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_from_a_stale_resource_version_is_a_conflict() {
    let cluster = cluster_with_crds("stale-update").await;
    let shots = rendershots(&cluster.client, "stale-update");
    let created = shots
        .create(&PostParams::default(), &dynamic(example_shot("sh010")))
        .await
        .unwrap();

    let mut current = created.clone();
    current.data["spec"]["parallelism"] = json!(4);
    let updated = shots
        .replace("sh010", &PostParams::default(), &current)
        .await
        .expect("an update from the current version is accepted");
    assert_ne!(
        updated.metadata.resource_version,
        created.metadata.resource_version
    );

    let mut stale = created.clone();
    stale.data["spec"]["parallelism"] = json!(2);
    let status = refusal(shots.replace("sh010", &PostParams::default(), &stale).await);
    assert_eq!(status.code, 409);
    assert_eq!(status.reason, "Conflict");
    assert_eq!(
        status.message,
        "Operation cannot be fulfilled on rendershots.framefarm.io \"sh010\": the object has been \
         modified; please apply your changes to the latest version and try again"
    );
    let stored = shots.get("sh010").await.unwrap();
    assert_eq!(
        stored.data["spec"]["parallelism"], 4,
        "the first update stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generation_counts_spec_changes_only() {
    let cluster = cluster_with_crds("generation").await;
    let shots = rendershots(&cluster.client, "generation");
    let created = shots
        .create(&PostParams::default(), &dynamic(example_shot("sh010")))
        .await
        .unwrap();
    assert_eq!(created.metadata.generation, Some(1));

    let merge = |value| Patch::Merge(value);
    let relabelled = shots
        .patch(
            "sh010",
            &PatchParams::default(),
            &merge(json!({"metadata": {"labels": {"team": "lighting"}}})),
        )
        .await
        .unwrap();
    assert_eq!(
        relabelled.metadata.generation,
        Some(1),
        "labels are metadata"
    );

    let with_status = shots
        .patch_status(
            "sh010",
            &PatchParams::default(),
            &merge(json!({"status": {"phase": "Rendering"}})),
        )
        .await
        .unwrap();
    assert_eq!(
        with_status.metadata.generation,
        Some(1),
        "status is not spec"
    );

    let respecced = shots
        .patch(
            "sh010",
            &PatchParams::default(),
            &merge(json!({"spec": {"parallelism": 2}})),
        )
        .await
        .unwrap();
    assert_eq!(respecced.metadata.generation, Some(2));

    let same_again = shots
        .patch(
            "sh010",
            &PatchParams::default(),
            &merge(json!({"spec": {"parallelism": 2}})),
        )
        .await
        .unwrap();
    assert_eq!(
        same_again.metadata.generation,
        Some(2),
        "a no-op changes nothing"
    );
    assert_eq!(
        same_again.metadata.resource_version,
        respecced.metadata.resource_version
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_and_status_are_written_through_their_own_endpoints() {
    let cluster = cluster_with_crds("status-split").await;
    let shots = rendershots(&cluster.client, "status-split");
    let mut shot = example_shot("sh010");
    shot["status"] = json!({"phase": "Succeeded"});
    let created = shots
        .create(&PostParams::default(), &dynamic(shot))
        .await
        .unwrap();
    assert!(
        created
            .data
            .get("status")
            .is_none_or(|s| s.get("phase").is_none()),
        "a create ignores the status: {}",
        created.data
    );

    let status_patch = json!({"spec": {"parallelism": 1}, "status": {"phase": "Rendering"}});
    let after_status = shots
        .patch_status(
            "sh010",
            &PatchParams::default(),
            &Patch::Merge(status_patch),
        )
        .await
        .unwrap();
    assert_eq!(after_status.data["status"]["phase"], "Rendering");
    assert_eq!(
        after_status.data["spec"]["parallelism"], 8,
        "the status endpoint ignores the spec"
    );

    let mut replaced = after_status.clone();
    replaced.data["spec"]["parallelism"] = json!(3);
    replaced.data["status"]["phase"] = json!("Failed");
    let after_main = shots
        .replace("sh010", &PostParams::default(), &replaced)
        .await
        .unwrap();
    assert_eq!(after_main.data["spec"]["parallelism"], 3);
    assert_eq!(
        after_main.data["status"]["phase"], "Rendering",
        "the main endpoint ignores the status"
    );
    assert_eq!(after_main.metadata.generation, Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_name_gives_each_object_a_name_of_its_own() {
    let cluster = cluster_with_crds("generate-name").await;
    let shots = rendershots(&cluster.client, "generate-name");
    let mut shot = example_shot("");
    shot["metadata"] = json!({"generateName": "sh010-"});
    let first = shots
        .create(&PostParams::default(), &dynamic(shot.clone()))
        .await
        .unwrap();
    let second = shots
        .create(&PostParams::default(), &dynamic(shot))
        .await
        .unwrap();
    let (first, second) = (first.name_any(), second.name_any());
    assert!(
        first.starts_with("sh010-") && first.len() == "sh010-".len() + 5,
        "{first}"
    );
    assert_ne!(first, second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_answers_as_a_write_would_and_stores_nothing() {
    let cluster = cluster_with_crds("dry-run").await;
    let shots = rendershots(&cluster.client, "dry-run");
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let answered = shots
        .create(&dry_run, &dynamic(example_shot("sh010")))
        .await
        .unwrap();
    assert_eq!(answered.metadata.generation, Some(1));
    assert!(answered.metadata.uid.is_some());
    assert!(shots.get_opt("sh010").await.unwrap().is_none());

    let mut invalid = example_shot("sh010");
    invalid["spec"]["frames"] = json!("");
    let status = refusal(shots.create(&dry_run, &dynamic(invalid)).await);
    assert_eq!(status.code, 422, "a dry run is validated too");
}
