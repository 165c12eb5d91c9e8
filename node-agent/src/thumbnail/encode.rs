//! Encoding 8-bit thumbnail pixels as a JPEG or PNG file in memory.

use image::ImageEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};

use super::display::DisplayPixels;
use super::{JPEG_QUALITY, ThumbnailError, ThumbnailFileFormat};

/// Encodes `pixels` in `format`. JPEG takes L8 and Rgb8 only, which is what
/// [`to_display_pixels`](super::display::to_display_pixels) gives for JPEG.
pub(super) fn encode_thumbnail(
    name: &str,
    pixels: &DisplayPixels,
    format: ThumbnailFileFormat,
) -> Result<Vec<u8>, ThumbnailError> {
    let mut bytes = Vec::new();
    let DisplayPixels {
        samples,
        width,
        height,
        color,
    } = pixels;
    let result = match format {
        ThumbnailFileFormat::Jpeg => JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
            .write_image(samples, *width, *height, *color),
        // At thumbnail sizes the default level costs well under a millisecond more than the
        // fastest one and makes files about a third smaller.
        ThumbnailFileFormat::Png => {
            PngEncoder::new_with_quality(&mut bytes, CompressionType::Default, FilterType::Adaptive)
                .write_image(samples, *width, *height, *color)
        }
    };
    result.map_err(|source| ThumbnailError::Encode {
        name: name.to_owned(),
        format,
        source,
    })?;
    Ok(bytes)
}
