//! The Argo CD health checks in `examples/gitops/argocd/` judge RenderShots and RenderJobs the
//! way Argo CD runs them: Lua 5.1 (the dialect of Argo CD's interpreter) with only the base,
//! table, string and math libraries, the object in the global `obj`, the script returning
//! `{status, message}`. The objects are the examples serialised from the typed crds structs
//! with statuses built from them, so renaming a status field the scripts read fails here.
//! Also checks that the `argocd-cm` snippet embeds the scripts byte for byte.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "tests fail loudly on unexpected input"
)]

use std::collections::BTreeMap;

use framefarm_crds::conditions::{ConditionUpdate, READY, RECONCILING, STALLED, set_condition};
use framefarm_crds::job::JobPhase;
use framefarm_crds::shot::{FrameCounts, JobCounts, ShotPhase};
use framefarm_crds::{RenderJob, RenderJobStatus, RenderShot, RenderShotStatus};
use framefarm_tests::manifests::{Manifest, repo_root};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use mlua::serde::SerializeOptions;
use mlua::{Lua, LuaOptions, LuaSerdeExt, StdLib, Table};
use serde::Serialize;

const SHOT_SCRIPT: &str = "examples/gitops/argocd/rendershot-health.lua";
const JOB_SCRIPT: &str = "examples/gitops/argocd/renderjob-health.lua";
const CONFIG_MAP: &str = "examples/gitops/argocd/argocd-cm.yaml";

/// The health statuses Argo CD knows; anything else shows as Unknown.
const ARGO_CD_STATUSES: [&str; 6] = [
    "Healthy",
    "Progressing",
    "Degraded",
    "Suspended",
    "Missing",
    "Unknown",
];

/// What a health script returned.
#[derive(Debug)]
struct Health {
    status: String,
    message: String,
}

/// Runs `script` on `object` as Argo CD does.
fn health(script: &str, object: &impl Serialize) -> Health {
    let source = std::fs::read_to_string(repo_root().join(script)).unwrap();
    let lua = Lua::new_with(
        StdLib::TABLE | StdLib::STRING | StdLib::MATH,
        LuaOptions::default(),
    )
    .unwrap();
    // Argo CD hands the script JSON as Lua values: absent and null fields are both nil.
    let options = SerializeOptions::new()
        .serialize_none_to_null(false)
        .serialize_unit_to_null(false);
    let json = serde_json::to_value(object).unwrap();
    let value = lua.to_value_with(&json, options).unwrap();
    lua.globals().set("obj", value).unwrap();
    let result: Table = lua
        .load(source)
        .set_name(script)
        .eval()
        .unwrap_or_else(|error| panic!("{script} failed: {error}"));
    let health = Health {
        status: result.get("status").unwrap(),
        message: result.get("message").unwrap(),
    };
    assert!(
        ARGO_CD_STATUSES.contains(&health.status.as_str()),
        "{script} returned {health:?}"
    );
    health
}

fn now() -> Time {
    Time(jiff::Timestamp::from_second(1_760_000_000).unwrap())
}

/// Ready, Reconciling and Stalled as the operator writes them: one reason and message for
/// all three, each with the generation it describes.
fn conditions(
    generation: i64,
    [ready, reconciling, stalled]: [bool; 3],
    reason: &str,
    message: &str,
) -> Vec<Condition> {
    let mut conditions = Vec::new();
    for (type_, status) in [
        (READY, ready),
        (RECONCILING, reconciling),
        (STALLED, stalled),
    ] {
        let update = ConditionUpdate {
            type_,
            status,
            reason,
            message: message.to_owned(),
            observed_generation: Some(generation),
        };
        set_condition(&mut conditions, update, &now());
    }
    conditions
}

const READY_ONLY: [bool; 3] = [true, false, false];
const RECONCILING_ONLY: [bool; 3] = [false, true, false];
const STALLED_ONLY: [bool; 3] = [false, false, true];
const NONE: [bool; 3] = [false, false, false];

fn shot(generation: i64, status: Option<RenderShotStatus>) -> RenderShot {
    let manifest = Manifest::load(&repo_root().join("examples/demo-shot.yaml")).unwrap();
    let mut shot: RenderShot = serde_json::from_value(manifest.documents[0].clone()).unwrap();
    shot.metadata.generation = Some(generation);
    shot.status = status;
    shot
}

