//! The tooling end-to-end tests stand on works against the real programs: a Garage server stores,
//! lists and keeps objects across a crash and restart; generated Blender scenes render animated
//! frames, carry the options asked for, and crash where told to. Needs garage, rclone and blender
//! installed, and fails (never skips) without them.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "helpers of integration tests fail the test on unexpected input"
)]

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use framefarm_tests::blender::{SceneOptions, blender_binary, make_scene};
use framefarm_tests::garage::Garage;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

#[test]
fn garage_stores_lists_and_keeps_objects_across_a_restart() {
    let started = Instant::now();
    let mut garage = Garage::start().expect("garage starts");
    eprintln!("garage started in {:?}", started.elapsed());
    assert!(garage.endpoint().starts_with("http://127.0.0.1:"));
    assert_eq!(garage.region(), "us-east-1");
    assert!(garage.access_key_id().starts_with("GK"));

    garage.create_bucket("frames").expect("bucket created");
    let first = b"first frame".to_vec();
    let big: Vec<u8> = (0..300_000_u32).map(|i| (i % 251) as u8).collect();
    garage
        .put_object("frames", "shot-a/frame_0001.png", &first)
        .expect("put first");
    garage
        .put_object("frames", "shot-a/frame_0002.png", &big)
        .expect("put big");
    garage
        .put_object("frames", "shot-b/frame_0001.png", b"other shot")
        .expect("put other");
    garage
        .put_object("frames", "shot-a/empty", b"")
        .expect("put empty");

    assert_eq!(
        garage
            .get_object("frames", "shot-a/frame_0001.png")
            .unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        garage
            .get_object("frames", "shot-a/frame_0002.png")
            .unwrap(),
        Some(big.clone())
    );
    assert_eq!(
        garage.get_object("frames", "shot-a/empty").unwrap(),
        Some(vec![])
    );
    assert_eq!(garage.get_object("frames", "shot-a/missing").unwrap(), None);
    assert_eq!(
        garage.get_object("frames", "shot-a").unwrap(),
        None,
        "a prefix of other keys is not an object"
    );
    assert_eq!(
        garage.list_keys("frames", "shot-a/frame_").unwrap(),
        vec!["shot-a/frame_0001.png", "shot-a/frame_0002.png"]
    );
    assert_eq!(garage.list_keys("frames", "").unwrap().len(), 4);
    assert!(garage.list_keys("frames", "shot-c/").unwrap().is_empty());

    garage
        .create_bucket("empty")
        .expect("second bucket created");
    assert!(garage.list_keys("empty", "").unwrap().is_empty());

    garage.stop().expect("garage stops");
    assert!(
        garage
            .get_object("frames", "shot-a/frame_0001.png")
            .is_err(),
        "a stopped server does not answer"
    );
    let restarted = Instant::now();
    garage.restart().expect("garage restarts");
    eprintln!("garage restarted in {:?}", restarted.elapsed());
    assert_eq!(
        garage
            .get_object("frames", "shot-a/frame_0002.png")
            .unwrap(),
        Some(big)
    );
    assert_eq!(
        garage.list_keys("frames", "shot-").unwrap(),
        vec![
            "shot-a/empty",
            "shot-a/frame_0001.png",
            "shot-a/frame_0002.png",
            "shot-b/frame_0001.png"
        ]
    );
    garage
        .put_object("frames", "shot-a/frame_0001.png", b"replaced")
        .expect("put after restart");
    assert_eq!(
        garage
            .get_object("frames", "shot-a/frame_0001.png")
            .unwrap(),
        Some(b"replaced".to_vec())
    );
}

#[test]
fn two_garages_run_side_by_side() {
    let one = Garage::start().expect("first garage starts");
    let two = Garage::start().expect("second garage starts");
    assert_ne!(one.endpoint(), two.endpoint());
    one.create_bucket("frames").unwrap();
    two.create_bucket("frames").unwrap();
    one.put_object("frames", "key", b"one").unwrap();
    assert_eq!(two.get_object("frames", "key").unwrap(), None);
    assert_eq!(
        one.get_object("frames", "key").unwrap(),
        Some(b"one".to_vec())
    );
}

