//! `kubectl framefarm` end to end, as an artist uses it on a shot with a frame that always
//! crashes Blender: `status` names the failed frame and why, `logs --frame` shows Blender's
//! output, `open` gives URLs that fetch the real contact sheet, animation and last frame,
//! `download` fetches exactly the asked frames (into a folder and a zip), and once a fixed
//! scene is uploaded under the same key, `retry --failed` renders only the failed frame again
//! and the shot ends Ready with every frame once.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use framefarm_crds::shot::ShotPhase;
use framefarm_tests::blender::SceneOptions;
use kube::ResourceExt;
use support::{Farm, condition_is};

/// The plugin binary of this build, built when missing, as the support builds the agent.
fn plugin_binary() -> PathBuf {
    let operator = PathBuf::from(env!("CARGO_BIN_EXE_framefarm-operator"));
    let plugin = operator.with_file_name("kubectl-framefarm");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = std::process::Command::new(cargo);
    build.args([
        "build",
        "-p",
        "kubectl-framefarm",
        "--bin",
        "kubectl-framefarm",
    ]);
    if operator.parent().and_then(Path::file_name) == Some("release".as_ref()) {
        build.arg("--release");
    }
    assert!(
        build.status().expect("cargo runs").success(),
        "building the plugin failed"
    );
    assert!(plugin.exists(), "{} was not built", plugin.display());
    plugin
}

struct Plugin {
    binary: PathBuf,
    kubeconfig: PathBuf,
    namespace: String,
}

impl Plugin {
    /// Runs `kubectl-framefarm -n <namespace> ARGS` against the farm; the output, whatever
    /// the exit code.
    fn run(&self, args: &[&str]) -> Output {
        std::process::Command::new(&self.binary)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["-n", &self.namespace])
            .args(args)
            // Garage speaks plain HTTP here.
            .env_remove("AWS_CA_BUNDLE")
            .output()
            .expect("the plugin runs")
    }

    /// Runs it and returns stdout, failing the test with stderr when it fails. The output is
    /// echoed, so `--nocapture` shows the session as a user sees it.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        eprintln!(
            "$ kubectl framefarm {}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(
            output.status.success(),
            "kubectl framefarm {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            !output.status.success(),
            "kubectl framefarm {} succeeded",
            args.join(" ")
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }
}

