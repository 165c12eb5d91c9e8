//! Tests of the OpenEXR path on frames encoded in memory: files as the `image` crate writes them,
//! and files written with the `exr` crate the way Blender names its channels.

use exr::prelude::{
    AnyChannel, AnyChannels, Blocks, Compression, Encoding, FlatSamples, Image as ExrImage, Layer,
    LayerAttributes, LineOrder, SmallVec, Vec2, WritableImage, f16,
};
use framefarm_crds::output::ThumbnailFormat;
use image::{DynamicImage, ImageFormat, Rgba, Rgba32FImage};

use super::tests::{assert_near, decode, encode, pixel, thumbnail};
use super::*;

/// Four bands of linear values, 32 pixels wide: black, 18% grey, white and far too bright.
fn exr_bands(alpha: f32) -> Rgba32FImage {
    const BANDS: [f32; 4] = [0.0, 0.18, 1.0, 1000.0];
    Rgba32FImage::from_fn(128, 32, |x, _| {
        let value = BANDS[(x / 32) as usize] * alpha;
        Rgba([value, value, value, alpha])
    })
}

#[test]
fn exr_is_tone_mapped_to_srgb_and_clipped() {
    let bytes = encode(exr_bands(1.0), ImageFormat::OpenExr);
    let thumb = thumbnail("frame.exr", &bytes, 64, ThumbnailFormat::Png);
    assert!(!thumb.has_alpha);
    let image = decode(&thumb);
    assert_eq!((thumb.width, thumb.height), (64, 16));
    // sRGB puts 18% grey near the middle (118), where a linear mapping would give 46.
    for (x, value) in [(8, 0), (24, 118), (40, 255), (56, 255)] {
        assert_near(pixel(&image, x, 8), [value, value, value, 255], 1);
    }
}

#[test]
fn opaque_exr_gets_a_jpeg_thumbnail() {
    let bands = DynamicImage::from(exr_bands(1.0)).to_rgb32f();
    let thumb = thumbnail(
        "frame.exr",
        &encode(bands, ImageFormat::OpenExr),
        64,
        ThumbnailFormat::Auto,
    );
    assert_eq!(thumb.format, ThumbnailFileFormat::Jpeg);
    let image = decode(&thumb);
    for (x, value) in [(8, 0), (24, 118), (40, 255), (56, 255)] {
        assert_near(pixel(&image, x, 8), [value, value, value, 255], 6);
    }
}

#[test]
fn premultiplied_exr_with_alpha_gets_an_unmultiplied_png() {
    let bytes = encode(exr_bands(0.5), ImageFormat::OpenExr);
    let thumb = thumbnail("frame.exr", &bytes, 64, ThumbnailFormat::Auto);
    assert_eq!(thumb.format, ThumbnailFileFormat::Png);
    assert!(thumb.has_alpha);
    let image = decode(&thumb);
    for (x, value) in [(8, 0), (24, 118), (40, 255), (56, 255)] {
        assert_near(pixel(&image, x, 8), [value, value, value, 128], 1);
    }
}

#[test]
fn transparent_exr_as_jpeg_is_composited_over_black() {
    let bytes = encode(exr_bands(0.5), ImageFormat::OpenExr);
    let thumb = thumbnail("frame.exr", &bytes, 64, ThumbnailFormat::Jpeg);
    assert_eq!(thumb.format, ThumbnailFileFormat::Jpeg);
    let image = decode(&thumb);
    // White at half coverage over black is linear 0.5, sRGB 188.
    assert_near(pixel(&image, 40, 8), [188, 188, 188, 255], 6);
}

/// An OpenEXR file with the named channels, `samples` giving each channel's value at (x, y).
fn write_exr(
    (width, height): (usize, usize),
    encoding: Encoding,
    channels: &[(&str, bool)],
    samples: impl Fn(&str, usize, usize) -> f32,
) -> Vec<u8> {
    let list = channels
        .iter()
        .map(|&(name, half)| {
            let values = (0..height).flat_map(|y| (0..width).map(move |x| (x, y)));
            let values = values.map(|(x, y)| samples(name, x, y));
            let data = if half {
                FlatSamples::F16(values.map(f16::from_f32).collect())
            } else {
                FlatSamples::F32(values.collect())
            };
            AnyChannel::new(name, data)
        })
        .collect();
    let channels = AnyChannels::sort(SmallVec::from_vec(list));
    let layer = Layer::new(
        (width, height),
        LayerAttributes::default(),
        encoding,
        channels,
    );
    let mut bytes = Vec::new();
    ExrImage::from_layer(layer)
        .write()
        .to_buffered(std::io::Cursor::new(&mut bytes))
        .unwrap();
    bytes
}

const ZIP_SCAN_LINES: Encoding = Encoding {
    compression: Compression::ZIP16,
    blocks: Blocks::ScanLines,
    line_order: LineOrder::Increasing,
};

