//! The agent under failure, with the real Blender and a real Garage: an engine crash, SIGTERM
//! mid-chunk, the store going away mid-run, and every kind of bad input — each with its own
//! exit code and a message naming the object or field, and no rendered frame lost.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use framefarm_tests::blender::SceneOptions;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use support::{BLENDER_PNG, Fixture, frame_files, run, stderr};

fn wait_for_rendered_frames(fixture: &Fixture, at_least: usize, child: &mut std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the agent ended too early"
        );
        let uploaded = frame_files(&fixture.outputs()).len();
        if uploaded >= at_least {
            return;
        }
        assert!(Instant::now() < deadline, "no frames were uploaded in time");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_engine_crash_keeps_the_frames_before_it_and_names_the_frame() {
    let fixture = Fixture::new(&SceneOptions {
        crash_at_frame: Some(3),
        ..SceneOptions::default()
    });
    let engine = "    blender:\n      outputFormat: PNG\n      extraArgs: [\"-y\"]";
    let manifest = fixture.manifest("1-5", engine, "");
    let output = run(&mut fixture.agent(&manifest));
    assert_eq!(output.status.code(), Some(15), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("on frame 3"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        frame_files(&fixture.outputs()),
        ["frame_0001.png", "frame_0002.png"]
    );
    let status = fixture.status();
    assert_eq!(status["renderedFrames"], "1,2");
    let failures = status["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["frame"], 3);
    assert_eq!(failures[0]["reason"], "EngineCrashed");
    assert!(
        fixture
            .outputs()
            .contains(&"logs/sh010-chunk-1-attempt-1.log".to_owned())
    );
}

#[test]
fn sigterm_mid_chunk_uploads_every_saved_frame_once_and_says_so() {
    let fixture = Fixture::new(&SceneOptions {
        frame_end: 60,
        ..SceneOptions::default()
    });
    let manifest = fixture.manifest("1-60", BLENDER_PNG, "");
    let mut child = fixture
        .agent(&manifest)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_rendered_frames(&fixture, 2, &mut child);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    eprintln!("{}", stderr(&output));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "exits within the grace period"
    );
    assert_eq!(output.status.code(), Some(143), "{}", stderr(&output));

    let frames = frame_files(&fixture.outputs());
    assert!(frames.len() >= 2 && frames.len() < 60, "{frames:?}");
    for frame in &frames {
        image::load_from_memory(&fixture.output(frame)).expect("every stored frame is whole");
    }
    let stored: Vec<u64> = frames
        .iter()
        .map(|key| key[6..10].parse().unwrap())
        .collect();
    let status = fixture.status();
    let rendered =
        framefarm_crds::FrameSet::parse(status["renderedFrames"].as_str().unwrap()).unwrap();
    assert_eq!(
        rendered.frames().collect::<Vec<_>>(),
        stored,
        "status lists exactly the stored frames"
    );
    assert_eq!(
        status["frameRecords"].as_array().unwrap().len(),
        stored.len()
    );
    assert!(stderr(&output).contains("left for the next attempt"));
}

#[test]
fn the_store_going_away_mid_run_is_ridden_out_without_a_torn_frame() {
    let mut fixture = Fixture::new(&SceneOptions {
        frame_end: 12,
        ..SceneOptions::default()
    });
    let manifest = fixture.manifest("1-12", BLENDER_PNG, "");
    let mut child = fixture
        .agent(&manifest)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_rendered_frames(&fixture, 1, &mut child);
    fixture.garage.stop().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    fixture.garage.restart().unwrap();
    let output = child.wait_with_output().unwrap();
    eprintln!("{}", stderr(&output));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("retrying"),
        "the outage was noticed and retried"
    );
    let frames = frame_files(&fixture.outputs());
    assert_eq!(frames.len(), 12);
    for frame in &frames {
        image::load_from_memory(&fixture.output(frame)).expect("every stored frame is whole");
    }
}

fn expect_failure(output: &std::process::Output, code: i32, words: &[&str]) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(code), "{message}");
    for word in words {
        assert!(
            message.contains(word),
            "the message names {word}: {message}"
        );
    }
}

#[test]
fn a_missing_scene_is_named_with_its_uri() {
    let fixture = Fixture::new(&SceneOptions::default());
    let manifest = fixture.manifest("1", BLENDER_PNG, "");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("scene.blend", "gone.blend");
    std::fs::write(&manifest, text).unwrap();
    let output = run(&mut fixture.agent(&manifest));
    expect_failure(
        &output,
        11,
        &["s3://renders/shots/sh010/gone.blend", "does not exist"],
    );
}

#[test]
fn a_missing_bucket_is_named() {
    let fixture = Fixture::new(&SceneOptions::default());
    let manifest = fixture.manifest("1", BLENDER_PNG, "");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("uri: s3://renders/shots", "uri: s3://no-such-bucket/shots");
    std::fs::write(&manifest, text).unwrap();
    let output = run(&mut fixture.agent(&manifest));
    expect_failure(&output, 13, &["no-such-bucket", "does not exist"]);
}

#[test]
fn wrong_credentials_point_to_the_secret() {
    let fixture = Fixture::new(&SceneOptions::default());
    let manifest = fixture.manifest("1", BLENDER_PNG, "");
    let output = run(fixture
        .agent(&manifest)
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret"));
    expect_failure(&output, 12, &["credentials", "credentialsSecret"]);
    let output = run(fixture.agent(&manifest).env_remove("AWS_ACCESS_KEY_ID"));
    expect_failure(&output, 12, &["AWS_ACCESS_KEY_ID"]);
}

#[test]
fn a_missing_engine_says_what_to_install() {
    let fixture = Fixture::new(&SceneOptions::default());
    let manifest = fixture.manifest("1", BLENDER_PNG, "");
    let output = run(fixture
        .agent(&manifest)
        .args(["--blender", "/opt/no-blender/blender"]));
    expect_failure(&output, 14, &["/opt/no-blender/blender", "not installed"]);
}

#[test]
fn an_invalid_manifest_names_the_field_and_the_fix() {
    let fixture = Fixture::new(&SceneOptions::default());
    let manifest = fixture.manifest("10-1", BLENDER_PNG, "");
    let output = run(&mut fixture.agent(&manifest));
    expect_failure(&output, 10, &["spec.frames"]);
    let manifest = fixture.manifest(
        "1",
        "    blender:\n      extraArgs: [\"--python\", \"x.py\"]",
        "",
    );
    let output = run(&mut fixture.agent(&manifest));
    expect_failure(&output, 10, &["spec.engine.blender.extraArgs[0]"]);
}

#[test]
fn a_full_disk_is_reported_as_such() {
    let fixture = Fixture::new(&SceneOptions::default());
    let manifest = fixture.manifest("1", BLENDER_PNG, "");
    let small = fixture.path("small-disk");
    std::fs::create_dir_all(&small).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
        .arg(&small)
        .status()
        .unwrap();
    assert!(
        mounted.success(),
        "this test mounts a 16 KiB tmpfs as the cache; it needs root"
    );
    let output = run(&mut fixture.agent_with_cache(&manifest, &small));
    let _ = std::process::Command::new("umount").arg(&small).status();
    expect_failure(&output, 16, &["No space left on device"]);
}
