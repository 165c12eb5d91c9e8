//! Notices files a command engine writes into its output folder, oldest first.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub(super) struct Watcher {
    root: PathBuf,
    seen: HashSet<PathBuf>,
}

impl Watcher {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
            seen: HashSet::new(),
        }
    }

    /// Files that appeared since the last call, in the order they were last written.
    pub fn new_files(&mut self) -> std::io::Result<Vec<PathBuf>> {
        let mut found: Vec<(SystemTime, PathBuf)> = Vec::new();
        let mut folders = vec![self.root.clone()];
        while let Some(folder) = folders.pop() {
            let entries = match std::fs::read_dir(&folder) {
                Ok(entries) => entries,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            };
            for entry in entries {
                let entry = entry?;
                let kind = entry.file_type()?;
                let path = entry.path();
                if kind.is_dir() {
                    folders.push(path);
                } else if kind.is_file() && !self.seen.contains(&path) {
                    let written = entry.metadata()?.modified()?;
                    found.push((written, path));
                }
            }
        }
        found.sort();
        Ok(found
            .into_iter()
            .map(|(_, path)| {
                self.seen.insert(path.clone());
                path
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_is_reported_once_including_those_in_subfolders() {
        let root = tempfile::tempdir().unwrap();
        let mut watcher = Watcher::new(root.path());
        assert!(watcher.new_files().unwrap().is_empty());
        std::fs::write(root.path().join("f_0001.png"), b"1").unwrap();
        std::fs::create_dir(root.path().join("beauty")).unwrap();
        std::fs::write(root.path().join("beauty/f_0002.png"), b"2").unwrap();
        let first = watcher.new_files().unwrap();
        assert_eq!(first.len(), 2);
        std::fs::write(root.path().join("f_0003.png"), b"3").unwrap();
        assert_eq!(
            watcher.new_files().unwrap(),
            vec![root.path().join("f_0003.png")]
        );
    }
}
