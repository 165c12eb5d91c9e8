//! The node-local download cache: objects keyed by bucket, key and ETag, shared by every agent
//! on a node. One lock file per entry serialises agents wanting the same object, downloads land
//! under a temporary name and are renamed into place, so no reader ever sees a torn file.
//! Least recently used entries are evicted when the cache grows past its size; an entry
//! another agent holds is never evicted. It does not decide what to download.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use md5::{Digest, Md5};
use thiserror::Error;

use crate::storage::{Storage, StorageError};

/// Why the cache could not provide an object.
#[derive(Debug, Error)]
pub enum CacheError {
    #[error("failed to prepare the cache folder {path}: {source}")]
    CreateFolder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to lock cache entry {path}: {source}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("failed to move the download of {uri} into the cache at {path}: {source}")]
    Finish {
        uri: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to place {from} at {to}: {source}")]
    Stage {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A node-local cache folder with a size budget.
#[derive(Clone, Debug)]
pub struct Cache {
    objects: PathBuf,
    locks: PathBuf,
    max_bytes: u64,
}

/// An object in the cache.
#[derive(Clone, Debug)]
pub struct CachedObject {
    pub path: PathBuf,
    pub size: u64,
    /// Bytes downloaded to provide it: zero on a cache hit.
    pub downloaded: u64,
}

impl Cache {
    pub fn open(root: &Path, max_bytes: u64) -> Result<Self, CacheError> {
        let objects = root.join("objects");
        let locks = root.join("locks");
        for path in [&objects, &locks] {
            fs::create_dir_all(path).map_err(|source| CacheError::CreateFolder {
                path: path.clone(),
                source,
            })?;
        }
        Ok(Self {
            objects,
            locks,
            max_bytes,
        })
    }

    /// The object from the cache, downloading it first unless the current version is there.
    pub async fn fetch(
        &self,
        storage: &Storage,
        bucket: &str,
        key: &str,
    ) -> Result<CachedObject, CacheError> {
        let info = storage.head(bucket, key).await?;
        let entry = entry_name(bucket, key, &info.etag);
        let path = self.objects.join(&entry);
        let lock_path = self.locks.join(format!("{entry}.lock"));
        let lock = {
            let lock_path = lock_path.clone();
            tokio::task::spawn_blocking(move || lock_exclusive(&lock_path))
        }
        .await
        .map_err(|join| CacheError::Lock {
            path: lock_path.clone(),
            source: std::io::Error::other(join),
        })??;
        let cached = fs::metadata(&path).is_ok_and(|meta| meta.len() == info.size);
        let downloaded = if cached {
            // The modification time is the LRU clock.
            if let Ok(file) = File::open(&path) {
                let _ = file.set_modified(SystemTime::now());
            }
            0
        } else {
            let partial = self.objects.join(format!("{entry}.part"));
            let bytes = storage.download(bucket, key, &info, &partial).await?;
            let finish = |source| CacheError::Finish {
                uri: format!("s3://{bucket}/{key}"),
                path: path.clone(),
                source,
            };
            // Read-only, because work folders hard-link cached files.
            let mut permissions = fs::metadata(&partial).map_err(finish)?.permissions();
            permissions.set_readonly(true);
            fs::set_permissions(&partial, permissions).map_err(finish)?;
            fs::rename(&partial, &path).map_err(finish)?;
            bytes
        };
        drop(lock);
        if downloaded > 0 {
            let cache = self.clone();
            let keep = path.clone();
            // Eviction is housekeeping; a failure to evict must not fail the render.
            let _ = tokio::task::spawn_blocking(move || cache.evict(&keep)).await;
        }
        Ok(CachedObject {
            path,
            size: info.size,
            downloaded,
        })
    }

    /// Removes least recently used entries until the cache fits its budget again.
    fn evict(&self, keep: &Path) {
        let Ok(listing) = fs::read_dir(&self.objects) else {
            return;
        };
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = listing
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let meta = entry.metadata().ok()?;
                Some((meta.modified().ok()?, meta.len(), entry.path()))
            })
            .collect();
        let mut total: u64 = entries.iter().map(|(_, size, _)| size).sum();
        entries.sort();
        for (_, size, path) in entries {
            if total <= self.max_bytes {
                break;
            }
            let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            if path == keep || name.ends_with(".part") {
                continue;
            }
            let lock_path = self.locks.join(format!("{name}.lock"));
            let Ok(lock) = open_lock_file(&lock_path) else {
                continue;
            };
            // An entry being written or read by another agent is in use.
            if lock.try_lock().is_ok() && fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(size);
                tracing::info!(entry = %path.display(), bytes = size, "evicted from the cache");
            }
        }
    }
}

/// Places a cached file at `to`: a hard link when on the same file system, else a copy.
pub fn stage(from: &Path, to: &Path) -> Result<(), CacheError> {
    let failed = |source| CacheError::Stage {
        from: from.to_owned(),
        to: to.to_owned(),
        source,
    };
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(failed)?;
    }
    let _ = fs::remove_file(to);
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs::copy(from, to).map(|_| ()).map_err(failed)
}

fn entry_name(bucket: &str, key: &str, etag: &str) -> String {
    let mut hasher = Md5::new();
    for part in [bucket, key, etag] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

fn open_lock_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
}

fn lock_exclusive(path: &Path) -> Result<File, CacheError> {
    let failed = |source| CacheError::Lock {
        path: path.to_owned(),
        source,
    };
    let file = open_lock_file(path).map_err(failed)?;
    file.lock().map_err(failed)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_differ_by_bucket_key_and_etag() {
        let base = entry_name("renders", "sh010/scene.blend", "abc");
        assert_ne!(base, entry_name("renders2", "sh010/scene.blend", "abc"));
        assert_ne!(base, entry_name("renders", "sh010/scene2.blend", "abc"));
        assert_ne!(base, entry_name("renders", "sh010/scene.blend", "abd"));
        // The separator keeps "ab"+"c" and "a"+"bc" apart.
        assert_ne!(entry_name("ab", "c", ""), entry_name("a", "bc", ""));
    }

    #[test]
    fn eviction_removes_the_oldest_unlocked_entries_first() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::open(root.path(), 250).unwrap();
        let now = SystemTime::now();
        for (index, name) in ["old", "middle", "new"].iter().enumerate() {
            let path = cache.objects.join(name);
            fs::write(&path, vec![0u8; 100]).unwrap();
            let age = std::time::Duration::from_secs(300 - 100 * index as u64);
            File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(now - age)
                .unwrap();
        }
        cache.evict(&cache.objects.join("new"));
        assert!(!cache.objects.join("old").exists());
        assert!(cache.objects.join("middle").exists());
        assert!(cache.objects.join("new").exists());
    }

    #[test]
    fn eviction_skips_entries_another_agent_holds() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::open(root.path(), 0).unwrap();
        fs::write(cache.objects.join("held"), b"x").unwrap();
        fs::write(cache.objects.join("free"), b"y").unwrap();
        let held = lock_exclusive(&cache.locks.join("held.lock")).unwrap();
        cache.evict(&cache.objects.join("none"));
        assert!(cache.objects.join("held").exists());
        assert!(!cache.objects.join("free").exists());
        drop(held);
    }
}
