//! A shot's whole life on the emulated cluster, driven with kubectl as a user would: apply →
//! every frame, thumbnail and the preview in Garage and `kubectl wait --for=condition=Ready`
//! returns → extend the frame range (only the new frames render) → delete with
//! `retention: Delete` (the shot's files go, its RenderJobs and pods are collected).

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::time::Duration;

use framefarm_crds::FrameSet;
use framefarm_crds::shot::ShotPhase;
use framefarm_tests::blender::SceneOptions;
use support::{BUCKET, Farm, condition_is};

const SCENE: &str = "shots/sh010/sh010.blend";

#[tokio::test(flavor = "multi_thread")]
async fn a_shot_renders_extends_and_is_deleted_with_its_files() {
    let farm = Farm::start().await;
    farm.upload_scene(SCENE, &SceneOptions::default());
    let manifest = farm.blender_shot("sh010", SCENE, "1-6", "  chunkSize: 2\n  parallelism: 2\n");
    let applied = farm.apply(&manifest);
    assert!(applied.status.success(), "{applied:?}");

    let wait = farm.kubectl(&[
        "wait",
        "--for=condition=Ready",
        "rendershot/sh010",
        "--timeout=240s",
    ]);
    if !wait.status.success() {
        farm.dump("sh010").await;
    }
    assert!(wait.status.success(), "kubectl wait: {wait:?}");

    let shot = farm.shot("sh010").await;
    let status = shot.status.clone().unwrap();
    assert_eq!(status.phase, Some(ShotPhase::Succeeded));
    assert_eq!(status.progress.as_deref(), Some("6/6"));
    assert_eq!(status.rendered_frames.as_deref(), Some("1-6"));
    assert_eq!(status.frames.failed, 0);
    assert_eq!(status.jobs.total, 3);
    assert_eq!(status.jobs.succeeded, 3);
    assert!(status.render_seconds.unwrap_or_default() > 0.0);
    let last = status.last_frame.clone().expect("the last frame is shown");
    assert!(last.thumbnail_key.is_some(), "{last:?}");
    let preview = status.preview.clone().expect("the preview is recorded");
    let keys = farm.keys("renders/sh010/");
    for frame in 1..=6 {
        assert!(
            keys.contains(&format!("renders/sh010/sh010_{frame:04}.png")),
            "{keys:?}"
        );
        assert!(
            keys.iter()
                .any(|key| key.starts_with(&format!("renders/sh010/thumbs/sh010_{frame:04}."))),
            "thumbnail of frame {frame}: {keys:?}"
        );
    }
    for key in [
        preview.contact_sheet_key.clone().unwrap(),
        preview.animation_key.clone().unwrap(),
    ] {
        let bytes = farm.garage().get_object(BUCKET, &key).unwrap();
        let bytes = bytes.unwrap_or_else(|| panic!("{key} is in the bucket"));
        image::load_from_memory(&bytes).unwrap_or_else(|error| panic!("{key}: {error}"));
    }

    // One pod per RenderJob, each with the agent injected and restricted security.
    let pods = farm.pods_of("sh010").await;
    let render_pods: Vec<_> = pods
        .iter()
        .filter(|pod| {
            pod.metadata.labels.as_ref().unwrap()["app.kubernetes.io/component"] == "render"
        })
        .collect();
    assert_eq!(render_pods.len(), 3, "one attempt per RenderJob");
    let spec = render_pods[0].spec.clone().unwrap();
    assert_eq!(spec.restart_policy.as_deref(), Some("Never"));
    assert_eq!(spec.init_containers.unwrap()[0].name, "install-agent");
    let security = spec.containers[0].security_context.clone().unwrap();
    assert_eq!(security.allow_privilege_escalation, Some(false));
    assert_eq!(spec.security_context.unwrap().run_as_non_root, Some(true));

    // What `kubectl describe` shows.
    let describe = farm.kubectl(&["describe", "rendershot", "sh010"]);
    let describe = String::from_utf8_lossy(&describe.stdout);
    assert!(describe.contains("Planned"), "{describe}");
    assert!(describe.contains("Rendered"), "{describe}");

    // The operator's HTTP endpoints.
    assert_eq!(farm.operator.http_get("/healthz").0, 200);
    assert_eq!(farm.operator.http_get("/readyz").0, 200);
    let (code, metrics) = farm.operator.http_get("/metrics");
    assert_eq!(code, 200);
    assert!(
        metrics.contains("framefarm_frames{state=\"rendered\"} 6"),
        "{metrics}"
    );
    assert!(
        metrics.contains("framefarm_reconciles_total{controller=\"rendershot\"}"),
        "{metrics}"
    );

    // GitOps re-apply with a longer range: only frames 7-8 get a RenderJob.
    let before: Vec<_> = farm.jobs_of("sh010").await;
    let extended = manifest.replace("\"1-6\"", "\"1-8\"");
    assert!(farm.apply(&extended).status.success());
    let shot = farm
        .wait_for_shot("sh010", Duration::from_secs(180), "frames 7-8", |shot| {
            shot.status
                .as_ref()
                .and_then(|status| status.progress.as_deref())
                == Some("8/8")
                && condition_is(shot, "Ready", "True")
        })
        .await;
    assert_eq!(shot.status.unwrap().rendered_frames.as_deref(), Some("1-8"));
    let after = farm.jobs_of("sh010").await;
    assert_eq!(after.len(), before.len() + 1);
    let new: Vec<_> = after
        .iter()
        .filter(|job| {
            !before
                .iter()
                .any(|old| old.metadata.name == job.metadata.name)
        })
        .collect();
    assert_eq!(
        FrameSet::parse(&new[0].spec.frames).unwrap(),
        FrameSet::parse("7-8").unwrap()
    );
    for old in &before {
        let now = after
            .iter()
            .find(|job| job.metadata.name == old.metadata.name)
            .unwrap();
        assert_eq!(
            now.status.as_ref().unwrap().frame_records,
            old.status.as_ref().unwrap().frame_records,
            "frames already rendered are not rendered again"
        );
    }

    // Deleted with `retention: Retain` (the default) and applied again: every frame is
    // already in the output, so nothing is scheduled and the shot is Ready at once.
    let deleted = farm.kubectl(&["delete", "rendershot", "sh010", "--timeout=60s"]);
    assert!(deleted.status.success(), "{deleted:?}");
    let kept = farm.keys("renders/sh010/");
    assert!(
        (1..=8).all(|frame| kept.contains(&format!("renders/sh010/sh010_{frame:04}.png"))),
        "the files stay: {kept:?}"
    );
    assert!(farm.apply(&extended).status.success());
    let again = farm
        .wait_for_shot(
            "sh010",
            Duration::from_secs(120),
            "sh010 Ready again",
            |shot| condition_is(shot, "Ready", "True"),
        )
        .await;
    let status = again.status.unwrap();
    assert_eq!(status.found_frames.as_deref(), Some("1-8"));
    assert_eq!(status.rendered_frames.as_deref(), Some("1-8"));
    assert!(
        farm.jobs_of("sh010").await.is_empty(),
        "no RenderJob for frames already in the output"
    );

    // retention: Delete, then delete the shot: its files go, other files stay.
    farm.garage()
        .put_object(BUCKET, "renders/sh010/notes.txt", b"keep me")
        .unwrap();
    let patched = farm.kubectl(&[
        "patch",
        "rendershot",
        "sh010",
        "--type=merge",
        "-p",
        r#"{"spec":{"output":{"retention":"Delete"}}}"#,
    ]);
    assert!(patched.status.success(), "{patched:?}");
    farm.wait_for_shot(
        "sh010",
        Duration::from_secs(30),
        "the cleanup finalizer and the new generation observed",
        |shot| {
            let observed = shot.status.as_ref().and_then(|s| s.observed_generation);
            observed.is_some()
                && observed == shot.metadata.generation
                && shot.metadata.finalizers.as_ref().is_some_and(|finalizers| {
                    finalizers.iter().any(|f| f == "framefarm.io/delete-output")
                })
        },
    )
    .await;
    assert!(
        farm.jobs_of("sh010").await.is_empty(),
        "turning retention to Delete renders nothing again"
    );
    let deleted = farm.kubectl(&["delete", "rendershot", "sh010", "--timeout=60s"]);
    assert!(deleted.status.success(), "{deleted:?}");
    assert_eq!(farm.keys("renders/sh010/"), ["renders/sh010/notes.txt"]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !(farm.jobs_of("sh010").await.is_empty() && farm.pods_of("sh010").await.is_empty()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "RenderJobs and pods are garbage-collected"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
