//! Where rendered frames go, what they are called, whether they outlive the RenderShot, and
//! how their thumbnails are made.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::frameset::Frame;
use crate::patterns::{self, DOT_SEGMENT, FRAME_PLACEHOLDER, OUTPUT_NAMING};
use crate::rules;
use crate::storage::{S3Uri, S3UriError};
use crate::template::{Builtin, Template, Value};
use crate::validation::Checker;

/// The default output file name: `frame_0001.png`, `frame_0002.png`, …
pub const DEFAULT_NAMING: &str = "frame_{frame:04}";

/// Where and how frames are stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutputSpec {
    /// The bucket and key prefix frames are written under, e.g.
    /// `s3://studio-renders/sh010/lighting/v003/`. Thumbnails go under `thumbs/`, engine
    /// logs under `logs/` and previews under `preview/` of the same prefix.
    #[schemars(length(min = 1, max = crate::limits::MAX_URI_LENGTH))]
    #[x_kube(
        validation = rules::matches(
            &patterns::S3_PREFIX_URI,
            "must be an s3:// bucket and optional prefix, e.g. s3://studio-renders/sh010/v003/",
        ),
        validation = rules::never_matches(
            &patterns::DOT_SEGMENT,
            "must not contain '.' or '..' path segments",
        ),
    )]
    pub uri: String,

    /// File name of each frame under the prefix, without extension (the extension follows
    /// the output format). `{frame}` is the frame number, `{frame:04}` pads it to 4 digits.
    /// May contain folders, e.g. `beauty/sh010_{frame:04}`.
    #[serde(default = "default_naming")]
    #[schemars(length(min = 1, max = 128))]
    #[x_kube(
        validation = rules::matches(
            &patterns::OUTPUT_NAMING,
            "may use letters, digits, '_', '.', '+', '-', '/' for folders, and the {frame} \
             placeholder",
        ),
        validation = rules::matches(
            &patterns::FRAME_PLACEHOLDER,
            "must contain {frame}, or a padded {frame:04}, so each frame gets its own file",
        ),
        validation = rules::never_matches(
            &patterns::DOT_SEGMENT,
            "must stay inside the output prefix: no '.' or '..' segments",
        ),
        validation = kube::core::Rule::new(
            "!self.startsWith('/') && !self.endsWith('/') && !self.contains('//')",
        )
        .message("must be a relative file name: no leading or trailing '/' and no empty folders"),
    )]
    pub naming: String,

    /// What happens to the rendered files when the RenderShot is deleted: `Retain` keeps
    /// them (the default), `Delete` removes everything the shot wrote under the prefix.
    #[serde(default)]
    pub retention: Retention,
}

fn default_naming() -> String {
    DEFAULT_NAMING.into()
}

/// Object keys of a shot's contact sheet and animated preview under the output prefix
/// (`prefix` is empty or ends in `/`).
pub fn preview_keys(prefix: &str, shot: &str) -> (String, String) {
    (
        format!("{prefix}preview/{shot}-contact-sheet.png"),
        format!("{prefix}preview/{shot}-preview.gif"),
    )
}

/// Whether a shot's files outlive it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Retention {
    // Keep the rendered files when the RenderShot is deleted.
    #[default]
    Retain,
    // Delete the shot's files from storage when the RenderShot is deleted.
    Delete,
}

/// A validated output file name template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputNaming {
    template: Template,
}

/// Why an output name template was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum NamingError {
    #[error(
        "'{naming}' may use only letters, digits, '_', '.', '+', '-', '/' for folders, and \
         the {{frame}} placeholder"
    )]
    Characters { naming: String },
    #[error(
        "'{naming}' must contain {{frame}}, or a padded {{frame:04}}, so each frame gets its own file"
    )]
    NoFramePlaceholder { naming: String },
    #[error(
        "'{naming}' must stay inside the output prefix: no leading or trailing '/', no empty, \
         '.' or '..' segments"
    )]
    Escapes { naming: String },
}

