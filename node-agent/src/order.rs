//! The work order: what the agent is asked to render, read from a RenderJob (in a pod), a
//! RenderShot (for its preview) or a RenderShot or RenderJob manifest (on a workstation),
//! validated once and resolved into storage locations and object keys, with what earlier
//! attempts of a RenderJob settled. Everything after this step uses only the order.

use std::path::{Path, PathBuf};

use framefarm_crds::output::OutputNaming;
use framefarm_crds::scene::Asset;
use framefarm_crds::storage::S3Uri;
use framefarm_crds::{FieldErrors, FrameSet, RenderJob, RenderSettings, RenderShot};
use serde_json::Value;
use thiserror::Error;

use crate::frame_plan::PriorAttempts;

/// Why the agent cannot work on what it was given.
#[derive(Debug, Error)]
pub enum OrderError {
    #[error("failed to read the manifest {path}: {source}")]
    ReadManifest {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to parse the manifest {path}: {detail}")]
    ParseManifest { path: PathBuf, detail: String },
    #[error(
        "the manifest {path} holds no RenderShot or RenderJob (apiVersion framefarm.io/v1alpha1); \
         give the file of the shot to render"
    )]
    NothingToRender { path: PathBuf },
    #[error("{kind} '{name}' is invalid: {errors}")]
    Invalid {
        kind: &'static str,
        name: String,
        errors: FieldErrors,
    },
}

/// A validated render request.
#[derive(Clone, Debug)]
pub struct WorkOrder {
    /// `RenderJob` or `RenderShot`.
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    pub frames: FrameSet,
    pub settings: RenderSettings,
    pub scene: S3Uri,
    pub assets: Vec<Asset>,
    /// Bucket and key prefix outputs go under; the prefix is empty or ends in `/`.
    pub output_bucket: String,
    pub output_prefix: String,
    pub naming: OutputNaming,
    /// Frames earlier attempts of this RenderJob rendered or gave up on (none for a shot).
    pub prior: PriorAttempts,
}

impl WorkOrder {
    /// The order for a RenderJob read from the API.
    pub fn from_job(job: &RenderJob) -> Result<Self, OrderError> {
        let name = job.metadata.name.clone().unwrap_or_default();
        let invalid = |errors| OrderError::Invalid {
            kind: "RenderJob",
            name: name.clone(),
            errors,
        };
        job.spec.validate().map_err(invalid)?;
        let mut order = Self::resolve(
            "RenderJob",
            name.clone(),
            job.metadata.namespace.clone(),
            &job.spec.frames,
            &job.spec.render,
        )
        .map_err(invalid)?;
        if let Some(status) = &job.status {
            order.prior = PriorAttempts::from_status(status);
        }
        Ok(order)
    }

    /// The order for a RenderShot: all of its frames, as one render.
    pub fn from_shot(shot: &RenderShot) -> Result<Self, OrderError> {
        let name = shot.metadata.name.clone().unwrap_or_default();
        let invalid = |errors| OrderError::Invalid {
            kind: "RenderShot",
            name: name.clone(),
            errors,
        };
        shot.spec.validate().map_err(invalid)?;
        Self::resolve(
            "RenderShot",
            name.clone(),
            shot.metadata.namespace.clone(),
            &shot.spec.frames,
            &shot.spec.render,
        )
        .map_err(invalid)
    }