fn shot_status(
    phase: ShotPhase,
    rendered: u64,
    flags: [bool; 3],
    reason: &str,
    message: &str,
) -> RenderShotStatus {
    RenderShotStatus {
        observed_generation: Some(1),
        phase: Some(phase),
        progress: Some(format!("{rendered}/24")),
        frames: FrameCounts {
            total: 24,
            rendered,
            ..FrameCounts::default()
        },
        jobs: JobCounts {
            total: 6,
            ..JobCounts::default()
        },
        conditions: conditions(1, flags, reason, message),
        ..RenderShotStatus::default()
    }
}

fn shot_health(shot: &RenderShot) -> Health {
    health(SHOT_SCRIPT, shot)
}

#[test]
fn a_shot_the_operator_has_not_seen_is_progressing() {
    let found = shot_health(&shot(1, None));
    assert_eq!(found.status, "Progressing");
    assert_eq!(found.message, "Waiting for the operator");
}

#[test]
fn a_shot_whose_spec_changed_since_its_status_is_progressing_whatever_the_status_says() {
    let rendered = shot_status(
        ShotPhase::Succeeded,
        24,
        READY_ONLY,
        "Rendered",
        "24 frames rendered",
    );
    let found = shot_health(&shot(2, Some(rendered)));
    assert_eq!(found.status, "Progressing");
    assert!(found.message.contains("generation 2"), "{found:?}");
}

#[test]
fn a_pending_or_rendering_shot_is_progressing_with_its_progress() {
    let pending = shot_status(
        ShotPhase::Pending,
        0,
        RECONCILING_ONLY,
        "Rendering",
        "0/24 frames rendered; 3 RenderJobs active",
    );
    let found = shot_health(&shot(1, Some(pending)));
    assert_eq!(found.status, "Progressing");
    assert_eq!(
        found.message,
        "Rendering: 0/24 frames rendered; 3 RenderJobs active"
    );

    let rendering = shot_status(
        ShotPhase::Rendering,
        12,
        RECONCILING_ONLY,
        "Rendering",
        "12/24 frames rendered; 3 RenderJobs active",
    );
    let found = shot_health(&shot(1, Some(rendering)));
    assert_eq!(found.status, "Progressing");
    assert!(found.message.contains("12/24 frames rendered"), "{found:?}");
}

#[test]
fn a_shot_waiting_for_gpu_nodes_is_progressing_with_the_schedulers_message() {
    let message = "4/24 frames rendered; 2 RenderJobs wait for a node: \"0/3 nodes are available: \
                   3 Insufficient nvidia.com/gpu.\"";
    let waiting = shot_status(
        ShotPhase::Rendering,
        4,
        RECONCILING_ONLY,
        "Unschedulable",
        message,
    );
    let found = shot_health(&shot(1, Some(waiting)));
    assert_eq!(found.status, "Progressing");
    assert!(found.message.starts_with("Unschedulable: "), "{found:?}");
    assert!(found.message.contains("nvidia.com/gpu"), "{found:?}");
}

#[test]
fn a_shot_making_its_preview_is_progressing_until_the_preview_is_made() {
    let previewing = shot_status(
        ShotPhase::Rendering,
        24,
        RECONCILING_ONLY,
        "MakingPreview",
        "24/24 frames rendered; making the contact sheet and animation",
    );
    let found = shot_health(&shot(1, Some(previewing)));
    assert_eq!(found.status, "Progressing");
    assert!(found.message.starts_with("MakingPreview"), "{found:?}");
}

#[test]
fn a_rendered_shot_is_healthy() {
    let rendered = shot_status(
        ShotPhase::Succeeded,
        24,
        READY_ONLY,
        "Rendered",
        "24 frames rendered",
    );
    let found = shot_health(&shot(1, Some(rendered)));
    assert_eq!(found.status, "Healthy");
    assert_eq!(found.message, "Rendered: 24 frames rendered");
}