/// Runs Blender on `scene` with `args`, with its temporary files under `tmp`: Blender ignores
/// $TMPDIR (its preferences say /tmp/), so a crash would leave its report in /tmp otherwise.
fn blender(scene: &Path, tmp: &Path, args: &[&str]) -> Output {
    let temp_preference = format!(
        "import bpy; bpy.context.preferences.filepaths.temporary_directory = {:?}",
        format!("{}/", tmp.display())
    );
    Command::new(blender_binary().expect("blender is installed"))
        .arg("-b")
        .arg(scene)
        .arg("--python-expr")
        .arg(temp_preference)
        .args(args)
        .output()
        .expect("blender runs")
}

fn render(scene: &Path, out: &Path, first: u64, last: u64, autoexec: bool) -> Output {
    std::fs::create_dir_all(out).unwrap();
    let pattern = out.join("frame_####");
    let mut args = vec![
        "-o".to_owned(),
        pattern.display().to_string(),
        "-F".to_owned(),
        "PNG".to_owned(),
        "-s".to_owned(),
        first.to_string(),
        "-e".to_owned(),
        last.to_string(),
        "-a".to_owned(),
    ];
    if autoexec {
        args.insert(0, "-y".to_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    blender(scene, out, &args)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_generated_scene_renders_frames_that_differ() {
    let dir = tempfile::tempdir().unwrap();
    let scene = dir.path().join("scene.blend");
    let started = Instant::now();
    make_scene(&scene, &SceneOptions::default()).expect("scene made");
    eprintln!("scene made in {:?}", started.elapsed());

    let out = dir.path().join("out");
    let output = render(&scene, &out, 1, 2, false);
    let log = text(&output);
    assert!(output.status.success(), "render failed:\n{log}");
    let frames: Vec<Vec<u8>> = ["frame_0001.png", "frame_0002.png"]
        .iter()
        .map(|name| {
            assert!(log.contains(&format!("Saved: '{}'", out.join(name).display())));
            std::fs::read(out.join(name)).expect("frame written")
        })
        .collect();
    for frame in &frames {
        assert!(frame.starts_with(PNG_SIGNATURE));
    }
    assert_ne!(frames[0], frames[1], "the scene is animated");
}

#[test]
fn a_generated_scene_carries_its_options() {
    let dir = tempfile::tempdir().unwrap();
    let scene = dir.path().join("options.blend");
    let options = SceneOptions {
        width: 64,
        height: 48,
        frame_start: 10,
        frame_end: 12,
        transparent: true,
        samples: 2,
        denoise: true,
        crash_at_frame: None,
        engine: "BLENDER_WORKBENCH",
    };
    make_scene(&scene, &options).expect("scene made");
    let output = blender(
        &scene,
        dir.path(),
        &[
            "--python-expr",
            "import bpy; s = bpy.context.scene; print('OPTIONS', s.render.resolution_x, \
             s.render.resolution_y, s.frame_start, s.frame_end, s.render.film_transparent, \
             s.cycles.samples, s.cycles.use_denoising, s.render.engine, \
             s.render.image_settings.color_mode)",
        ],
    );
    let log = text(&output);
    assert!(output.status.success(), "blender failed:\n{log}");
    assert!(
        log.contains("OPTIONS 64 48 10 12 True 2 True BLENDER_WORKBENCH RGBA"),
        "unexpected options:\n{log}"
    );
}

#[test]
fn a_crash_scene_saves_the_frames_before_the_crash_then_dies() {
    let dir = tempfile::tempdir().unwrap();
    let scene = dir.path().join("crash.blend");
    let options = SceneOptions {
        crash_at_frame: Some(3),
        ..SceneOptions::default()
    };
    make_scene(&scene, &options).expect("scene made");

    let out = dir.path().join("out");
    let output = render(&scene, &out, 1, 4, true);
    let log = text(&output);
    assert_eq!(
        output.status.signal(),
        Some(11),
        "blender did not die of SIGSEGV ({}):\n{log}",
        output.status
    );
    for name in ["frame_0001.png", "frame_0002.png"] {
        assert!(out.join(name).is_file(), "{name} missing:\n{log}");
    }
    for name in ["frame_0003.png", "frame_0004.png"] {
        assert!(!out.join(name).exists(), "{name} rendered:\n{log}");
    }
    assert!(
        out.join("crash.crash.txt").is_file(),
        "blender's crash report is not where it was told to write:\n{log}"
    );

    // Without autoexec the crash handler never runs and every frame renders.
    let safe = dir.path().join("safe");
    let output = render(&scene, &safe, 1, 4, false);
    assert!(output.status.success(), "render failed:\n{}", text(&output));
    assert!(safe.join("frame_0004.png").is_file());
}