    /// The order for the first RenderShot or RenderJob in a manifest file.
    pub fn from_manifest(path: &Path) -> Result<Self, OrderError> {
        let text = std::fs::read_to_string(path).map_err(|source| OrderError::ReadManifest {
            path: path.to_owned(),
            source,
        })?;
        let parse_failed = |detail: String| OrderError::ParseManifest {
            path: path.to_owned(),
            detail,
        };
        let documents = serde_saphyr::from_multiple::<Value>(&text)
            .map_err(|error| parse_failed(error.to_string()))?;
        for document in documents {
            let group_version = document.get("apiVersion").and_then(Value::as_str);
            if group_version != Some("framefarm.io/v1alpha1") {
                continue;
            }
            match document.get("kind").and_then(Value::as_str) {
                Some("RenderJob") => {
                    let job: RenderJob = serde_json::from_value(document)
                        .map_err(|error| parse_failed(format!("RenderJob: {error}")))?;
                    return Self::from_job(&job);
                }
                Some("RenderShot") => {
                    let shot: RenderShot = serde_json::from_value(document)
                        .map_err(|error| parse_failed(format!("RenderShot: {error}")))?;
                    return Self::from_shot(&shot);
                }
                _ => continue,
            }
        }
        Err(OrderError::NothingToRender {
            path: path.to_owned(),
        })
    }

    /// Parses what `validate` has already accepted; a failure here is reported the same way.
    fn resolve(
        kind: &'static str,
        name: String,
        namespace: Option<String>,
        frames: &str,
        settings: &RenderSettings,
    ) -> Result<Self, FieldErrors> {
        let field_error =
            |field: &str, message: String| FieldErrors::single(format!("spec.{field}"), message);
        let frames =
            FrameSet::parse(frames).map_err(|error| field_error("frames", error.to_string()))?;
        let scene = settings
            .scene
            .location()
            .map_err(|error| field_error("scene.uri", error.to_string()))?;
        let assets = settings
            .scene
            .resolve_assets(&scene)
            .ok_or_else(|| field_error("scene.assets", "an asset path is invalid".into()))?;
        let output = settings
            .output
            .location()
            .map_err(|error| field_error("output.uri", error.to_string()))?;
        let naming = OutputNaming::parse(&settings.output.naming)
            .map_err(|error| field_error("output.naming", error.to_string()))?;
        Ok(Self {
            kind,
            name,
            namespace,
            frames,
            settings: settings.clone(),
            scene,
            assets,
            output_bucket: output.bucket().to_owned(),
            output_prefix: output.key().to_owned(),
            naming,
            prior: PriorAttempts::default(),
        })
    }

    /// Writes outputs straight into a local folder instead of under the output prefix.
    pub fn write_to_folder_root(&mut self) {
        self.output_prefix.clear();
    }

    /// The object key of `frame`'s file with `extension`.
    pub fn frame_key(&self, frame: u64, extension: &str) -> String {
        format!(
            "{}{}",
            self.output_prefix,
            self.naming.file_name(frame, extension)
        )
    }

    /// The folder of thumbnails under the output prefix.
    pub fn thumbnail_prefix(&self) -> String {
        format!("{}thumbs/", self.output_prefix)
    }

    /// The object key of `frame`'s thumbnail.
    pub fn thumbnail_key(&self, frame: u64, extension: &str) -> String {
        format!(
            "{}{}",
            self.thumbnail_prefix(),
            self.naming.file_name(frame, extension)
        )
    }

