//! Tone mapping of linear OpenEXR samples to 8-bit display values, and its inverse for the few
//! pixels that need it. It does not scale, composite or know about channels.
//!
//! Tone mapping is "clamp, then the sRGB transfer function" with no exposure change: the same as
//! Blender's "Standard" view transform and what vipsthumbnail and ImageMagick do with OpenEXR, so
//! 0.0 is black, 1.0 is white and brighter values clip to white. A curve such as Reinhard's would
//! keep highlight detail, but it darkens mid-tones, so an EXR shot's thumbnails would not match
//! the same shot rendered to PNG.
//!
//! Every sample of a frame passes through here (33 million in a 4K RGBA frame), far too many for
//! `powf`, so samples are looked up in tables built once per process: half floats by their 16
//! bits, floats by their top bits once clamped to [0, 1].

use std::sync::OnceLock;

use exr::prelude::f16;

/// Float samples in [0, 1] are looked up by their bits shifted right this far, which leaves 10
/// mantissa bits: an entry spans at most a ninth of an 8-bit step (near 1.0, where the sRGB curve
/// is steepest per entry), so a sample within that of a rounding boundary may land one step off.
const FLOAT_SHIFT: u32 = 13;

/// Entries of the float table: every clamped value up to and including 1.0.
const FLOAT_ENTRIES: usize = (0x3F80_0000 >> FLOAT_SHIFT) + 1;

/// The sRGB-encoded 8-bit value of a linear half-float sample, clamped to [0, 1].
pub(super) fn half_to_srgb8() -> &'static [u8] {
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let thresholds = srgb8_thresholds();
        (0..=u16::MAX)
            .map(|bits| srgb8_level(&thresholds, f16::from_bits(bits).to_f32()))
            .collect()
    })
}

/// The 8-bit value of a half-float alpha sample, clamped to [0, 1].
pub(super) fn half_to_unit8() -> &'static [u8] {
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=u16::MAX)
            .map(|bits| unit_to_u8(f16::from_bits(bits).to_f32()))
            .collect()
    })
}

/// Maps linear float samples to sRGB-encoded 8-bit values through a table; see [`FLOAT_SHIFT`].
#[derive(Clone, Copy, Debug)]
pub(super) struct FloatToSrgb8 {
    table: &'static [u8],
}

impl FloatToSrgb8 {
    pub(super) fn get() -> Self {
        static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
        let table = TABLE.get_or_init(|| {
            let thresholds = srgb8_thresholds();
            (0..FLOAT_ENTRIES)
                .map(|index| {
                    // The middle of the values sharing this entry.
                    let bits = u32::try_from(index).unwrap_or(u32::MAX) << FLOAT_SHIFT
                        | 1 << (FLOAT_SHIFT - 1);
                    srgb8_level(&thresholds, f32::from_bits(bits))
                })
                .collect()
        });
        Self { table }
    }

    /// Clamps `linear` to [0, 1] (NaN to 0) and encodes it.
    #[inline]
    #[allow(
        clippy::manual_clamp,
        reason = "clamp() keeps NaN, which must become 0 here"
    )]
    pub(super) fn map(self, linear: f32) -> u8 {
        // max() returns the other operand for NaN; the mask turns -0.0 into 0.0.
        let clamped = linear.max(0.0).min(1.0);
        let index = (clamped.to_bits() & 0x7FFF_FFFF) >> FLOAT_SHIFT;
        // The index is at most that of 1.0, the table's last entry.
        self.table.get(index as usize).copied().unwrap_or(u8::MAX)
    }
}

/// Where each 8-bit sRGB step begins: entry `k` is the linear value from which the encoded
/// value rounds to `k + 1` or more.
fn srgb8_thresholds() -> Vec<f32> {
    (0..255)
        .map(|step| srgb_to_linear((f64::from(step) + 0.5) / 255.0) as f32)
        .collect()
}

fn srgb8_level(thresholds: &[f32], linear: f32) -> u8 {
    let linear = if linear.is_nan() { 0.0 } else { linear };
    let level = thresholds.partition_point(|&threshold| threshold <= linear);
    // There are 255 thresholds, so the level is at most 255.
    u8::try_from(level).unwrap_or(u8::MAX)
}

/// The inverse of the sRGB transfer function, for an encoded value in [0, 1].
fn srgb_to_linear(encoded: f64) -> f64 {
    if encoded <= 0.040_45 {
        encoded / 12.92
    } else {
        ((encoded + 0.055) / 1.055).powf(2.4)
    }
}

/// The linear value of an 8-bit sRGB sample.
pub(super) fn srgb8_to_linear(value: u8) -> f32 {
    srgb_to_linear(f64::from(value) / 255.0) as f32
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

/// Maps [0, 1] to 0..=255, rounding; NaN becomes 0. Alpha of float frames goes through here
/// sample by sample, so it adds 0.5 and truncates rather than calling `round`, which is a
/// library call on x86-64 without SSE 4.1.
#[inline]
pub(super) fn unit_to_u8(value: f32) -> u8 {
    // `as` truncates the non-negative result and sends NaN to 0.
    (value.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}
