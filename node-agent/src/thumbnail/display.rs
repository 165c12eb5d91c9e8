//! Turning a scaled frame into 8-bit sRGB samples an encoder can take: 16-bit samples are
//! rounded to 8 bits, and OpenEXR's linear float samples are tone mapped. It runs on the small,
//! scaled image only, so it favours clarity over speed.
//!
//! Tone mapping is "clamp, then the sRGB transfer function" with no exposure change: the same as
//! Blender's "Standard" view transform and what vipsthumbnail and ImageMagick do with OpenEXR, so
//! 0.0 is black, 1.0 is white and brighter values clip to white. A curve such as Reinhard's would
//! keep highlight detail, but it darkens mid-tones, so an EXR shot's thumbnails would not match
//! the same shot rendered to PNG.

use image::ExtendedColorType;

use super::ThumbnailFileFormat;
use super::decode::Frame;
use super::pixels::PixelLayout;

/// 8-bit samples ready to encode.
#[derive(Debug)]
pub(super) struct DisplayPixels {
    pub samples: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// One of L8, La8, Rgb8 and Rgba8.
    pub color: ExtendedColorType,
}

/// Converts a scaled frame to 8-bit sRGB. Alpha is kept (unmultiplied) where the file format can
/// store it; JPEG gets the frame composited over black, which is what premultiplied colour
/// already is.
pub(super) fn to_display_pixels(frame: &Frame, format: ThumbnailFileFormat) -> DisplayPixels {
    let pixel_type = frame.pixel_type;
    let channels = pixel_type.channels();
    let keep_alpha = format == ThumbnailFileFormat::Png && pixel_type.has_alpha_channel();
    let bytes = frame.pixels.as_slice();
    let pixels: Vec<[u8; 4]> = match pixel_type.sample_size() {
        1 => integer_pixels(bytes, channels, keep_alpha, |v| v),
        2 => {
            let samples: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|sample| u16::from_ne_bytes([sample[0], sample[1]]))
                .collect();
            integer_pixels(&samples, channels, keep_alpha, u16_to_u8)
        }
        _ => {
            let samples: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|s| f32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
                .collect();
            float_pixels(&samples, channels, frame.premultiplied, keep_alpha)
        }
    };
    let (out_channels, color) = match (channels < 3, keep_alpha) {
        (true, false) => (1, ExtendedColorType::L8),
        (true, true) => (2, ExtendedColorType::La8),
        (false, false) => (3, ExtendedColorType::Rgb8),
        (false, true) => (4, ExtendedColorType::Rgba8),
    };
    let mut samples = Vec::with_capacity(pixels.len() * out_channels);
    for [r, g, b, a] in pixels {
        match out_channels {
            1 => samples.push(r),
            2 => samples.extend([r, a]),
            3 => samples.extend([r, g, b]),
            _ => samples.extend([r, g, b, a]),
        }
    }
    DisplayPixels {
        samples,
        width: frame.width,
        height: frame.height,
        color,
    }
}

/// Pixels of unmultiplied sRGB integer samples, gray spread to RGB; without `keep_alpha`,
/// composited over black.
fn integer_pixels<T: Copy>(
    samples: &[T],
    channels: usize,
    keep_alpha: bool,
    to_u8: impl Fn(T) -> u8,
) -> Vec<[u8; 4]> {
    samples
        .chunks_exact(channels)
        .map(|pixel| {
            let [r, g, b] = match channels {
                1 | 2 => [to_u8(pixel[0]); 3],
                _ => [to_u8(pixel[0]), to_u8(pixel[1]), to_u8(pixel[2])],
            };
            let a = match channels {
                2 | 4 => to_u8(pixel[channels - 1]),
                _ => 255,
            };
            if keep_alpha || a == 255 {
                [r, g, b, a]
            } else {
                [over_black(r, a), over_black(g, a), over_black(b, a), 255]
            }
        })
        .collect()
}

/// Pixels of linear float samples, tone mapped; see the module comment.
fn float_pixels(
    samples: &[f32],
    channels: usize,
    premultiplied: bool,
    keep_alpha: bool,
) -> Vec<[u8; 4]> {
    samples
        .chunks_exact(channels)
        .map(|pixel| {
            let a = if channels == 4 {
                pixel[3].clamp(0.0, 1.0)
            } else {
                1.0
            };
            let scale = match (premultiplied, keep_alpha) {
                // A fully transparent pixel's colour is invisible in a PNG; leave it as it is.
                (true, true) if a > 0.0 => 1.0 / a,
                (false, false) => a,
                _ => 1.0,
            };
            let [r, g, b] = [0, 1, 2].map(|c| linear_to_srgb8(pixel[c] * scale));
            let alpha = if keep_alpha { unit_to_u8(a) } else { 255 };
            [r, g, b, alpha]
        })
        .collect()
}

/// Rounds a 16-bit sample to the nearest 8-bit one.
fn u16_to_u8(value: u16) -> u8 {
    let rounded = (u32::from(value) * 255 + 32767) / 65535;
    // At most 255 by construction.
    u8::try_from(rounded).unwrap_or(u8::MAX)
}

fn over_black(value: u8, alpha: u8) -> u8 {
    let product = (u16::from(value) * u16::from(alpha) + 127) / 255;
    // At most 255 because both factors are.
    u8::try_from(product).unwrap_or(u8::MAX)
}

/// Clamps a linear value to [0, 1] and applies the sRGB transfer function.
pub(super) fn linear_to_srgb8(linear: f32) -> u8 {
    let linear = linear.clamp(0.0, 1.0);
    let encoded = if linear <= 0.003_130_8 {
        linear * 12.92
    } else {
        1.055 * linear.powf(1.0 / 2.4) - 0.055
    };
    unit_to_u8(encoded)
}

/// Maps [0, 1] to 0..=255, rounding; NaN becomes 0.
fn unit_to_u8(value: f32) -> u8 {
    // `as` saturates and sends NaN to 0, which is the behaviour wanted here.
    (value.clamp(0.0, 1.0) * 255.0).round() as u8
}