    /// The object key of the engine log of one attempt.
    /// A RenderJob's name is its chunk's; a whole shot rendered in parts on a workstation
    /// (`--frames`) gets one log per part, named after its frames.
    pub fn log_key(&self, attempt: u32) -> String {
        let run = match self.kind {
            "RenderShot" => format!("{}-frames-{}", self.name, self.frames).replace(',', "_"),
            _ => self.name.clone(),
        };
        format!("{}logs/{run}-attempt-{attempt}.log", self.output_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(kind: &str, frames: &str) -> WorkOrder {
        let manifest = format!(
            "apiVersion: framefarm.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: sh010\nspec:\n  \
             frames: \"{frames}\"\n  scene:\n    uri: s3://studio/sh010/scene.blend\n  \
             engine:\n    blender: {{}}\n  output:\n    uri: s3://renders/sh010/v001/\n    \
             naming: beauty/sh010_{{frame:04}}\n  storage:\n    endpoint: http://10.0.0.5:9000\n"
        );
        let path = std::env::temp_dir().join(format!("order-{kind}-{}.yaml", std::process::id()));
        std::fs::write(&path, manifest).unwrap();
        let order = WorkOrder::from_manifest(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        order
    }

    #[test]
    fn keys_follow_the_output_prefix_and_naming() {
        let order = order("RenderJob", "1-10");
        assert_eq!(
            order.frame_key(7, "exr"),
            "sh010/v001/beauty/sh010_0007.exr"
        );
        assert_eq!(
            order.thumbnail_key(7, "jpg"),
            "sh010/v001/thumbs/beauty/sh010_0007.jpg"
        );
        assert_eq!(order.log_key(2), "sh010/v001/logs/sh010-attempt-2.log");
    }

    #[test]
    fn parts_of_a_shot_rendered_locally_keep_separate_logs() {
        let mut order = order("RenderShot", "1-240");
        order.frames = FrameSet::parse("1-10,20").unwrap();
        assert_eq!(
            order.log_key(1),
            "sh010/v001/logs/sh010-frames-1-10_20-attempt-1.log"
        );
        order.write_to_folder_root();
        assert_eq!(order.frame_key(1, "png"), "beauty/sh010_0001.png");
    }

    #[test]
    fn a_jobs_status_says_which_frames_earlier_attempts_settled() {
        let path = std::env::temp_dir().join(format!("order-status-{}.yaml", std::process::id()));
        std::fs::write(
            &path,
            "apiVersion: framefarm.io/v1alpha1\nkind: RenderJob\nmetadata:\n  name: x\nspec:\n  \
             frames: \"1-10\"\n  scene:\n    uri: s3://studio/a.blend\n  engine:\n    blender: {}\n  \
             output:\n    uri: s3://renders/x/\n  storage:\n    endpoint: http://10.0.0.5:9000\n\
             status:\n  renderedFrames: \"1-2\"\n  failedFrames: \"5\"\n",
        )
        .unwrap();
        let order = WorkOrder::from_manifest(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(order.prior.rendered, FrameSet::parse("1-2").unwrap());
        assert_eq!(order.prior.failed, FrameSet::parse("5").unwrap());
    }

    #[test]
    fn a_shot_is_one_order_for_all_its_frames() {
        let shot: RenderShot = serde_json::from_value(serde_json::json!({
            "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderShot",
            "metadata": {"name": "sh020", "namespace": "studio"},
            "spec": {
                "frames": "1-240", "chunkSize": 10,
                "scene": {"uri": "s3://studio/sh020/scene.blend"},
                "engine": {"blender": {}},
                "output": {"uri": "s3://renders/sh020/v002/"},
                "storage": {"endpoint": "http://10.0.0.5:9000"}
            },
            "status": {"failedFrames": "7"}
        }))
        .unwrap();
        let order = WorkOrder::from_shot(&shot).unwrap();
        assert_eq!(order.kind, "RenderShot");
        assert_eq!(order.namespace.as_deref(), Some("studio"));
        assert_eq!(order.frames.len(), 240);
        assert_eq!(order.output_bucket, "renders");
        assert_eq!(order.thumbnail_prefix(), "sh020/v002/thumbs/");
        assert_eq!(
            order.prior,
            PriorAttempts::default(),
            "a shot has no attempts"
        );
    }

    #[test]
    fn an_invalid_manifest_names_the_field() {
        let path = std::env::temp_dir().join(format!("order-invalid-{}.yaml", std::process::id()));
        std::fs::write(
            &path,
            "apiVersion: framefarm.io/v1alpha1\nkind: RenderJob\nmetadata:\n  name: x\nspec:\n  \
             frames: \"5-1\"\n  scene:\n    uri: s3://studio/a.blend\n  engine:\n    blender: {}\n  \
             output:\n    uri: s3://renders/x/\n  storage:\n    endpoint: http://10.0.0.5:9000\n",
        )
        .unwrap();
        let error = WorkOrder::from_manifest(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(error.to_string().contains("spec.frames"), "{error}");
    }
}
