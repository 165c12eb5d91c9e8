//! Which frames a preview shows — at most 100, spread evenly over the shot, always with its
//! first and last — and which listed thumbnail belongs to each. A thumbnail's extension (JPEG
//! or PNG) is decided per frame, so thumbnails are matched by the stem of their name.

use std::collections::{BTreeMap, HashMap};

use framefarm_crds::FrameSet;
use framefarm_crds::output::OutputNaming;

use crate::storage::ListedObject;

/// The most frames a preview shows.
pub const MAX_PREVIEW_FRAMES: usize = 100;

/// Extensions thumbnails are written with.
const THUMBNAIL_EXTENSIONS: &[&str] = &["jpg", "png"];

/// At most `max` of `frames`, in frame order, evenly spread and including the first and the
/// last frame.
pub fn pick_frames(frames: &FrameSet, max: usize) -> Vec<u64> {
    let count = frames.len();
    let max = max as u64;
    if count <= max {
        return frames.frames().collect();
    }
    if max < 2 {
        return frames.first().into_iter().take(max as usize).collect();
    }
    // Index i of max lands at floor(i × (count-1) / (max-1)): 0 first, count-1 last, and
    // strictly increasing since count > max.
    let wanted = (0..max).map(|index| index * (count - 1) / (max - 1));
    let mut picked = Vec::with_capacity(max as usize);
    let mut runs = frames.runs().iter();
    let mut run = runs.next();
    let mut run_start = 0;
    for index in wanted {
        while let Some(current) = run {
            if index < run_start + current.len() {
                break;
            }
            run_start += current.len();
            run = runs.next();
        }
        if let Some(current) = run {
            picked.push(current.first() + (index - run_start) * current.step());
        }
    }
    picked
}

/// The thumbnail key of each of `frames` among `listed` (objects under `thumbnail_prefix`).
/// Where a frame has both a JPEG and a PNG thumbnail, the newer is taken: the other is left
/// from a render with other settings.
pub fn match_thumbnails(
    listed: &[ListedObject],
    thumbnail_prefix: &str,
    naming: &OutputNaming,
    frames: &[u64],
) -> BTreeMap<u64, String> {
    // `file_name` with an empty extension leaves the stem and a trailing dot.
    let stems: HashMap<String, u64> = frames
        .iter()
        .map(|frame| (naming.file_name(*frame, ""), *frame))
        .collect();
    let mut chosen: BTreeMap<u64, &ListedObject> = BTreeMap::new();
    for object in listed {
        let Some(name) = object.key.strip_prefix(thumbnail_prefix) else {
            continue;
        };
        let Some((stem, extension)) = name.rsplit_once('.') else {
            continue;
        };
        let known = THUMBNAIL_EXTENSIONS
            .iter()
            .any(|known| extension.eq_ignore_ascii_case(known));
        if !known || object.size == 0 {
            continue;
        }
        let Some(frame) = stems.get(&format!("{stem}.")) else {
            continue;
        };
        let newer = chosen
            .get(frame)
            .is_none_or(|earlier| object.last_modified >= earlier.last_modified);
        if newer {
            chosen.insert(*frame, object);
        }
    }
    chosen
        .into_iter()
        .map(|(frame, object)| (frame, object.key.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use std::time::{Duration, SystemTime};

    use super::*;

    fn set(text: &str) -> FrameSet {
        FrameSet::parse(text).unwrap()
    }

    #[test]
    fn a_short_shot_shows_every_frame() {
        assert_eq!(pick_frames(&set("1-5,9"), 100), [1, 2, 3, 4, 5, 9]);
    }

    #[test]
    fn a_long_shot_shows_evenly_spread_frames_from_first_to_last() {
        let picked = pick_frames(&set("1001-1240"), 100);
        assert_eq!(picked.len(), 100);
        assert_eq!(picked.first(), Some(&1001));
        assert_eq!(picked.last(), Some(&1240));
        assert!(picked.windows(2).all(|pair| pair[0] < pair[1]));
        let gaps: Vec<u64> = picked.windows(2).map(|pair| pair[1] - pair[0]).collect();
        assert!(gaps.iter().all(|gap| (2..=3).contains(gap)), "{gaps:?}");
    }

    #[test]
    fn frames_are_picked_across_runs_and_steps() {
        let frames = set("1-99x2,500-549,10000");
        let picked = pick_frames(&frames, 10);
        assert_eq!(picked.len(), 10);
        assert_eq!(picked.first(), Some(&1));
        assert_eq!(picked.last(), Some(&10000));
        assert!(picked.iter().all(|frame| frames.contains(*frame)));
        assert!(picked.windows(2).all(|pair| pair[0] < pair[1]));
        let million = FrameSet::parse("1-1000000").unwrap();
        assert_eq!(pick_frames(&million, 3), [1, 500000, 1000000]);
        assert_eq!(pick_frames(&million, 1), [1]);
        assert!(pick_frames(&million, 0).is_empty());
    }

    fn listed(key: &str, size: u64, age_seconds: u64) -> ListedObject {
        ListedObject {
            key: key.to_owned(),
            size,
            last_modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000 - age_seconds)),
        }
    }

    #[test]
    fn thumbnails_are_matched_by_stem_whatever_their_extension() {
        let naming = OutputNaming::parse("beauty/sh010_{frame:04}").unwrap();
        let prefix = "out/v1/thumbs/";
        let objects = [
            listed("out/v1/thumbs/beauty/sh010_0001.jpg", 10, 0),
            listed("out/v1/thumbs/beauty/sh010_0002.png", 10, 0),
            listed("out/v1/thumbs/beauty/sh010_0003.exr", 10, 0),
            listed("out/v1/thumbs/beauty/sh010_0004.jpg", 0, 0),
            listed("out/v1/thumbs/beauty/sh010_00050.jpg", 10, 0),
            listed("out/v1/thumbs/beauty/sh010_0006.JPG", 10, 0),
            listed("out/v1/thumbs/beauty/sh010_0099.jpg", 10, 0),
        ];
        let matched = match_thumbnails(&objects, prefix, &naming, &[1, 2, 3, 4, 5, 6]);
        let expected: BTreeMap<u64, String> = [
            (1, "out/v1/thumbs/beauty/sh010_0001.jpg"),
            (2, "out/v1/thumbs/beauty/sh010_0002.png"),
            (6, "out/v1/thumbs/beauty/sh010_0006.JPG"),
        ]
        .into_iter()
        .map(|(frame, key)| (frame, key.to_owned()))
        .collect();
        assert_eq!(matched, expected);
    }

    #[test]
    fn of_two_thumbnails_of_a_frame_the_newer_is_taken() {
        let naming = OutputNaming::parse("frame_{frame:04}").unwrap();
        let objects = [
            listed("thumbs/frame_0001.jpg", 10, 100),
            listed("thumbs/frame_0001.png", 10, 5),
            listed("thumbs/frame_0002.jpg", 10, 5),
            listed("thumbs/frame_0002.png", 10, 100),
        ];
        let matched = match_thumbnails(&objects, "thumbs/", &naming, &[1, 2]);
        assert_eq!(matched[&1], "thumbs/frame_0001.png");
        assert_eq!(matched[&2], "thumbs/frame_0002.jpg");
    }
}
