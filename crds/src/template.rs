//! Argument templates and typed values.
//!
//! A template is one argument of an exec array with `{name}` placeholders (`{frame:04}` pads a
//! frame number with zeros, `{{` and `}}` are literal braces). Substitution is the only thing
//! that happens to a template: the result stays one argument, and no shell ever reads it.
//! Typed values (natural, integer, real, word, path, extension) are what users may put into
//! placeholders; each type refuses anything that could become an option or leave a folder.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::patterns::{self, Pattern};

/// Placeholders the node-agent fills in for every engine invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// Local path of the scene file.
    Scene,
    /// Local folder holding the scene and its assets.
    SceneDir,
    /// Local folder the engine writes frames into.
    OutputDir,
    /// The frame being rendered, for engines run once per frame.
    Frame,
    /// First frame of the run being rendered.
    FrameStart,
    /// Last frame of the run being rendered.
    FrameEnd,
    /// Step between frames of the run being rendered.
    FrameStep,
}

impl Builtin {
    pub const ALL: [Builtin; 7] = [
        Builtin::Scene,
        Builtin::SceneDir,
        Builtin::OutputDir,
        Builtin::Frame,
        Builtin::FrameStart,
        Builtin::FrameEnd,
        Builtin::FrameStep,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Scene => "scene",
            Builtin::SceneDir => "scene_dir",
            Builtin::OutputDir => "output_dir",
            Builtin::Frame => "frame",
            Builtin::FrameStart => "frame_start",
            Builtin::FrameEnd => "frame_end",
            Builtin::FrameStep => "frame_step",
        }
    }

    pub fn from_name(name: &str) -> Option<Builtin> {
        Self::ALL.into_iter().find(|builtin| builtin.name() == name)
    }

    /// Whether the placeholder is a frame number that `{name:0N}` may pad.
    pub fn is_frame_number(self) -> bool {
        matches!(
            self,
            Builtin::Frame | Builtin::FrameStart | Builtin::FrameEnd | Builtin::FrameStep
        )
    }
}

/// One parsed argument template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Placeholder { name: String, width: Option<u8> },
}

/// A value bound to a placeholder when a template is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Text(&'a str),
    Number(u64),
}