/// The body a URL answers with, fetched with curl.
fn fetch(url: &str) -> Vec<u8> {
    let output = std::process::Command::new("curl")
        .args(["--silent", "--show-error", "--fail", url])
        .output()
        .expect("curl runs (scripts/install-deps installs it)");
    assert!(
        output.status.success(),
        "GET {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The URL `open` printed for `label`.
fn url_of(open: &str, label: &str) -> String {
    open.lines()
        .find_map(|line| line.strip_prefix(label))
        .map(|rest| rest.trim().to_owned())
        .filter(|url| url.starts_with("http"))
        .unwrap_or_else(|| panic!("no {label} URL in\n{open}"))
}

/// Frame files under `folder`, relative, sorted.
fn files_under(folder: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![folder.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(folder).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn an_artist_follows_fetches_and_retries_a_shot_with_the_plugin() {
    let farm = Farm::start().await;
    let plugin = Plugin {
        binary: plugin_binary(),
        kubeconfig: farm.cluster.kubeconfig().to_owned(),
        namespace: farm.namespace.clone(),
    };
    farm.upload_scene(
        "shots/crash.blend",
        &SceneOptions {
            crash_at_frame: Some(3),
            ..SceneOptions::default()
        },
    );
    // As in failures.rs: two attempts per frame, and autoexec on for the crash script.
    let manifest = farm
        .blender_shot(
            "crash",
            "shots/crash.blend",
            "1-4",
            "  chunkSize: 4\n  retries:\n    maxAttemptsPerFrame: 2\n    initialBackoffSeconds: 1\n    maxBackoffSeconds: 2\n",
        )
        .replacen(
            "  retries:\n    initialBackoffSeconds: 1\n    maxBackoffSeconds: 2\n",
            "",
            1,
        )
        .replace(
            "      outputFormat: PNG\n",
            "      outputFormat: PNG\n      extraArgs: [\"-y\"]\n",
        );
    let applied = farm.apply(&manifest);
    assert!(applied.status.success(), "{applied:?}");

    // The shot fails on frame 3; its preview is still made of the other frames.
    farm.wait_for_shot(
        "crash",
        Duration::from_secs(300),
        "crash to fail with a preview",
        |shot| {
            shot.status.as_ref().is_some_and(|status| {
                status.phase == Some(ShotPhase::Failed)
                    && status
                        .preview
                        .as_ref()
                        .is_some_and(|preview| preview.animation_key.is_some())
            })
        },
    )
    .await;

    // status: the failed frame and why, as text and as JSON.
    let status = plugin.ok(&["status", "crash"]);
    assert!(status.contains("Phase       Failed"), "{status}");
    assert!(status.contains("3/4 frames (75%)"), "{status}");
    assert!(status.contains("frame 3: EngineCrashed"), "{status}");
    let json: serde_json::Value =
        serde_json::from_str(&plugin.ok(&["status", "crash", "-o", "json"])).unwrap();
    assert_eq!(json["failedFrames"][0]["frame"], 3, "{json}");
    assert_eq!(json["failedFrames"][0]["reason"], "EngineCrashed", "{json}");
    assert_eq!(json["frames"]["rendered"], 3, "{json}");

    // logs: Blender's own output of the attempt that last failed on frame 3, read from
    // storage; and of the attempt that rendered frame 1.
    let log = plugin.ok(&["logs", "crash", "--frame", "3"]);
    assert!(log.contains("attempt 2"), "{log}");
    assert!(log.contains("Blender"), "{log}");
    let log = plugin.ok(&["logs", "crash", "--frame", "1"]);
    assert!(
        log.contains("attempt 1") && log.contains("Blender"),
        "{log}"
    );

    // open: URLs that fetch the real files, and a refusal beyond seven days.
    let open = plugin.ok(&["open", "crash", "--expires", "1h"]);
    let sheet_before = fetch(&url_of(&open, "contact-sheet"));
    assert!(sheet_before.starts_with(b"\x89PNG"));
    assert!(fetch(&url_of(&open, "preview")).starts_with(b"GIF8"));
    assert!(fetch(&url_of(&open, "last-frame")).starts_with(b"\x89PNG"));
    let refused = plugin.fails(&["open", "crash", "--expires", "8d"]);
    assert!(refused.contains("longer than 7 days"), "{refused}");

    // download: exactly the asked frames, into a folder and into a zip.
    let folder = farm.work.path().join("download");
    let folder_arg = folder.display().to_string();
    plugin.ok(&["download", "crash", "--frames", "1-2", "--to", &folder_arg]);
    assert_eq!(files_under(&folder), ["crash_0001.png", "crash_0002.png"]);
    let zip_path = farm.work.path().join("crash.zip");
    let zip_arg = zip_path.display().to_string();
    plugin.ok(&[
        "download",
        "crash",
        "--frames",
        "1-2,4",
        "--thumbnails",
        "--zip",
        &zip_arg,
    ]);
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names
            .iter()
            .filter(|name| !name.starts_with("thumbs/"))
            .collect::<Vec<_>>(),
        ["crash_0001.png", "crash_0002.png", "crash_0004.png"]
    );
    assert_eq!(names.len(), 6, "each frame with its thumbnail: {names:?}");
    let mut first = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name("crash_0001.png").unwrap(), &mut first)
        .unwrap();
    assert_eq!(first, std::fs::read(folder.join("crash_0001.png")).unwrap());

    // Errors say what to do.
    let missing = plugin.fails(&["status", "no-such-shot"]);
    assert!(
        missing.contains(&format!("kubectl get rendershots -n {}", farm.namespace)),
        "{missing}"
    );

    // A fixed scene under the same key, then retry: only frame 3 renders again.
    farm.upload_scene("shots/crash.blend", &SceneOptions::default());
    let failed_job = farm.jobs_of("crash").await.remove(0);
    let retry = plugin.ok(&["retry", "crash", "--failed"]);
    assert!(retry.contains("failed frames 3"), "{retry}");
    let shot = farm
        .wait_for_shot(
            "crash",
            Duration::from_secs(300),
            "crash to be retried",
            |shot| condition_is(shot, "Ready", "True"),
        )
        .await;
    let status = shot.status.unwrap();
    assert_eq!(status.rendered_frames.as_deref(), Some("1-4"));
    assert_eq!(status.failed_frames, None);
    assert_eq!(status.retained_frames.as_deref(), Some("1,2,4"));
    assert!(status.retry_token.is_some());
    let jobs = farm.jobs_of("crash").await;
    assert!(
        jobs.iter()
            .all(|job| job.metadata.name != failed_job.metadata.name),
        "the failed RenderJob was replaced"
    );
    let [replacement] = jobs.as_slice() else {
        panic!("one replacement RenderJob expected: {jobs:?}");
    };
    assert_eq!(replacement.spec.frames, "3");
    let records = &replacement.status.as_ref().unwrap().frame_records;
    assert_eq!(
        records
            .iter()
            .map(|record| record.frame)
            .collect::<Vec<_>>(),
        [3],
        "only the failed frame was rendered again"
    );
    let keys = farm.keys("renders/crash/");
    let frames: Vec<&String> = keys
        .iter()
        .filter(|key| {
            !key.contains("/thumbs/") && !key.contains("/logs/") && !key.contains("/preview/")
        })
        .collect();
    assert_eq!(
        frames,
        [
            "renders/crash/crash_0001.png",
            "renders/crash/crash_0002.png",
            "renders/crash/crash_0003.png",
            "renders/crash/crash_0004.png",
        ]
    );
    // The preview is made again, now with frame 3.
    let previews = farm
        .pods_of("crash")
        .await
        .into_iter()
        .filter(|pod| {
            pod.labels()
                .get("app.kubernetes.io/component")
                .map(String::as_str)
                == Some("preview")
        })
        .count();
    assert_eq!(previews, 2, "a second preview pod after the retry");
    let open = plugin.ok(&["open", "crash"]);
    let sheet_after = fetch(&url_of(&open, "contact-sheet"));
    assert!(sheet_after.starts_with(b"\x89PNG"));
    assert_ne!(
        sheet_after, sheet_before,
        "the contact sheet shows the retried frame"
    );
    let status = plugin.ok(&["status", "crash"]);
    assert!(status.contains("Phase       Succeeded"), "{status}");
    assert!(status.contains("4/4 frames (100%)"), "{status}");
    std::fs::remove_dir_all(&folder).ok();
}
