//! Small RenderShots and RenderJobs for the shot controller's unit tests, written as the YAML a
//! user applies and the objects the API server would return.

use std::collections::BTreeSet;

use framefarm_crds::job::JobPhase;
use framefarm_crds::{FrameSet, RenderJob, RenderJobStatus, RenderShot};

use super::{SceneCheck, SecretCheck, ValidatedShot, validate_shot};
use crate::shot::plan::build_job;

const SHOT: &str = r#"
apiVersion: framefarm.io/v1alpha1
kind: RenderShot
metadata:
  name: sh010
  namespace: studio
  uid: 5f0c2c4e-0000-4000-8000-000000000010
  generation: 3
spec:
  frames: "1-240"
  scene: {uri: "s3://studio/shots/sh010/scene.blend"}
  engine: {blender: {}}
  output: {uri: "s3://renders/sh010/"}
  storage: {provider: wasabi, region: eu-central-2, credentialsSecret: {name: wasabi}}
"#;

/// The base shot with the given spec fields replaced, e.g. `{frames: "1-10", parallelism: 2}`.
pub(crate) fn shot(spec_overrides: &str) -> RenderShot {
    let mut shot: serde_json::Value = serde_saphyr::from_str(SHOT).unwrap();
    let overrides: serde_json::Value = serde_saphyr::from_str(spec_overrides).unwrap();
    for (key, value) in overrides.as_object().unwrap() {
        shot["spec"][key] = value.clone();
    }
    serde_json::from_value(shot).unwrap()
}

/// The base shot's Secret, holding the default keys.
pub(crate) fn secret() -> SecretCheck {
    SecretCheck {
        name: "wasabi".into(),
        keys: Some(BTreeSet::from([
            "AWS_ACCESS_KEY_ID".into(),
            "AWS_SECRET_ACCESS_KEY".into(),
        ])),
    }
}

/// The validated form of `shot(spec_overrides)`.
pub(crate) fn validated(spec_overrides: &str) -> ValidatedShot {
    validate_shot(&shot(spec_overrides), Some(&secret()), &SceneCheck::Found).unwrap()
}

pub(crate) fn frames(text: &str) -> FrameSet {
    FrameSet::parse(text).unwrap()
}

/// A RenderJob of `shot` as the planner makes it, with a status in `phase`.
pub(crate) fn job(shot: &ValidatedShot, frames_text: &str, phase: Option<JobPhase>) -> RenderJob {
    let mut job = build_job(shot, &frames(frames_text), false);
    job.status = Some(RenderJobStatus {
        phase,
        ..RenderJobStatus::default()
    });
    job
}
