//! The control plane under load, on the emulated cluster, with the generic command engine
//! running ImageMagick to write each frame (a trivial real program, so the operator and the API
//! are what is measured):
//!
//! 1. planning a 100,000-frame shot in chunks of 10 (pure, and live: apply until its first
//!    RenderJobs exist);
//! 2. a full render of `FRAMES` frames (default 2,000) in chunks of 10: wall time, API writes
//!    per frame (every write the API server saw: operator, agents, kubelet, scheduler, events,
//!    leases), the RenderShot's status size;
//! 3. the operator's peak RSS with 10,000 RenderJobs (each with ten frame records) cached.
//!
//! `cargo bench -p framefarm-operator --bench control_plane` (FRAMES=… to change the render).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark fails loudly"
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};

use framefarm_crds::{FrameSet, RenderJob, RenderShot};
use framefarm_operator::shot::plan::{build_job, plan_jobs};
use framefarm_operator::shot::rollup::{PreviewState, RollupInput, roll_up};
use framefarm_operator::shot::validate::{SceneCheck, SecretCheck, ValidatedShot, validate_shot};
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::{
    ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
    WatchEvent, WatchParams,
};
use serde_json::json;
use support::{Farm, IMAGEMAGICK_IMAGE, SECRET, condition_is};

const CHUNK: u64 = 10;

fn command_shot(
    name: &str,
    namespace: &str,
    endpoint: &str,
    frames: &str,
    parallelism: u32,
) -> String {
    format!(
        r#"apiVersion: framefarm.io/v1alpha1
kind: RenderShot
metadata:
  name: {name}
  namespace: {namespace}
spec:
  scene:
    uri: s3://studio/bench/background.png
  frames: "{frames}"
  chunkSize: {CHUNK}
  parallelism: {parallelism}
  engine:
    command:
      image: {IMAGEMAGICK_IMAGE}
      command: ["/usr/bin/convert"]
      args: ["{{scene}}", "-resize", "32x18!", "{{output_dir}}/f_{{frame:06}}.png"]
  output:
    uri: s3://studio/bench/{name}/
    naming: "f_{{frame:06}}"
  thumbnails:
    width: 16
  storage:
    endpoint: {endpoint}
    credentialsSecret:
      name: {SECRET}
"#
    )
}

fn shot_object(frames: &str) -> RenderShot {
    let mut shot: RenderShot = serde_saphyr::from_str(&command_shot(
        "bench",
        "bench",
        "http://127.0.0.1:3900",
        frames,
        10,
    ))
    .unwrap();
    shot.metadata.uid = Some("00000000-0000-4000-8000-000000000001".into());
    shot.metadata.generation = Some(1);
    shot
}

fn secret_check() -> SecretCheck {
    SecretCheck {
        name: SECRET.into(),
        keys: Some(
            ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
                .map(String::from)
                .into(),
        ),
    }
}

fn finished(mut job: RenderJob) -> RenderJob {
    let frames = FrameSet::parse(&job.spec.frames).unwrap();
    let records: Vec<_> = frames
        .frames()
        .map(|frame| {
            json!({"frame": frame, "outputKey": format!("bench/f_{frame:06}.png"), "bytes": 900,
                "renderSeconds": 0.05, "finishedAt": "2026-11-21T10:00:00Z", "node": "node-a",
                "attempt": 1, "thumbnailKey": format!("bench/thumbs/f_{frame:06}.png")})
        })
        .collect();
    job.status = Some(
        serde_json::from_value(json!({
            "phase": "Succeeded", "attempt": 1, "renderedFrames": job.spec.frames,
            "progress": format!("{0}/{0}", frames.len()), "frameRecords": records,
            "startTime": "2026-11-21T09:59:00Z", "completionTime": "2026-11-21T10:00:00Z"
        }))
        .unwrap(),
    );
    job
}

