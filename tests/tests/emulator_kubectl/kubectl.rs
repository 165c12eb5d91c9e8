//! Runs the installed `kubectl` against an emulator as a user would: default flags, the
//! emulator's kubeconfig, a discovery cache of its own, one namespace per test. Commands end
//! within a time limit; long-running ones (`get -w`, `wait`, `delete`) run in the background
//! and are read as they go.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use framefarm_tests::emulator::Emulator;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// Longer than any command here takes; kubectl's own timeouts are shorter.
const COMMAND_LIMIT: Duration = Duration::from_secs(60);

/// The program to run: `kubectl` on the `PATH` unless `FRAMEFARM_KUBECTL` names another, so
/// that the suite can be run against several kubectl versions.
fn program() -> String {
    std::env::var("FRAMEFARM_KUBECTL").unwrap_or_else(|_| "kubectl".to_owned())
}

/// How a finished command went.
#[derive(Debug)]
pub struct Outcome {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// The standard output, failing the test when the command failed.
    pub fn expect_success(self, what: &str) -> String {
        assert!(
            self.success,
            "{what} failed:\n{}\n{}",
            self.stdout, self.stderr
        );
        self.stdout
    }

    /// The standard error, failing the test when the command succeeded.
    pub fn expect_failure(self, what: &str) -> String {
        assert!(!self.success, "{what} succeeded:\n{}", self.stdout);
        self.stderr
    }
}

/// `kubectl` pointed at one emulator and namespace.
pub struct Kubectl {
    kubeconfig: PathBuf,
    cache: tempfile::TempDir,
    namespace: String,
}

impl Kubectl {
    pub fn new(emulator: &Emulator, namespace: &str) -> Kubectl {
        Kubectl {
            kubeconfig: emulator.kubeconfig().to_owned(),
            cache: tempfile::tempdir().expect("a discovery cache folder"),
            namespace: namespace.to_owned(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(program());
        command
            .args(args)
            .arg(format!("--namespace={}", self.namespace))
            .current_dir(framefarm_tests::manifests::repo_root())
            .env("KUBECONFIG", &self.kubeconfig)
            .env("KUBECACHEDIR", self.cache.path())
            .env_remove("KUBECTL_EXTERNAL_DIFF")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs a command to its end.
    pub async fn run(&self, args: &[&str]) -> Outcome {
        let child = self.command(args).spawn().expect("kubectl starts");
        finish(child, args).await
    }

    /// Starts a command that runs until something happens.
    pub fn start(&self, args: &[&str]) -> Background {
        let mut child = self.command(args).spawn().expect("kubectl starts");
        let stdout = child.stdout.take().expect("a piped stdout");
        Background {
            child,
            lines: BufReader::new(stdout).lines(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            seen: Vec::new(),
        }
    }
}

async fn finish(child: Child, args: &[impl AsRef<str>]) -> Outcome {
    let shown: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let output = tokio::time::timeout(COMMAND_LIMIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("kubectl {} did not finish", shown.join(" ")))
        .expect("kubectl runs");
    Outcome {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A command running in the background, read line by line.
pub struct Background {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    args: Vec<String>,
    seen: Vec<String>,
}

impl Background {
    /// Reads output until a line satisfies `wanted`, failing the test after `limit`.
    pub async fn line_where(&mut self, limit: Duration, wanted: impl Fn(&str) -> bool) -> String {
        let reading = async {
            while let Some(line) = self.lines.next_line().await.expect("kubectl's output") {
                self.seen.push(line.clone());
                if wanted(&line) {
                    return Some(line);
                }
            }
            None
        };
        match tokio::time::timeout(limit, reading).await {
            Ok(Some(line)) => line,
            outcome => panic!(
                "kubectl {} never printed the line wanted ({}); it printed:\n{}",
                self.args.join(" "),
                if outcome.is_ok() {
                    "it ended"
                } else {
                    "timed out"
                },
                self.seen.join("\n")
            ),
        }
    }

    /// Whether the command is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("kubectl's status").is_none()
    }

    /// Waits for the command to end by itself.
    pub async fn finish(mut self) -> Outcome {
        let mut rest = self.seen.join("\n");
        while let Some(line) = tokio::time::timeout(COMMAND_LIMIT, self.lines.next_line())
            .await
            .expect("kubectl ends")
            .expect("kubectl's output")
        {
            if !rest.is_empty() {
                rest.push('\n');
            }
            rest.push_str(&line);
        }
        let mut outcome = finish(self.child, &self.args).await;
        outcome.stdout = rest;
        outcome
    }
}

/// Writes `text` as a manifest file in `dir` and returns its path.
pub fn write_manifest(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the manifest is written");
    path
}
