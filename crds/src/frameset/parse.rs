//! Parses `1-240`, `1-240x2`, `1,5,10-20` into a [`FrameSet`], within the product limits.
//!
//! Every item is checked before any set is built, and the frame count is computed from the
//! items' arithmetic, so `0-9999999` is rejected in microseconds instead of being expanded.

use thiserror::Error;

use super::{FrameRun, FrameSet};
use crate::limits::{MAX_FRAME_NUMBER, MAX_FRAME_SET_LENGTH, MAX_FRAMES_PER_SHOT};

/// Why a frame set string was rejected. Messages say what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameSetError {
    #[error("no frames given; write frames such as 1-240, 1-240x2 or 1,5,10-20")]
    Empty,
    #[error("frame sets have no spaces; write them like 1,5,10-20")]
    Whitespace,
    #[error("frame set is {length} characters long; at most {MAX_FRAME_SET_LENGTH} are allowed")]
    TooLong { length: usize },
    #[error(
        "empty item in '{text}' (two commas in a row, or a comma at the start or end); \
         separate items with single commas, e.g. 1,5,10-20"
    )]
    EmptyItem { text: String },
    #[error("'{item}' is not a frame, a range or a stepped range; write 12, 1-240 or 1-240x2")]
    InvalidItem { item: String },
    #[error("'{item}' names a frame above {MAX_FRAME_NUMBER}, the largest frame number allowed")]
    FrameTooLarge { item: String },
    #[error("'{item}' has step 0; a step is at least 1, e.g. 1-240x2 renders every other frame")]
    ZeroStep { item: String },
    #[error("'{item}' ends before it starts; write the range low to high, e.g. {end}-{start}")]
    EndBeforeStart { item: String, start: u64, end: u64 },
    #[error(
        "lists {count} frames; at most {MAX_FRAMES_PER_SHOT} frames are allowed, \
         so split the work into several shots"
    )]
    TooManyFrames { count: u64 },
}

pub(super) fn parse(text: &str) -> Result<FrameSet, FrameSetError> {
    if text.is_empty() {
        return Err(FrameSetError::Empty);
    }
    if text.chars().any(char::is_whitespace) {
        return Err(FrameSetError::Whitespace);
    }
    if text.len() > MAX_FRAME_SET_LENGTH {
        return Err(FrameSetError::TooLong { length: text.len() });
    }
    let runs = text
        .split(',')
        .map(|item| parse_item(item, text))
        .collect::<Result<Vec<_>, _>>()?;
    // Overlapping items are counted twice here; that only makes the limit stricter.
    let count: u64 = runs.iter().map(FrameRun::len).sum();
    if count > MAX_FRAMES_PER_SHOT {
        return Err(FrameSetError::TooManyFrames { count });
    }
    Ok(FrameSet::from_runs(runs))
}

fn parse_item(item: &str, text: &str) -> Result<FrameRun, FrameSetError> {
    if item.is_empty() {
        return Err(FrameSetError::EmptyItem {
            text: text.to_owned(),
        });
    }
    let invalid = || FrameSetError::InvalidItem {
        item: item.to_owned(),
    };
    let (range, step) = match item.split_once('x') {
        Some((range, step)) => (range, Some(step)),
        None => (item, None),
    };
    let (start, end) = match range.split_once('-') {
        Some((start, end)) => (start, Some(end)),
        None => (range, None),
    };
    if step.is_some() && end.is_none() {
        return Err(invalid());
    }
    let number = |digits: &str| -> Result<u64, FrameSetError> {
        if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(invalid());
        }
        match digits.parse::<u64>() {
            Ok(value) if value <= MAX_FRAME_NUMBER => Ok(value),
            _ => Err(FrameSetError::FrameTooLarge {
                item: item.to_owned(),
            }),
        }
    };
    let start = number(start)?;
    let end = end.map(number).transpose()?.unwrap_or(start);
    let step = step.map(number).transpose()?.unwrap_or(1);
    if step == 0 {
        return Err(FrameSetError::ZeroStep {
            item: item.to_owned(),
        });
    }
    if end < start {
        return Err(FrameSetError::EndBeforeStart {
            item: item.to_owned(),
            start,
            end,
        });
    }
    FrameRun::from_range(start, end, step).ok_or_else(invalid)
}
