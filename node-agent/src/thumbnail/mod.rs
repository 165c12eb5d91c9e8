//! Thumbnails of rendered frames: decodes a PNG, JPEG or OpenEXR frame, scales it down to a
//! given width and encodes it as JPEG or PNG. It does not upload anything or pick file names.
//!
//! It runs on every frame beside a busy renderer, so it is built for speed: full-resolution
//! pixels are touched as few times as possible. PNG and JPEG frames are scaled in their own
//! sample type (8-bit or 16-bit, with SIMD) and only the small result is converted to 8-bit;
//! OpenEXR frames are tone mapped to 8-bit block by block while they are decompressed on a few
//! threads (see `exr_decode`), since a float frame is four times the memory to fill and scale.
//! The other passes over the whole frame run in bands of rows on a few threads (see `pixels`).

mod decode;
mod display;
mod encode;
mod exr_channels;
mod exr_decode;
mod pixels;
mod scale;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_exr;
mod tone_map;

use std::path::{Path, PathBuf};

use framefarm_crds::output::ThumbnailFormat;

use self::decode::decode_frame;
use self::display::to_display_pixels;
use self::encode::encode_thumbnail;
use self::scale::scale_to_width;

/// The file format a thumbnail was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThumbnailFileFormat {
    Png,
    Jpeg,
}

impl ThumbnailFileFormat {
    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
        }
    }

    /// The media type, for the `Content-Type` of an upload.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }
}

/// An encoded thumbnail.
#[derive(Debug)]
pub struct Thumbnail {
    /// The encoded file.
    pub bytes: Vec<u8>,
    pub format: ThumbnailFileFormat,
    pub width: u32,
    pub height: u32,
    /// Whether some pixel of the frame is not fully opaque (its alpha, rounded to 8 bits, is below
    /// 255). `Auto` writes PNG exactly when this is true.
    pub has_alpha: bool,
}

/// Why a thumbnail could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    #[error("failed to read frame {path}")]
    ReadFrame {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to recognise {name} as a PNG, JPEG or OpenEXR image")]
    DetectFormat { name: String },
    #[error("failed to decode {name}")]
    Decode {
        name: String,
        #[source]
        source: image::ImageError,
    },
    #[error("failed to decode the OpenEXR frame {name}")]
    DecodeExr {
        name: String,
        #[source]
        source: exr::error::Error,
    },
    #[error(
        "failed to find colour channels in the OpenEXR frame {name}: it needs R, G, B (and A) or Y, \
         plain or under a prefix such as ViewLayer.Combined., and has {channels}"
    )]
    ExrChannels { name: String, channels: String },
    #[error("failed to thumbnail {name}: its pixel layout {color:?} is not supported")]
    UnsupportedPixels {
        name: String,
        color: image::ColorType,
    },
    #[error(
        "failed to thumbnail {name}: it would need more than 4 GiB for its {width}x{height} pixels"
    )]
    TooLarge {
        name: String,
        width: u32,
        height: u32,
    },
    #[error("failed to view the pixels of {name} for scaling")]
    ViewPixels {
        name: String,
        #[source]
        source: fast_image_resize::ImageBufferError,
    },
    #[error("failed to multiply or divide colour by alpha in {name}")]
    MultiplyAlpha {
        name: String,
        #[source]
        source: fast_image_resize::ImageError,
    },
    #[error("failed to thumbnail {name}: the thumbnail width must be at least 1")]
    ZeroWidth { name: String },
    #[error("failed to scale {name} to {width}x{height}")]
    Scale {
        name: String,
        width: u32,
        height: u32,
        #[source]
        source: fast_image_resize::ResizeError,
    },
    #[error("failed to encode the thumbnail of {name} as {format:?}")]
    Encode {
        name: String,
        format: ThumbnailFileFormat,
        #[source]
        source: image::ImageError,
    },
    #[error(
        "failed to choose a thumbnail format for {path}: its extension must be .png, .jpg or .jpeg"
    )]
    OutputFormat { path: PathBuf },
}

/// Quality of JPEG thumbnails: small files without visible blocks at thumbnail sizes.
const JPEG_QUALITY: u8 = 85;

/// Reads an image file (PNG 8/16-bit, JPEG, OpenEXR), scales it to `width` keeping the aspect
/// ratio (never upscales), and encodes it.
pub fn make_thumbnail(
    path: &Path,
    width: u32,
    format: ThumbnailFormat,
) -> Result<Thumbnail, ThumbnailError> {
    let bytes = std::fs::read(path).map_err(|source| ThumbnailError::ReadFrame {
        path: path.to_owned(),
        source,
    })?;
    make_thumbnail_from_bytes(&path.display().to_string(), &bytes, width, format)
}

/// Same as [`make_thumbnail`], from bytes in memory; `name` is only for error messages and
/// format detection by extension.
pub fn make_thumbnail_from_bytes(
    name: &str,
    bytes: &[u8],
    width: u32,
    format: ThumbnailFormat,
) -> Result<Thumbnail, ThumbnailError> {
    if width == 0 {
        return Err(ThumbnailError::ZeroWidth {
            name: name.to_owned(),
        });
    }
    let frame = decode_frame(name, bytes)?;
    let file_format = match format {
        ThumbnailFormat::Jpeg => ThumbnailFileFormat::Jpeg,
        ThumbnailFormat::Png => ThumbnailFileFormat::Png,
        ThumbnailFormat::Auto if frame.has_alpha => ThumbnailFileFormat::Png,
        ThumbnailFormat::Auto => ThumbnailFileFormat::Jpeg,
    };
    let small = scale_to_width(name, frame, width)?;
    let pixels = to_display_pixels(&small, file_format);
    let bytes = encode_thumbnail(name, &pixels, file_format)?;
    Ok(Thumbnail {
        bytes,
        format: file_format,
        width: pixels.width,
        height: pixels.height,
        has_alpha: small.has_alpha,
    })
}

/// For the `thumbnail <in> <out>` command: the file format the output path's extension asks for
/// (.png / .jpg / .jpeg, in any case), else an error naming the path.
pub fn format_for_output_path(path: &Path) -> Result<ThumbnailFormat, ThumbnailError> {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("png") => Ok(ThumbnailFormat::Png),
        Some("jpg" | "jpeg") => Ok(ThumbnailFormat::Jpeg),
        _ => Err(ThumbnailError::OutputFormat {
            path: path.to_owned(),
        }),
    }
}
