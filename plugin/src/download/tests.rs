//! Which listed files `download` fetches for a frame selection, and the zip it writes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::io::Read;

use framefarm_crds::RenderShot;

use super::*;

fn order() -> WorkOrder {
    let shot: RenderShot = serde_json::from_value(serde_json::json!({
        "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
        "metadata": {"name": "sh010", "namespace": "studio"},
        "spec": {
            "frames": "1-30",
            "scene": {"uri": "s3://studio/a.blend"},
            "engine": {"blender": {}},
            "output": {"uri": "s3://studio/out/", "naming": "beauty/sh010_{frame:04}"},
            "storage": {"endpoint": "http://127.0.0.1:3900"}
        }
    }))
    .unwrap();
    WorkOrder::from_shot(&shot).unwrap()
}

fn listed(keys: &[&str]) -> Vec<ListedObject> {
    keys.iter()
        .map(|key| ListedObject {
            key: (*key).into(),
            size: if key.contains("empty") { 0 } else { 10 },
            last_modified: None,
        })
        .collect()
}

fn frames(text: &str) -> FrameSet {
    FrameSet::parse(text).unwrap()
}

#[test]
fn exactly_the_asked_frames_are_fetched_whatever_their_extension() {
    let files = listed(&[
        "out/beauty/sh010_0001.png",
        "out/beauty/sh010_0002.exr",
        "out/beauty/sh010_0003.png",
        "out/beauty/sh010_0020.png",
        "out/beauty/sh010_0021.png",
        "out/thumbs/beauty/sh010_0001.jpg",
        "out/logs/sh010-0123abcd-1-attempt-1.log",
        "out/preview/sh010-contact-sheet.png",
        "out/beauty/sh010_0001.png/not-a-frame",
    ]);
    let wanted = wanted_files(&order(), &frames("1-2,20"), &files, false);
    let keys: Vec<(u64, &str)> = wanted
        .iter()
        .map(|file| (file.frame, file.relative.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            (1, "beauty/sh010_0001.png"),
            (2, "beauty/sh010_0002.exr"),
            (20, "beauty/sh010_0020.png"),
        ]
    );
}

#[test]
fn thumbnails_come_along_only_when_asked_and_empty_uploads_never() {
    let files = listed(&[
        "out/beauty/sh010_0001.png",
        "out/beauty/sh010_0002.png.empty",
        "out/thumbs/beauty/sh010_0001.jpg",
    ]);
    let wanted = wanted_files(&order(), &frames("1-2"), &files, true);
    let keys: Vec<&str> = wanted.iter().map(|file| file.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "out/beauty/sh010_0001.png",
            "out/thumbs/beauty/sh010_0001.jpg"
        ]
    );
}

#[test]
fn the_selection_defaults_to_the_whole_shot_and_names_a_bad_set() {
    let shot = frames("1-30");
    assert_eq!(asked_frames(None, &shot).unwrap(), shot);
    assert_eq!(
        asked_frames(Some("1-10,20"), &shot).unwrap(),
        frames("1-10,20")
    );
    let error = asked_frames(Some("10-1"), &shot).unwrap_err().to_string();
    assert!(error.starts_with("--frames '10-1'"), "{error}");
}

#[test]
fn the_zip_holds_each_file_under_its_output_path() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a.png");
    std::fs::write(&first, b"first").unwrap();
    let second = dir.path().join("b.png");
    std::fs::write(&second, b"second").unwrap();
    let zip_path = dir.path().join("frames.zip");
    write_zip(
        &zip_path,
        &[
            ("beauty/sh010_0001.png".into(), first),
            ("thumbs/beauty/sh010_0001.jpg".into(), second),
        ],
    )
    .unwrap();
    let mut archive = zip::ZipArchive::new(File::open(&zip_path).unwrap()).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["beauty/sh010_0001.png", "thumbs/beauty/sh010_0001.jpg"]
    );
    let mut content = String::new();
    archive
        .by_name("thumbs/beauty/sh010_0001.jpg")
        .unwrap()
        .read_to_string(&mut content)
        .unwrap();
    assert_eq!(content, "second");
}
