//! Scaling a decoded frame down to the thumbnail width, in the frame's own sample type, with
//! `fast_image_resize` (SIMD convolution, Lanczos3), in bands of rows on a few threads. It never
//! scales up and never changes the sample type.

use std::thread;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, MulDiv, ResizeAlg, ResizeOptions, Resizer};

use super::ThumbnailError;
use super::decode::Frame;
use super::pixels::{PixelBytes, band_count, join_band, rows_per_band, to_usize};

/// Scales `frame` to `width` pixels across, keeping its aspect ratio; a frame that is not wider
/// than `width` comes back as it is. Colour comes back multiplied by alpha exactly when it went in
/// that way.
pub(super) fn scale_to_width(
    name: &str,
    mut frame: Frame,
    width: u32,
) -> Result<Frame, ThumbnailError> {
    let (width, height) = thumbnail_size(frame.width, frame.height, width);
    if (width, height) == (frame.width, frame.height) {
        return Ok(frame);
    }
    // Straight alpha must be premultiplied while filtering, or the colour of transparent pixels
    // bleeds into the edges as a fringe. Doing it in place, rather than letting the resizer copy
    // the frame, saves allocating and touching another frame-sized buffer. OpenEXR colour is
    // premultiplied already, and a frame that is opaque everywhere does not need it.
    let straight_alpha = frame.has_alpha && !frame.premultiplied;
    if straight_alpha {
        multiply_alpha(name, &mut frame)?;
    }
    let mut small =
        PixelBytes::zeroed(to_usize(width) * to_usize(height) * frame.pixel_type.size());
    resize_in_bands(name, &frame, small.as_mut_slice(), width, height)?;
    if straight_alpha {
        let mut view = Image::from_slice_u8(width, height, small.as_mut_slice(), frame.pixel_type)
            .map_err(|source| buffer_error(name, source))?;
        MulDiv::new()
            .divide_alpha_inplace(&mut view)
            .map_err(|source| alpha_error(name, source))?;
    }
    Ok(Frame {
        pixels: small,
        width,
        height,
        ..frame
    })
}

/// The thumbnail's size: `width` across (but never wider than the frame) and the frame's aspect
/// ratio, rounded to the nearest row and at least one row.
pub(super) fn thumbnail_size(frame_width: u32, frame_height: u32, width: u32) -> (u32, u32) {
    if width >= frame_width {
        return (frame_width, frame_height);
    }
    let (frame_width, frame_height, wide) = (
        u64::from(frame_width),
        u64::from(frame_height),
        u64::from(width),
    );
    let height = (2 * frame_height * wide + frame_width) / (2 * frame_width);
    // The height is below frame_height because width is below frame_width, so it fits.
    let height = u32::try_from(height).unwrap_or(u32::MAX);
    (width, height.max(1))
}

/// Multiplies colour by alpha in place, in bands of rows on parallel threads.
fn multiply_alpha(name: &str, frame: &mut Frame) -> Result<(), ThumbnailError> {
    let (width, pixel_type) = (frame.width, frame.pixel_type);
    let rows = to_usize(frame.height);
    let band_rows = rows_per_band(rows, band_count(rows * to_usize(width)));
    let row_bytes = to_usize(width) * pixel_type.size();
    thread::scope(|scope| {
        let bands: Vec<_> = frame
            .pixels
            .as_mut_slice()
            .chunks_mut(band_rows * row_bytes)
            .map(|band| {
                scope.spawn(move || {
                    let rows = u32::try_from(band.len() / row_bytes).unwrap_or(u32::MAX);
                    let mut view = Image::from_slice_u8(width, rows, band, pixel_type)
                        .map_err(|source| buffer_error(name, source))?;
                    MulDiv::new()
                        .multiply_alpha_inplace(&mut view)
                        .map_err(|source| alpha_error(name, source))
                })
            })
            .collect();
        bands.into_iter().try_for_each(join_band)
    })
}

/// Resizes `frame` into `small`, each band of the thumbnail's rows on its own thread. The bands
/// crop the frame to their rows but the filter still reads across the crop edges, so the seams
/// are the same as one resize over the whole frame.
fn resize_in_bands(
    name: &str,
    frame: &Frame,
    small: &mut [u8],
    width: u32,
    height: u32,
) -> Result<(), ThumbnailError> {
    let pixel_type = frame.pixel_type;
    let source = ImageRef::new(
        frame.width,
        frame.height,
        frame.pixels.as_slice(),
        pixel_type,
    )
    .map_err(|source| buffer_error(name, source))?;
    let rows = to_usize(height);
    let bands = band_count(to_usize(frame.width) * to_usize(frame.height)).min(rows);
    let band_rows = rows_per_band(rows, bands);
    let row_bytes = to_usize(width) * pixel_type.size();
    let rows_per_row = f64::from(frame.height) / f64::from(height);
    thread::scope(|scope| {
        let bands: Vec<_> = small
            .chunks_mut(band_rows * row_bytes)
            .enumerate()
            .map(|(index, band)| {
                let source = &source;
                scope.spawn(move || {
                    let first = index * band_rows;
                    let count = band.len() / row_bytes;
                    let top = first as f64 * rows_per_row;
                    // The last band ends exactly at the frame's edge, whatever the rounding.
                    let bottom = if first + count == rows {
                        f64::from(frame.height)
                    } else {
                        (first + count) as f64 * rows_per_row
                    };
                    let count = u32::try_from(count).unwrap_or(u32::MAX);
                    let mut target = Image::from_slice_u8(width, count, band, pixel_type)
                        .map_err(|source| buffer_error(name, source))?;
                    let options = ResizeOptions::new()
                        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
                        .crop(0.0, top, f64::from(frame.width), bottom - top)
                        .use_alpha(false);
                    Resizer::new()
                        .resize(source, &mut target, &options)
                        .map_err(|source| ThumbnailError::Scale {
                            name: name.to_owned(),
                            width,
                            height,
                            source,
                        })
                })
            })
            .collect();
        bands.into_iter().try_for_each(join_band)
    })
}

fn buffer_error(name: &str, source: fast_image_resize::ImageBufferError) -> ThumbnailError {
    ThumbnailError::ViewPixels {
        name: name.to_owned(),
        source,
    }
}

fn alpha_error(name: &str, source: fast_image_resize::ImageError) -> ThumbnailError {
    ThumbnailError::MultiplyAlpha {
        name: name.to_owned(),
        source,
    }
}
