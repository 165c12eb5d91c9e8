//! What `status` shows for a shot with a failed frame, as text and as JSON.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use super::*;

fn shot() -> RenderShot {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
        "metadata": {"name": "crash", "namespace": "studio"},
        "spec": {
            "frames": "1-4",
            "scene": {"uri": "s3://studio/a.blend"},
            "engine": {"blender": {}},
            "output": {"uri": "s3://studio/out/"},
            "storage": {"endpoint": "http://127.0.0.1:3900"}
        },
        "status": {
            "phase": "Failed",
            "frames": {"total": 4, "rendered": 3, "failed": 1, "running": 0},
            "renderedFrames": "1,2,4",
            "failedFrames": "3",
            "jobs": {"total": 1, "waiting": 0, "active": 0, "succeeded": 0, "failed": 1},
            "renderSeconds": 6.3,
            "averageFrameSeconds": 2.1,
            "startTime": "2026-11-21T10:00:00Z",
            "completionTime": "2026-11-21T10:02:05Z",
            "conditions": [{
                "type": "Stalled", "status": "True", "reason": "FramesFailed",
                "message": "frame 3 failed every attempt",
                "lastTransitionTime": "2026-11-21T10:02:05Z"
            }]
        }
    }))
    .unwrap()
}

fn job() -> RenderJob {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderJob",
        "metadata": {"name": "crash-0123abcd-1", "namespace": "studio"},
        "spec": {
            "frames": "1-4",
            "scene": {"uri": "s3://studio/a.blend"},
            "engine": {"blender": {}},
            "output": {"uri": "s3://studio/out/"},
            "storage": {"endpoint": "http://127.0.0.1:3900"}
        },
        "status": {
            "phase": "Failed",
            "failures": [
                {"frame": 3, "attempt": 1, "node": "node-a", "reason": "EngineCrashed",
                 "message": "first crash", "at": "2026-11-21T10:00:30Z"},
                {"frame": 3, "attempt": 2, "node": "node-b", "reason": "EngineCrashed",
                 "message": "Blender quit with signal 11", "at": "2026-11-21T10:01:30Z"}
            ]
        }
    }))
    .unwrap()
}

fn at(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

#[test]
fn a_failed_frame_is_shown_with_its_newest_failure() {
    let view = build_view(&shot(), &[job()]);
    assert_eq!(
        view.failed_frames,
        [FailedFrame {
            frame: 3,
            job: "crash-0123abcd-1".into(),
            attempt: Some(2),
            node: Some("node-b".into()),
            reason: "EngineCrashed".into(),
            message: "Blender quit with signal 11".into(),
        }]
    );
}

#[test]
fn the_text_shows_progress_timing_conditions_and_what_to_do_next() {
    let view = build_view(&shot(), &[job()]);
    let text = render_text(&view, at("2026-11-21T11:00:00Z"));
    for expected in [
        "RenderShot  studio/crash",
        "Phase       Failed",
        "3/4 frames (75%)",
        "x",
        "Render time 6s of engine time, 2.1 s a frame",
        "took 2m 05s",
        "ETA         done at 2026-11-21 10:02:05 UTC",
        "RenderJobs  1 total: 0 waiting, 0 active, 0 succeeded, 1 failed",
        "Stalled      True   FramesFailed   frame 3 failed every attempt",
        "frame 3: EngineCrashed (RenderJob crash-0123abcd-1, attempt 2 on node-b): Blender quit",
        "kubectl framefarm logs crash --frame N",
        "kubectl framefarm retry crash --failed",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn a_rendering_shot_shows_its_eta_from_now() {
    let mut shot = shot();
    let status = shot.status.as_mut().unwrap();
    status.completion_time = None;
    status.estimated_completion_time = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
        at("2026-11-21T10:05:00Z"),
    ));
    let view = build_view(&shot, &[]);
    assert_eq!(
        eta_text(&view, at("2026-11-21T10:01:40Z")),
        "in 3m 20s (at 10:05:00 UTC)"
    );
    let text = render_text(&view, at("2026-11-21T10:01:40Z"));
    assert!(text.contains("running for 1m 40s"), "{text}");
    let view = build_view(&pending(), &[]);
    assert_eq!(
        eta_text(&view, at("2026-11-21T10:01:40Z")),
        "unknown until the first frames are rendered"
    );
}

fn pending() -> RenderShot {
    let mut shot = shot();
    shot.status = None;
    shot
}

#[test]
fn json_uses_the_api_field_names() {
    let view = build_view(&shot(), &[job()]);
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["phase"], "Failed");
    assert_eq!(json["frames"]["failed"], 1);
    assert_eq!(json["failedFrames"][0]["frame"], 3);
    assert_eq!(json["failedFrames"][0]["reason"], "EngineCrashed");
    assert_eq!(json["conditions"][0]["type"], "Stalled");
    assert_eq!(json["completionTime"], "2026-11-21T10:02:05Z");
}
