//! A real Garage S3 server on loopback for one test: a throwaway single-node cluster with one
//! access key, buckets on request, and stop/restart for fault tests. Object access for the
//! test's own checks goes through the rclone command-line tool; the code under test brings its
//! own S3 client.

mod config;
mod objects;

use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use thiserror::Error;

use self::config::{Ports, config_text, free_port, random_hex};
use crate::command::{self, CommandError};

const REGION: &str = "us-east-1";
const KEY_NAME: &str = "framefarm-test";
/// How long the server may take to answer after it is started.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How often to ask whether the server answers yet.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Tries with fresh ports when another process took one between our probe and Garage's bind.
const START_ATTEMPTS: usize = 3;

/// Why the Garage server or one of its commands failed. `Debug` prints the message and its
/// causes, so that a test's `expect` shows what went wrong and what to do.
#[derive(Error)]
pub enum GarageError {
    #[error(
        "failed to find Garage: $GARAGE_BIN is not set, there is no `garage` on PATH and no \
         ~/.cargo/bin/garage; install it with `cargo install garage --locked`"
    )]
    FindGarage,
    #[error(
        "failed to find rclone, which the test harness uses to read and write objects; \
         install it with `apt-get install rclone`"
    )]
    FindRclone,
    #[error("failed to create a temporary folder for Garage")]
    CreateTempDir(#[source] std::io::Error),
    #[error("failed to pick a free loopback port for Garage")]
    PickPort(#[source] std::io::Error),
    #[error("failed to write Garage's configuration {path}")]
    WriteConfig {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to open Garage's log {path}")]
    OpenLog {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to start the Garage server `{command}`")]
    SpawnServer {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to start Garage: the server exited with {status}; its log says:\n{log_tail}")]
    ServerExited {
        status: String,
        log_tail: String,
        /// A port picked as free was taken before Garage bound it; starting again helps.
        port_taken: bool,
    },
    #[error(
        "failed to start Garage: its S3 API on {endpoint} did not answer within {timeout:?}; \
         the last check said: {last_error}\nthe server's log ends with:\n{log_tail}"
    )]
    WaitReady {
        endpoint: String,
        timeout: Duration,
        last_error: String,
        log_tail: String,
    },
    #[error("failed to get the Garage node's id")]
    GetNodeId(#[source] CommandError),
    #[error("failed to get the Garage node's id: `node id` printed {output:?}")]
    ParseNodeId { output: String },
    #[error("failed to assign node {node} to the Garage layout")]
    AssignLayout {
        node: String,
        #[source]
        source: CommandError,
    },
    #[error("failed to apply the Garage layout")]
    ApplyLayout(#[source] CommandError),
    #[error("failed to import the access key {key_id} into Garage")]
    ImportKey {
        key_id: String,
        #[source]
        source: CommandError,
    },
    #[error("failed to create the bucket {bucket}")]
    CreateBucket {
        bucket: String,
        #[source]
        source: CommandError,
    },
    #[error("failed to allow the key {key_id} on the bucket {bucket}")]
    AllowBucket {
        bucket: String,
        key_id: String,
        #[source]
        source: CommandError,
    },
    #[error("failed to stop the Garage server")]
    StopServer(#[source] std::io::Error),
    #[error("failed to put the object {bucket}/{key}")]
    PutObject {
        bucket: String,
        key: String,
        #[source]
        source: CommandError,
    },
    #[error("failed to get the object {bucket}/{key}")]
    GetObject {
        bucket: String,
        key: String,
        #[source]
        source: CommandError,
    },
    #[error("failed to list the objects under {bucket}/{prefix}")]
    ListObjects {
        bucket: String,
        prefix: String,
        #[source]
        source: CommandError,
    },
}

impl std::fmt::Debug for GarageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        command::write_chain(self, f)
    }
}

/// A running (or, after [`Garage::stop`], stopped) single-node Garage server. Dropping it kills
/// the server and deletes its data.
#[derive(Debug)]
pub struct Garage {
    garage: PathBuf,
    rclone: PathBuf,
    config: PathBuf,
    log: PathBuf,
    ports: Ports,
    access_key_id: String,
    secret_access_key: String,
    server: Option<Child>,
    dir: TempDir,
}

/// What the log of a server that exited says about why: around a panic, the last log lines
/// and the panic message (the tail of the log is Garage's long backtrace); else the tail.
fn exit_report(log: &str) -> String {
    let Some(panic) = log.find("======== PANIC") else {
        return command::tail(log);
    };
    let before = command::tail(&log[..panic]);
    let message_end = log[panic..]
        .find("Panics are internal errors")
        .map_or(log.len(), |end| panic + end);
    format!("{before}\n{}", log[panic..message_end].trim_end())
}

impl Garage {
    /// Starts a single-node Garage with a throwaway config on free loopback ports, sets up its
    /// layout, and creates one access key. Finds the binary as `$GARAGE_BIN`, else `garage` on
    /// PATH, else `~/.cargo/bin/garage`; and rclone as `$RCLONE_BIN`, else on PATH. Tries
    /// again with fresh ports when one was taken between picking it and Garage binding it.
    pub fn start() -> Result<Garage, GarageError> {
        let mut attempt = 1;
        loop {
            match Garage::start_once() {
                Err(GarageError::ServerExited {
                    port_taken: true, ..
                }) if attempt < START_ATTEMPTS => {
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn start_once() -> Result<Garage, GarageError> {
        let home_garage = std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".cargo/bin/garage"))
            .into_iter()
            .collect::<Vec<_>>();
        let garage = command::find_program("GARAGE_BIN", "garage", &home_garage)
            .ok_or(GarageError::FindGarage)?;
        let rclone =
            command::find_program("RCLONE_BIN", "rclone", &[]).ok_or(GarageError::FindRclone)?;
        let dir = tempfile::Builder::new()
            .prefix("framefarm-garage-")
            .tempdir()
            .map_err(GarageError::CreateTempDir)?;
        let ports = Ports {
            s3: free_port()?,
            rpc: free_port()?,
            admin: free_port()?,
        };
        let config = dir.path().join("garage.toml");
        std::fs::write(&config, config_text(dir.path(), ports)).map_err(|source| {
            GarageError::WriteConfig {
                path: config.display().to_string(),
                source,
            }
        })?;
        let mut garage = Garage {
            garage,
            rclone,
            log: dir.path().join("garage.log"),
            config,
            ports,
            access_key_id: format!("GK{}", random_hex(12)),
            secret_access_key: random_hex(32),
            server: None,
            dir,
        };
        garage.spawn_server()?;
        let node = garage.wait_for_node_id()?;
        garage
            .garage_command(&["layout", "assign", "-z", "dc1", "-c", "1G", &node])
            .map_err(|source| GarageError::AssignLayout {
                node: node.clone(),
                source,
            })?;
        garage
            .garage_command(&["layout", "apply", "--version", "1"])
            .map_err(GarageError::ApplyLayout)?;
        let (key_id, secret) = (
            garage.access_key_id.clone(),
            garage.secret_access_key.clone(),
        );
        garage
            .garage_command(&["key", "import", "--yes", "-n", KEY_NAME, &key_id, &secret])
            .map_err(|source| GarageError::ImportKey { key_id, source })?;
        garage.wait_for_s3()?;
        Ok(garage)
    }

    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.s3)
    }

    /// The region requests must be signed for.
    pub fn region(&self) -> &str {
        REGION
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The folder that holds the server's configuration, log, metadata and data.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Creates `bucket` and gives the access key read, write and owner rights on it.
    pub fn create_bucket(&self, bucket: &str) -> Result<(), GarageError> {
        self.garage_command(&["bucket", "create", bucket])
            .map_err(|source| GarageError::CreateBucket {
                bucket: bucket.to_owned(),
                source,
            })?;
        self.garage_command(&[
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            bucket,
            "--key",
            &self.access_key_id,
        ])
        .map_err(|source| GarageError::AllowBucket {
            bucket: bucket.to_owned(),
            key_id: self.access_key_id.clone(),
            source,
        })?;
        Ok(())
    }

    /// Kills the server with SIGKILL, keeping its data, as a crash would. Does nothing when it
    /// is already stopped.
    pub fn stop(&mut self) -> Result<(), GarageError> {
        if let Some(mut server) = self.server.take() {
            server.kill().map_err(GarageError::StopServer)?;
            server.wait().map_err(GarageError::StopServer)?;
        }
        Ok(())
    }

    /// Starts the server again on the same ports and data (stopping it first when it runs) and
    /// waits until its S3 API answers.
    pub fn restart(&mut self) -> Result<(), GarageError> {
        self.stop()?;
        self.spawn_server()?;
        self.wait_for_s3()
    }

    fn spawn_server(&mut self) -> Result<(), GarageError> {
        let open_log = |source| GarageError::OpenLog {
            path: self.log.display().to_string(),
            source,
        };
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(open_log)?;
        let log_err = log.try_clone().map_err(open_log)?;
        let mut server = Command::new(&self.garage);
        server
            .arg("-c")
            .arg(&self.config)
            .arg("server")
            .env("RUST_LOG", "garage=info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let child = server.spawn().map_err(|source| GarageError::SpawnServer {
            command: command::describe(&server),
            source,
        })?;
        self.server = Some(child);
        Ok(())
    }

    /// Waits until the server answers on its RPC port, then asks for its node id. (`node id`
    /// alone reads the key file and succeeds before the server listens.)
    fn wait_for_node_id(&mut self) -> Result<String, GarageError> {
        self.wait_until(|garage| {
            garage
                .garage_command(&["status"])
                .map_err(|error| format!("{error:?}"))
        })?;
        let output = self
            .garage_command(&["node", "id", "-q"])
            .map_err(GarageError::GetNodeId)?;
        let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let id: String = text.chars().take(16).collect();
        if id.len() != 16 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(GarageError::ParseNodeId { output: text });
        }
        Ok(id)
    }

    /// Waits until the S3 port accepts connections and an authenticated request succeeds.
    fn wait_for_s3(&mut self) -> Result<(), GarageError> {
        let address = SocketAddr::from(([127, 0, 0, 1], self.ports.s3));
        self.wait_until(|garage| {
            TcpStream::connect_timeout(&address, Duration::from_secs(1))
                .map_err(|error| format!("failed to connect to {address}: {error}"))?;
            let mut rclone = garage.rclone_command();
            rclone.arg("lsd").arg("garage:");
            command::run(&mut rclone, None).map_err(|error| format!("{error:?}"))
        })?;
        Ok(())
    }

    /// Calls `check` until it succeeds, failing when the server exits or time runs out.
    fn wait_until<T>(
        &mut self,
        check: impl Fn(&Garage) -> Result<T, String>,
    ) -> Result<T, GarageError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let exited = match self.server.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => Some(status.to_string()),
                Some(Ok(None)) => None,
                Some(Err(error)) => Some(format!("unknown status ({error})")),
                None => Some("no status (it was stopped)".to_owned()),
            };
            if let Some(status) = exited {
                self.server = None;
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                return Err(GarageError::ServerExited {
                    status,
                    log_tail: exit_report(&log),
                    port_taken: log.contains("in use"),
                });
            }
            match check(self) {
                Ok(value) => return Ok(value),
                Err(last_error) if Instant::now() >= deadline => {
                    return Err(GarageError::WaitReady {
                        endpoint: self.endpoint(),
                        timeout: READY_TIMEOUT,
                        last_error,
                        log_tail: command::file_tail(&self.log),
                    });
                }
                Err(_) => std::thread::sleep(POLL_INTERVAL),
            }
        }
    }

    /// Runs `garage -c <config> <args>`.
    fn garage_command(&self, args: &[&str]) -> Result<Output, CommandError> {
        let mut garage = Command::new(&self.garage);
        garage.arg("-c").arg(&self.config).args(args);
        command::run(&mut garage, None)
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            // Nothing to report to from a drop; the process is gone or going either way.
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::exit_report;

    #[test]
    fn a_panicking_server_is_reported_by_its_panic_message_not_its_backtrace() {
        let log = "INFO garage: Initializing Garage main data store...\n\
                   ======== PANIC (internal Garage error) ========\n\
                   panicked at src/rpc/system.rs:1:1: could not bind 127.0.0.1:39001\n\
                   \n\
                   Panics are internal errors that Garage is unable to handle on its own.\n\
                   BACKTRACE:\n   0: backtrace::capture\n";
        let report = exit_report(log);
        assert!(report.contains("Initializing Garage"), "{report}");
        assert!(
            report.contains("could not bind 127.0.0.1:39001"),
            "{report}"
        );
        assert!(!report.contains("BACKTRACE"), "{report}");
    }

    #[test]
    fn a_server_that_exits_without_a_panic_is_reported_by_the_tail_of_its_log() {
        assert_eq!(exit_report("one\ntwo"), "one\ntwo");
    }
}
