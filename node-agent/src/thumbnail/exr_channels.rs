//! Choosing which layer and channels of an OpenEXR file make the thumbnail: plain `R`, `G`, `B`
//! (and `A`), the Combined pass of a Blender multilayer file (`ViewLayer.Combined.R` ...), another
//! RGB pass, or gray `Y`. It reads headers only, no pixels.

use exr::meta::header::Header;
use exr::prelude::SampleType;
use fast_image_resize::PixelType;

use super::ThumbnailError;

/// The channels of one layer (header) that the thumbnail is made of.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ExrChannels {
    /// Index of the header in the file.
    pub header: usize,
    /// The decoded frame's layout: U8, U8x2, U8x3 or U8x4.
    pub pixel_type: PixelType,
    /// For each channel of the header, in its order, where its samples go in a pixel; `None`
    /// for channels that are not read.
    pub targets: Vec<Option<ChannelTarget>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ChannelTarget {
    /// Sample index within the decoded pixel.
    pub offset: usize,
    pub alpha: bool,
}

/// How good a set of channels is; lower is better, and ties go to the first in the file, whose
/// channels are sorted by name, so the alphabetically first view layer wins among equals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// `R`, `G`, `B`, as a single-layer file names them.
    PlainRgb,
    /// `<layer>.Combined.R` ...: Blender's full render of a view layer.
    CombinedRgb,
    /// Some other pass with RGB channels, such as `ViewLayer.DiffCol.R`.
    OtherRgb,
    /// `Y`, or `<layer>.Combined.Y`.
    Gray,
}

/// Picks the best channel set in `headers`, else an error listing every channel there is.
pub(super) fn choose_channels(
    name: &str,
    headers: &[Header],
) -> Result<ExrChannels, ThumbnailError> {
    let mut best: Option<(Rank, ExrChannels)> = None;
    for (index, header) in headers.iter().enumerate() {
        if header.deep {
            continue;
        }
        for (rank, channels) in channel_sets(index, header) {
            if best.as_ref().is_none_or(|(best_rank, _)| rank < *best_rank) {
                best = Some((rank, channels));
            }
        }
    }
    best.map(|(_, channels)| channels)
        .ok_or_else(|| ThumbnailError::ExrChannels {
            name: name.to_owned(),
            channels: describe_channels(headers),
        })
}

/// Every RGB(A) and Y(A) set in a header, with its rank.
fn channel_sets(index: usize, header: &Header) -> Vec<(Rank, ExrChannels)> {
    // Only float channels sampled at every pixel can be tone mapped; u32 channels hold ids.
    let names: Vec<Option<String>> = header
        .channels
        .list
        .iter()
        .map(|channel| {
            let usable = matches!(channel.sample_type, SampleType::F16 | SampleType::F32)
                && channel.sampling.x() == 1
                && channel.sampling.y() == 1;
            usable.then(|| channel.name.to_string())
        })
        .collect();
    let find = |wanted: &str| {
        names
            .iter()
            .position(|name| name.as_deref() == Some(wanted))
    };
    let layer = layer_prefix(header);
    let mut sets = Vec::new();
    for name in names.iter().flatten() {
        let Some((prefix, last)) = name
            .char_indices()
            .last()
            .map(|(at, last)| (&name[..at], last))
        else {
            continue;
        };
        if !(prefix.is_empty() || prefix.ends_with('.')) {
            continue;
        }
        // A multipart file may name its layer in the header instead of in each channel.
        let qualified = format!("{layer}{prefix}");
        let combined = qualified.ends_with("Combined.");
        let alpha = find(&format!("{prefix}A"));
        let (rank, colour) = match last {
            'R' => {
                let green = find(&format!("{prefix}G"));
                let blue = find(&format!("{prefix}B"));
                let (Some(red), Some(green), Some(blue)) = (find(name), green, blue) else {
                    continue;
                };
                let rank = match (qualified.is_empty(), combined) {
                    (true, _) => Rank::PlainRgb,
                    (false, true) => Rank::CombinedRgb,
                    (false, false) => Rank::OtherRgb,
                };
                (rank, vec![red, green, blue])
            }
            // Y is also the second component of normals and vectors; only a plain or Combined Y
            // is a picture.
            'Y' if qualified.is_empty() || combined => match find(name) {
                Some(gray) => (Rank::Gray, vec![gray]),
                None => continue,
            },
            _ => continue,
        };
        sets.push((rank, layout(index, names.len(), &colour, alpha)));
    }
    sets
}

fn layout(header: usize, count: usize, colour: &[usize], alpha: Option<usize>) -> ExrChannels {
    let mut targets = vec![None; count];
    for (offset, &channel) in colour.iter().enumerate() {
        targets[channel] = Some(ChannelTarget {
            offset,
            alpha: false,
        });
    }
    if let Some(channel) = alpha {
        targets[channel] = Some(ChannelTarget {
            offset: colour.len(),
            alpha: true,
        });
    }
    let pixel_type = match (colour.len(), alpha.is_some()) {
        (1, false) => PixelType::U8,
        (1, true) => PixelType::U8x2,
        (_, false) => PixelType::U8x3,
        (_, true) => PixelType::U8x4,
    };
    ExrChannels {
        header,
        pixel_type,
        targets,
    }
}

/// `ViewLayer.` for a header of a named layer, else nothing: channel names are relative to it.
fn layer_prefix(header: &Header) -> String {
    header
        .own_attributes
        .layer_name
        .as_ref()
        .map(|layer| format!("{layer}."))
        .unwrap_or_default()
}

/// `ViewLayer.Depth.Z (f32), ID (u32)`: every channel, qualified by its header's layer name.
fn describe_channels(headers: &[Header]) -> String {
    let mut described = Vec::new();
    for header in headers {
        let layer = layer_prefix(header);
        for channel in &header.channels.list {
            let kind = match channel.sample_type {
                SampleType::F16 => "f16",
                SampleType::F32 => "f32",
                SampleType::U32 => "u32",
            };
            described.push(format!("{layer}{} ({kind})", channel.name));
        }
    }
    if described.is_empty() {
        "no channels".to_owned()
    } else {
        described.join(", ")
    }
}
