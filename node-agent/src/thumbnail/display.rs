//! Turning a scaled frame into 8-bit sRGB samples an encoder can take: 16-bit samples are
//! rounded to 8 bits, and the premultiplied colour of OpenEXR frames (already tone mapped, see
//! `tone_map`) is divided by alpha where the thumbnail keeps alpha. It runs on the small, scaled
//! image only, so it favours clarity over speed.

use image::ExtendedColorType;

use super::ThumbnailFileFormat;
use super::decode::Frame;
use super::pixels::PixelLayout;
use super::tone_map::{linear_to_srgb8, srgb8_to_linear};

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
    let pixels: Vec<[u8; 4]> = match (pixel_type.sample_size(), frame.premultiplied) {
        (1, true) => premultiplied_pixels(bytes, channels, keep_alpha),
        (1, false) => integer_pixels(bytes, channels, keep_alpha, |v| v),
        _ => {
            let samples: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|sample| u16::from_ne_bytes([sample[0], sample[1]]))
                .collect();
            integer_pixels(&samples, channels, keep_alpha, u16_to_u8)
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

/// Pixels of sRGB-encoded premultiplied colour, gray spread to RGB. Without `keep_alpha` the
/// colour is the pixel over black already; with it, colour is divided by alpha in linear light,
/// where it was multiplied.
fn premultiplied_pixels(samples: &[u8], channels: usize, keep_alpha: bool) -> Vec<[u8; 4]> {
    samples
        .chunks_exact(channels)
        .map(|pixel| {
            let colour = match channels {
                1 | 2 => [pixel[0]; 3],
                _ => [pixel[0], pixel[1], pixel[2]],
            };
            let a = match channels {
                2 | 4 => pixel[channels - 1],
                _ => 255,
            };
            let [r, g, b] = match (keep_alpha, a) {
                // Opaque pixels need no division; fully transparent ones are black and invisible.
                (false, _) | (true, 0 | 255) => colour,
                (true, _) => {
                    let alpha = f32::from(a) / 255.0;
                    colour.map(|c| linear_to_srgb8(srgb8_to_linear(c) / alpha))
                }
            };
            [r, g, b, if keep_alpha { a } else { 255 }]
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
