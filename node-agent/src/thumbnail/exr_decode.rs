//! Decoding an OpenEXR frame with the `exr` crate straight to 8-bit display values: the chosen
//! channels' blocks are decompressed on a few threads, and each block is tone mapped (see
//! `tone_map`) into the frame as soon as it is decompressed, so no frame-sized float buffer is
//! ever filled. Which channels are read is `exr_channels`'s choice; scaling happens later.
//!
//! Colour stays multiplied by alpha, as OpenEXR stores it: each colour sample becomes
//! sRGB(clamp(c)), the pixel composited over black in linear light, which a JPEG thumbnail shows
//! as it is; `display` divides by alpha again where the thumbnail keeps alpha.

use std::io::Cursor;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;

use exr::block::UncompressedBlock;
use exr::block::chunk::Chunk;
use exr::meta::BlockDescription;
use exr::meta::header::Header;
use exr::prelude::{MetaData, SampleType};

use super::ThumbnailError;
use super::decode::{Frame, MAX_FRAME_BYTES};
use super::exr_channels::{ChannelTarget, ExrChannels, choose_channels};
use super::pixels::{PixelBytes, band_count, join_band};
use super::tone_map::{FloatToSrgb8, half_to_srgb8, half_to_unit8, unit_to_u8};

/// Decodes the best channel set of an OpenEXR file (see `exr_channels`) into an 8-bit frame
/// with premultiplied colour.
pub(super) fn decode_exr(name: &str, bytes: &[u8]) -> Result<Frame, ThumbnailError> {
    let exr_error = |source| ThumbnailError::DecodeExr {
        name: name.to_owned(),
        source,
    };
    let reader = exr::block::read(Cursor::new(bytes), false).map_err(exr_error)?;
    let channels = choose_channels(name, reader.headers())?;
    let meta: MetaData = reader.meta_data().clone();
    let Some(header) = meta.headers.get(channels.header) else {
        // choose_channels returns the index of one of these headers.
        return Err(exr_error(exr::error::Error::Invalid("header index".into())));
    };
    let (width, height) = (header.layer_size.width(), header.layer_size.height());
    let pixel_size = channels.pixel_type.size();
    let (width_u32, height_u32) = (
        u32::try_from(width).unwrap_or(u32::MAX),
        u32::try_from(height).unwrap_or(u32::MAX),
    );
    let len = width
        .checked_mul(height)
        .and_then(|pixels| pixels.checked_mul(pixel_size))
        .filter(|&len| u64::try_from(len).is_ok_and(|len| len <= MAX_FRAME_BYTES))
        .ok_or_else(|| ThumbnailError::TooLarge {
            name: name.to_owned(),
            width: width_u32,
            height: height_u32,
        })?;
    // Blocks are decompressed into rows of this many, which is what `bands` is cut by.
    let block_rows = match header.blocks {
        BlockDescription::ScanLines => header.compression.scan_lines_per_block(),
        BlockDescription::Tiles(tiles) => tiles.tile_size.height(),
    }
    .max(1);
    let chosen = channels.header;
    let chunks = reader
        .filter_chunks(false, |_, tile, block| {
            block.layer == chosen && tile.is_largest_resolution_level()
        })
        .map_err(exr_error)?;

    // Pages of the frame are first touched by the threads writing them, so they are mapped in
    // parallel too.
    let mut pixels = PixelBytes::zeroed(len);
    let row_bytes = width * pixel_size;
    let bands: Vec<Mutex<&mut [u8]>> = pixels
        .as_mut_slice()
        .chunks_mut((block_rows * row_bytes).max(1))
        .map(Mutex::new)
        .collect();
    let target = Target {
        name,
        meta: &meta,
        header,
        channels: &channels,
        bands: &bands,
        block_rows,
        row_bytes,
        pixel_size,
    };
    let chunks = Mutex::new(chunks);
    let threads = band_count(width * height);
    let has_alpha = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| target.decode_chunks(&chunks)))
            .collect();
        workers
            .into_iter()
            .try_fold(false, |any, worker| Ok(join_band(worker)? | any))
    })?;
    drop(bands);
    Ok(Frame {
        pixels,
        width: width_u32,
        height: height_u32,
        pixel_type: channels.pixel_type,
        premultiplied: true,
        has_alpha,
    })
}

