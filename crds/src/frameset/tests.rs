use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

fn set(text: &str) -> FrameSet {
    text.parse()
        .unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn canonical(text: &str) -> String {
    set(text).to_string()
}

#[test]
fn parses_ranges_steps_and_lists() {
    assert_eq!(set("1-240").len(), 240);
    assert_eq!(set("1-240x2").len(), 120);
    assert_eq!(set("1,5,10-20").len(), 13);
    assert_eq!(set("7").frames().collect::<Vec<_>>(), vec![7]);
    assert_eq!(set("0-4x2").frames().collect::<Vec<_>>(), vec![0, 2, 4]);
    assert_eq!(set("007").first(), Some(7));
}

#[test]
fn canonical_form_is_sorted_merged_and_compact() {
    assert_eq!(canonical("1-240"), "1-240");
    assert_eq!(
        canonical("1-240x2"),
        "1-239x2",
        "a stepped range ends on its last frame"
    );
    assert_eq!(canonical("10-20,1,5"), "1,5,10-20");
    assert_eq!(canonical("1-10,5-15"), "1-15");
    assert_eq!(
        canonical("1-9x2,2-10x2"),
        "1-10",
        "interleaved steps merge into one range"
    );
    assert_eq!(canonical("1,3,5"), "1-5x2");
    assert_eq!(canonical("1,2"), "1,2", "two frames are not a range");
    assert_eq!(canonical("1-3,4"), "1-4");
    assert_eq!(canonical("1,3,4,5"), "1,3-5");
    assert_eq!(canonical("5,5,5"), "5");
    assert_eq!(canonical("1-1x7"), "1");
}

#[test]
fn equal_sets_print_the_same_whatever_was_written() {
    let spellings = [
        "1-10",
        "1-5,6-10",
        "10,9,8,7,6,5,4,3,2,1",
        "1-10x1",
        "1-9x2,2-10x2",
    ];
    for spelling in spellings {
        assert_eq!(canonical(spelling), "1-10", "{spelling}");
    }
}

#[test]
fn canonical_strings_parse_back_to_the_same_set() {
    for text in [
        "1-239x2",
        "1,5,10-20",
        "1,2",
        "0",
        "3-9999999x1000",
        "1,3-5,100-200x10",
    ] {
        assert_eq!(set(&canonical(text)), set(text), "{text}");
    }
}

#[test]
fn rejects_malformed_sets_with_a_fix() {
    let error = |text: &str| FrameSet::parse(text).expect_err(text);
    assert_eq!(error(""), FrameSetError::Empty);
    assert_eq!(error("1, 5"), FrameSetError::Whitespace);
    assert!(matches!(error("1,,5"), FrameSetError::EmptyItem { .. }));
    assert!(matches!(error("1,"), FrameSetError::EmptyItem { .. }));
    for text in [
        "1..10", "a-b", "1-", "-5", "1-10x", "5x2", "1-2-3", "1-10x2x3", "+1",
    ] {
        assert!(
            matches!(error(text), FrameSetError::InvalidItem { .. }),
            "{text}"
        );
    }
    assert!(matches!(error("1-10x0"), FrameSetError::ZeroStep { .. }));
    assert_eq!(
        error("20-10"),
        FrameSetError::EndBeforeStart {
            item: "20-10".into(),
            start: 20,
            end: 10
        }
    );
    assert!(
        error("20-10").to_string().contains("10-20"),
        "the message shows the fix"
    );
    assert!(matches!(
        error(&"1,".repeat(5000)),
        FrameSetError::TooLong { .. }
    ));
}

#[test]
fn huge_sets_are_rejected_without_expanding_them() {
    // Ten million frames: counted from the range arithmetic, never listed.
    assert_eq!(
        FrameSet::parse("0-9999999"),
        Err(FrameSetError::TooManyFrames { count: 10_000_000 })
    );
    assert!(matches!(
        FrameSet::parse("1-1000000000"),
        Err(FrameSetError::FrameTooLarge { .. })
    ));
    assert!(matches!(
        FrameSet::parse("1-1000000000000"),
        Err(FrameSetError::FrameTooLarge { .. })
    ));
    assert!(matches!(
        FrameSet::parse("1-600000,1-600000"),
        Err(FrameSetError::TooManyFrames { .. })
    ));
    assert_eq!(set("0-9999999x10").len(), 1_000_000, "exactly at the limit");
}

#[test]
fn huge_runs_stay_a_few_runs_through_every_operation() {
    let trillion = FrameSet::from_run(FrameRun::from_range(0, 999_999_999_999, 1).unwrap());
    assert_eq!(trillion.len(), 1_000_000_000_000);
    assert!(trillion.contains(999_999_999_999));
    assert_eq!(trillion.chunks(1000).next().unwrap().to_string(), "0-999");

    let hole = set("500-600");
    let with_hole = trillion.difference(&hole);
    assert_eq!(with_hole.runs().len(), 2);
    assert_eq!(with_hole.len(), 1_000_000_000_000 - 101);
    assert_eq!(with_hole.union(&hole), trillion);

    let evens = FrameSet::from_run(FrameRun::from_range(0, 999_999_999_999, 2).unwrap());
    let odds = trillion.difference(&evens);
    assert_eq!(odds.runs().len(), 1);
    assert_eq!(odds.to_string(), "1-999999999999x2");
    assert_eq!(trillion.intersection(&evens), evens);
    assert!(evens.is_subset(&trillion));
}

#[test]
fn chunks_split_in_frame_order() {
    let chunks = |text: &str, size| {
        set(text)
            .chunks(size)
            .map(|chunk| chunk.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(chunks("1-25", 10), ["1-10", "11-20", "21-25"]);
    assert_eq!(chunks("1-240x2", 50), ["1-99x2", "101-199x2", "201-239x2"]);
    assert_eq!(
        chunks("1,5,10-20", 3),
        ["1,5,10", "11-13", "14-16", "17-19", "20"]
    );
    assert_eq!(chunks("1-4", 2), ["1,2", "3,4"]);
    assert_eq!(chunks("1-10", 100), ["1-10"]);
    assert!(chunks("1-10", 0).is_empty());
    assert!(FrameSet::new().chunks(10).next().is_none());
}

#[test]
fn difference_gives_the_frames_still_to_render() {
    let missing = |all: &str, done: &str| set(all).difference(&set(done)).to_string();
    assert_eq!(missing("1-100", "1-100x2"), "2-100x2");
    assert_eq!(missing("1-100", "50"), "1-49,51-100");
    assert_eq!(missing("1-100", "1-40,61-100"), "41-60");
    assert_eq!(missing("1-10", "1-10"), "");
    assert_eq!(missing("1-12", "1-12x3"), "2,3,5,6,8,9,11,12");
    assert_eq!(missing("1-10", "20-30"), "1-10");
}

#[test]
fn insert_keeps_the_canonical_form() {
    let mut rendered = FrameSet::new();
    for frame in [5, 1, 3, 2, 4, 9] {
        rendered.insert(frame);
    }
    assert_eq!(rendered.to_string(), "1-5,9");
    rendered.insert(3);
    assert_eq!(rendered.len(), 6);
}

#[test]
fn bounded_strings_cut_at_a_run_and_say_what_is_missing() {
    let scattered = FrameSet::from_frames((0..10_000).map(|i| i * 10 + i % 3));
    let text = scattered.to_bounded_string(200);
    assert!(text.len() <= 200, "{} bytes", text.len());
    assert!(text.ends_with("more frames"), "{text}");
    assert_eq!(set("1-10").to_bounded_string(200), "1-10");
    assert_eq!(set("1,3,4,8").to_bounded_string(2), "…and 4 more frames");
}

#[test]
fn a_bounded_string_reads_back_as_the_frames_it_lists() {
    let scattered = FrameSet::from_frames((0..10_000).map(|i| i * 10 + i % 3));
    let (listed, cut) = FrameSet::parse_bounded(&scattered.to_bounded_string(200)).unwrap();
    assert!(cut);
    assert!(!listed.is_empty() && listed.is_subset(&scattered));
    assert_eq!(
        FrameSet::parse_bounded("1-10").unwrap(),
        (set("1-10"), false)
    );
    assert_eq!(
        FrameSet::parse_bounded("…and 4 more frames").unwrap(),
        (FrameSet::new(), true)
    );
    assert!(FrameSet::parse_bounded("1-x").is_err());
    assert_eq!(
        FrameSet::from_status(Some("1-4 …and 9 more frames")),
        set("1-4")
    );
    assert_eq!(FrameSet::from_status(Some("1-x")), FrameSet::new());
    assert_eq!(FrameSet::from_status(Some("")), FrameSet::new());
    assert_eq!(FrameSet::from_status(None), FrameSet::new());
}

#[test]
fn union_all_joins_chunks_back_into_the_shot() {
    let shot = set("1-1000x3,2000-2500");
    let chunks: Vec<FrameSet> = shot.chunks(7).collect();
    assert_eq!(FrameSet::union_all(&chunks), shot);
    let overlapping = [set("1-10"), set("5-20"), set("15-30x5")];
    assert_eq!(FrameSet::union_all(&overlapping).to_string(), "1-20,25,30");
}

fn model(frames: &BTreeSet<u64>) -> FrameSet {
    FrameSet::from_frames(frames.iter().copied())
}

fn frames_strategy() -> impl Strategy<Value = BTreeSet<u64>> {
    prop_oneof![
        proptest::collection::btree_set(0u64..120, 0..60),
        // Runs with steps, the shapes users write.
        proptest::collection::vec((0u64..400, 1u64..40, 1u64..40), 0..5).prop_map(|runs| {
            runs.into_iter()
                .flat_map(|(first, step, count)| (0..count).map(move |i| first + i * step))
                .collect()
        }),
    ]
}

proptest! {
    #[test]
    fn set_algebra_matches_a_plain_set(left in frames_strategy(), right in frames_strategy()) {
        let (a, b) = (model(&left), model(&right));
        prop_assert_eq!(a.union(&b), model(&left.union(&right).copied().collect()));
        prop_assert_eq!(a.intersection(&b), model(&left.intersection(&right).copied().collect()));
        prop_assert_eq!(a.difference(&b), model(&left.difference(&right).copied().collect()));
        prop_assert_eq!(a.len(), left.len() as u64);
        for frame in 0..2000 {
            prop_assert_eq!(a.contains(frame), left.contains(&frame));
        }
    }

    #[test]
    fn display_round_trips_and_is_canonical(frames in frames_strategy()) {
        let built = model(&frames);
        prop_assert_eq!(built.frames().collect::<BTreeSet<_>>(), frames.clone());
        if !built.is_empty() {
            let reparsed: FrameSet = built.to_string().parse().unwrap();
            prop_assert_eq!(&reparsed, &built);
        }
        let mut inserted = FrameSet::new();
        for frame in frames.iter().rev() {
            inserted.insert(*frame);
        }
        prop_assert_eq!(inserted, built);
    }

    #[test]
    fn chunks_partition_the_set(frames in frames_strategy(), size in 1u64..13) {
        let built = model(&frames);
        let chunks: Vec<FrameSet> = built.chunks(size).collect();
        let mut previous_last = None;
        for (index, chunk) in chunks.iter().enumerate() {
            if index + 1 < chunks.len() {
                prop_assert_eq!(chunk.len(), size);
            }
            prop_assert!(previous_last < chunk.first());
            previous_last = chunk.last();
            prop_assert_eq!(chunk, &model(&chunk.frames().collect()));
        }
        prop_assert_eq!(FrameSet::union_all(&chunks), built);
    }
}
