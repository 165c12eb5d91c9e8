//! Decoding a frame file into pixels: PNG and JPEG with the `image` crate in their own sample
//! type (8-bit or 16-bit), OpenEXR with `exr_decode` straight to 8-bit display values; and
//! finding out whether any pixel is transparent. No other conversion happens here: converting a
//! whole 4K frame costs more than decoding it, so that waits until the frame is small.

use std::io::Cursor;
use std::thread;

use fast_image_resize::PixelType;
use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::{ColorType, ImageDecoder, ImageFormat, ImageResult};

use super::ThumbnailError;
use super::exr_decode::decode_exr;
use super::pixels::{PixelBytes, PixelLayout, band_count, join_band, rows_per_band, to_usize};

/// Frames needing more memory than this are refused rather than risking the agent's memory
/// limit; a 16K x 16K RGBA float frame just fits.
pub(super) const MAX_FRAME_BYTES: u64 = 4 << 30;

/// Pixels of a frame, or of its thumbnail, in native-endian samples with row after row.
#[derive(Debug)]
pub(super) struct Frame {
    pub pixels: PixelBytes,
    pub width: u32,
    pub height: u32,
    pub pixel_type: PixelType,
    /// Colour is already multiplied by alpha, as OpenEXR stores it: for the 8-bit frames that
    /// OpenEXR decodes to, each colour sample is the sRGB encoding of the linear premultiplied
    /// value. PNG and JPEG store colour unmultiplied.
    pub premultiplied: bool,
    /// Some pixel's alpha, rounded to 8 bits, is below 255.
    pub has_alpha: bool,
}

/// Decodes a PNG, JPEG or OpenEXR frame, recognised by its first bytes or else by the extension
/// of `name`.
pub(super) fn decode_frame(name: &str, bytes: &[u8]) -> Result<Frame, ThumbnailError> {
    let reader = Cursor::new(bytes);
    match detect_format(name, bytes)? {
        FrameFormat::Png => read_frame(name, PngDecoder::new(reader)),
        FrameFormat::Jpeg => read_frame(name, JpegDecoder::new(reader)),
        FrameFormat::OpenExr => decode_exr(name, bytes),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameFormat {
    Png,
    Jpeg,
    OpenExr,
}

fn detect_format(name: &str, bytes: &[u8]) -> Result<FrameFormat, ThumbnailError> {
    let by_content = image::guess_format(bytes).ok();
    let by_extension = || {
        let (_, extension) = name.rsplit_once('.')?;
        ImageFormat::from_extension(extension)
    };
    match by_content.or_else(by_extension) {
        Some(ImageFormat::Png) => Ok(FrameFormat::Png),
        Some(ImageFormat::Jpeg) => Ok(FrameFormat::Jpeg),
        Some(ImageFormat::OpenExr) => Ok(FrameFormat::OpenExr),
        _ => Err(ThumbnailError::DetectFormat {
            name: name.to_owned(),
        }),
    }
}

fn read_frame(
    name: &str,
    decoder: ImageResult<impl ImageDecoder>,
) -> Result<Frame, ThumbnailError> {
    let decode_error = |source| ThumbnailError::Decode {
        name: name.to_owned(),
        source,
    };
    let decoder = decoder.map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    let color = decoder.color_type();
    let pixel_type = pixel_type_of(color).ok_or_else(|| ThumbnailError::UnsupportedPixels {
        name: name.to_owned(),
        color,
    })?;
    let too_large = || ThumbnailError::TooLarge {
        name: name.to_owned(),
        width,
        height,
    };
    let len = Some(decoder.total_bytes())
        .filter(|&len| len <= MAX_FRAME_BYTES)
        .and_then(|len| usize::try_from(len).ok())
        .ok_or_else(too_large)?;
    let bands = band_count(to_usize(width).saturating_mul(to_usize(height)));
    let mut pixels = PixelBytes::touched(len, bands);
    decoder
        .read_image(pixels.as_mut_slice())
        .map_err(decode_error)?;
    let has_alpha = any_transparent(pixels.as_slice(), width, pixel_type);
    Ok(Frame {
        pixels,
        width,
        height,
        pixel_type,
        premultiplied: false,
        has_alpha,
    })
}

fn pixel_type_of(color: ColorType) -> Option<PixelType> {
    Some(match color {
        ColorType::L8 => PixelType::U8,
        ColorType::La8 => PixelType::U8x2,
        ColorType::Rgb8 => PixelType::U8x3,
        ColorType::Rgba8 => PixelType::U8x4,
        ColorType::L16 => PixelType::U16,
        ColorType::La16 => PixelType::U16x2,
        ColorType::Rgb16 => PixelType::U16x3,
        ColorType::Rgba16 => PixelType::U16x4,
        _ => return None,
    })
}

/// Whether some pixel's alpha, rounded to 8 bits, is below 255; bands of rows are searched in
/// parallel, since an opaque frame has to be read to the end.
fn any_transparent(bytes: &[u8], width: u32, pixel_type: PixelType) -> bool {
    if !pixel_type.has_alpha_channel() || bytes.is_empty() {
        return false;
    }
    let pixel_size = pixel_type.size();
    let row_bytes = to_usize(width) * pixel_size;
    let rows = bytes.len() / row_bytes.max(1);
    let band_bytes = rows_per_band(rows, band_count(bytes.len() / pixel_size)) * row_bytes;
    // 65407 is where 16-bit alpha starts rounding to 254 in 8 bits.
    let sample_size = pixel_type.sample_size();
    let band_is_transparent = |band: &[u8]| match sample_size {
        1 => any_alpha_below(band, pixel_size, sample_size, 255, |alpha| alpha[0]),
        _ => any_alpha_below(band, pixel_size, sample_size, 65407, |alpha| {
            u16::from_ne_bytes([alpha[0], alpha[1]])
        }),
    };
    thread::scope(|scope| {
        let bands: Vec<_> = bytes
            .chunks(band_bytes.max(1))
            .map(|band| scope.spawn(move || band_is_transparent(band)))
            .collect();
        bands
            .into_iter()
            .fold(false, |any, band| join_band(band) | any)
    })
}

/// Whether some pixel's alpha (its last sample, read from its bytes by `alpha`) is below
/// `opaque`.
fn any_alpha_below<T: PartialOrd>(
    bytes: &[u8],
    pixel_size: usize,
    sample_size: usize,
    opaque: T,
    alpha: impl Fn(&[u8]) -> T,
) -> bool {
    // Blocks without an early exit inside let the compiler vectorise the comparison, and the
    // early exit between blocks stops at the first transparent corner of a typical render.
    const BLOCK_PIXELS: usize = 256;
    let alpha_at = pixel_size - sample_size;
    bytes.chunks(BLOCK_PIXELS * pixel_size).any(|block| {
        block.chunks_exact(pixel_size).fold(false, |below, pixel| {
            below | (alpha(&pixel[alpha_at..]) < opaque)
        })
    })
}
