//! `node-agent install`: copies the running agent's own executable to a path, so an init
//! container from the agent's image can hand the agent to an engine image that lacks it. The
//! copy is written under a temporary name and renamed into place, so the path never holds a
//! partial program. It does not check what the destination's filesystem allows to execute.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Mode of the installed program: everyone may run it, only its owner may change it.
const MODE: u32 = 0o755;

/// Why the agent could not be installed.
#[derive(Debug, Error)]
pub enum InstallError {
    #[error("failed to find the agent's own executable: {0}")]
    CurrentExe(#[source] std::io::Error),
    #[error("failed to install the agent at {dest}: the path names no file")]
    NoFileName { dest: PathBuf },
    #[error("failed to create the folder {folder} for the agent: {source}")]
    CreateFolder {
        folder: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to copy the agent from {source_path} to {staging}: {source}")]
    Copy {
        source_path: PathBuf,
        staging: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to make {staging} executable: {source}")]
    SetMode {
        staging: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to move the agent from {staging} to {dest}: {source}")]
    Rename {
        staging: PathBuf,
        dest: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Copies the running executable to `dest`; returns the bytes written.
pub fn install_self(dest: &Path) -> Result<u64, InstallError> {
    let source = std::env::current_exe().map_err(InstallError::CurrentExe)?;
    install_executable(&source, dest)
}

/// Copies `source` to `dest` with mode 0755, creating `dest`'s folders; returns the bytes
/// written. An existing file at `dest` is replaced.
pub fn install_executable(source: &Path, dest: &Path) -> Result<u64, InstallError> {
    let name = dest
        .file_name()
        .ok_or_else(|| InstallError::NoFileName {
            dest: dest.to_owned(),
        })?
        .to_string_lossy()
        .into_owned();
    let folder = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).map_err(|source| InstallError::CreateFolder {
        folder: folder.clone(),
        source,
    })?;
    // Beside the destination, so the rename stays on one filesystem; the process id keeps two
    // installers racing for the same path apart.
    let staging = folder.join(format!(".{name}.{}.partial", std::process::id()));
    let staged = stage(source, &staging).and_then(|bytes| {
        std::fs::rename(&staging, dest).map_err(|error| InstallError::Rename {
            staging: staging.clone(),
            dest: dest.to_owned(),
            source: error,
        })?;
        Ok(bytes)
    });
    if staged.is_err() {
        // Best effort: a leftover partial file is harmless but untidy.
        let _ = std::fs::remove_file(&staging);
    }
    staged
}

fn stage(source: &Path, staging: &Path) -> Result<u64, InstallError> {
    let bytes = std::fs::copy(source, staging).map_err(|error| InstallError::Copy {
        source_path: source.to_owned(),
        staging: staging.to_owned(),
        source: error,
    })?;
    std::fs::set_permissions(staging, std::fs::Permissions::from_mode(MODE)).map_err(|source| {
        InstallError::SetMode {
            staging: staging.to_owned(),
            source,
        }
    })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_program_is_copied_executable_into_new_folders() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("agent");
        std::fs::write(&source, b"#!/bin/sh\necho hi\n").unwrap();
        std::fs::set_permissions(&source, std::fs::Permissions::from_mode(0o600)).unwrap();
        let dest = dir.path().join("framefarm/bin/node-agent");

        assert_eq!(install_executable(&source, &dest).unwrap(), 18);
        assert_eq!(std::fs::read(&dest).unwrap(), b"#!/bin/sh\necho hi\n");
        assert_eq!(mode(&dest), 0o755);
        let leftovers: Vec<_> = std::fs::read_dir(dest.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["node-agent"], "no partial file is left");
    }

    #[test]
    fn an_existing_program_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("agent");
        std::fs::write(&source, b"new").unwrap();
        let dest = dir.path().join("node-agent");
        std::fs::write(&dest, b"old version").unwrap();
        install_executable(&source, &dest).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
    }

    #[test]
    fn a_missing_source_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("bin/node-agent");
        let error = install_executable(&dir.path().join("absent"), &dest).unwrap_err();
        assert!(matches!(error, InstallError::Copy { .. }), "{error}");
        assert_eq!(
            std::fs::read_dir(dir.path().join("bin")).unwrap().count(),
            0
        );
    }
}
