//! The render engine of a shot: Blender, or any program run with an argument template.

mod blender_args;
mod command;

use kube::KubeSchema;
use kube::core::Rule;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::limits::{MAX_ARG_LENGTH, MAX_EXTRA_ARGS};
use crate::patterns::{self, BLENDER_VALUE, IMAGE};
use crate::rules;
use crate::validation::Checker;

pub use blender_args::{ExtraArgError, allowed_option_names, check_extra_args};
pub use command::{CommandEngine, EngineParameter};

/// Exactly one engine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.blender) != has(self.command)")
    .message("set exactly one engine: blender or command"))]
pub struct EngineSpec {
    /// Render with Blender (`blender -b`), once per RenderJob for all its frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blender: Option<BlenderEngine>,

    /// Render with any program, given as an exec array with placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandEngine>,
}

/// The engine a spec selects.
#[derive(Clone, Copy, Debug)]
pub enum Engine<'a> {
    Blender(&'a BlenderEngine),
    Command(&'a CommandEngine),
}

impl EngineSpec {
    /// The selected engine, or `None` unless exactly one is set.
    pub fn selected(&self) -> Option<Engine<'_>> {
        match (&self.blender, &self.command) {
            (Some(blender), None) => Some(Engine::Blender(blender)),
            (None, Some(command)) => Some(Engine::Command(command)),
            _ => None,
        }
    }

    pub(crate) fn check(&self, at: &str, checker: &mut Checker) {
        match self.selected() {
            Some(Engine::Blender(blender)) => blender.check(&format!("{at}.blender"), checker),
            Some(Engine::Command(command)) => command.check(&format!("{at}.command"), checker),
            None => checker.error(at, "set exactly one engine: blender or command"),
        }
    }
}

/// Blender settings. Unset fields keep what the scene file says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rules::on_field(
    "!has(self.device) || !has(self.renderEngine) || self.renderEngine == 'CYCLES'",
    ".device",
    "device picks the Cycles compute device; remove it or set renderEngine: CYCLES",
))]
pub struct BlenderEngine {
    /// Container image with Blender on its PATH. Defaults to the operator's Blender image.
    /// The node-agent is added to the pod separately, so any studio image works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 512))]
    #[x_kube(validation = image_rule())]
    pub image: Option<String>,

    /// Render engine, overriding the scene's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_engine: Option<BlenderRenderEngine>,

    /// Cycles compute device, e.g. `OPTIX` on NVIDIA GPU nodes. Only with Cycles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<CyclesDevice>,

    /// File format of the rendered frames.
    #[serde(default)]
    pub output_format: BlenderOutputFormat,

    /// Samples per pixel, overriding the scene's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65536))]
    pub samples: Option<u32>,

    /// Render at this percentage of the scene's resolution, e.g. 50 for quick previews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub resolution_percentage: Option<u32>,

    /// Extra Blender options, each followed by its value, e.g. `["--threads", "8"]`.
    /// Allowed: --threads/-t N, --scene/-S NAME, --factory-startup, --enable-autoexec/-y,
    /// --disable-autoexec/-Y, --log-level N, --verbose N, --debug-cycles, --debug-memory.
    /// Frames, output, format, engine and device have their own fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "extra_args_schema")]
    pub extra_args: Vec<String>,
}

fn image_rule() -> Rule {
    rules::matches(
        &patterns::IMAGE,
        "must be a container image reference such as registry.example.com/blender:4.2",
    )
}

fn extra_args_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let quoted: Vec<String> = allowed_option_names()
        .map(|name| format!("'{name}'"))
        .collect();
    let names: Vec<&str> = allowed_option_names().collect();
    let allowed = Rule::new(format!(
        "self in [{}] || {}",
        quoted.join(", "),
        BLENDER_VALUE.cel_matches("self")
    ))
    .message(kube::core::Message::Message(format!(
        "must be an allowed Blender option ({}) or its value (a number or a word); frames, \
         output, format, engine and device have their own fields",
        names.join(", ")
    )));
    rules::StringList {
        max_items: MAX_EXTRA_ARGS as u32,
        max_length: MAX_ARG_LENGTH as u32,
        item_rules: vec![allowed],
        ..rules::StringList::default()
    }
    .schema()
}

impl BlenderEngine {
    pub(crate) fn check(&self, at: &str, checker: &mut Checker) {
        if let Some(image) = &self.image
            && !IMAGE.is_match(image)
        {
            checker.error(
                format!("{at}.image"),
                format!("'{image}' is not an image reference"),
            );
        }
        if self.device.is_some()
            && self
                .render_engine
                .is_some_and(|engine| engine != BlenderRenderEngine::Cycles)
        {
            checker.error(
                format!("{at}.device"),
                "device picks the Cycles compute device; remove it or set renderEngine: CYCLES",
            );
        }
        if let Err(error) = check_extra_args(&self.extra_args) {
            checker.error(format!("{at}.extraArgs[{}]", error.index), error.message);
        }
    }
}

/// Blender's render engines, by their Python identifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BlenderRenderEngine {
    Cycles,
    BlenderEevee,
    // EEVEE in Blender 4.2 to 4.5.
    BlenderEeveeNext,
    BlenderWorkbench,
}

/// Cycles compute devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum CyclesDevice {
    Cpu,
    Cuda,
    Optix,
    Hip,
    Oneapi,
    Metal,
}

/// Frame file formats, by Blender's names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BlenderOutputFormat {
    #[default]
    Png,
    OpenExr,
    Jpeg,
}

impl BlenderOutputFormat {
    /// File extension Blender gives frames of this format.
    pub fn extension(self) -> &'static str {
        match self {
            BlenderOutputFormat::Png => "png",
            BlenderOutputFormat::OpenExr => "exr",
            BlenderOutputFormat::Jpeg => "jpg",
        }
    }
}
