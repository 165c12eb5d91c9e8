//! The contact sheet: thumbnails in frame order on a grid, left to right and top to bottom,
//! with small gaps on a dark background, encoded as PNG. Each thumbnail is centred in a cell
//! the size of the largest, so thumbnails of different sizes still line up.

use std::io::Cursor;

use image::{ImageFormat, RgbImage, RgbaImage};

use super::{BACKGROUND, PreviewError, draw_over, fit_width};

/// Pixels between cells and around the grid.
pub const SHEET_GAP: u32 = 4;
/// The most columns a sheet has.
pub const MAX_COLUMNS: u32 = 10;
/// Thumbnails wider than this are scaled down for the sheet, so 100 large thumbnails still
/// make a sheet a browser opens.
pub const MAX_SHEET_CELL_WIDTH: u32 = 320;

/// Columns of a sheet of `count` thumbnails: a square grid, at most [`MAX_COLUMNS`] wide.
pub fn sheet_columns(count: usize) -> u32 {
    let count = u32::try_from(count).unwrap_or(u32::MAX);
    let mut columns = 1;
    while columns < MAX_COLUMNS && columns * columns < count {
        columns += 1;
    }
    columns
}

/// The contact sheet of `thumbnails`, as PNG.
pub fn contact_sheet(thumbnails: &[RgbaImage]) -> Result<Vec<u8>, PreviewError> {
    let sheet = lay_out(thumbnails)?;
    let mut png = Cursor::new(Vec::new());
    sheet
        .write_to(&mut png, ImageFormat::Png)
        .map_err(|source| PreviewError::Encode {
            what: "contact sheet",
            source,
        })?;
    Ok(png.into_inner())
}

fn lay_out(thumbnails: &[RgbaImage]) -> Result<RgbImage, PreviewError> {
    if thumbnails.is_empty() {
        return Err(PreviewError::NoThumbnails {
            what: "contact sheet",
        });
    }
    let cells: Vec<RgbaImage> = thumbnails
        .iter()
        .map(|thumbnail| fit_width(thumbnail, MAX_SHEET_CELL_WIDTH))
        .collect();
    let cell_width = cells.iter().map(RgbaImage::width).max().unwrap_or(1);
    let cell_height = cells.iter().map(RgbaImage::height).max().unwrap_or(1);
    let columns = sheet_columns(cells.len());
    let rows = u32::try_from(cells.len())
        .unwrap_or(u32::MAX)
        .div_ceil(columns);
    let span = |count: u32, cell: u32| count * cell + (count + 1) * SHEET_GAP;
    let mut sheet = RgbImage::from_pixel(
        span(columns, cell_width),
        span(rows, cell_height),
        BACKGROUND,
    );
    for (index, cell) in (0u32..).zip(&cells) {
        let (column, row) = (index % columns, index / columns);
        let left = SHEET_GAP + column * (cell_width + SHEET_GAP) + (cell_width - cell.width()) / 2;
        let top = SHEET_GAP + row * (cell_height + SHEET_GAP) + (cell_height - cell.height()) / 2;
        draw_over(&mut sheet, cell, left, top);
    }
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use image::{Rgb, Rgba};

    use super::*;

    fn solid(width: u32, height: u32, colour: [u8; 3]) -> RgbaImage {
        RgbaImage::from_pixel(width, height, Rgba([colour[0], colour[1], colour[2], 255]))
    }

    #[test]
    fn the_grid_is_square_up_to_ten_columns() {
        let columns: Vec<u32> = [1, 2, 4, 5, 9, 10, 99, 100, 150]
            .into_iter()
            .map(sheet_columns)
            .collect();
        assert_eq!(columns, [1, 2, 2, 3, 3, 4, 10, 10, 10]);
    }

    #[test]
    fn thumbnails_fill_the_grid_in_frame_order_with_gaps_between() {
        let colours = [
            [200, 0, 0],
            [0, 200, 0],
            [0, 0, 200],
            [200, 200, 0],
            [0, 200, 200],
        ];
        let thumbnails: Vec<RgbaImage> = colours
            .iter()
            .map(|colour| solid(64, 36, *colour))
            .collect();
        let png = contact_sheet(&thumbnails).unwrap();
        let sheet = image::load_from_memory_with_format(&png, ImageFormat::Png)
            .unwrap()
            .to_rgb8();
        // Five thumbnails: three columns, two rows.
        assert_eq!(
            sheet.dimensions(),
            (3 * 64 + 4 * SHEET_GAP, 2 * 36 + 3 * SHEET_GAP)
        );
        let centre = |column: u32, row: u32| {
            *sheet.get_pixel(
                SHEET_GAP + column * (64 + SHEET_GAP) + 32,
                SHEET_GAP + row * (36 + SHEET_GAP) + 18,
            )
        };
        assert_eq!(centre(0, 0), Rgb(colours[0]));
        assert_eq!(centre(2, 0), Rgb(colours[2]));
        assert_eq!(centre(0, 1), Rgb(colours[3]));
        assert_eq!(centre(1, 1), Rgb(colours[4]));
        assert_eq!(centre(2, 1), BACKGROUND, "the last cell is empty");
        assert_eq!(*sheet.get_pixel(0, 0), BACKGROUND);
        assert_eq!(*sheet.get_pixel(SHEET_GAP + 64, 10), BACKGROUND, "a gap");
    }

    #[test]
    fn large_thumbnails_are_scaled_and_small_ones_centred() {
        let thumbnails = [
            solid(640, 360, [255, 255, 255]),
            solid(100, 50, [255, 0, 0]),
        ];
        let sheet = lay_out(&thumbnails).unwrap();
        assert_eq!(
            sheet.dimensions(),
            (2 * 320 + 3 * SHEET_GAP, 180 + 2 * SHEET_GAP)
        );
        let cell_left = SHEET_GAP + 320 + SHEET_GAP;
        assert_eq!(
            *sheet.get_pixel(cell_left + 160, SHEET_GAP + 90),
            Rgb([255, 0, 0])
        );
        assert_eq!(*sheet.get_pixel(cell_left + 5, SHEET_GAP + 90), BACKGROUND);
    }

    #[test]
    fn no_thumbnails_make_no_sheet() {
        assert!(matches!(
            contact_sheet(&[]),
            Err(PreviewError::NoThumbnails { .. })
        ));
    }
}
