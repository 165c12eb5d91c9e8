//! `node-agent run` for a later attempt of a RenderJob, as a process talking to the emulated
//! API: frames the job's status lists as rendered (records or `renderedFrames`) or as failed
//! for good (`failedFrames`) are not rendered again — even with `FRAMEFARM_OVERWRITE=true`,
//! which re-renders only files the job did not write — and the rendered ones stay reported.
//! Blender and Garage are real.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use framefarm_tests::blender::SceneOptions;
use framefarm_tests::cluster::{Cluster, ClusterConfig};
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use support::{
    BLENDER_PNG, BUCKET, Fixture, OUTPUT_PREFIX, agent_command, frame_files, run, stderr,
};

const JOB: &str = "sh010-chunk-1";

fn render_jobs(client: kube::Client, namespace: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("framefarm.io", "v1alpha1", "RenderJob");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "renderjobs");
    Api::namespaced_with(client, namespace, &resource)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_later_attempt_renders_only_what_earlier_attempts_left_open_even_when_overwriting() {
    let fixture = Fixture::new(&SceneOptions::default());
    let put = |frame: &str, body: &[u8]| {
        fixture
            .garage
            .put_object(BUCKET, &format!("{OUTPUT_PREFIX}{frame}"), body)
            .unwrap();
    };
    // Attempt 1 rendered frame 1 (with a record) and frame 2 (counted in renderedFrames only);
    // frame 3's file is from an older render; frame 4 failed every attempt.
    put("frame_0001.png", b"attempt 1");
    put("frame_0003.png", b"an older render");
    let cluster = Cluster::start(ClusterConfig {
        garage: false,
        ..ClusterConfig::default()
    })
    .await
    .unwrap();
    let crds = concat!(env!("CARGO_MANIFEST_DIR"), "/../crds");
    cluster.kubectl(&["apply", "-f", crds]).unwrap();
    let namespace = cluster.namespace("studio").await.unwrap();

    let manifest = fixture.manifest("1-4", BLENDER_PNG, "");
    let mut job: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    job["metadata"]["namespace"] = json!(namespace);
    let jobs = render_jobs(cluster.client(), &namespace);
    jobs.create(
        &PostParams::default(),
        &serde_json::from_value(job).unwrap(),
    )
    .await
    .unwrap();
    let earlier = json!({
        "frame": 1, "outputKey": "out/sh010/frame_0001.png", "bytes": 9, "renderSeconds": 0.5,
        "finishedAt": "2026-11-21T10:00:00Z", "node": "node-z", "attempt": 1
    });
    let agent_status = json!({
        "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderJob",
        "status": {"renderedFrames": "1-2", "progress": "2/4", "frameRecords": [earlier]}
    });
    jobs.patch_status(
        JOB,
        &PatchParams::apply("framefarm-node-agent").force(),
        &Patch::Apply(&agent_status),
    )
    .await
    .unwrap();
    let operator_status = json!({
        "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderJob",
        "status": {"attempt": 3, "phase": "Running", "failedFrames": "4"}
    });
    jobs.patch_status(
        JOB,
        &PatchParams::apply("framefarm-operator").force(),
        &Patch::Apply(&operator_status),
    )
    .await
    .unwrap();

    let output = run(agent_command()
        .arg("run")
        .args(["--cache-dir", &fixture.path("cache").display().to_string()])
        .env("FRAMEFARM_JOB_NAME", JOB)
        .env("FRAMEFARM_JOB_NAMESPACE", &namespace)
        .env("FRAMEFARM_ATTEMPT", "3")
        .env("FRAMEFARM_OVERWRITE", "true")
        .env("KUBECONFIG", cluster.kubeconfig())
        .env("AWS_ACCESS_KEY_ID", fixture.garage.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", fixture.garage.secret_access_key()));
    assert!(output.status.success(), "{}", stderr(&output));
    let log = stderr(&output);
    assert!(
        log.contains("left out 1 that failed every attempt (4)"),
        "{log}"
    );
    assert!(log.contains("rendered 1 frame(s)"), "{log}");

    assert_eq!(
        frame_files(&fixture.outputs()),
        ["frame_0001.png", "frame_0003.png"],
        "frame 2 is not rendered again though its file is gone, frame 4 not at all"
    );
    assert_eq!(fixture.output("frame_0001.png"), b"attempt 1");
    let frame_3 = fixture.output("frame_0003.png");
    assert_eq!(
        image::guess_format(&frame_3).unwrap(),
        image::ImageFormat::Png,
        "overwriting replaced the older file"
    );

    let job = jobs.get(JOB).await.unwrap();
    let status = &job.data["status"];
    assert_eq!(status["renderedFrames"], "1-3");
    assert_eq!(status["progress"], "3/4");
    assert_eq!(status["failedFrames"], "4", "the operator's field is kept");
    let records = status["frameRecords"].as_array().unwrap();
    assert_eq!(records[0], earlier);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["frame"], 3);
    assert_eq!(records[1]["attempt"], 3);
    cluster.stop().await;
}
