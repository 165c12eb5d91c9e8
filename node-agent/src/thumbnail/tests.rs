//! Tests of the thumbnailer on synthetic frames encoded in memory; each decodes the thumbnail
//! it gets and checks its size and pixels.

use std::io::Cursor;
use std::path::Path;

use framefarm_crds::output::ThumbnailFormat;
use image::{
    DynamicImage, GenericImageView, ImageBuffer, ImageFormat, Luma, Rgb, RgbImage, Rgba, RgbaImage,
};

use super::scale::thumbnail_size;
use super::tone_map::linear_to_srgb8;
use super::*;

pub(super) fn encode(image: impl Into<DynamicImage>, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .into()
        .write_to(&mut Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

pub(super) fn thumbnail(
    name: &str,
    bytes: &[u8],
    width: u32,
    format: ThumbnailFormat,
) -> Thumbnail {
    make_thumbnail_from_bytes(name, bytes, width, format).unwrap()
}

/// Decodes a thumbnail, checking that its bytes are the format and size it claims.
pub(super) fn decode(thumbnail: &Thumbnail) -> DynamicImage {
    let expected = match thumbnail.format {
        ThumbnailFileFormat::Png => ImageFormat::Png,
        ThumbnailFileFormat::Jpeg => ImageFormat::Jpeg,
    };
    assert_eq!(image::guess_format(&thumbnail.bytes).unwrap(), expected);
    let image = image::load_from_memory(&thumbnail.bytes).unwrap();
    assert_eq!(image.dimensions(), (thumbnail.width, thumbnail.height));
    image
}

pub(super) fn assert_near(actual: [u8; 4], expected: [u8; 4], tolerance: u8) {
    let close = actual
        .iter()
        .zip(expected)
        .all(|(&a, e)| a.abs_diff(e) <= tolerance);
    assert!(
        close,
        "{actual:?} is not within {tolerance} of {expected:?}"
    );
}

pub(super) fn pixel(image: &DynamicImage, x: u32, y: u32) -> [u8; 4] {
    image.get_pixel(x, y).0
}

/// Left half opaque red, right half fully transparent green: a premultiplying filter shows no
/// green at the edge, a naive one does.
fn half_transparent_rgba8() -> RgbaImage {
    RgbaImage::from_fn(400, 200, |x, _| {
        if x < 200 {
            Rgba([255, 0, 0, 255])
        } else {
            Rgba([0, 255, 0, 0])
        }
    })
}

#[test]
fn transparent_png_gets_a_png_thumbnail_with_alpha_and_no_fringe() {
    let bytes = encode(half_transparent_rgba8(), ImageFormat::Png);
    let thumb = thumbnail("frame.png", &bytes, 100, ThumbnailFormat::Auto);
    assert_eq!(thumb.format, ThumbnailFileFormat::Png);
    assert!(thumb.has_alpha);
    let image = decode(&thumb);
    assert_eq!(image.color(), image::ColorType::Rgba8);
    assert_eq!((thumb.width, thumb.height), (100, 50));
    assert_eq!(pixel(&image, 10, 25), [255, 0, 0, 255]);
    assert_eq!(pixel(&image, 90, 25)[3], 0);
    for x in 40..60 {
        let [r, g, _, a] = pixel(&image, x, 25);
        if a > 8 {
            assert!(
                r > 200 && g < 16,
                "fringe at x={x}: {:?}",
                pixel(&image, x, 25)
            );
        }
    }
}

/// Big enough to be scaled in bands on several threads: the bands must meet without a seam.
#[test]
fn large_frame_scaled_in_bands_has_no_seams() {
    let (width, height) = (1024, 1200);
    let frame = RgbaImage::from_fn(width, height, |x, y| {
        let red = (y * 255 / (height - 1)) as u8;
        Rgba([red, 0, 0, if x < width / 2 { 255 } else { 0 }])
    });
    let bytes = encode(frame, ImageFormat::Png);
    let thumb = thumbnail("frame.png", &bytes, 128, ThumbnailFormat::Auto);
    assert_eq!((thumb.width, thumb.height), (128, 150));
    let image = decode(&thumb);
    let mut previous = 0;
    for y in 0..150 {
        let [red, green, _, alpha] = pixel(&image, 20, y);
        let expected = ((f64::from(y) + 0.5) / 150.0 * 255.0) as u8;
        assert!(
            red.abs_diff(expected) <= 2,
            "row {y}: red {red}, expected {expected}"
        );
        assert!(
            red >= previous,
            "row {y}: red {red} below the row above ({previous})"
        );
        assert_eq!((green, alpha), (0, 255), "row {y}");
        assert_eq!(pixel(&image, 100, y)[3], 0, "row {y}");
        previous = red;
    }
}

#[test]
fn opaque_rgb_png_gets_a_jpeg_thumbnail() {
    let frame = RgbImage::from_pixel(640, 480, Rgb([200, 100, 50]));
    let thumb = thumbnail(
        "frame.png",
        &encode(frame, ImageFormat::Png),
        320,
        ThumbnailFormat::Auto,
    );
    assert_eq!(thumb.format, ThumbnailFileFormat::Jpeg);
    assert!(!thumb.has_alpha);
    let image = decode(&thumb);
    assert_eq!((thumb.width, thumb.height), (320, 240));
    assert_near(pixel(&image, 160, 120), [200, 100, 50, 255], 4);
}

#[test]
fn rgba_png_that_is_opaque_everywhere_gets_a_jpeg_thumbnail() {
    let frame = RgbaImage::from_pixel(64, 64, Rgba([10, 20, 30, 255]));
    let bytes = encode(frame, ImageFormat::Png);
    let thumb = thumbnail("frame.png", &bytes, 32, ThumbnailFormat::Auto);
    assert_eq!(thumb.format, ThumbnailFileFormat::Jpeg);
    assert!(!thumb.has_alpha);
    assert_near(pixel(&decode(&thumb), 16, 16), [10, 20, 30, 255], 4);
}

#[test]
fn sixteen_bit_png_becomes_an_eight_bit_thumbnail() {
    let frame: ImageBuffer<Rgba<u16>, Vec<u16>> =
        ImageBuffer::from_pixel(300, 100, Rgba([65535, 128 * 257, 0, 65535]));
    let thumb = thumbnail(
        "frame.png",
        &encode(frame, ImageFormat::Png),
        150,
        ThumbnailFormat::Png,
    );
    let image = decode(&thumb);
    assert_eq!(image.color(), image::ColorType::Rgba8);
    assert_eq!((thumb.width, thumb.height), (150, 50));
    assert_eq!(pixel(&image, 75, 25), [255, 128, 0, 255]);
}

#[test]
fn sixteen_bit_png_with_transparency_keeps_it() {
    let frame: ImageBuffer<Rgba<u16>, Vec<u16>> = ImageBuffer::from_fn(200, 100, |x, _| {
        Rgba([0, 0, 65535, if x < 100 { 65535 } else { 32768 }])
    });
    let thumb = thumbnail(
        "frame.png",
        &encode(frame, ImageFormat::Png),
        100,
        ThumbnailFormat::Auto,
    );
    assert_eq!(thumb.format, ThumbnailFileFormat::Png);
    assert!(thumb.has_alpha);
    let image = decode(&thumb);
    assert_eq!(pixel(&image, 10, 25), [0, 0, 255, 255]);
    assert_eq!(pixel(&image, 90, 25), [0, 0, 255, 128]);
}

#[test]
fn sixteen_bit_gray_png_becomes_an_eight_bit_gray_jpeg() {
    let frame: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_pixel(100, 100, Luma([257 * 60]));
    let thumb = thumbnail(
        "frame.png",
        &encode(frame, ImageFormat::Png),
        50,
        ThumbnailFormat::Auto,
    );
    assert_eq!(thumb.format, ThumbnailFileFormat::Jpeg);
    let image = decode(&thumb);
    assert_eq!(image.color(), image::ColorType::L8);
    assert_near(pixel(&image, 25, 25), [60, 60, 60, 255], 2);
}

#[test]
fn gray_alpha_png_keeps_gray_and_alpha() {
    let frame = image::GrayAlphaImage::from_fn(100, 100, |x, _| {
        image::LumaA([90, if x < 50 { 255 } else { 0 }])
    });
    let thumb = thumbnail(
        "frame.png",
        &encode(frame, ImageFormat::Png),
        50,
        ThumbnailFormat::Auto,
    );
    assert_eq!(thumb.format, ThumbnailFileFormat::Png);
    let image = decode(&thumb);
    assert_eq!(image.color(), image::ColorType::La8);
    assert_eq!(pixel(&image, 5, 25), [90, 90, 90, 255]);
    assert_eq!(pixel(&image, 45, 25)[3], 0);
}

#[test]
fn jpeg_frame_gets_a_jpeg_thumbnail() {
    let frame = RgbImage::from_pixel(200, 100, Rgb([30, 160, 90]));
    let bytes = encode(frame, ImageFormat::Jpeg);
    let thumb = thumbnail("frame.jpg", &bytes, 100, ThumbnailFormat::Auto);
    assert_eq!(thumb.format, ThumbnailFileFormat::Jpeg);
    assert_near(pixel(&decode(&thumb), 50, 25), [30, 160, 90, 255], 6);
}

#[test]
fn transparent_png_as_jpeg_is_composited_over_black() {
    let frame = RgbaImage::from_pixel(64, 64, Rgba([255, 255, 255, 128]));
    let bytes = encode(frame, ImageFormat::Png);
    let thumb = thumbnail("frame.png", &bytes, 32, ThumbnailFormat::Jpeg);
    assert_eq!(thumb.format, ThumbnailFileFormat::Jpeg);
    assert!(thumb.has_alpha);
    assert_near(pixel(&decode(&thumb), 16, 16), [128, 128, 128, 255], 4);
}

#[test]
fn opaque_frame_as_png_is_a_png() {
    let frame = RgbImage::from_pixel(64, 64, Rgb([1, 2, 3]));
    let bytes = encode(frame, ImageFormat::Png);
    let thumb = thumbnail("frame.png", &bytes, 32, ThumbnailFormat::Png);
    assert_eq!(thumb.format, ThumbnailFileFormat::Png);
    let image = decode(&thumb);
    assert_eq!(image.color(), image::ColorType::Rgb8);
    assert_eq!(pixel(&image, 16, 16), [1, 2, 3, 255]);
}

#[test]
fn thumbnails_keep_the_aspect_ratio() {
    let frame = RgbImage::from_pixel(333, 100, Rgb([0, 0, 0]));
    let thumb = thumbnail(
        "frame.png",
        &encode(frame, ImageFormat::Png),
        100,
        ThumbnailFormat::Auto,
    );
    assert_eq!((thumb.width, thumb.height), (100, 30));
    decode(&thumb);
    assert_eq!(thumbnail_size(3840, 2160, 320), (320, 180));
    assert_eq!(thumbnail_size(1000, 3, 10), (10, 1));
}

#[test]
fn thumbnails_are_never_upscaled() {
    let frame = RgbaImage::from_fn(50, 40, |x, y| Rgba([x as u8, y as u8, 0, 255]));
    let thumb = thumbnail(
        "frame.png",
        &encode(frame, ImageFormat::Png),
        320,
        ThumbnailFormat::Png,
    );
    assert_eq!((thumb.width, thumb.height), (50, 40));
    assert_eq!(pixel(&decode(&thumb), 7, 9), [7, 9, 0, 255]);
}

#[test]
fn garbage_is_an_error_naming_the_file() {
    let error = make_thumbnail_from_bytes(
        "shot/frame_0007.png",
        b"not an image",
        320,
        ThumbnailFormat::Auto,
    )
    .unwrap_err();
    assert!(matches!(error, ThumbnailError::Decode { .. }), "{error:?}");
    assert!(error.to_string().contains("shot/frame_0007.png"), "{error}");

    let error = make_thumbnail_from_bytes("notes.txt", b"not an image", 320, ThumbnailFormat::Auto)
        .unwrap_err();
    assert!(
        matches!(error, ThumbnailError::DetectFormat { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("notes.txt"), "{error}");
}

#[test]
fn zero_width_is_an_error() {
    let bytes = encode(RgbImage::new(4, 4), ImageFormat::Png);
    let error =
        make_thumbnail_from_bytes("frame.png", &bytes, 0, ThumbnailFormat::Auto).unwrap_err();
    assert!(
        matches!(error, ThumbnailError::ZeroWidth { .. }),
        "{error:?}"
    );
}

#[test]
fn make_thumbnail_reads_the_file_and_names_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frame_0001.png");
    std::fs::write(&path, encode(half_transparent_rgba8(), ImageFormat::Png)).unwrap();
    let thumb = make_thumbnail(&path, 40, ThumbnailFormat::Auto).unwrap();
    assert_eq!(
        (thumb.format, thumb.width, thumb.height),
        (ThumbnailFileFormat::Png, 40, 20)
    );

    let missing = dir.path().join("frame_0002.png");
    let error = make_thumbnail(&missing, 40, ThumbnailFormat::Auto).unwrap_err();
    assert!(
        matches!(error, ThumbnailError::ReadFrame { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("frame_0002.png"), "{error}");
}

#[test]
fn output_path_extension_picks_the_format() {
    let format = |path: &str| format_for_output_path(Path::new(path));
    assert_eq!(format("out/thumb.png").unwrap(), ThumbnailFormat::Png);
    assert_eq!(format("thumb.jpg").unwrap(), ThumbnailFormat::Jpeg);
    assert_eq!(format("thumb.JPEG").unwrap(), ThumbnailFormat::Jpeg);
    for bad in ["thumb.gif", "thumb"] {
        let error = format(bad).unwrap_err();
        assert!(
            matches!(error, ThumbnailError::OutputFormat { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains(bad), "{error}");
    }
}

#[test]
fn file_formats_name_their_extension_and_media_type() {
    assert_eq!(ThumbnailFileFormat::Png.extension(), "png");
    assert_eq!(ThumbnailFileFormat::Jpeg.extension(), "jpg");
    assert_eq!(ThumbnailFileFormat::Png.content_type(), "image/png");
    assert_eq!(ThumbnailFileFormat::Jpeg.content_type(), "image/jpeg");
}

#[test]
fn tone_mapping_clamps_what_is_out_of_range() {
    assert_eq!(linear_to_srgb8(0.0), 0);
    assert_eq!(linear_to_srgb8(-3.0), 0);
    assert_eq!(linear_to_srgb8(f32::NAN), 0);
    assert_eq!(linear_to_srgb8(1.0), 255);
    assert_eq!(linear_to_srgb8(65504.0), 255);
    assert_eq!(linear_to_srgb8(f32::INFINITY), 255);
    assert_eq!(linear_to_srgb8(0.5), 188);
}