/// Counts the writes of a render by who made them, from watches of everything it touches.
struct WriteTally {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl WriteTally {
    async fn start(farm: &Farm, revision: u64) -> WriteTally {
        let counts = Arc::new(Mutex::new(BTreeMap::new()));
        let client = farm.cluster.client();
        let namespace = farm.namespace.clone();
        let kinds = [
            ("framefarm.io", "v1alpha1", "RenderJob", "renderjobs", true),
            (
                "framefarm.io",
                "v1alpha1",
                "RenderShot",
                "rendershots",
                true,
            ),
            ("", "v1", "Pod", "pods", true),
            ("", "v1", "Event", "events", true),
            ("coordination.k8s.io", "v1", "Lease", "leases", false),
        ];
        let mut tasks = Vec::new();
        for (group, version, kind, plural, namespaced) in kinds {
            let resource = ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk(group, version, kind),
                plural,
            );
            let api: Api<DynamicObject> = if namespaced {
                Api::namespaced_with(client.clone(), &namespace, &resource)
            } else {
                Api::all_with(client.clone(), &resource)
            };
            let counts = counts.clone();
            tasks.push(tokio::spawn(async move {
                let mut last: HashMap<String, serde_json::Value> = HashMap::new();
                let mut version = revision.to_string();
                loop {
                    let Ok(stream) = api
                        .watch(&WatchParams::default().timeout(290), &version)
                        .await
                    else {
                        return;
                    };
                    let mut stream = stream.boxed();
                    while let Ok(Some(event)) = stream.try_next().await {
                        let (object, deleted) = match event {
                            WatchEvent::Added(object) | WatchEvent::Modified(object) => {
                                (object, false)
                            }
                            WatchEvent::Deleted(object) => (object, true),
                            _ => continue,
                        };
                        if let Some(seen) = object.metadata.resource_version.clone() {
                            version = seen;
                        }
                        let data = serde_json::to_value(&object).unwrap_or_default();
                        let key = object.metadata.name.clone().unwrap_or_default();
                        let writer = writer_of(kind, &data, last.get(&key), deleted);
                        last.insert(key, data);
                        *counts.lock().unwrap().entry(writer).or_insert(0) += 1;
                    }
                }
            }));
        }
        WriteTally { counts, tasks }
    }

    fn finish(self) -> BTreeMap<String, u64> {
        for task in self.tasks {
            task.abort();
        }
        self.counts.lock().unwrap().clone()
    }
}

/// Who made a write, told from what changed.
fn writer_of(
    kind: &str,
    object: &serde_json::Value,
    before: Option<&serde_json::Value>,
    deleted: bool,
) -> String {
    let changed = |field: &str| {
        before.is_none_or(|before| before["status"][field] != object["status"][field])
    };
    match kind {
        "RenderJob" if before.is_none() => "operator: create RenderJob".into(),
        "RenderJob" if deleted => "garbage collector: delete RenderJob".into(),
        "RenderJob" if changed("frameRecords") || changed("progress") || changed("failures") => {
            "agent: RenderJob status".into()
        }
        "RenderJob" => "operator: RenderJob status".into(),
        "RenderShot" => "operator: RenderShot".into(),
        "Pod" if before.is_none() => "operator: create Pod".into(),
        "Pod" if deleted => "kubelet: delete Pod".into(),
        "Pod" => "scheduler and kubelet: Pod binding and status".into(),
        "Event" => {
            let source = object["reportingComponent"]
                .as_str()
                .filter(|source| !source.is_empty())
                .or_else(|| object["source"]["component"].as_str())
                .unwrap_or("unknown");
            if source.contains("framefarm") {
                "operator: Event".into()
            } else {
                format!("{source}: Event")
            }
        }
        _ => "nodes and operator: Lease".into(),
    }
}

