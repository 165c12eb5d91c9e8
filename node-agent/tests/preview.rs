//! `node-agent preview` against the emulated cluster and a real Garage: the agent reads the
//! RenderShot from the API, finds the thumbnails of its frames (JPEG or PNG, per frame),
//! leaves out frames that failed every attempt and frames without a readable thumbnail, and
//! stores a contact sheet and a looping animation that decode. A shot without thumbnails
//! fails with its own exit code.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::io::Cursor;

use framefarm_crds::RenderShot;
use framefarm_tests::cluster::{Cluster, ClusterConfig};
use framefarm_tests::garage::Garage;
use image::codecs::gif::GifDecoder;
use image::{AnimationDecoder, ImageFormat, Rgba, RgbaImage};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;
use support::{BUCKET, agent_command, run, stderr};

/// A 64×36 thumbnail of one colour, encoded as `format`.
fn thumbnail(colour: [u8; 4], format: ImageFormat) -> Vec<u8> {
    let image = RgbaImage::from_pixel(64, 36, Rgba(colour));
    let mut bytes = Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => image::DynamicImage::ImageRgba8(image)
            .into_rgb8()
            .write_to(&mut bytes, format)
            .unwrap(),
        _ => image.write_to(&mut bytes, format).unwrap(),
    }
    bytes.into_inner()
}

fn shot(name: &str, namespace: &str, frames: &str, garage: &Garage) -> RenderShot {
    serde_json::from_value(json!({
        "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "frames": frames,
            "scene": {"uri": format!("s3://{BUCKET}/shots/{name}/scene.blend")},
            "engine": {"blender": {"outputFormat": "PNG"}},
            "output": {"uri": format!("s3://{BUCKET}/out/{name}/")},
            "storage": {"endpoint": garage.endpoint(), "credentialsSecret": {"name": "garage"}}
        }
    }))
    .unwrap()
}

fn preview(
    cluster: &Cluster,
    garage: &Garage,
    namespace: &str,
    shot: &str,
) -> std::process::Output {
    run(agent_command()
        .arg("preview")
        .args(["--shot", shot, "--namespace", namespace])
        .env("KUBECONFIG", cluster.kubeconfig())
        .env("AWS_ACCESS_KEY_ID", garage.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", garage.secret_access_key()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shots_preview_shows_the_thumbnails_of_its_frames_that_did_not_fail() {
    let cluster = Cluster::start(ClusterConfig::default()).await.unwrap();
    let crds = concat!(env!("CARGO_MANIFEST_DIR"), "/../crds");
    cluster.kubectl(&["apply", "-f", crds]).unwrap();
    let namespace = cluster.namespace("preview").await.unwrap();
    let garage = cluster.garage().unwrap();
    garage.create_bucket(BUCKET).unwrap();

    let thumbs = "out/sh010/thumbs/";
    let put = |name: &str, body: &[u8]| {
        garage
            .put_object(BUCKET, &format!("{thumbs}{name}"), body)
            .unwrap();
    };
    put(
        "frame_0001.jpg",
        &thumbnail([200, 0, 0, 255], ImageFormat::Jpeg),
    );
    put(
        "frame_0002.jpg",
        &thumbnail([0, 200, 0, 255], ImageFormat::Jpeg),
    );
    // Frame 3 has no thumbnail; frame 4's has alpha, so it is a PNG.
    put(
        "frame_0004.png",
        &thumbnail([0, 0, 200, 128], ImageFormat::Png),
    );
    put("frame_0005.jpg", b"not an image");
    // Frame 6 failed every attempt; whatever is stored for it is not shown.
    put(
        "frame_0006.jpg",
        &thumbnail([255, 255, 255, 255], ImageFormat::Jpeg),
    );
    put(
        "frame_0099.jpg",
        &thumbnail([255, 255, 255, 255], ImageFormat::Jpeg),
    );

    let shots: Api<RenderShot> = Api::namespaced(cluster.client(), &namespace);
    shots
        .create(
            &PostParams::default(),
            &shot("sh010", &namespace, "1-6", garage),
        )
        .await
        .unwrap();
    let status = json!({
        "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
        "status": {"failedFrames": "6"}
    });
    shots
        .patch_status(
            "sh010",
            &PatchParams::apply("framefarm-operator").force(),
            &Patch::Apply(&status),
        )
        .await
        .unwrap();

    let output = preview(&cluster, garage, &namespace, "sh010");
    assert!(output.status.success(), "{}", stderr(&output));
    let log = stderr(&output);
    assert!(log.contains("preview of 3 frame(s) (1,2,4)"), "{log}");
    assert!(log.contains("2 without a thumbnail (3,5)"), "{log}");

    let sheet = garage
        .get_object(BUCKET, "out/sh010/preview/sh010-contact-sheet.png")
        .unwrap()
        .expect("the contact sheet is stored");
    assert_eq!(image::guess_format(&sheet).unwrap(), ImageFormat::Png);
    let sheet = image::load_from_memory(&sheet).unwrap().to_rgb8();
    // Three thumbnails: two columns, two rows, 4-pixel gaps.
    assert_eq!(sheet.dimensions(), (2 * 64 + 3 * 4, 2 * 36 + 3 * 4));
    let red = sheet.get_pixel(4 + 32, 4 + 18);
    assert!(red[0] > 150 && red[1] < 60, "frame 1 comes first: {red:?}");

    let animation = garage
        .get_object(BUCKET, "out/sh010/preview/sh010-preview.gif")
        .unwrap()
        .expect("the animation is stored");
    let frames = GifDecoder::new(Cursor::new(animation))
        .unwrap()
        .into_frames()
        .collect_frames()
        .unwrap();
    assert_eq!(frames.len(), 3);
    assert!(
        frames
            .iter()
            .all(|frame| frame.buffer().dimensions() == (64, 36))
    );

    // A shot whose frames have no thumbnails gets no preview, and says why.
    shots
        .create(
            &PostParams::default(),
            &shot("sh020", &namespace, "1-3", garage),
        )
        .await
        .unwrap();
    let output = preview(&cluster, garage, &namespace, "sh020");
    assert_eq!(output.status.code(), Some(20), "{}", stderr(&output));
    let log = stderr(&output);
    assert!(log.contains("NoThumbnails"), "{log}");
    assert!(
        log.contains(&format!("s3://{BUCKET}/out/sh020/thumbs/")),
        "{log}"
    );
    assert!(garage.list_keys(BUCKET, "out/sh020/").unwrap().is_empty());

    // A shot that does not exist is named.
    let output = preview(&cluster, garage, &namespace, "sh999");
    assert_eq!(output.status.code(), Some(19), "{}", stderr(&output));
    assert!(stderr(&output).contains("sh999"));
    cluster.stop().await;
}
