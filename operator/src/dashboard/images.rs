//! Images of shots for the dashboard: a storage client per shot, made with the shot's Secret
//! and kept for a minute so that a refreshing page does not read the Secret every time, and
//! presigned URLs valid for 15 minutes, reused for 5 so that a refreshed page keeps its URLs
//! and the browser its cached images. I/O only: which images a page shows is decided
//! elsewhere.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use framefarm_crds::RenderShot;
use kube::ResourceExt;
use thiserror::Error;

use crate::context::Context;
use crate::shot::ShotError;
use crate::shot::gather;
use crate::storage::{ShotStorage, ShotStorageError};

/// How long a presigned URL on a page stays valid.
pub const URL_VALIDITY: Duration = Duration::from_secs(15 * 60);
/// A URL is reused while it has at least `URL_VALIDITY - URL_REUSE` (10 minutes) to live.
const URL_REUSE: Duration = Duration::from_secs(5 * 60);
/// How long a shot's storage client (and so its Secret) is reused.
const CLIENT_REUSE: Duration = Duration::from_secs(60);
/// Cached URLs beyond which expired entries are dropped, so the cache cannot grow unbounded.
const MAX_CACHED_URLS: usize = 20_000;

/// Why a shot's images cannot be shown.
#[derive(Debug, Error)]
pub enum ImageError {
    #[error(transparent)]
    Secret(Box<ShotError>),
    #[error(
        "failed to find the access keys of RenderShot {shot}: Secret {secret} is missing or lacks them"
    )]
    NoKeys { shot: String, secret: String },
    #[error(transparent)]
    Storage(#[from] ShotStorageError),
}

/// Storage clients and presigned URLs, shared by every request.
pub struct Images {
    context: Arc<Context>,
    clients: Mutex<HashMap<String, (Instant, Arc<ShotStorage>)>>,
    urls: Mutex<HashMap<String, (Instant, String)>>,
}

impl std::fmt::Debug for Images {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Images").finish_non_exhaustive()
    }
}

impl Images {
    pub fn new(context: Arc<Context>) -> Self {
        Images {
            context,
            clients: Mutex::new(HashMap::new()),
            urls: Mutex::new(HashMap::new()),
        }
    }

    /// The storage client of `shot`, made with its Secret's keys (or the operator's own
    /// environment when the shot names no Secret).
    pub async fn storage(&self, shot: &RenderShot) -> Result<Arc<ShotStorage>, ImageError> {
        let id = shot_id(shot);
        if let Some(storage) = self.cached_client(&id) {
            return Ok(storage);
        }
        let credentials = gather::credentials(shot, &self.context)
            .await
            .map_err(|error| ImageError::Secret(Box::new(error)))?;
        if let (Some(check), None) = (&credentials.check, &credentials.keys) {
            return Err(ImageError::NoKeys {
                shot: shot.name_any(),
                secret: check.name.clone(),
            });
        }
        let storage = Arc::new(ShotStorage::connect(shot, credentials.keys)?);
        if let Ok(mut clients) = self.clients.lock() {
            clients.retain(|_, (made, _)| made.elapsed() < CLIENT_REUSE);
            clients.insert(id, (Instant::now(), storage.clone()));
        }
        Ok(storage)
    }

    fn cached_client(&self, id: &str) -> Option<Arc<ShotStorage>> {
        let clients = self.clients.lock().ok()?;
        clients
            .get(id)
            .filter(|(made, _)| made.elapsed() < CLIENT_REUSE)
            .map(|(_, storage)| storage.clone())
    }

    /// A presigned URL of `key` in `shot`'s output bucket.
    pub async fn url(
        &self,
        shot: &RenderShot,
        storage: &ShotStorage,
        key: &str,
    ) -> Result<String, ImageError> {
        let id = format!("{}\n{key}", shot_id(shot));
        if let Ok(urls) = self.urls.lock()
            && let Some((_, url)) = urls.get(&id).filter(|(made, _)| made.elapsed() < URL_REUSE)
        {
            return Ok(url.clone());
        }
        let url = storage.presigned_output_url(key, URL_VALIDITY).await?;
        if let Ok(mut urls) = self.urls.lock() {
            if urls.len() >= MAX_CACHED_URLS {
                urls.retain(|_, (made, _)| made.elapsed() < URL_REUSE);
            }
            if urls.len() < MAX_CACHED_URLS {
                urls.insert(id, (Instant::now(), url.clone()));
            }
        }
        Ok(url)
    }

    /// The URL of `key`, or none where it cannot be made (logged: a page shows what it can).
    pub async fn url_or_none(
        &self,
        shot: &RenderShot,
        storage: &ShotStorage,
        key: Option<&str>,
    ) -> Option<String> {
        let key = key?;
        match self.url(shot, storage, key).await {
            Ok(url) => Some(url),
            Err(error) => {
                tracing::debug!(%error, "no image URL");
                None
            }
        }
    }
}

/// A shot's identity for the caches: a shot deleted and created again is another shot.
fn shot_id(shot: &RenderShot) -> String {
    format!(
        "{}/{}/{}",
        shot.namespace().unwrap_or_default(),
        shot.name_any(),
        shot.metadata.uid.as_deref().unwrap_or_default()
    )
}
