//! Which Blender command-line options a user may add, and with what values.
//!
//! Options the agent controls (frames, output, format, engine, device) are refused with a
//! pointer to the field that sets them; options that run Python from arguments are refused
//! outright. Everything else must be on the allowlist, followed by a value of the right type.

use thiserror::Error;

use crate::template::ArgType;

/// An option users may add, with the type of the value that follows it (if any).
#[derive(Debug)]
struct AllowedOption {
    names: &'static [&'static str],
    value: Option<ArgType>,
}

const ALLOWED: &[AllowedOption] = &[
    AllowedOption {
        names: &["--threads", "-t"],
        value: Some(ArgType::Natural),
    },
    AllowedOption {
        names: &["--scene", "-S"],
        value: Some(ArgType::Word),
    },
    AllowedOption {
        names: &["--factory-startup"],
        value: None,
    },
    AllowedOption {
        names: &["--enable-autoexec", "-y"],
        value: None,
    },
    AllowedOption {
        names: &["--disable-autoexec", "-Y"],
        value: None,
    },
    AllowedOption {
        names: &["--log-level"],
        value: Some(ArgType::Integer),
    },
    AllowedOption {
        names: &["--verbose"],
        value: Some(ArgType::Natural),
    },
    AllowedOption {
        names: &["--debug-cycles"],
        value: None,
    },
    AllowedOption {
        names: &["--debug-memory"],
        value: None,
    },
];

/// Options the agent sets itself, with the field (or reason) to point the user to.
const REFUSED: &[(&[&str], &str)] = &[
    (
        &["-b", "--background"],
        "the agent always runs Blender in the background",
    ),
    (&["-o", "--render-output"], "set spec.output instead"),
    (
        &["-F", "--render-format"],
        "set spec.engine.blender.outputFormat instead",
    ),
    (
        &[
            "-s",
            "--frame-start",
            "-e",
            "--frame-end",
            "-j",
            "--frame-jump",
            "-f",
            "--render-frame",
            "-a",
            "--render-anim",
        ],
        "set spec.frames instead",
    ),
    (
        &["-E", "--engine"],
        "set spec.engine.blender.renderEngine instead",
    ),
    (
        &["--cycles-device"],
        "set spec.engine.blender.device instead",
    ),
    (&["-x", "--use-extension"], "set spec.output.naming instead"),
    (
        &[
            "-P",
            "--python",
            "--python-expr",
            "--python-text",
            "--python-console",
            "--python-exit-code",
            "--addons",
            "--app-template",
        ],
        "running Python from arguments is not allowed on the farm; put the script in the \
         scene or the engine image",
    ),
];

/// Every option name users may add, for schema rules and messages.
pub fn allowed_option_names() -> impl Iterator<Item = &'static str> {
    ALLOWED
        .iter()
        .flat_map(|option| option.names.iter().copied())
}

/// The first problem in a list of extra Blender arguments.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct ExtraArgError {
    /// Index of the offending argument.
    pub index: usize,
    pub message: String,
}

/// Checks extra arguments option by option, with each option's value typed.
pub fn check_extra_args(args: &[String]) -> Result<(), ExtraArgError> {
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        let fail = |index, message: String| Err(ExtraArgError { index, message });
        if let Some((_, why)) = REFUSED
            .iter()
            .find(|(names, _)| names.contains(&arg.as_str()))
        {
            return fail(index, format!("'{arg}' cannot be added: {why}"));
        }
        let Some(option) = ALLOWED
            .iter()
            .find(|option| option.names.contains(&arg.as_str()))
        else {
            let allowed: Vec<&str> = allowed_option_names().collect();
            let what = if arg.starts_with('-') {
                format!("'{arg}' is not an option that may be added")
            } else {
                format!("'{arg}' is not an option; a value follows its option, e.g. --threads 8")
            };
            return fail(index, format!("{what}; allowed: {}", allowed.join(", ")));
        };
        index += 1;
        if let Some(value_type) = option.value {
            let Some(value) = args.get(index) else {
                return fail(
                    index - 1,
                    format!("'{arg}' needs a value: {}", value_type.describe()),
                );
            };
            if let Err(error) = value_type.check(value) {
                return fail(index, format!("value of '{arg}': {error}"));
            }
            index += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(args: &[&str]) -> Result<(), ExtraArgError> {
        check_extra_args(&args.iter().map(|arg| arg.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn allowed_options_with_typed_values_pass() {
        assert!(check(&[]).is_ok());
        assert!(
            check(&[
                "--threads",
                "8",
                "-S",
                "Scene.001",
                "-y",
                "--log-level",
                "-1"
            ])
            .is_ok()
        );
    }

    #[test]
    fn controlled_and_python_options_are_refused_with_the_field_to_use() {
        let error = check(&["-o", "/tmp/x"]).unwrap_err();
        assert_eq!(error.index, 0);
        assert!(error.message.contains("spec.output"), "{}", error.message);
        let error = check(&["--threads", "4", "--python-expr", "import os"]).unwrap_err();
        assert_eq!(error.index, 2);
        assert!(error.message.contains("Python"), "{}", error.message);
    }

    #[test]
    fn values_are_typed_and_never_shell_syntax() {
        let error = check(&["--threads", "4; rm -rf /"]).unwrap_err();
        assert_eq!(error.index, 1);
        assert!(
            check(&["--threads"]).is_err(),
            "a missing value is an error"
        );
        assert!(check(&["--scene", "--python"]).is_err());
        let error = check(&["8"]).unwrap_err();
        assert!(error.message.contains("not an option"), "{}", error.message);
        assert!(check(&["--render-anim-now"]).is_err());
    }
}
