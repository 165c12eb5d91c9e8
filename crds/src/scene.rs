//! The scene to render: one file in object storage plus assets laid out beside it, so relative
//! paths inside the scene (`//textures/wood.png` in Blender) keep working on the render node.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use crate::limits::MAX_ASSETS;
use crate::patterns::{self, DOT_SEGMENT, RELATIVE_PATH};
use crate::rules;
use crate::storage::{S3Uri, S3UriError};
use crate::validation::Checker;

/// The scene file and the assets it needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct SceneSpec {
    /// The scene file, e.g. `s3://studio/shots/sh010/sh010_lighting_v003.blend`.
    #[schemars(length(min = 1, max = crate::limits::MAX_URI_LENGTH))]
    #[x_kube(
        validation = rules::matches(
            &patterns::S3_OBJECT_URI,
            "must be the s3:// URI of the scene file, e.g. s3://studio/shots/sh010/scene.blend: \
             a bucket of 3-63 lowercase letters, digits, '.' and '-', then the key",
        ),
        validation = rules::never_matches(
            &patterns::DOT_SEGMENT,
            "must not contain '.' or '..' path segments",
        ),
    )]
    pub uri: String,

    /// Files and folders the scene uses (textures, caches, linked libraries), as paths
    /// relative to the scene's folder; a path ending in `/` is a whole folder. They are
    /// downloaded beside the scene keeping these paths, e.g. `textures/` or
    /// `caches/fluid.vdb`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "assets_schema")]
    pub assets: Vec<String>,
}

fn assets_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    rules::StringList {
        max_items: MAX_ASSETS as u32,
        max_length: 1024,
        list_type: Some("set"),
        item_rules: vec![
            rules::matches(
                &patterns::RELATIVE_PATH,
                "must be a path relative to the scene's folder, e.g. textures/ or \
                 caches/fluid.vdb: no leading '/', no empty segments",
            ),
            rules::never_matches(
                &patterns::DOT_SEGMENT,
                "must not contain '.' or '..' segments: assets live under the scene's folder",
            ),
        ],
        ..rules::StringList::default()
    }
    .schema()
}

/// One asset resolved against the scene's location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    /// The object key, or the key prefix of a folder (ending in `/`).
    pub key: String,
    /// Whether the asset is a folder of objects.
    pub is_folder: bool,
    /// The path relative to the scene's folder where it is placed on the render node.
    pub relative_path: String,
}

impl SceneSpec {
    /// Where the scene file is stored.
    pub fn location(&self) -> Result<S3Uri, S3UriError> {
        S3Uri::parse_object(&self.uri)
    }

    /// The assets with their keys in the scene's bucket; `None` for an invalid asset path.
    pub fn resolve_assets(&self, scene: &S3Uri) -> Option<Vec<Asset>> {
        let folder = scene
            .key()
            .rsplit_once('/')
            .map_or(String::new(), |(folder, _)| format!("{folder}/"));
        self.assets
            .iter()
            .map(|path| {
                is_valid_asset_path(path).then(|| Asset {
                    key: format!("{folder}{path}"),
                    is_folder: path.ends_with('/'),
                    relative_path: path.clone(),
                })
            })
            .collect()
    }

    pub(crate) fn check(&self, at: &str, checker: &mut Checker) {
        if let Err(error) = self.location() {
            checker.error(format!("{at}.uri"), error);
        }
        if self.assets.len() > MAX_ASSETS {
            checker.error(
                format!("{at}.assets"),
                format!("at most {MAX_ASSETS} assets"),
            );
        }
        for (index, path) in self.assets.iter().enumerate() {
            if !is_valid_asset_path(path) {
                checker.error(
                    format!("{at}.assets[{index}]"),
                    format!(
                        "'{path}' is not a path relative to the scene's folder; write e.g. \
                         textures/ or caches/fluid.vdb, without a leading '/' or '..'"
                    ),
                );
            }
        }
    }
}

fn is_valid_asset_path(path: &str) -> bool {
    RELATIVE_PATH.is_match(path) && !DOT_SEGMENT.is_match(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_resolve_beside_the_scene() {
        let scene = SceneSpec {
            uri: "s3://studio/shots/sh010/scene.blend".into(),
            assets: vec!["textures/".into(), "caches/fluid.vdb".into()],
        };
        let location = scene.location().unwrap();
        let assets = scene.resolve_assets(&location).unwrap();
        assert_eq!(assets[0].key, "shots/sh010/textures/");
        assert!(assets[0].is_folder);
        assert_eq!(assets[1].key, "shots/sh010/caches/fluid.vdb");
        assert_eq!(assets[1].relative_path, "caches/fluid.vdb");
    }

    #[test]
    fn assets_cannot_leave_the_scene_folder() {
        for bad in [
            "../lib/wood.png",
            "/etc/passwd",
            "textures//wood.png",
            "a/./b",
        ] {
            assert!(!is_valid_asset_path(bad), "{bad}");
        }
        assert!(is_valid_asset_path("textures/old wood.png"));
    }
}