#[test]
fn a_shot_whose_frames_failed_every_attempt_is_degraded_naming_the_frames() {
    let mut failed = shot_status(
        ShotPhase::Failed,
        22,
        STALLED_ONLY,
        "FramesFailed",
        "frames 7,19 failed every attempt: \"Error: out of GPU memory\"",
    );
    failed.failed_frames = Some("7,19".into());
    let found = shot_health(&shot(1, Some(failed)));
    assert_eq!(found.status, "Degraded");
    assert!(found.message.starts_with("FramesFailed: "), "{found:?}");
    assert!(found.message.contains("frames 7,19"), "{found:?}");
    assert!(found.message.contains("out of GPU memory"), "{found:?}");
}

#[test]
fn a_shot_that_cannot_start_is_degraded_with_the_fix() {
    let message = "Secret studio-storage not found in namespace renders; create it with `kubectl \
                   create secret generic studio-storage --namespace renders …`";
    // The phase stays where it was; Stalled says why nothing starts.
    let missing = shot_status(
        ShotPhase::Pending,
        0,
        STALLED_ONLY,
        "SecretMissing",
        message,
    );
    let found = shot_health(&shot(1, Some(missing)));
    assert_eq!(found.status, "Degraded");
    assert!(found.message.starts_with("SecretMissing: "), "{found:?}");
    assert!(found.message.contains("kubectl create secret"), "{found:?}");
}

#[test]
fn a_suspended_shot_is_suspended() {
    let suspended = shot_status(
        ShotPhase::Suspended,
        12,
        NONE,
        "Suspended",
        "suspended with 12/24 frames rendered",
    );
    let mut object = shot(1, Some(suspended.clone()));
    object.spec.render.suspend = true;
    let found = shot_health(&object);
    assert_eq!(found.status, "Suspended");
    assert_eq!(
        found.message,
        "Suspended: suspended with 12/24 frames rendered"
    );

    // Applied suspended before the operator's first status: waiting, not suspended yet.
    let mut unseen = shot(1, None);
    unseen.spec.render.suspend = true;
    assert_eq!(shot_health(&unseen).status, "Progressing");
}

#[test]
fn a_shot_suspended_after_every_frame_rendered_stays_healthy() {
    let rendered = shot_status(
        ShotPhase::Succeeded,
        24,
        READY_ONLY,
        "Rendered",
        "24 frames rendered",
    );
    let mut object = shot(1, Some(rendered));
    object.spec.render.suspend = true;
    assert_eq!(shot_health(&object).status, "Healthy");
}

fn job(generation: i64, status: Option<RenderJobStatus>) -> RenderJob {
    let manifest = Manifest::load(&repo_root().join("examples/renderjob-standalone.yaml")).unwrap();
    let mut job: RenderJob = serde_json::from_value(manifest.documents[0].clone()).unwrap();
    job.metadata.generation = Some(generation);
    job.status = status;
    job
}

fn job_status(
    phase: JobPhase,
    attempt: Option<u32>,
    flags: [bool; 3],
    reason: &str,
    message: &str,
) -> RenderJobStatus {
    RenderJobStatus {
        observed_generation: Some(1),
        phase: Some(phase),
        attempt,
        pod_name: attempt.map(|attempt| format!("sh010-lighting-v003-fix-101-{attempt}")),
        node_name: attempt.map(|_| "gpu-node-a".to_owned()),
        conditions: conditions(1, flags, reason, message),
        ..RenderJobStatus::default()
    }
}

fn job_health(job: &RenderJob) -> Health {
    health(JOB_SCRIPT, job)
}

#[test]
fn a_job_the_operator_has_not_seen_is_progressing() {
    let found = job_health(&job(1, None));
    assert_eq!(found.status, "Progressing");
    assert_eq!(found.message, "Waiting for the operator");

    let rendered = job_status(
        JobPhase::Succeeded,
        Some(1),
        READY_ONLY,
        "Rendered",
        "10 frames rendered",
    );
    let found = job_health(&job(3, Some(rendered)));
    assert_eq!(found.status, "Progressing", "status of generation 1");
    assert!(found.message.contains("generation 3"), "{found:?}");
}

#[test]
fn a_running_job_is_progressing_naming_its_attempt_and_node() {
    let running = job_status(
        JobPhase::Running,
        Some(2),
        RECONCILING_ONLY,
        "Rendering",
        "attempt 2 renders in pod sh010-lighting-v003-fix-101-2",
    );
    let found = job_health(&job(1, Some(running)));
    assert_eq!(found.status, "Progressing");
    assert_eq!(
        found.message,
        "Rendering: attempt 2 renders in pod sh010-lighting-v003-fix-101-2 (attempt 2 on \
         gpu-node-a)"
    );
}

