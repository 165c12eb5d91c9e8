//! Frame-sized pixel buffers, and splitting full-frame work into bands of rows for a few
//! threads. It knows nothing about file formats or filters.
//!
//! Why bother: a 4K frame is 33 MB of 8-bit or 133 MB of float samples, and on the machines we
//! measured, the kernel's first touch of each fresh 4 KiB page (the page fault that maps and
//! zeroes it) costs 2-4 µs. For a PNG that is a third of the whole thumbnail, so the buffer a
//! frame is decoded into is touched by several threads at once before the decoder writes it.

use std::num::NonZeroUsize;
use std::thread;

use fast_image_resize::PixelType;

/// Frames below this many pixels are not worth starting threads for.
const PARALLEL_FROM_PIXELS: usize = 1 << 20;

/// At most this many threads: more gains little on memory-bound passes and takes cores from
/// the renderer that runs beside the node-agent.
const MAX_THREADS: usize = 4;

/// Alignment of the first sample, enough for every sample type (f32 is the widest).
const ALIGN: usize = 4;

/// How many bands (threads) to split work on a frame of `pixels` pixels into.
pub(super) fn band_count(pixels: usize) -> usize {
    if pixels < PARALLEL_FROM_PIXELS {
        return 1;
    }
    thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(MAX_THREADS)
}

/// Rows per band when `rows` rows are split into `bands` bands; the last band may be shorter.
pub(super) fn rows_per_band(rows: usize, bands: usize) -> usize {
    rows.div_ceil(bands.max(1)).max(1)
}

/// Waits for a band's thread, passing on its panic as if it had happened on this thread.
pub(super) fn join_band<T>(band: thread::ScopedJoinHandle<'_, T>) -> T {
    band.join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Image sizes are u32, and usize is at least that wide on every target the agent runs on.
pub(super) fn to_usize(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// Zeroed bytes for pixel samples, starting at an address aligned for any [`PixelType`], since
/// `fast_image_resize` refuses misaligned buffers and a `Vec<u8>` promises no alignment.
#[derive(Debug)]
pub(super) struct PixelBytes {
    bytes: Vec<u8>,
    start: usize,
    len: usize,
}

impl PixelBytes {
    /// `len` zeroed bytes whose pages the kernel has already mapped, touched from `bands` threads.
    pub(super) fn touched(len: usize, bands: usize) -> Self {
        let mut pixels = Self::zeroed(len);
        let band_len = len.div_ceil(bands.max(1)).max(1);
        thread::scope(|scope| {
            for band in pixels.as_mut_slice().chunks_mut(band_len) {
                scope.spawn(move || touch_pages(band));
            }
        });
        pixels
    }

    /// `len` zeroed bytes, left for the kernel to map on first use.
    pub(super) fn zeroed(len: usize) -> Self {
        let bytes = vec![0; len + ALIGN - 1];
        let start = bytes.as_ptr().align_offset(ALIGN).min(ALIGN - 1);
        Self { bytes, start, len }
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        &self.bytes[self.start..self.start + self.len]
    }

    pub(super) fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.bytes[self.start..self.start + self.len]
    }
}

/// Writes one byte in every page so that the kernel maps them now.
fn touch_pages(bytes: &mut [u8]) {
    const PAGE: usize = 4096;
    // The buffer came zeroed from the allocator; black_box keeps the compiler from dropping
    // stores of zero into it as useless.
    let bytes = std::hint::black_box(bytes);
    for byte in bytes.iter_mut().step_by(PAGE) {
        *byte = 0;
    }
}

/// Pixel layout facts the thumbnailer needs that `fast_image_resize` does not tell.
pub(super) trait PixelLayout {
    /// Samples per pixel.
    fn channels(self) -> usize;
    /// Bytes per sample.
    fn sample_size(self) -> usize;
    /// The last channel is alpha.
    fn has_alpha_channel(self) -> bool;
}

impl PixelLayout for PixelType {
    fn channels(self) -> usize {
        match self {
            PixelType::U8 | PixelType::U16 | PixelType::I32 | PixelType::F32 => 1,
            PixelType::U8x2 | PixelType::U16x2 | PixelType::F32x2 => 2,
            PixelType::U8x3 | PixelType::U16x3 | PixelType::F32x3 => 3,
            _ => 4,
        }
    }

    fn sample_size(self) -> usize {
        self.size() / self.channels()
    }

    fn has_alpha_channel(self) -> bool {
        matches!(self.channels(), 2 | 4)
    }
}