/// Records one figure and prints it at once, so a long run shows its progress.
fn note(rows: &mut Vec<(String, String)>, (measure, value): (String, String)) {
    eprintln!("{measure}: {value}");
    rows.push((measure, value));
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Pure planning and roll-up of a 100,000-frame shot.
fn pure_figures() -> Vec<(String, String)> {
    let shot = shot_object("1-100000");
    let validated: ValidatedShot =
        validate_shot(&shot, Some(&secret_check()), &SceneCheck::Found).unwrap();
    let status = framefarm_crds::RenderShotStatus::default();
    let empty = FrameSet::new();
    let first = median(
        (0..5)
            .map(|_| {
                let started = Instant::now();
                let plan = plan_jobs(&validated, &status, &[], &empty, &empty);
                assert_eq!(plan.apply.len(), 10);
                started.elapsed()
            })
            .collect(),
    );
    let jobs: Vec<RenderJob> = validated
        .frames
        .chunks(CHUNK)
        .take(9_990)
        .map(|chunk| finished(build_job(&validated, &chunk, false)))
        .collect();
    let refs: Vec<&RenderJob> = jobs.iter().collect();
    let late = median(
        (0..5)
            .map(|_| {
                let started = Instant::now();
                let plan = plan_jobs(&validated, &status, &refs, &empty, &empty);
                assert_eq!(plan.apply.len(), 10);
                started.elapsed()
            })
            .collect(),
    );
    let all: Vec<RenderJob> = validated
        .frames
        .chunks(CHUNK)
        .map(|chunk| finished(build_job(&validated, &chunk, false)))
        .collect();
    let all_refs: Vec<&RenderJob> = all.iter().collect();
    let preview = PreviewState::NotStarted;
    let input = RollupInput {
        shot: &shot,
        validated: Ok(&validated),
        jobs: &all_refs,
        found: &empty,
        found_generation: Some(1),
        retained: &empty,
        retry_token: None,
        remaining_chunks: 0,
        overwrite: false,
        preview: &preview,
        now: jiff::Timestamp::now(),
    };
    let started = Instant::now();
    let rolled = roll_up(&input);
    let roll_up_time = started.elapsed();
    let size = serde_json::to_vec(&rolled).unwrap().len();
    vec![
        (
            "plan 100,000 frames, no RenderJobs yet (pure, median of 5)".into(),
            format!("{:.1} ms", first.as_secs_f64() * 1e3),
        ),
        (
            "plan 100,000 frames, 9,990 RenderJobs done (pure, median of 5)".into(),
            format!("{:.1} ms", late.as_secs_f64() * 1e3),
        ),
        (
            "roll up 10,000 RenderJobs (pure)".into(),
            format!("{:.1} ms", roll_up_time.as_secs_f64() * 1e3),
        ),
        (
            "RenderShot status, 100,000 frames rendered".into(),
            format!("{size} bytes"),
        ),
    ]
}

async fn revision(farm: &Farm) -> u64 {
    Api::<Namespace>::all(farm.cluster.client())
        .list_metadata(&ListParams::default().limit(1))
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let frames: u64 = std::env::var("FRAMES")
        .ok()
        .and_then(|f| f.parse().ok())
        .unwrap_or(2_000);
    let mut rows = pure_figures();

    let mut farm = Farm::start().await;
    let background = std::process::Command::new("/usr/bin/convert")
        .args(["-size", "64x36", "xc:#336699", "png:-"])
        .output()
        .expect("ImageMagick runs");
    farm.garage()
        .put_object("studio", "bench/background.png", &background.stdout)
        .unwrap();
    let endpoint = farm.garage().endpoint();

    // Live planning of 100,000 frames: apply until the first RenderJobs exist.
    let manifest = command_shot("plan100k", &farm.namespace, &endpoint, "1-100000", 10)
        .replace("spec:\n", "spec:\n  suspend: true\n");
    let started = Instant::now();
    assert!(farm.apply(&manifest).status.success());
    farm.wait_for_shot(
        "plan100k",
        Duration::from_secs(120),
        "jobs planned",
        |shot| {
            shot.status
                .as_ref()
                .is_some_and(|status| status.jobs.total == 10_000)
        },
    )
    .await;
    note(
        &mut rows,
        (
            "apply → 100,000-frame shot planned (live, suspended)".into(),
            format!("{:.2} s", started.elapsed().as_secs_f64()),
        ),
    );
    farm.kubectl(&["delete", "rendershot", "plan100k", "--wait=true"]);

    // A full render.
    let name = "render";
    let manifest = command_shot(name, &farm.namespace, &endpoint, &format!("1-{frames}"), 20);
    let before = revision(&farm).await;
    let tally = WriteTally::start(&farm, before).await;
    let started = Instant::now();
    assert!(farm.apply(&manifest).status.success());
    let shot = farm
        .wait_for_shot(name, Duration::from_secs(3600), "the render", |shot| {
            condition_is(shot, "Ready", "True")
        })
        .await;
    let wall = started.elapsed();
    let writes = revision(&farm).await - before;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let by_writer = tally.finish();
    let framefarm: u64 = by_writer
        .iter()
        .filter(|(writer, _)| writer.starts_with("operator") || writer.starts_with("agent"))
        .map(|(_, count)| count)
        .sum();
    let status_size = serde_json::to_vec(&shot.status).unwrap().len();
    note(
        &mut rows,
        (
            format!("render {frames} frames, chunks of {CHUNK}, 20 at once: wall"),
            format!("{:.1} s", wall.as_secs_f64()),
        ),
    );
    for (writer, count) in &by_writer {
        note(
            &mut rows,
            (
                format!("API writes: {writer}"),
                format!("{count} ({:.2} per frame)", *count as f64 / frames as f64),
            ),
        );
    }
    note(
        &mut rows,
        (
            "API writes per frame by Framefarm (operator and agents)".into(),
            format!("{:.2}", framefarm as f64 / frames as f64),
        ),
    );
    note(
        &mut rows,
        ("API writes in total".into(), format!("{writes}")),
    );
    note(
        &mut rows,
        (
            "API writes per frame".into(),
            format!("{:.2}", writes as f64 / frames as f64),
        ),
    );
    note(
        &mut rows,
        (
            "RenderShot status after the render".into(),
            format!("{status_size} bytes"),
        ),
    );
    note(
        &mut rows,
        (
            "operator peak RSS during the render".into(),
            format!(
                "{:.1} MiB",
                farm.operator.peak_rss_kib().unwrap_or(0) as f64 / 1024.0
            ),
        ),
    );

    // 10,000 finished RenderJobs in the cache, written while the operator is down (a running
    // operator would start pods for them before their status arrives).
    farm.operator.kill();
    let namespace = farm.cluster.namespace("cached").await.unwrap();
    let shot = {
        let mut shot = shot_object("1-100000");
        shot.metadata.namespace = Some(namespace.clone());
        shot
    };
    let validated = validate_shot(&shot, Some(&secret_check()), &SceneCheck::Found).unwrap();
    let jobs: Api<RenderJob> = Api::namespaced(farm.cluster.client(), &namespace);
    let agent = PatchParams::apply("framefarm-node-agent").force();
    for chunk in validated.frames.chunks(CHUNK) {
        let mut job = finished(build_job(&validated, &chunk, false));
        job.metadata.owner_references = None;
        job.metadata.namespace = Some(namespace.clone());
        let status = job.status.take();
        let created = jobs.create(&PostParams::default(), &job).await.unwrap();
        let name = created.metadata.name.unwrap();
        let patch =
            json!({"apiVersion": "framefarm.io/v1alpha1", "kind": "RenderJob", "status": status});
        jobs.patch_status(&name, &agent, &Patch::Apply(&patch))
            .await
            .unwrap();
    }
    farm.operator.restart();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (code, metrics) = farm.operator.try_http_get("/metrics").unwrap_or_default();
        let cached = metrics
            .lines()
            .find_map(|line| line.strip_prefix("framefarm_render_jobs "))
            .and_then(|value| value.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let reconciled = metrics
            .lines()
            .find_map(|line| {
                line.strip_prefix("framefarm_reconciles_total{controller=\"renderjob\"} ")
            })
            .and_then(|value| value.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if code == 200 && cached >= 10_000 && reconciled >= 10_000 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the operator did not cache and reconcile 10,000 RenderJobs"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    note(
        &mut rows,
        (
            "operator peak RSS, 10,000 RenderJobs cached and reconciled".into(),
            format!(
                "{:.1} MiB",
                farm.operator.peak_rss_kib().unwrap_or(0) as f64 / 1024.0
            ),
        ),
    );

    println!("| measure | value |\n| --- | --- |");
    for (measure, value) in rows {
        println!("| {measure} | {value} |");
    }
}
