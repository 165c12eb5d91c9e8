//! The animated preview: the thumbnails in frame order as a GIF that loops forever at about
//! 12 frames a second, at most 320 pixels wide. Every frame is drawn whole on a canvas the
//! size of the largest, so players never show a previous frame through a smaller one.

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, DynamicImage, Frame, RgbImage, RgbaImage};

use super::{BACKGROUND, PreviewError, draw_over, fit_width};

/// Frames per second the animation plays at; GIF keeps delays in hundredths of a second, so
/// players show 12.5.
pub const ANIMATION_FPS: u32 = 12;
/// The widest the animation gets.
pub const ANIMATION_WIDTH: u32 = 320;
/// Colour quantisation effort, 1 (best) to 30 (fastest); 10 is image's default balance.
const QUANTISATION_SPEED: i32 = 10;

/// The animation of `thumbnails`, as GIF.
pub fn animation(thumbnails: &[RgbaImage]) -> Result<Vec<u8>, PreviewError> {
    if thumbnails.is_empty() {
        return Err(PreviewError::NoThumbnails { what: "animation" });
    }
    let scaled: Vec<RgbaImage> = thumbnails
        .iter()
        .map(|thumbnail| fit_width(thumbnail, ANIMATION_WIDTH))
        .collect();
    let width = scaled.iter().map(RgbaImage::width).max().unwrap_or(1);
    let height = scaled.iter().map(RgbaImage::height).max().unwrap_or(1);
    let delay = Delay::from_numer_denom_ms(1000, ANIMATION_FPS);
    let frames = scaled.iter().map(|thumbnail| {
        let mut canvas = RgbImage::from_pixel(width, height, BACKGROUND);
        let left = (width - thumbnail.width()) / 2;
        let top = (height - thumbnail.height()) / 2;
        draw_over(&mut canvas, thumbnail, left, top);
        Frame::from_parts(DynamicImage::ImageRgb8(canvas).into_rgba8(), 0, 0, delay)
    });
    let failed = |source| PreviewError::Encode {
        what: "animation",
        source,
    };
    let mut gif = Vec::new();
    {
        // The encoder writes the GIF trailer when it is dropped.
        let mut encoder = GifEncoder::new_with_speed(&mut gif, QUANTISATION_SPEED);
        encoder.set_repeat(Repeat::Infinite).map_err(failed)?;
        encoder.encode_frames(frames).map_err(failed)?;
    }
    Ok(gif)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use std::io::Cursor;

    use image::codecs::gif::GifDecoder;
    use image::{AnimationDecoder, Rgba};

    use super::*;

    fn decode(gif: &[u8]) -> Vec<Frame> {
        GifDecoder::new(Cursor::new(gif))
            .unwrap()
            .into_frames()
            .collect_frames()
            .unwrap()
    }

    #[test]
    fn every_thumbnail_is_a_frame_in_order_at_about_twelve_per_second() {
        let shades = [0u8, 80, 160, 240];
        let thumbnails: Vec<RgbaImage> = shades
            .iter()
            .map(|shade| RgbaImage::from_pixel(48, 27, Rgba([*shade, *shade, *shade, 255])))
            .collect();
        let frames = decode(&animation(&thumbnails).unwrap());
        assert_eq!(frames.len(), 4);
        for (frame, shade) in frames.iter().zip(shades) {
            assert_eq!(frame.buffer().dimensions(), (48, 27));
            let pixel = frame.buffer().get_pixel(24, 13);
            assert!(pixel[0].abs_diff(shade) <= 8, "{pixel:?} is about {shade}");
            let (numerator, denominator) = frame.delay().numer_denom_ms();
            let millis = numerator / denominator;
            assert!((75..=90).contains(&millis), "{millis} ms per frame");
        }
    }

    #[test]
    fn the_animation_loops_forever() {
        let thumbnails = vec![RgbaImage::new(8, 8); 2];
        let gif = animation(&thumbnails).unwrap();
        // The NETSCAPE2.0 application extension with a loop count of 0: repeat forever.
        let looping = b"NETSCAPE2.0\x03\x01\x00\x00";
        assert!(gif.windows(looping.len()).any(|window| window == looping));
    }

    #[test]
    fn frames_are_at_most_320_wide_on_one_canvas() {
        let thumbnails = [RgbaImage::new(640, 360), RgbaImage::new(100, 200)];
        let frames = decode(&animation(&thumbnails).unwrap());
        assert_eq!(frames.len(), 2);
        for frame in &frames {
            assert_eq!(frame.buffer().dimensions(), (320, 200));
        }
    }

    #[test]
    fn no_thumbnails_make_no_animation() {
        assert!(matches!(
            animation(&[]),
            Err(PreviewError::NoThumbnails { .. })
        ));
    }
}