/// Why a template could not be parsed or rendered.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TemplateError {
    #[error(
        "'{text}' opens a placeholder with '{{' but never closes it; write {{{{ for a literal brace"
    )]
    Unclosed { text: String },
    #[error("'{text}' has a '}}' outside a placeholder; write }}}} for a literal brace")]
    StrayClosingBrace { text: String },
    #[error(
        "'{{{placeholder}}}' is not a placeholder: names are lowercase letters, digits and _, \
         optionally padded like {{frame:04}}"
    )]
    Invalid { placeholder: String },
    #[error("unknown placeholder {{{name}}}; known placeholders are {known}")]
    Unknown { name: String, known: String },
    #[error("{{{name}}} cannot be padded; only frame numbers can, e.g. {{frame:04}}")]
    PaddingNotAllowed { name: String },
    #[error("no value for placeholder {{{name}}}")]
    Unbound { name: String },
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(char) = chars.next() {
            match char {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(TemplateError::StrayClosingBrace { text: text.into() });
                }
                '{' => {
                    let mut inner = String::new();
                    let mut closed = false;
                    for next in chars.by_ref() {
                        if next == '}' {
                            closed = true;
                            break;
                        }
                        inner.push(next);
                    }
                    if !closed {
                        return Err(TemplateError::Unclosed { text: text.into() });
                    }
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(parse_placeholder(&inner)?);
                }
                other => literal.push(other),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template { pieces })
    }

    /// Names of the placeholders, in order of appearance.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|piece| match piece {
            Piece::Placeholder { name, .. } => Some(name.as_str()),
            Piece::Text(_) => None,
        })
    }

    /// Checks every placeholder is a built-in or one of `parameters`, and that only frame
    /// numbers are padded.
    pub fn check_names<'a>(
        &self,
        parameters: impl Iterator<Item = &'a str> + Clone,
    ) -> Result<(), TemplateError> {
        for piece in &self.pieces {
            let Piece::Placeholder { name, width } = piece else {
                continue;
            };
            match Builtin::from_name(name) {
                Some(builtin) if width.is_some() && !builtin.is_frame_number() => {
                    return Err(TemplateError::PaddingNotAllowed { name: name.clone() });
                }
                Some(_) => {}
                None if parameters.clone().any(|parameter| parameter == name) => {
                    if width.is_some() {
                        return Err(TemplateError::PaddingNotAllowed { name: name.clone() });
                    }
                }
                None => {
                    let known: Vec<String> = Builtin::ALL
                        .iter()
                        .map(|builtin| builtin.name())
                        .chain(parameters.clone())
                        .map(|known| format!("{{{known}}}"))
                        .collect();
                    return Err(TemplateError::Unknown {
                        name: name.clone(),
                        known: known.join(", "),
                    });
                }
            }
        }
        Ok(())
    }

    /// Substitutes every placeholder with the value `value_of` gives for its name.
    pub fn render<'v>(
        &self,
        value_of: impl Fn(&str) -> Option<Value<'v>>,
    ) -> Result<String, TemplateError> {
        let mut rendered = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => rendered.push_str(text),
                Piece::Placeholder { name, width } => {
                    let unbound = || TemplateError::Unbound { name: name.clone() };
                    match (value_of(name).ok_or_else(unbound)?, width) {
                        (Value::Text(text), _) => rendered.push_str(text),
                        (Value::Number(number), Some(width)) => {
                            rendered
                                .push_str(&format!("{number:0width$}", width = *width as usize));
                        }
                        (Value::Number(number), None) => rendered.push_str(&number.to_string()),
                    }
                }
            }
        }
        Ok(rendered)
    }
}

fn parse_placeholder(inner: &str) -> Result<Piece, TemplateError> {
    let invalid = || TemplateError::Invalid {
        placeholder: inner.into(),
    };
    let (name, width) = match inner.split_once(':') {
        Some((name, padding)) => {
            let digits = padding.strip_prefix('0').ok_or_else(invalid)?;
            let width = match digits.parse::<u8>() {
                Ok(width @ 1..=9) if digits.len() == 1 => width,
                _ => return Err(invalid()),
            };
            (name, Some(width))
        }
        None => (inner, None),
    };
    let valid_name = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid_name {
        return Err(invalid());
    }
    Ok(Piece::Placeholder {
        name: name.into(),
        width,
    })
}

/// The type of a value a user passes to an engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ArgType {
    // A whole number, 0 or more (`64`).
    Natural,
    // A whole number, possibly negative (`-2`).
    Integer,
    // A decimal number (`0.25`).
    Real,
    // Letters, digits, `_ . + -`, not starting with `-` (`Scene.001`).
    Word,
    // A relative path of words without `.`/`..` segments (`caches/fluid`).
    Path,
    // A file extension without the dot (`exr`).
    Extension,
}

impl ArgType {
    pub const ALL: [ArgType; 6] = [
        ArgType::Natural,
        ArgType::Integer,
        ArgType::Real,
        ArgType::Word,
        ArgType::Path,
        ArgType::Extension,
    ];

