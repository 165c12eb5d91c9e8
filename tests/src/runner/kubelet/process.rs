//! A container's process: started in its own process group with stdout and stderr appended to
//! its log file, signalled as a group, and reaped. Dropping a process kills whatever is left
//! of its group, as a runtime tears down a container's cgroup. Knows nothing of pods.

use std::fs::{File, OpenOptions};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use super::launch::{LaunchPlan, WorkingDir};

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("failed to open log file {path}")]
    OpenLog {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to create working directory {path}")]
    CreateWorkingDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to start {program:?}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to wait for process {pid}")]
    Wait {
        pid: i32,
        #[source]
        source: std::io::Error,
    },
}

impl ProcessError {
    /// What a container runtime would say when a container cannot start, for the
    /// `StartError` termination message.
    pub fn start_message(&self) -> String {
        match self {
            ProcessError::Spawn { program, source }
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                format!("exec: \"{program}\": executable file not found in $PATH")
            }
            ProcessError::CreateWorkingDir { path, source }
            | ProcessError::OpenLog { path, source } => {
                format!("{}: {source}", path.display())
            }
            ProcessError::Spawn { program, source } => format!("exec: \"{program}\": {source}"),
            ProcessError::Wait { source, .. } => source.to_string(),
        }
    }
}

/// A started container process.
#[derive(Debug)]
pub struct ContainerProcess {
    child: Child,
    group: Pid,
}

impl ContainerProcess {
    /// Starts the plan. `fresh_log` truncates the log first (a new pod reusing a name);
    /// restarts append.
    pub fn start(plan: &LaunchPlan, log: &Path, fresh_log: bool) -> Result<Self, ProcessError> {
        let log_file = open_log(log, fresh_log)?;
        let stderr = log_file
            .try_clone()
            .map_err(|source| ProcessError::OpenLog {
                path: log.to_path_buf(),
                source,
            })?;
        let working_dir = match &plan.working_dir {
            WorkingDir::Mapped(path) => {
                std::fs::create_dir_all(path).map_err(|source| ProcessError::CreateWorkingDir {
                    path: path.clone(),
                    source,
                })?;
                path
            }
            WorkingDir::Host(path) => path,
        };
        let child = Command::new(&plan.program)
            .args(&plan.args)
            .env_clear()
            .envs(&plan.env)
            .current_dir(working_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(stderr))
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| ProcessError::Spawn {
                program: plan.program.clone(),
                source,
            })?;
        let pid = child
            .id()
            .and_then(|pid| i32::try_from(pid).ok())
            .unwrap_or(0);
        Ok(ContainerProcess {
            child,
            group: Pid::from_raw(pid),
        })
    }

    pub fn pid(&self) -> i32 {
        self.group.as_raw()
    }

    /// Sends `signal` to every process of the container.
    pub fn signal(&self, signal: Signal) {
        if self.group.as_raw() > 0 {
            // The group may be gone already; that is what the caller wanted.
            let _ = killpg(self.group, signal);
        }
    }

    /// Waits for the container's main process to end and returns its exit code (128 + the
    /// signal for a process killed by one); what it left running is killed.
    pub async fn wait(&mut self) -> Result<i32, ProcessError> {
        let status = self
            .child
            .wait()
            .await
            .map_err(|source| ProcessError::Wait {
                pid: self.group.as_raw(),
                source,
            })?;
        self.signal(Signal::SIGKILL);
        Ok(status
            .code()
            .or_else(|| status.signal().map(|signal| 128 + signal))
            .unwrap_or(128))
    }
}

impl Drop for ContainerProcess {
    fn drop(&mut self) {
        self.signal(Signal::SIGKILL);
    }
}

fn open_log(path: &Path, fresh: bool) -> Result<File, ProcessError> {
    let error = |source| ProcessError::OpenLog {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    OpenOptions::new()
        .create(true)
        .append(!fresh)
        .write(true)
        .truncate(fresh)
        .open(path)
        .map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn shell(script: &str, dir: &Path) -> LaunchPlan {
        LaunchPlan {
            program: "sh".to_owned(),
            args: vec!["-c".to_owned(), script.to_owned()],
            env: BTreeMap::from([
                ("PATH".to_owned(), std::env::var("PATH").unwrap()),
                ("GREETING".to_owned(), "hello".to_owned()),
            ]),
            working_dir: WorkingDir::Mapped(dir.join("work")),
        }
    }

    #[tokio::test]
    async fn output_goes_to_the_log_and_the_exit_code_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("logs/main.log");
        let mut process = ContainerProcess::start(
            &shell("echo $GREETING; echo oops >&2; pwd; exit 3", dir.path()),
            &log,
            true,
        )
        .unwrap();
        assert_eq!(process.wait().await.unwrap(), 3);
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.starts_with("hello\noops\n"), "{text}");
        assert!(
            text.trim_end().ends_with("/work"),
            "the working directory is created: {text}"
        );
    }

    #[tokio::test]
    async fn restarts_append_and_fresh_starts_truncate() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("main.log");
        for fresh in [true, false] {
            let mut process =
                ContainerProcess::start(&shell("echo run", dir.path()), &log, fresh).unwrap();
            process.wait().await.unwrap();
        }
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "run\nrun\n");
        let mut process =
            ContainerProcess::start(&shell("echo again", dir.path()), &log, true).unwrap();
        process.wait().await.unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "again\n");
    }

    #[tokio::test]
    async fn a_signal_reaches_the_whole_group_and_shows_in_the_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("child-alive");
        let script = format!("(sleep 30; touch {}) & sleep 30", marker.display());
        let mut process =
            ContainerProcess::start(&shell(&script, dir.path()), &dir.path().join("log"), true)
                .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        process.signal(Signal::SIGKILL);
        assert_eq!(process.wait().await.unwrap(), 137);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!marker.exists());
    }

    #[tokio::test]
    async fn a_trap_can_answer_sigterm() {
        let dir = tempfile::tempdir().unwrap();
        let script = "trap 'echo stopping; exit 0' TERM; while true; do sleep 0.1; done";
        let log = dir.path().join("log");
        let mut process = ContainerProcess::start(&shell(script, dir.path()), &log, true).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        process.signal(Signal::SIGTERM);
        assert_eq!(process.wait().await.unwrap(), 0);
        assert!(std::fs::read_to_string(&log).unwrap().contains("stopping"));
    }

    #[tokio::test]
    async fn a_missing_program_is_reported_as_a_runtime_would() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = shell("", dir.path());
        plan.program = "no-such-program-here".to_owned();
        let error = ContainerProcess::start(&plan, &dir.path().join("log"), true).unwrap_err();
        assert_eq!(
            error.start_message(),
            "exec: \"no-such-program-here\": executable file not found in $PATH"
        );
    }
}
