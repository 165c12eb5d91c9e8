//! Finds and runs the external programs the test harness drives (Garage, rclone, Blender), and
//! turns a failed run into an error that names the command and shows the end of its output.
//! Knows nothing about what the programs do.

use std::error::Error;
use std::ffi::OsStr;
use std::fmt;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};

use thiserror::Error;

/// How many lines of a program's output an error shows.
const TAIL_LINES: usize = 40;

/// Why running an external program failed.
#[derive(Debug, Error)]
pub enum CommandError {
    #[error("failed to run `{command}`")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write the standard input of `{command}`")]
    WriteInput {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "failed to run `{command}`: it exited with {status}; its output ends with:\n{output_tail}"
    )]
    Exit {
        command: String,
        status: ExitStatus,
        output_tail: String,
    },
}

impl CommandError {
    /// The exit code of a program that ran and failed, if it exited rather than being killed.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            CommandError::Exit { status, .. } => status.code(),
            CommandError::Spawn { .. } | CommandError::WriteInput { .. } => None,
        }
    }
}

/// Writes `error`'s message and the messages of its sources, one a line: the `Debug` of the
/// harness's public errors, so that a test's `expect` prints what went wrong and what to do.
pub(crate) fn write_chain(error: &dyn Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{error}")?;
    let mut source = error.source();
    while let Some(cause) = source {
        write!(f, "\n  caused by: {cause}")?;
        source = cause.source();
    }
    Ok(())
}

/// The command line as a user would type it, for error messages; an argument of several lines
/// (a script) shows as `<script of N lines>`.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(OsStr::to_string_lossy)
        .map(|arg| match arg.lines().count() {
            0 | 1 => arg.into_owned(),
            lines => format!("<script of {lines} lines>"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `command` to completion with `input` on its standard input (empty when `None`) and
/// returns its output when it exits with success.
pub fn run(command: &mut Command, input: Option<&[u8]>) -> Result<Output, CommandError> {
    let description = describe(command);
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|source| CommandError::Spawn {
        command: description.clone(),
        source,
    })?;
    let stdin = child.stdin.take();
    // Feed the input from another thread so that a program that writes a lot before it has read
    // all of its input cannot deadlock against us.
    let (written, output) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || match (stdin, input) {
            (Some(mut stdin), Some(input)) => stdin.write_all(input),
            _ => Ok(()),
        });
        let output = child.wait_with_output();
        (writer.join(), output)
    });
    let output = output.map_err(|source| CommandError::Spawn {
        command: description.clone(),
        source,
    })?;
    if !output.status.success() {
        return Err(CommandError::Exit {
            command: description,
            status: output.status,
            output_tail: output_tail(&output),
        });
    }
    match written {
        Ok(Ok(())) => Ok(output),
        Ok(Err(source)) => Err(CommandError::WriteInput {
            command: description,
            source,
        }),
        Err(_) => Err(CommandError::WriteInput {
            command: description,
            source: std::io::Error::other("the thread writing the input panicked"),
        }),
    }
}

/// The last lines of a finished program's standard output and standard error.
pub fn output_tail(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.stderr.is_empty() {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&String::from_utf8_lossy(&output.stderr));
    }
    tail(&text)
}

/// The last lines of `text`.
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// The last lines of the file at `path`, or a note saying why it could not be read.
pub fn file_tail(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(bytes) => tail(&String::from_utf8_lossy(&bytes)),
        Err(error) => format!("(failed to read {}: {error})", path.display()),
    }
}

/// The program named by the environment variable `variable` when it is set and not empty, else
/// `name` found on `PATH`, else the first of `fallbacks` that exists.
pub fn find_program(variable: &str, name: &str, fallbacks: &[PathBuf]) -> Option<PathBuf> {
    if let Some(value) = std::env::var_os(variable).filter(|value| !value.is_empty()) {
        return Some(PathBuf::from(value));
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .chain(fallbacks.iter().cloned())
        .find(|path| is_executable(path))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}
