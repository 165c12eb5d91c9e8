//! The generic engine: any program, run as an exec array whose arguments are templates.

use std::collections::BTreeSet;

use kube::KubeSchema;
use kube::core::Rule;
use serde::{Deserialize, Serialize};

use crate::limits::{MAX_ARG_LENGTH, MAX_COMMAND_ARGS, MAX_PARAMETERS};
use crate::patterns::{self, DOT_SEGMENT, IMAGE, PARAMETER_NAME, SHELL_PROGRAM};
use crate::rules;
use crate::template::{ArgType, Builtin, Template};
use crate::validation::Checker;

/// A program that renders frames into `{output_dir}`. It runs once per run of frames
/// (`{frame_start}`, `{frame_end}`, `{frame_step}`), or once per frame when an argument uses
/// `{frame}`. Each file it writes in `{output_dir}` is a frame; the frame number is the last
/// group of digits in the file name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommandEngine {
    /// Container image holding the program.
    #[schemars(length(min = 1, max = 512))]
    #[x_kube(validation = super::image_rule())]
    pub image: String,

    /// The program and any fixed leading arguments, run directly (never through a shell),
    /// e.g. `["/usr/bin/convert"]`.
    #[schemars(schema_with = "command_schema")]
    pub command: Vec<String>,

    /// Arguments after the command. Each is one argument, with placeholders replaced:
    /// `{scene}`, `{scene_dir}`, `{output_dir}`, `{frame}`, `{frame_start}`, `{frame_end}`,
    /// `{frame_step}` (frame numbers pad like `{frame:04}`), and the names of `parameters`.
    /// Write `{{` and `}}` for literal braces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "args_schema")]
    pub args: Vec<String>,

    /// Typed values the arguments refer to by name, e.g. `{name: quality, type: Natural,
    /// value: "90"}` used as `{quality}`. A value must match its type, so it can never turn
    /// into an option or a path outside the work folder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_PARAMETERS))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub parameters: Vec<EngineParameter>,
}

/// A named, typed value for the command engine's arguments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = parameter_type_rule(ArgType::Natural),
    validation = parameter_type_rule(ArgType::Integer),
    validation = parameter_type_rule(ArgType::Real),
    validation = parameter_type_rule(ArgType::Word),
    validation = parameter_type_rule(ArgType::Path),
    validation = parameter_type_rule(ArgType::Extension),
)]
pub struct EngineParameter {
    /// Name used as `{name}` in the arguments: lowercase letters, digits and `_`.
    #[schemars(length(min = 1, max = 32))]
    #[x_kube(
        validation = rules::matches(
            &patterns::PARAMETER_NAME,
            "must be lowercase letters, digits and _, starting with a letter",
        ),
        validation = Rule::new(builtin_names_rule())
            .message("is a built-in placeholder; choose another name"),
    )]
    pub name: String,

    /// Type the value must have: `Natural`, `Integer`, `Real`, `Word`, `Path` or `Extension`.
    #[serde(rename = "type")]
    pub arg_type: ArgType,

    /// The value, as a string, e.g. `"90"`.
    #[schemars(length(max = MAX_ARG_LENGTH))]
    pub value: String,
}

fn command_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    rules::StringList {
        min_items: 1,
        max_items: 8,
        max_length: MAX_ARG_LENGTH as u32,
        item_rules: vec![rules::never_matches(
            &patterns::BRACE,
            "placeholders are filled in args only; move them from command to args",
        )],
        list_rules: vec![
            Rule::new(format!("!{}", SHELL_PROGRAM.cel_matches("self[0]"))).message(
                "must run the program directly: shells and env are not allowed, because \
                 arguments are an exec array, never a shell string",
            ),
        ],
        ..rules::StringList::default()
    }
    .schema()
}

fn args_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    rules::StringList {
        max_items: MAX_COMMAND_ARGS as u32,
        max_length: MAX_ARG_LENGTH as u32,
        item_rules: vec![
            rules::matches(
                &patterns::ARG_TEMPLATE,
                "placeholders are written {name} or {frame:04}; write {{ and }} for literal braces",
            ),
            rules::never_matches(
                &patterns::DOT_SEGMENT,
                "must not contain '.' or '..' path segments: engines read the scene and write \
                 inside {output_dir}",
            ),
        ],
        ..rules::StringList::default()
    }
    .schema()
}

fn parameter_type_rule(arg_type: ArgType) -> Rule {
    rules::on_field(
        &format!(
            "self.type != '{arg_type}' || {}",
            arg_type.pattern().cel_matches("self.value")
        ),
        ".value",
        &format!(
            "the value of a {arg_type} parameter must be {}",
            arg_type.describe()
        ),
    )
}

fn builtin_names_rule() -> String {
    let names: Vec<String> = Builtin::ALL
        .iter()
        .map(|builtin| format!("'{}'", builtin.name()))
        .collect();
    format!("!(self in [{}])", names.join(", "))
}

impl CommandEngine {
    /// The parsed argument templates.
    pub fn templates(&self) -> Result<Vec<Template>, crate::template::TemplateError> {
        self.args.iter().map(|arg| Template::parse(arg)).collect()
    }

    pub(crate) fn check(&self, at: &str, checker: &mut Checker) {
        if !IMAGE.is_match(&self.image) {
            checker.error(
                format!("{at}.image"),
                format!("'{}' is not an image reference", self.image),
            );
        }
        match self.command.first() {
            None => checker.error(format!("{at}.command"), "give the program to run"),
            Some(program) if SHELL_PROGRAM.is_match(program) => checker.error(
                format!("{at}.command[0]"),
                format!(
                    "'{program}' is a shell or env: run the program directly, because \
                     arguments are an exec array, never a shell string"
                ),
            ),
            Some(_) => {}
        }
        self.check_parameters(at, checker);
        let names = self
            .parameters
            .iter()
            .map(|parameter| parameter.name.as_str());
        for (index, arg) in self.args.iter().enumerate() {
            let field = format!("{at}.args[{index}]");
            if DOT_SEGMENT.is_match(arg) {
                checker.error(&field, "must not contain '.' or '..' path segments");
            }
            let checked =
                Template::parse(arg).and_then(|template| template.check_names(names.clone()));
            if let Err(error) = checked {
                checker.error(&field, error);
            }
        }
    }

    fn check_parameters(&self, at: &str, checker: &mut Checker) {
        let mut seen = BTreeSet::new();
        for (index, parameter) in self.parameters.iter().enumerate() {
            let field = format!("{at}.parameters[{index}]");
            let name = &parameter.name;
            if !PARAMETER_NAME.is_match(name) {
                checker.error(
                    format!("{field}.name"),
                    format!(
                        "'{name}' must be lowercase letters, digits and _, starting with a letter"
                    ),
                );
            } else if Builtin::from_name(name).is_some() {
                checker.error(
                    format!("{field}.name"),
                    format!("'{name}' is a built-in placeholder; choose another name"),
                );
            } else if !seen.insert(name.as_str()) {
                checker.error(
                    format!("{field}.name"),
                    format!("'{name}' is declared twice"),
                );
            }
            if let Err(error) = parameter.arg_type.check(&parameter.value) {
                checker.error(format!("{field}.value"), error);
            }
        }
    }
}
