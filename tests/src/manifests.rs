//! Loads YAML manifests with the comment header that explains them, and finds the repository's
//! folders of manifests.

use std::path::{Path, PathBuf};

use serde_json::Value;
use thiserror::Error;

/// A manifest file: its leading comment lines and its YAML documents.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub path: PathBuf,
    /// The comment lines at the top of the file, without the `#`.
    pub header: Vec<String>,
    pub documents: Vec<Value>,
}

/// Why a manifest could not be loaded.
#[derive(Debug, Error)]
pub enum ManifestError {
    #[error("failed to read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to parse {path} as YAML")]
    Parse {
        path: String,
        #[source]
        source: Box<serde_saphyr::Error>,
    },
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: display.clone(),
            source,
        })?;
        let header = text
            .lines()
            .map_while(|line| line.strip_prefix('#'))
            .map(|line| line.trim().to_owned())
            .collect();
        let documents = serde_saphyr::from_multiple::<Value>(&text)
            .map_err(|source| ManifestError::Parse {
                path: display,
                source: Box::new(source),
            })?
            .into_iter()
            .filter(|document| !document.is_null())
            .collect();
        Ok(Manifest {
            path: path.to_owned(),
            header,
            documents,
        })
    }

    /// Every `.yaml` manifest directly in `dir`, sorted by file name.
    pub fn load_dir(dir: &Path) -> Result<Vec<Manifest>, ManifestError> {
        let entries = std::fs::read_dir(dir).map_err(|source| ManifestError::Read {
            path: dir.display().to_string(),
            source,
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        paths.sort();
        paths.iter().map(|path| Manifest::load(path)).collect()
    }

    /// The value of a `# name: value` line in the header.
    pub fn directive(&self, name: &str) -> Option<&str> {
        self.header.iter().find_map(|line| {
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(':'))
                .map(str::trim)
        })
    }

    /// The file name, for test messages.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// The root of the repository.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}
