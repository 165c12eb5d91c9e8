//! Running the real `kubectl` against an emulated cluster, with its own discovery cache.

use std::path::Path;
use std::process::{Command, Output};

use thiserror::Error;

use super::Cluster;

/// A failed `kubectl` run.
#[derive(Debug, Error)]
pub enum KubectlError {
    #[error("failed to run kubectl {args}")]
    Spawn {
        args: String,
        #[source]
        source: std::io::Error,
    },
    #[error("kubectl {args} exited with {status}: {stderr}")]
    Failed {
        args: String,
        status: String,
        stdout: String,
        stderr: String,
    },
}

impl Cluster {
    /// `kubectl` with this cluster's kubeconfig, default flags otherwise.
    pub fn kubectl_command(&self) -> Command {
        let mut command = Command::new("kubectl");
        command
            .env("KUBECONFIG", self.kubeconfig())
            .env("KUBECACHEDIR", &self.kubectl_cache);
        command
    }

    /// Runs `kubectl args…`; the output when it succeeds.
    pub fn kubectl(&self, args: &[&str]) -> Result<Output, KubectlError> {
        let shown = args.join(" ");
        let output = self
            .kubectl_command()
            .args(args)
            .output()
            .map_err(|source| KubectlError::Spawn {
                args: shown.clone(),
                source,
            })?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(KubectlError::Failed {
                args: shown,
                status: output.status.to_string(),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            })
        }
    }

    /// `kubectl apply -n namespace -f file`; its standard output.
    pub fn kubectl_apply(&self, namespace: &str, file: &Path) -> Result<String, KubectlError> {
        let file = file.display().to_string();
        let output = self.kubectl(&["apply", "-n", namespace, "-f", &file])?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}
