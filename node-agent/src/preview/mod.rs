//! A shot's preview, made from its thumbnails: which frames to show, which stored thumbnail
//! belongs to each, a contact sheet (a PNG grid) and an animation (a looping GIF). Pure: the
//! thumbnails are fetched and the results stored by `shot_preview`.

mod animation;
mod selection;
mod sheet;

use image::{Rgb, RgbImage, RgbaImage};
use thiserror::Error;

pub use animation::{ANIMATION_FPS, ANIMATION_WIDTH, animation};
pub use selection::{MAX_PREVIEW_FRAMES, match_thumbnails, pick_frames};
pub use sheet::{MAX_COLUMNS, MAX_SHEET_CELL_WIDTH, SHEET_GAP, contact_sheet, sheet_columns};

/// The colour behind thumbnails, and under their transparent pixels.
pub const BACKGROUND: Rgb<u8> = Rgb([24, 24, 24]);

/// Why a preview image could not be made.
#[derive(Debug, Error)]
pub enum PreviewError {
    #[error("failed to make the {what}: there are no thumbnails to show")]
    NoThumbnails { what: &'static str },
    #[error("failed to encode the {what}: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: image::ImageError,
    },
}

/// `image` scaled down to at most `width` pixels across, keeping its aspect ratio; an image
/// that is not wider comes back as it is.
fn fit_width(image: &RgbaImage, width: u32) -> RgbaImage {
    if image.width() <= width {
        return image.clone();
    }
    let height = (u64::from(image.height()) * u64::from(width))
        .div_ceil(u64::from(image.width()))
        .max(1);
    let height = u32::try_from(height).unwrap_or(u32::MAX);
    image::imageops::resize(image, width, height, image::imageops::FilterType::Triangle)
}

/// Draws `image` onto `canvas` with its top left corner at `(left, top)`, blending its
/// transparent pixels with what is underneath.
fn draw_over(canvas: &mut RgbImage, image: &RgbaImage, left: u32, top: u32) {
    for (x, y, pixel) in image.enumerate_pixels() {
        let (Some(cx), Some(cy)) = (left.checked_add(x), top.checked_add(y)) else {
            continue;
        };
        if cx >= canvas.width() || cy >= canvas.height() {
            continue;
        }
        let alpha = u32::from(pixel[3]);
        let under = canvas.get_pixel(cx, cy);
        let blend = |over: u8, under: u8| {
            let mixed = (u32::from(over) * alpha + u32::from(under) * (255 - alpha) + 127) / 255;
            u8::try_from(mixed).unwrap_or(u8::MAX)
        };
        let blended = Rgb([
            blend(pixel[0], under[0]),
            blend(pixel[1], under[1]),
            blend(pixel[2], under[2]),
        ]);
        canvas.put_pixel(cx, cy, blended);
    }
}

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;

    #[test]
    fn wide_images_are_scaled_down_and_narrow_ones_kept() {
        let wide = RgbaImage::new(640, 360);
        assert_eq!(fit_width(&wide, 320).dimensions(), (320, 180));
        let narrow = RgbaImage::new(100, 50);
        assert_eq!(fit_width(&narrow, 320).dimensions(), (100, 50));
        let sliver = RgbaImage::new(1000, 1);
        assert_eq!(fit_width(&sliver, 10).dimensions(), (10, 1));
    }

    #[test]
    fn transparent_pixels_show_what_is_underneath() {
        let mut canvas = RgbImage::from_pixel(2, 1, BACKGROUND);
        let mut image = RgbaImage::new(2, 1);
        image.put_pixel(0, 0, Rgba([255, 0, 0, 255]));
        image.put_pixel(1, 0, Rgba([255, 0, 0, 0]));
        draw_over(&mut canvas, &image, 0, 0);
        assert_eq!(*canvas.get_pixel(0, 0), Rgb([255, 0, 0]));
        assert_eq!(*canvas.get_pixel(1, 0), BACKGROUND);
    }
}