impl OutputNaming {
    pub fn parse(naming: &str) -> Result<OutputNaming, NamingError> {
        if !OUTPUT_NAMING.is_match(naming) {
            return Err(NamingError::Characters {
                naming: naming.into(),
            });
        }
        if !FRAME_PLACEHOLDER.is_match(naming) {
            return Err(NamingError::NoFramePlaceholder {
                naming: naming.into(),
            });
        }
        let escapes = DOT_SEGMENT.is_match(naming)
            || naming.starts_with('/')
            || naming.ends_with('/')
            || naming.contains("//");
        if escapes {
            return Err(NamingError::Escapes {
                naming: naming.into(),
            });
        }
        // The character class above admits only `{frame}` and `{frame:0N}` placeholders.
        let template = Template::parse(naming).map_err(|_| NamingError::Characters {
            naming: naming.into(),
        })?;
        Ok(OutputNaming { template })
    }

    /// The file name of `frame` with `extension` (without the dot), e.g. `frame_0007.png`.
    pub fn file_name(&self, frame: Frame, extension: &str) -> String {
        let stem = self
            .template
            .render(|name| (name == Builtin::Frame.name()).then_some(Value::Number(frame)))
            .unwrap_or_default();
        format!("{stem}.{extension}")
    }
}

impl OutputSpec {
    /// The bucket and prefix frames are written under.
    pub fn location(&self) -> Result<S3Uri, S3UriError> {
        S3Uri::parse_prefix(&self.uri)
    }

    pub(crate) fn check(&self, at: &str, checker: &mut Checker) {
        if let Err(error) = self.location() {
            checker.error(format!("{at}.uri"), error);
        }
        if let Err(error) = OutputNaming::parse(&self.naming) {
            checker.error(format!("{at}.naming"), error);
        }
    }
}

/// How thumbnails of each frame are made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThumbnailSpec {
    /// Width of each thumbnail in pixels; the height keeps the frame's aspect ratio.
    #[serde(default = "default_thumbnail_width")]
    #[schemars(range(min = 16, max = 1920))]
    pub width: u32,

    /// `Auto` writes JPEG for opaque frames and PNG where the frame has alpha.
    #[serde(default)]
    pub format: ThumbnailFormat,
}

impl Default for ThumbnailSpec {
    fn default() -> Self {
        Self {
            width: default_thumbnail_width(),
            format: ThumbnailFormat::default(),
        }
    }
}

fn default_thumbnail_width() -> u32 {
    320
}

/// Image format of thumbnails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ThumbnailFormat {
    // JPEG for opaque frames, PNG where there is alpha.
    #[default]
    Auto,
    #[serde(rename = "JPEG")]
    Jpeg,
    #[serde(rename = "PNG")]
    Png,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_file_names_follow_the_template() {
        let naming = OutputNaming::parse(DEFAULT_NAMING).unwrap();
        assert_eq!(naming.file_name(7, "png"), "frame_0007.png");
        let nested = OutputNaming::parse("beauty/sh010_{frame}").unwrap();
        assert_eq!(nested.file_name(12345, "exr"), "beauty/sh010_12345.exr");
    }

    #[test]
    fn names_must_stay_under_the_prefix_and_be_distinct_per_frame() {
        let error = |naming: &str| OutputNaming::parse(naming).unwrap_err();
        assert!(matches!(
            error("../../etc/frame_{frame}"),
            NamingError::Escapes { .. }
        ));
        assert!(matches!(
            error("/abs/frame_{frame}"),
            NamingError::Escapes { .. }
        ));
        assert!(matches!(
            error("still"),
            NamingError::NoFramePlaceholder { .. }
        ));
        assert!(matches!(
            error("frame {frame}"),
            NamingError::Characters { .. }
        ));
        assert!(matches!(
            error("f_{scene}_{frame}"),
            NamingError::Characters { .. }
        ));
    }
}