/// Where decoded blocks go: the frame, cut into bands of `block_rows` rows so that each block
/// lands in exactly one band, which its thread locks while writing.
struct Target<'a, 'frame> {
    name: &'a str,
    meta: &'a MetaData,
    /// The header of the chosen channels, one of `meta`'s.
    header: &'a Header,
    channels: &'a ExrChannels,
    bands: &'a [Mutex<&'frame mut [u8]>],
    block_rows: usize,
    row_bytes: usize,
    pixel_size: usize,
}

impl Target<'_, '_> {
    /// Takes chunks from `chunks` until there are none left, decompressing and writing each;
    /// returns whether some written alpha is below 255.
    fn decode_chunks(
        &self,
        chunks: &Mutex<impl Iterator<Item = exr::error::Result<Chunk>>>,
    ) -> Result<bool, ThumbnailError> {
        let mut transparent = false;
        loop {
            // The lock is held only to copy the chunk's compressed bytes out of the file.
            let next = lock(chunks).next();
            let Some(chunk) = next else {
                return Ok(transparent);
            };
            let block = chunk
                .and_then(|chunk| UncompressedBlock::decompress_chunk(chunk, self.meta, false))
                .map_err(|source| self.error(source))?;
            transparent |= self.write_block(&block)?;
        }
    }

    fn write_block(&self, block: &UncompressedBlock) -> Result<bool, ThumbnailError> {
        let header = self.header;
        let top = block.index.pixel_position.y();
        let band_index = top / self.block_rows;
        let band = self
            .bands
            .get(band_index)
            .ok_or_else(|| self.error(exr::error::Error::Invalid("block position".into())))?;
        let mut band = lock(band);
        let band_top = band_index * self.block_rows;
        let mut transparent = false;
        for line in block.lines(&header.channels) {
            let location = line.location;
            let Some(Some(target)) = self.channels.targets.get(location.channel) else {
                continue;
            };
            let Some(channel) = header.channels.list.get(location.channel) else {
                continue;
            };
            let start = (location.position.y() - band_top) * self.row_bytes
                + location.position.x() * self.pixel_size;
            let end = start + location.sample_count * self.pixel_size;
            let Some(row) = band.get_mut(start..end) else {
                return Err(self.error(exr::error::Error::Invalid("line position".into())));
            };
            transparent |= write_samples(row, line.value, channel.sample_type, *target, self);
        }
        Ok(transparent)
    }

    fn error(&self, source: exr::error::Error) -> ThumbnailError {
        ThumbnailError::DecodeExr {
            name: self.name.to_owned(),
            source,
        }
    }
}

/// Writes one line of one channel into the samples at `target.offset` of each pixel of `row`;
/// returns whether it wrote alpha below 255.
fn write_samples(
    row: &mut [u8],
    samples: &[u8],
    sample_type: SampleType,
    target: ChannelTarget,
    layout: &Target<'_, '_>,
) -> bool {
    let outputs = row
        .get_mut(target.offset..)
        .unwrap_or_default()
        .iter_mut()
        .step_by(layout.pixel_size);
    match (sample_type, target.alpha) {
        (SampleType::F16, alpha) => {
            let table = if alpha {
                half_to_unit8()
            } else {
                half_to_srgb8()
            };
            let values = samples
                .chunks_exact(2)
                .map(|sample| u16::from_ne_bytes([sample[0], sample[1]]))
                .map(|bits| table.get(usize::from(bits)).copied().unwrap_or(0));
            store(outputs, values, alpha)
        }
        (SampleType::F32, false) => {
            let to_srgb = FloatToSrgb8::get();
            let values = samples.chunks_exact(4).map(|sample| {
                to_srgb.map(f32::from_ne_bytes([
                    sample[0], sample[1], sample[2], sample[3],
                ]))
            });
            store(outputs, values, false)
        }
        (SampleType::F32, true) => {
            let values = samples.chunks_exact(4).map(|sample| {
                unit_to_u8(f32::from_ne_bytes([
                    sample[0], sample[1], sample[2], sample[3],
                ]))
            });
            store(outputs, values, true)
        }
        // exr_channels never picks u32 channels.
        (SampleType::U32, _) => false,
    }
}

/// Stores `values` into `outputs`; for alpha, returns whether some value is below 255.
fn store<'a>(
    outputs: impl Iterator<Item = &'a mut u8>,
    values: impl Iterator<Item = u8>,
    alpha: bool,
) -> bool {
    let mut lowest = u8::MAX;
    for (output, value) in outputs.zip(values) {
        *output = value;
        lowest = lowest.min(value);
    }
    alpha && lowest < u8::MAX
}

/// Locks a mutex; a poisoned one is still used, since a panic on another thread reaches the
/// caller anyway when that thread is joined.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
