//! The agent renders chunks with the real Blender and stores them in a real Garage: frames,
//! thumbnails, logs and status, for the frame sets and formats users write, and resuming
//! where an earlier attempt stopped.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use framefarm_tests::blender::SceneOptions;
use support::{BLENDER_PNG, Fixture, frame_files, run, stderr};

#[test]
fn a_chunk_is_rendered_uploaded_and_thumbnailed_frame_by_frame() {
    let fixture = Fixture::new(&SceneOptions {
        transparent: true,
        ..SceneOptions::default()
    });
    let manifest = fixture.manifest("1-4", BLENDER_PNG, "  thumbnails:\n    width: 64\n");
    let output = run(&mut fixture.agent(&manifest));
    assert!(output.status.success(), "{}", stderr(&output));

    let keys = fixture.outputs();
    assert_eq!(
        frame_files(&keys),
        [
            "frame_0001.png",
            "frame_0002.png",
            "frame_0003.png",
            "frame_0004.png"
        ]
    );
    let frame = image::load_from_memory(&fixture.output("frame_0002.png")).unwrap();
    assert_eq!((frame.width(), frame.height()), (160, 90));
    assert!(frame.color().has_alpha());
    // A transparent frame gets a PNG thumbnail that keeps its alpha.
    let thumbnail = fixture.output("thumbs/frame_0002.png");
    assert_eq!(
        image::guess_format(&thumbnail).unwrap(),
        image::ImageFormat::Png
    );
    let thumbnail = image::load_from_memory(&thumbnail).unwrap();
    assert_eq!((thumbnail.width(), thumbnail.height()), (64, 36));
    assert!(thumbnail.color().has_alpha());
    let log = String::from_utf8(fixture.output("logs/sh010-chunk-1-attempt-1.log")).unwrap();
    assert!(log.contains("Saved:"), "the engine log is stored: {log}");

    let status = fixture.status();
    assert_eq!(status["renderedFrames"], "1-4");
    assert_eq!(status["progress"], "4/4");
    let records = status["frameRecords"].as_array().unwrap();
    assert_eq!(records.len(), 4);
    assert_eq!(records[0]["outputKey"], "out/sh010/frame_0001.png");
    assert_eq!(
        records[0]["thumbnailKey"],
        "out/sh010/thumbs/frame_0001.png"
    );
    assert!(records[0]["bytes"].as_u64().unwrap() > 0);
    assert!(records[0]["renderSeconds"].as_f64().unwrap() > 0.0);
}

#[test]
fn frame_steps_and_lists_render_exactly_the_frames_named() {
    let fixture = Fixture::new(&SceneOptions::default());
    let manifest = fixture.manifest("1-9x4,12", BLENDER_PNG, "");
    let output = run(&mut fixture.agent(&manifest));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        frame_files(&fixture.outputs()),
        [
            "frame_0001.png",
            "frame_0005.png",
            "frame_0009.png",
            "frame_0012.png"
        ]
    );
    // An opaque frame gets a JPEG thumbnail.
    let thumbnail = fixture.output("thumbs/frame_0005.jpg");
    assert_eq!(
        image::guess_format(&thumbnail).unwrap(),
        image::ImageFormat::Jpeg
    );
    assert_eq!(fixture.status()["renderedFrames"], "1-9x4,12");
}

#[test]
fn exr_frames_are_stored_with_a_tone_mapped_thumbnail() {
    let fixture = Fixture::new(&SceneOptions::default());
    let engine = "    blender:\n      outputFormat: OPEN_EXR";
    let manifest = fixture.manifest("3-4", engine, "");
    let output = run(&mut fixture.agent(&manifest));
    assert!(output.status.success(), "{}", stderr(&output));
    let keys = fixture.outputs();
    assert_eq!(frame_files(&keys), ["frame_0003.exr", "frame_0004.exr"]);
    let frame = image::load_from_memory(&fixture.output("frame_0003.exr")).unwrap();
    assert_eq!((frame.width(), frame.height()), (160, 90));
    let thumbnail = image::load_from_memory(&fixture.output("thumbs/frame_0003.jpg")).unwrap();
    assert_eq!(thumbnail.width(), 160, "thumbnails never upscale");
    let brightest = thumbnail
        .to_luma8()
        .pixels()
        .map(|pixel| pixel.0[0])
        .max()
        .unwrap();
    assert!(brightest > 40, "the tone-mapped thumbnail is not black");
}

