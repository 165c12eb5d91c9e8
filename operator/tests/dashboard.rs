//! The dashboard in a real browser: with `--dashboard`, headless Chromium opens the overview
//! while a slow Blender shot renders and sees its card, a progress bar strictly between 0 and
//! 100 and its last frame loaded through a presigned URL; once the shot is Ready, its page
//! shows the animated preview, the contact sheet and the thumbnail grid, all loaded. The
//! screenshots are real pictures of the expected size. A standby replica serves the same.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use framefarm_tests::blender::SceneOptions;
use support::{Farm, Operator, condition_is};

const BROWSER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/browser");

fn rendered(shot: &framefarm_crds::RenderShot) -> u64 {
    shot.status
        .as_ref()
        .map_or(0, |status| status.frames.rendered)
}

/// Runs the browser check with `args`; the JSON it printed.
fn browse(args: &[&str]) -> serde_json::Value {
    let script = Path::new(BROWSER_DIR).join("dashboard.js");
    assert!(
        Path::new(BROWSER_DIR)
            .join("node_modules/playwright-core")
            .exists(),
        "playwright-core is missing: run scripts/install-deps"
    );
    let output = Command::new("node")
        .arg(&script)
        .args(args)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser check failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("the check prints JSON")
}

/// The screenshot is a PNG of the browser's viewport showing a real picture, not a blank
/// page: many distinct colours.
fn check_screenshot(path: &Path) {
    let image = image::open(path).expect("the screenshot is a decodable PNG");
    assert_eq!((image.width(), image.height()), (1280, 800));
    let colours: HashSet<[u8; 4]> = image.to_rgba8().pixels().map(|pixel| pixel.0).collect();
    assert!(
        colours.len() >= 50,
        "the screenshot has only {} colours",
        colours.len()
    );
    if let Some(dir) = std::env::var_os("FRAMEFARM_TEST_ARTIFACTS") {
        let name = path.file_name().expect("a file name");
        std::fs::create_dir_all(&dir).expect("artifact folder");
        std::fs::copy(path, PathBuf::from(dir).join(name)).expect("screenshot kept");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn artists_see_progress_frames_and_previews_in_a_browser() {
    let mut farm = Farm::start().await;
    // The same operator, with the dashboard on.
    farm.operator.kill();
    farm.operator = Operator::start(
        farm.cluster.kubeconfig(),
        &farm.work.path().join("dashboard"),
        &["--dashboard"],
    );
    farm.upload_scene(
        "shots/sh050.blend",
        // About a second a frame here, so the page is opened well before the last frame.
        &SceneOptions {
            width: 320,
            height: 180,
            samples: 64,
            frame_end: 40,
            ..SceneOptions::default()
        },
    );
    let manifest = farm.blender_shot(
        "sh050",
        "shots/sh050.blend",
        "1-40",
        "  chunkSize: 10\n  parallelism: 2\n",
    );
    assert!(farm.apply(&manifest).status.success());
    farm.wait_for_shot("sh050", Duration::from_secs(180), "two frames", |shot| {
        rendered(shot) >= 2
    })
    .await;

    let base = format!("http://127.0.0.1:{}", farm.operator.http_port);
    let (status, _) = farm.operator.http_get("/");
    assert_eq!(status, 307, "/ leads to the dashboard");
    let screenshots = farm.work.path();
    let overview_png = screenshots.join("dashboard-overview.png");
    let card = format!("{}/sh050", farm.namespace);
    let last_frame = format!("section.shot[data-shot=\"{card}\"] img");
    let found = browse(&[
        "--url",
        &format!("{base}/dashboard"),
        "--screenshot",
        overview_png.to_str().unwrap(),
        "--shot",
        &card,
        "--progress-between",
        "0,100",
        "--images",
        &last_frame,
    ]);
    let shot = farm.shot("sh050").await;
    assert!(
        rendered(&shot) < 40,
        "the page was checked mid-render: {found}"
    );
    let card_text = found["card"].as_str().unwrap();
    assert!(card_text.contains("sh050"), "{card_text}");
    assert!(card_text.contains("/ 40 frames"), "{card_text}");
    check_screenshot(&overview_png);

    farm.wait_for_shot("sh050", Duration::from_secs(300), "Ready", |shot| {
        condition_is(shot, "Ready", "True")
    })
    .await;
    let detail_png = screenshots.join("dashboard-shot.png");
    let found = browse(&[
        "--url",
        &format!("{base}/dashboard/shots/{}/sh050", farm.namespace),
        "--screenshot",
        detail_png.to_str().unwrap(),
        "--images",
        "figure.animation img",
        "--images",
        "figure.contact-sheet img",
        "--images",
        ".grid .cell img",
    ]);
    let thumbnails = found["images"][".grid .cell img"].as_array().unwrap();
    assert_eq!(thumbnails.len(), 40, "every frame's thumbnail is on page 1");
    assert!(
        found["images"]["figure.animation img"][0].as_u64() > Some(0),
        "the preview GIF loaded: {found}"
    );
    check_screenshot(&detail_png);

    // The JSON the page is made from.
    let (status, body) = farm.operator.http_get("/dashboard/api/shots");
    assert_eq!(status, 200);
    let rows: serde_json::Value = serde_json::from_str(&body).expect("JSON rows");
    assert_eq!(rows[0]["name"], "sh050");
    assert_eq!(rows[0]["percent"], 100.0);

    // A standby, which runs no controller, serves the same dashboard from its own watch.
    let standby = Operator::start(
        farm.cluster.kubeconfig(),
        &farm.work.path().join("standby"),
        &["--dashboard"],
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let page = loop {
        let path = format!("/dashboard/shots/{}/sh050", farm.namespace);
        match standby.try_http_get(&path) {
            Some((200, page)) if page.contains("preview.gif") => break page,
            answer => assert!(
                tokio::time::Instant::now() < deadline,
                "the standby does not show the shot: {answer:?}\n{}",
                standby.log_tail(30)
            ),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(page.contains("40</b> / 40 frames"), "{page}");
    assert!(standby.log_tail(50).contains("waiting for the Lease"));
}