    /// The pattern a value of this type matches, shared with the CRD's CEL rules.
    pub fn pattern(self) -> &'static Pattern {
        match self {
            ArgType::Natural => &patterns::NATURAL,
            ArgType::Integer => &patterns::INTEGER,
            ArgType::Real => &patterns::REAL,
            ArgType::Word => &patterns::WORD,
            ArgType::Path => &patterns::PATH,
            ArgType::Extension => &patterns::EXTENSION,
        }
    }

    /// What a value of this type looks like, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            ArgType::Natural => "a whole number 0 or more, e.g. 64",
            ArgType::Integer => "a whole number, e.g. -2",
            ArgType::Real => "a decimal number, e.g. 0.25",
            ArgType::Word => "letters, digits and _ . + - not starting with -, e.g. Scene.001",
            ArgType::Path => "a relative path of words without . or .. segments, e.g. caches/fluid",
            ArgType::Extension => "a file extension without the dot, e.g. exr",
        }
    }

    pub fn check(self, value: &str) -> Result<(), ArgValueError> {
        if self.pattern().is_match(value) {
            Ok(())
        } else {
            Err(ArgValueError {
                value: value.into(),
                arg_type: self,
            })
        }
    }
}

impl fmt::Display for ArgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A value that does not have the type it was declared with.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("'{value}' is not a valid {arg_type}: expected {}", arg_type.describe())]
pub struct ArgValueError {
    pub value: String,
    pub arg_type: ArgType,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str) -> Result<String, TemplateError> {
        Template::parse(text)?.render(|name| match name {
            "scene" => Some(Value::Text("/work/scene.blend")),
            "output_dir" => Some(Value::Text("/work/out")),
            "frame" => Some(Value::Number(7)),
            "quality" => Some(Value::Text("90")),
            _ => None,
        })
    }

    #[test]
    fn substitutes_placeholders_and_pads_frames() {
        assert_eq!(
            render("{output_dir}/frame_{frame:04}.png").unwrap(),
            "/work/out/frame_0007.png"
        );
        assert_eq!(
            render("--scene={scene}").unwrap(),
            "--scene=/work/scene.blend"
        );
        assert_eq!(render("{{literal}} {frame}").unwrap(), "{literal} 7");
        assert_eq!(render("-quality").unwrap(), "-quality");
    }

    #[test]
    fn rejects_malformed_templates() {
        assert!(matches!(
            Template::parse("{frame"),
            Err(TemplateError::Unclosed { .. })
        ));
        assert!(matches!(
            Template::parse("{a} {a"),
            Err(TemplateError::Unclosed { .. })
        ));
        assert!(matches!(
            Template::parse("a}b"),
            Err(TemplateError::StrayClosingBrace { .. })
        ));
        for bad in [
            "{Frame}",
            "{frame:4}",
            "{frame:010}",
            "{}",
            "{1x}",
            "{frame:0a}",
        ] {
            assert!(
                matches!(Template::parse(bad), Err(TemplateError::Invalid { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            render("{nothing}"),
            Err(TemplateError::Unbound { .. })
        ));
    }

    #[test]
    fn names_must_be_builtins_or_declared_parameters() {
        let template = Template::parse("{output_dir}/{shot}_{frame:04}.{ext}").unwrap();
        assert_eq!(
            template.placeholders().collect::<Vec<_>>(),
            ["output_dir", "shot", "frame", "ext"]
        );
        assert!(template.check_names(["shot", "ext"].into_iter()).is_ok());
        let error = template.check_names(["ext"].into_iter()).unwrap_err();
        assert!(
            error.to_string().contains("unknown placeholder {shot}"),
            "{error}"
        );
        assert!(
            error.to_string().contains("{frame_start}"),
            "lists what is known: {error}"
        );
        let padded_text = Template::parse("{scene:04}").unwrap();
        assert!(matches!(
            padded_text.check_names([].into_iter()),
            Err(TemplateError::PaddingNotAllowed { .. })
        ));
    }

    #[test]
    fn typed_values_accept_their_type_only() {
        assert!(ArgType::Natural.check("64").is_ok());
        assert!(ArgType::Natural.check("-1").is_err());
        assert!(ArgType::Word.check("--output=/etc").is_err());
        let error = ArgType::Path.check("../../etc").unwrap_err();
        assert_eq!(
            error.to_string(),
            "'../../etc' is not a valid Path: expected a relative path of words without . or .. \
             segments, e.g. caches/fluid"
        );
    }
}