#[test]
fn resuming_renders_only_the_frames_missing_from_the_output() {
    let fixture = Fixture::new(&SceneOptions::default());
    let earlier = b"frame rendered by an earlier attempt".to_vec();
    for frame in ["frame_0001.png", "frame_0002.png"] {
        fixture
            .garage
            .put_object(
                support::BUCKET,
                &format!("{}{frame}", support::OUTPUT_PREFIX),
                &earlier,
            )
            .unwrap();
    }
    let manifest = fixture.manifest("1-4", BLENDER_PNG, "");
    let output = run(&mut fixture.agent(&manifest));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("skipped 2 already rendered (1,2)"));
    assert_eq!(
        fixture.output("frame_0001.png"),
        earlier,
        "existing frames are left alone"
    );
    let log = String::from_utf8(fixture.output("logs/sh010-chunk-1-attempt-1.log")).unwrap();
    assert!(!log.contains("Fra:1 "), "frame 1 was not rendered again");
    assert!(log.contains("Fra:3 "));
    assert_eq!(fixture.status()["renderedFrames"], "1-4");

    // A second chunk of the same shot on the same node finds the scene in the cache.
    let manifest = fixture.manifest("5-6", BLENDER_PNG, "");
    let output = run(&mut fixture.agent(&manifest));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("downloaded 0 bytes"),
        "{}",
        stderr(&output)
    );

    // --overwrite renders frames that exist.
    let manifest = fixture.manifest("1", BLENDER_PNG, "");
    let output = run(fixture.agent(&manifest).arg("--overwrite"));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_ne!(fixture.output("frame_0001.png"), earlier);
}

#[test]
fn a_scene_with_denoising_renders_on_a_blender_without_the_denoiser() {
    let fixture = Fixture::new(&SceneOptions {
        denoise: true,
        ..SceneOptions::default()
    });
    let manifest = fixture.manifest("1-2", BLENDER_PNG, "");
    let output = run(&mut fixture.agent(&manifest));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(frame_files(&fixture.outputs()).len(), 2);
    let log = String::from_utf8(fixture.output("logs/sh010-chunk-1-attempt-1.log")).unwrap();
    assert!(
        log.contains("no OpenImageDenoiser"),
        "the log says denoising was turned off"
    );
}

#[test]
fn a_command_engine_runs_its_exec_array_and_its_files_become_frames() {
    let fixture = Fixture::new(&SceneOptions::default());
    // The "scene" of this engine is a PNG; the program copies it once per frame.
    let picture = fixture.path("picture.png");
    image::RgbImage::from_pixel(40, 20, image::Rgb([200, 30, 30]))
        .save(&picture)
        .unwrap();
    fixture
        .garage
        .put_object(
            support::BUCKET,
            support::SCENE_KEY,
            &std::fs::read(&picture).unwrap(),
        )
        .unwrap();
    let engine = "    command:\n      image: debian:12\n      command: [/usr/bin/cp]\n      \
                  args: [\"{scene}\", \"{output_dir}/plate_{frame:04}.png\"]";
    let manifest = fixture.manifest("7-9", engine, "");
    let output = run(&mut fixture.agent(&manifest));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        frame_files(&fixture.outputs()),
        ["frame_0007.png", "frame_0008.png", "frame_0009.png"]
    );
    assert_eq!(
        fixture.output("frame_0008.png"),
        std::fs::read(&picture).unwrap()
    );
    assert!(
        fixture
            .outputs()
            .contains(&"thumbs/frame_0008.jpg".to_owned())
    );
}

#[test]
fn a_local_render_writes_into_a_folder_without_touching_the_bucket() {
    let fixture = Fixture::new(&SceneOptions::default());
    let manifest = fixture.manifest("1-2", BLENDER_PNG, "");
    let out = fixture.path("renders");
    let output = run(fixture.agent(&manifest).arg("--out").arg(&out));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(out.join("frame_0001.png").is_file());
    assert!(out.join("thumbs/frame_0002.jpg").is_file());
    assert!(out.join("logs/sh010-chunk-1-attempt-1.log").is_file());
    assert!(fixture.outputs().is_empty());
}
