//! Control of a running shot: the operator killed and restarted mid-shot finds its work
//! instead of duplicating it, a second replica waits for the Lease, and `suspend` stops the
//! pods (the agent uploads what it saved) while `suspend: false` renders only what is missing.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use framefarm_crds::FrameSet;
use framefarm_crds::shot::ShotPhase;
use framefarm_tests::blender::SceneOptions;
use support::{Farm, Operator, condition_is};

fn rendered(shot: &framefarm_crds::RenderShot) -> u64 {
    shot.status
        .as_ref()
        .map_or(0, |status| status.frames.rendered)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_operator_duplicates_nothing_and_suspend_keeps_rendered_frames() {
    let mut farm = Farm::start().await;
    farm.upload_scene(
        "shots/sh020.blend",
        &SceneOptions {
            samples: 32,
            ..SceneOptions::default()
        },
    );
    let shot = farm.blender_shot(
        "sh020",
        "shots/sh020.blend",
        "1-12",
        "  chunkSize: 3\n  parallelism: 2\n",
    );
    assert!(farm.apply(&shot).status.success());
    farm.wait_for_shot("sh020", Duration::from_secs(120), "a first frame", |shot| {
        rendered(shot) >= 1
    })
    .await;

    // A second replica waits for the Lease and does nothing.
    let standby = Operator::start(
        farm.cluster.kubeconfig(),
        &farm.work.path().join("standby"),
        &[],
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let log = standby.log_tail(50);
    assert!(log.contains("waiting for the Lease"), "{log}");
    assert!(!log.contains("holding the Lease"), "{log}");
    assert_eq!(standby.http_get("/readyz").0, 200, "a standby is ready");
    drop(standby);

    // The leader dies mid-shot; its successor finds the work done so far.
    farm.operator.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    farm.operator.restart();

    let done = farm
        .wait_for_shot(
            "sh020",
            Duration::from_secs(300),
            "sh020 rendered",
            |shot| condition_is(shot, "Ready", "True"),
        )
        .await;
    assert_eq!(
        done.status.unwrap().rendered_frames.as_deref(),
        Some("1-12")
    );
    let jobs = farm.jobs_of("sh020").await;
    assert_eq!(jobs.len(), 4, "one RenderJob per chunk, never two");
    let chunks: BTreeSet<String> = jobs.iter().map(|job| job.spec.frames.clone()).collect();
    assert_eq!(
        chunks,
        ["1-3", "4-6", "7-9", "10-12"].map(String::from).into()
    );
    let pods = farm.pods_of("sh020").await;
    let render_pods = pods
        .iter()
        .filter(|pod| {
            pod.metadata.labels.as_ref().unwrap()["app.kubernetes.io/component"] == "render"
        })
        .count();
    assert_eq!(render_pods, 4, "one pod per RenderJob");

    // Suspend mid-chunk, then resume.
    farm.upload_scene(
        "shots/sh030.blend",
        // Slow enough (about a second a frame here) that the suspension lands mid-chunk.
        &SceneOptions {
            width: 320,
            height: 180,
            samples: 64,
            frame_end: 30,
            ..SceneOptions::default()
        },
    );
    let manifest = farm.blender_shot("sh030", "shots/sh030.blend", "1-30", "  chunkSize: 30\n");
    assert!(farm.apply(&manifest).status.success());
    farm.wait_for_shot("sh030", Duration::from_secs(120), "a first frame", |shot| {
        rendered(shot) >= 1
    })
    .await;
    let suspend = manifest.replace("  chunkSize: 30\n", "  chunkSize: 30\n  suspend: true\n");
    assert!(farm.apply(&suspend).status.success());
    let suspended = farm
        .wait_for_shot(
            "sh030",
            Duration::from_secs(120),
            "sh030 suspended",
            |shot| {
                shot.status.as_ref().and_then(|status| status.phase) == Some(ShotPhase::Suspended)
            },
        )
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let running = farm
            .pods_of("sh030")
            .await
            .into_iter()
            .filter(|pod| {
                let phase = pod.status.as_ref().and_then(|status| status.phase.clone());
                matches!(phase.as_deref(), Some("Pending" | "Running"))
            })
            .count();
        if running == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "pods stop when suspended"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let job = farm.jobs_of("sh030").await.remove(0);
    let kept = FrameSet::parse(
        job.status
            .as_ref()
            .and_then(|status| status.rendered_frames.as_deref())
            .unwrap_or_default(),
    )
    .unwrap();
    assert!(
        !kept.is_empty(),
        "frames saved before the suspension are kept"
    );
    assert!(kept.len() < 30, "suspended before the end: {kept}");
    drop(suspended);

    assert!(farm.apply(&manifest).status.success(), "resume");
    let resumed = farm
        .wait_for_shot(
            "sh030",
            Duration::from_secs(300),
            "sh030 rendered",
            |shot| condition_is(shot, "Ready", "True"),
        )
        .await;
    assert_eq!(
        resumed.status.unwrap().rendered_frames.as_deref(),
        Some("1-30")
    );
    let job = farm.jobs_of("sh030").await.remove(0);
    let status = job.status.unwrap();
    assert!(status.failures.is_empty(), "a suspension is no failure");
    for record in &status.frame_records {
        if kept.contains(record.frame) {
            assert_eq!(
                record.attempt, 1,
                "frame {} was not rendered again",
                record.frame
            );
        } else {
            assert!(
                record.attempt >= 2,
                "frame {} rendered after resuming",
                record.frame
            );
        }
    }
}