#[test]
fn a_job_backing_off_after_a_failed_attempt_is_progressing() {
    let mut retrying = job_status(
        JobPhase::Pending,
        Some(1),
        RECONCILING_ONLY,
        "Retrying",
        "attempt 1 failed: OOMKilled; attempt 2 starts at 2025-10-09T08:54:20Z",
    );
    retrying.next_attempt_time = Some(now());
    let found = job_health(&job(1, Some(retrying)));
    assert_eq!(found.status, "Progressing");
    assert!(
        found.message.starts_with("Retrying: attempt 1 failed"),
        "{found:?}"
    );
}

#[test]
fn a_rendered_job_is_healthy() {
    let rendered = job_status(
        JobPhase::Succeeded,
        Some(1),
        READY_ONLY,
        "Rendered",
        "10 frames rendered",
    );
    let found = job_health(&job(1, Some(rendered)));
    assert_eq!(found.status, "Healthy");
    assert_eq!(found.message, "Rendered: 10 frames rendered");
}

#[test]
fn a_job_whose_frames_failed_every_attempt_is_degraded_naming_the_frames() {
    let mut failed = job_status(
        JobPhase::Failed,
        Some(3),
        STALLED_ONLY,
        "FramesFailed",
        "frames 104 failed every attempt: EngineCrashed",
    );
    failed.failed_frames = Some("104".into());
    let found = job_health(&job(1, Some(failed)));
    assert_eq!(found.status, "Degraded");
    assert_eq!(
        found.message,
        "FramesFailed: frames 104 failed every attempt: EngineCrashed (failed frames: 104)"
    );
}

#[test]
fn a_suspended_job_is_suspended() {
    let suspended = job_status(
        JobPhase::Suspended,
        Some(1),
        NONE,
        "Suspended",
        "suspended; 4 of 10 frames rendered",
    );
    let mut object = job(1, Some(suspended));
    object.spec.render.suspend = true;
    let found = job_health(&object);
    assert_eq!(found.status, "Suspended");
    assert!(found.message.starts_with("Suspended"), "{found:?}");
}

/// The `data` of the argocd-cm snippet.
fn config_map_data() -> BTreeMap<String, String> {
    let manifest = Manifest::load(&repo_root().join(CONFIG_MAP)).unwrap();
    assert_eq!(manifest.documents.len(), 1);
    let config_map = &manifest.documents[0];
    assert_eq!(config_map["kind"], "ConfigMap");
    assert_eq!(config_map["metadata"]["name"], "argocd-cm");
    serde_json::from_value(config_map["data"].clone()).unwrap()
}

#[test]
fn the_argocd_cm_snippet_embeds_the_health_checks_byte_for_byte() {
    let data = config_map_data();
    for (key, script) in [
        (
            "resource.customizations.health.framefarm.io_RenderShot",
            SHOT_SCRIPT,
        ),
        (
            "resource.customizations.health.framefarm.io_RenderJob",
            JOB_SCRIPT,
        ),
    ] {
        let source = std::fs::read_to_string(repo_root().join(script)).unwrap();
        let embedded = data
            .get(key)
            .unwrap_or_else(|| panic!("{CONFIG_MAP} lacks {key}"));
        assert!(
            *embedded == source,
            "{key} in {CONFIG_MAP} differs from {script}: copy the script in again, indented \
             by four spaces under `{key}: |`"
        );
    }
}

#[test]
fn the_argocd_cm_snippet_keeps_status_out_of_diffs_and_refreshes() {
    let data = config_map_data();
    assert!(
        data["resource.compareoptions"].contains("ignoreResourceStatusField: all"),
        "{data:?}"
    );
    for kind in ["RenderShot", "RenderJob"] {
        let key = format!("resource.customizations.ignoreResourceUpdates.framefarm.io_{kind}");
        let ignored: serde_json::Value = serde_saphyr::from_str(&data[&key]).unwrap();
        assert_eq!(
            ignored["jsonPointers"],
            serde_json::json!(["/status"]),
            "{key}"
        );
    }
}
