//! The operator binary as a child process, with its log in a file, killed on drop.

use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use super::AGENT_IMAGE;

pub struct Operator {
    child: Option<Child>,
    kubeconfig: PathBuf,
    log: PathBuf,
    extra: Vec<String>,
    pub http_port: u16,
}

/// Operator processes started by this test binary; each gets its own Lease identity.
static STARTS: AtomicU32 = AtomicU32::new(1);

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

impl Operator {
    pub fn start(kubeconfig: &Path, dir: &Path, extra: &[&str]) -> Operator {
        std::fs::create_dir_all(dir).expect("operator folder");
        let mut operator = Operator {
            child: None,
            kubeconfig: kubeconfig.to_owned(),
            log: dir.join("operator.log"),
            extra: extra.iter().map(|arg| (*arg).to_owned()).collect(),
            http_port: free_port(),
        };
        operator.spawn();
        operator
    }

    /// An operator that is not running (the chart's Deployment runs it as a pod instead);
    /// `restart` would start it.
    pub fn not_started(kubeconfig: &Path, dir: &Path, extra: &[&str]) -> Operator {
        std::fs::create_dir_all(dir).expect("operator folder");
        Operator {
            child: None,
            kubeconfig: kubeconfig.to_owned(),
            log: dir.join("operator.log"),
            extra: extra.iter().map(|arg| (*arg).to_owned()).collect(),
            http_port: free_port(),
        }
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("operator log");
        let child = Command::new(env!("CARGO_BIN_EXE_framefarm-operator"))
            .env("KUBECONFIG", &self.kubeconfig)
            .env("FRAMEFARM_LOG", "info,framefarm_operator=debug")
            .env_remove("AWS_CA_BUNDLE")
            .args([
                "--agent-image",
                AGENT_IMAGE,
                "--http-addr",
                &format!("127.0.0.1:{}", self.http_port),
                "--lease-namespace",
                "default",
                "--identity",
                &format!("operator-{}", STARTS.fetch_add(1, Ordering::Relaxed)),
                "--lease-seconds",
                "3",
                "--termination-grace-seconds",
                "30",
            ])
            .args(&self.extra)
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("the operator starts");
        self.child = Some(child);
    }

    /// Peak resident memory of the running operator (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Kills the operator at once (SIGKILL: no cleanup, like a crashed pod).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the operator with SIGTERM and waits for it; its exit status.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).ok()?);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        child.wait().ok()
    }

    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// GET of a path on the operator's HTTP server: the status code and body.
    pub fn http_get(&self, path: &str) -> (u16, String) {
        self.try_http_get(path)
            .expect("the operator's HTTP server answers")
    }

    /// GET of a path, or `None` while the server does not answer (e.g. starting).
    pub fn try_http_get(&self, path: &str) -> Option<(u16, String)> {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.http_port)).ok()?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let code = response
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        Some((code, body))
    }

    /// The last `lines` lines of the operator's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.log) {
            let length = file.metadata().map(|meta| meta.len()).unwrap_or(0);
            let _ = file.seek(SeekFrom::Start(length.saturating_sub(64 * 1024)));
            let _ = file.read_to_string(&mut text);
        }
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.kill();
    }
}