/// What Blender's OPEN_EXR_MULTILAYER writes: the Combined pass of each view layer, beside other
/// passes, all in one part with prefixed names. The left half is opaque linear (0.18, 1, 0), the
/// right half white at half coverage; other passes hold colours that must not show up.
#[test]
fn blender_multilayer_exr_uses_the_combined_pass_of_the_first_view_layer() {
    let channels = [
        ("ViewLayer.Combined.R", true),
        ("ViewLayer.Combined.G", true),
        ("ViewLayer.Combined.B", true),
        ("ViewLayer.Combined.A", true),
        ("ViewLayer.DiffCol.R", true),
        ("ViewLayer.DiffCol.G", true),
        ("ViewLayer.DiffCol.B", true),
        ("ViewLayer.Depth.Z", false),
        ("ViewLayer.Normal.X", true),
        ("ViewLayer.Normal.Y", true),
        ("ViewLayer.Normal.Z", true),
        ("Wireframe.Combined.R", true),
        ("Wireframe.Combined.G", true),
        ("Wireframe.Combined.B", true),
    ];
    let bytes = write_exr((200, 100), ZIP_SCAN_LINES, &channels, |name, x, _| {
        let opaque = x < 100;
        match name {
            "ViewLayer.Combined.R" if opaque => 0.18,
            "ViewLayer.Combined.G" if opaque => 1.0,
            "ViewLayer.Combined.B" if opaque => 0.0,
            "ViewLayer.Combined.A" if opaque => 1.0,
            name if name.starts_with("ViewLayer.Combined.") => 0.5,
            "ViewLayer.Depth.Z" => 7.0,
            _ => 0.3,
        }
    });
    let thumb = thumbnail("shot/frame_0001.exr", &bytes, 100, ThumbnailFormat::Auto);
    assert_eq!(thumb.format, ThumbnailFileFormat::Png);
    assert!(thumb.has_alpha);
    assert_eq!((thumb.width, thumb.height), (100, 50));
    let image = decode(&thumb);
    assert_near(pixel(&image, 20, 25), [118, 255, 0, 255], 1);
    assert_near(pixel(&image, 80, 25), [255, 255, 255, 128], 1);

    let thumb = thumbnail("shot/frame_0001.exr", &bytes, 100, ThumbnailFormat::Jpeg);
    let image = decode(&thumb);
    // Half-covered white over black is linear 0.5, sRGB 188.
    assert_near(pixel(&image, 80, 25), [188, 188, 188, 255], 6);
}

/// Tiles, float samples and no alpha, on a frame big enough to be decoded on several threads:
/// every tile must land in its place.
#[test]
fn tiled_float_exr_without_alpha_puts_every_tile_in_place() {
    let encoding = Encoding {
        compression: Compression::ZIP1,
        blocks: Blocks::Tiles(Vec2(64, 48)),
        line_order: LineOrder::Increasing,
    };
    let (width, height) = (1030, 1100);
    let channels = [("R", false), ("G", false), ("B", false)];
    let bytes = write_exr(
        (width, height),
        encoding,
        &channels,
        |name, x, y| match name {
            "R" => y as f32 / (height - 1) as f32,
            "G" => x as f32 / (width - 1) as f32,
            _ => 0.18,
        },
    );
    let thumb = thumbnail("frame.exr", &bytes, 103, ThumbnailFormat::Auto);
    assert_eq!(thumb.format, ThumbnailFileFormat::Jpeg);
    assert!(!thumb.has_alpha);
    assert_eq!((thumb.width, thumb.height), (103, 110));
    let image = decode(&thumb);
    for (x, y) in [(5, 5), (50, 20), (97, 60), (30, 104), (70, 90)] {
        let red = (f64::from(y) + 0.5) / 110.0;
        let green = (f64::from(x) + 0.5) / 103.0;
        let expected = [red, green, 0.18].map(|linear| tone_map::linear_to_srgb8(linear as f32));
        let [r, g, b] = expected;
        assert_near(pixel(&image, x, y), [r, g, b, 255], 8);
    }
}

#[test]
fn gray_y_exr_gets_a_gray_thumbnail() {
    let bytes = write_exr((64, 32), ZIP_SCAN_LINES, &[("Y", false)], |_, _, _| 0.18);
    let thumb = thumbnail("frame.exr", &bytes, 32, ThumbnailFormat::Png);
    let image = decode(&thumb);
    assert_eq!(image.color(), image::ColorType::L8);
    assert_near(pixel(&image, 16, 8), [118, 118, 118, 255], 1);
}

#[test]
fn exr_without_colour_channels_is_an_error_naming_file_and_channels() {
    let channels = [
        ("ViewLayer.Depth.Z", false),
        ("ViewLayer.Normal.X", true),
        ("ViewLayer.Normal.Y", true),
        ("ViewLayer.Normal.Z", true),
    ];
    let bytes = write_exr((8, 8), ZIP_SCAN_LINES, &channels, |_, _, _| 1.0);
    let error = make_thumbnail_from_bytes("shot/depth_0001.exr", &bytes, 4, ThumbnailFormat::Auto)
        .unwrap_err();
    assert!(
        matches!(error, ThumbnailError::ExrChannels { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    for expected in [
        "shot/depth_0001.exr",
        "ViewLayer.Depth.Z (f32)",
        "ViewLayer.Normal.Y (f16)",
    ] {
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn truncated_exr_is_an_error_naming_the_file() {
    let bytes = encode(exr_bands(1.0), ImageFormat::OpenExr);
    let error = make_thumbnail_from_bytes(
        "frame_0003.exr",
        &bytes[..bytes.len() / 2],
        32,
        ThumbnailFormat::Auto,
    )
    .unwrap_err();
    assert!(
        matches!(error, ThumbnailError::DecodeExr { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("frame_0003.exr"), "{error}");
}

#[test]
fn float_tone_mapping_table_matches_the_transfer_function() {
    let table = tone_map::FloatToSrgb8::get();
    for step in 0..=4096 {
        let linear = step as f32 / 4096.0;
        let exact = tone_map::linear_to_srgb8(linear);
        assert!(
            table.map(linear).abs_diff(exact) <= 1,
            "{linear}: {} vs {exact}",
            table.map(linear)
        );
    }
    for (linear, expected) in [(-1.0, 0), (f32::NAN, 0), (-0.0, 0), (1.0, 255), (1e30, 255)] {
        assert_eq!(table.map(linear), expected, "{linear}");
    }
    assert_eq!(
        tone_map::half_to_srgb8()[usize::from(f16::from_f32(0.18).to_bits())],
        118
    );
}
