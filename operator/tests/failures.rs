//! Failures, as a render farm meets them: a pod deleted mid-chunk (only its missing frames
//! are rendered again, by a new attempt, and every frame exists once), and a frame that
//! always crashes the engine (it is tried maxAttemptsPerFrame times, then the shot ends
//! Failed naming it, with every other frame rendered).

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::time::Duration;

use framefarm_crds::FrameSet;
use framefarm_crds::shot::ShotPhase;
use framefarm_tests::blender::SceneOptions;
use kube::api::DeleteParams;
use support::{Farm, condition_is};

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_pod_and_a_crashing_frame_each_cost_only_their_frames() {
    let farm = Farm::start().await;
    farm.upload_scene(
        "shots/slow.blend",
        // Slow enough (about a second a frame here) that the pod is deleted mid-chunk.
        &SceneOptions {
            width: 320,
            height: 180,
            samples: 64,
            ..SceneOptions::default()
        },
    );
    farm.upload_scene(
        "shots/crash.blend",
        &SceneOptions {
            crash_at_frame: Some(3),
            ..SceneOptions::default()
        },
    );
    let slow = farm.blender_shot("slow", "shots/slow.blend", "1-10", "  chunkSize: 10\n");
    let crash = farm.blender_shot(
        "crash",
        "shots/crash.blend",
        "1-4",
        "  chunkSize: 4\n  retries:\n    maxAttemptsPerFrame: 2\n    initialBackoffSeconds: 1\n    maxBackoffSeconds: 2\n",
    );
    // The second `retries:` key of `crash` replaces the harness's; the scene's crash handler
    // is a script, which Blender runs only with autoexec on.
    let crash = crash
        .replacen(
            "  retries:\n    initialBackoffSeconds: 1\n    maxBackoffSeconds: 2\n",
            "",
            1,
        )
        .replace(
            "      outputFormat: PNG\n",
            "      outputFormat: PNG\n      extraArgs: [\"-y\"]\n",
        );
    assert!(farm.apply(&slow).status.success());
    assert!(
        farm.apply(&crash).status.success(),
        "{:?}",
        farm.apply(&crash)
    );

    // Delete the pod once it has rendered a few frames.
    let job = loop {
        let jobs = farm.jobs_of("slow").await;
        if let Some(job) = jobs.first()
            && let Some(rendered) = job.status.as_ref().and_then(|s| s.rendered_frames.clone())
            && FrameSet::parse(&rendered).unwrap_or_default().len() >= 2
        {
            break job.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let pod = job.status.as_ref().unwrap().pod_name.clone().unwrap();
    farm.pods_api()
        .delete(&pod, &DeleteParams::default())
        .await
        .unwrap();

    let slow_shot = farm
        .wait_for_shot("slow", Duration::from_secs(300), "slow to render", |shot| {
            condition_is(shot, "Ready", "True")
        })
        .await;
    let status = slow_shot.status.unwrap();
    assert_eq!(status.rendered_frames.as_deref(), Some("1-10"));
    let job = farm.jobs_of("slow").await.remove(0);
    let job_status = job.status.unwrap();
    assert!(job_status.attempt.unwrap() >= 2, "a new attempt ran");
    assert!(
        job_status.failures.is_empty(),
        "a deleted pod is no failure"
    );
    let records = &job_status.frame_records;
    let frames: Vec<u64> = records.iter().map(|record| record.frame).collect();
    assert_eq!(frames, (1..=10).collect::<Vec<_>>(), "one record per frame");
    assert!(
        records.iter().any(|record| record.attempt == 1)
            && records.iter().any(|record| record.attempt >= 2),
        "the first attempt's frames were kept, the rest rendered later: {records:?}"
    );
    let keys = farm.keys("renders/slow/");
    let frame_files = keys
        .iter()
        .filter(|key| {
            !key.contains("/thumbs/") && !key.contains("/logs/") && !key.contains("/preview/")
        })
        .count();
    assert_eq!(frame_files, 10, "{keys:?}");

    let crash_shot = farm
        .wait_for_shot("crash", Duration::from_secs(300), "crash to end", |shot| {
            shot.status.as_ref().and_then(|status| status.phase) == Some(ShotPhase::Failed)
        })
        .await;
    let status = crash_shot.status.clone().unwrap();
    assert_eq!(status.failed_frames.as_deref(), Some("3"));
    assert_eq!(status.rendered_frames.as_deref(), Some("1,2,4"));
    assert!(condition_is(&crash_shot, "Stalled", "True"));
    let stalled = status
        .conditions
        .iter()
        .find(|condition| condition.type_ == "Stalled")
        .unwrap();
    assert_eq!(stalled.reason, "FramesFailed");
    assert!(stalled.message.contains('3'), "{}", stalled.message);
    let job = farm.jobs_of("crash").await.remove(0);
    let failures = job.status.unwrap().failures;
    assert_eq!(
        failures.iter().filter(|failure| failure.frame == 3).count(),
        2,
        "frame 3 was tried maxAttemptsPerFrame times: {failures:?}"
    );
    let describe = farm.kubectl(&["describe", "rendershot", "crash"]);
    assert!(String::from_utf8_lossy(&describe.stdout).contains("FramesFailed"));
}
