//! The apiserver (CEL rules) and the operator (`FrameSet::parse`) judge frame sets the same
//! way: admission never refuses a set the operator accepts, and never accepts one it refuses —
//! except lists of several items with a semantic problem, which CEL cannot compute and the
//! operator reports instead. For a single range the two agree exactly.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "helpers of integration tests fail the test on unexpected input"
)]

use std::sync::LazyLock;

use framefarm_crds::FrameSet;
use framefarm_tests::admission::Catalog;
use framefarm_tests::manifests::repo_root;
use proptest::prelude::*;
use serde_json::{Value, json};

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::from_dir(&repo_root().join("crds")).expect("CRDs install"));

fn shot(frames: &str) -> Value {
    json!({
        "apiVersion": "framefarm.io/v1alpha1",
        "kind": "RenderShot",
        "metadata": {"name": "layers"},
        "spec": {
            "frames": frames,
            "chunkSize": 1000,
            "scene": {"uri": "s3://studio/shots/sh010/scene.blend"},
            "engine": {"blender": {}},
            "output": {"uri": "s3://renders/sh010/"},
            "storage": {"provider": "wasabi", "region": "us-east-1",
                        "credentialsSecret": {"name": "wasabi"}}
        }
    })
}

fn admitted(frames: &str) -> bool {
    match CATALOG.admit(&shot(frames)) {
        Ok(_) => true,
        Err(rejection) => {
            assert!(
                rejection
                    .causes
                    .iter()
                    .all(|cause| cause.field == "spec.frames"),
                "only spec.frames may be refused for {frames:?}: {rejection}"
            );
            false
        }
    }
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..300).prop_map(|n| n.to_string()),
        (0u64..2_000_000).prop_map(|n| n.to_string()),
        (9_999_000u64..10_000_100).prop_map(|n| n.to_string()),
        Just("0".to_owned()),
        Just("00".to_owned()),
        Just("123456789012".to_owned()),
    ]
}

fn item() -> impl Strategy<Value = String> {
    prop_oneof![
        number(),
        (number(), number()).prop_map(|(start, end)| format!("{start}-{end}")),
        (number(), number(), number())
            .prop_map(|(start, end, step)| format!("{start}-{end}x{step}")),
        Just(String::new()),
        Just("1..5".to_owned()),
        Just(" 4".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn single_ranges_are_judged_alike(range in item()) {
        let single = !range.contains(',');
        let operator = FrameSet::parse(&range).is_ok();
        if single {
            prop_assert_eq!(admitted(&range), operator, "{:?}", range);
        }
    }

    #[test]
    fn lists_are_never_judged_more_strictly_at_admission(items in proptest::collection::vec(item(), 1..5)) {
        let frames = items.join(",");
        let operator = FrameSet::parse(&frames).is_ok();
        let admission = admitted(&frames);
        if operator {
            prop_assert!(admission, "admission refuses {:?}, which the operator accepts", frames);
        }
    }
}
