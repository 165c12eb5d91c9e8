//! Shots that cannot render say why, on the object a user looks at: a GPU shot on a cluster
//! without GPU nodes stays Pending with the scheduler's reason, a missing Secret or scene
//! stalls the shot with the field to fix (and a Warning event), and a manifest the schema
//! refuses never reaches the operator.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::time::Duration;

use framefarm_tests::blender::SceneOptions;
use support::{Farm, condition_is};

fn condition(shot: &framefarm_crds::RenderShot, type_: &str) -> (String, String, String) {
    let condition = shot
        .status
        .as_ref()
        .and_then(|status| status.conditions.iter().find(|c| c.type_ == type_))
        .unwrap_or_else(|| panic!("no {type_} condition"));
    (
        condition.status.clone(),
        condition.reason.clone(),
        condition.message.clone(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn shots_that_cannot_render_say_why() {
    let farm = Farm::start().await;
    farm.upload_scene("shots/gpu.blend", &SceneOptions::default());

    let gpu = farm.blender_shot(
        "gpu",
        "shots/gpu.blend",
        "1-4",
        "  chunkSize: 2\n  resources:\n    limits:\n      nvidia.com/gpu: 1\n",
    );
    assert!(farm.apply(&gpu).status.success());
    let shot = farm
        .wait_for_shot(
            "gpu",
            Duration::from_secs(60),
            "the scheduler's reason",
            |shot| {
                condition_is(shot, "Reconciling", "True")
                    && condition(shot, "Reconciling").1 == "Unschedulable"
            },
        )
        .await;
    let (_, _, message) = condition(&shot, "Reconciling");
    assert!(message.contains("nvidia.com/gpu"), "{message}");
    let pods = farm.pods_of("gpu").await;
    assert_eq!(pods.len(), 2, "parallelism allows both chunks");
    for pod in &pods {
        assert_eq!(
            pod.status.as_ref().unwrap().phase.as_deref(),
            Some("Pending")
        );
        let spec = pod.spec.as_ref().unwrap();
        let limits = spec.containers[0]
            .resources
            .as_ref()
            .unwrap()
            .limits
            .as_ref()
            .unwrap();
        assert!(limits.contains_key("nvidia.com/gpu"));
        assert!(
            spec.tolerations
                .as_ref()
                .unwrap()
                .iter()
                .any(|t| t.key.as_deref() == Some("nvidia.com/gpu"))
        );
    }

    let no_secret = farm
        .blender_shot("nosecret", "shots/gpu.blend", "1-2", "")
        .replace("name: studio-storage", "name: wasabi-keys");
    assert!(farm.apply(&no_secret).status.success());
    let shot = farm
        .wait_for_shot("nosecret", Duration::from_secs(60), "Stalled", |shot| {
            condition_is(shot, "Stalled", "True")
        })
        .await;
    let (_, reason, message) = condition(&shot, "Stalled");
    assert_eq!(reason, "SecretMissing");
    assert!(message.contains("wasabi-keys"), "{message}");
    assert!(message.contains("kubectl create secret"), "{message}");
    assert!(
        farm.jobs_of("nosecret").await.is_empty(),
        "nothing is planned"
    );

    let no_scene = farm.blender_shot("noscene", "shots/missing.blend", "1-2", "");
    assert!(farm.apply(&no_scene).status.success());
    let shot = farm
        .wait_for_shot("noscene", Duration::from_secs(60), "Stalled", |shot| {
            condition_is(shot, "Stalled", "True")
        })
        .await;
    let (_, reason, message) = condition(&shot, "Stalled");
    assert_eq!(reason, "SceneMissing");
    assert!(
        message.contains("s3://studio/shots/missing.blend"),
        "{message}"
    );
    let events = farm.kubectl(&["get", "events"]);
    let events = String::from_utf8_lossy(&events.stdout);
    assert!(
        events.contains("SceneMissing") && events.contains("SecretMissing"),
        "{events}"
    );

    // Uploading the scene un-stalls the shot.
    farm.upload_scene("shots/missing.blend", &SceneOptions::default());
    farm.wait_for_shot(
        "noscene",
        Duration::from_secs(240),
        "noscene rendered",
        |shot| condition_is(shot, "Ready", "True"),
    )
    .await;

    let invalid = farm.blender_shot("invalid", "shots/gpu.blend", "1-2", "  chunkSize: 0\n");
    let applied = farm.apply(&invalid);
    assert!(!applied.status.success(), "the schema refuses chunkSize 0");
    let stderr = String::from_utf8_lossy(&applied.stderr);
    assert!(stderr.contains("spec.chunkSize"), "{stderr}");
    assert!(farm.shots().get_opt("invalid").await.unwrap().is_none());
}
