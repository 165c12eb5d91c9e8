//! What every reconcile shares: the client, settings, caches of RenderJobs and pods, the
//! event recorder and the metrics.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use framefarm_crds::RenderJob;
use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use kube::Client;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::runtime::reflector::Store;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::pods::PodSettings;

/// Shared by both controllers.
pub struct Context {
    pub client: Client,
    pub config: Config,
    pub pod_settings: PodSettings,
    pub metrics: Metrics,
    pub recorder: Recorder,
    /// Every RenderJob in the watched namespaces, without managedFields.
    pub jobs: Store<RenderJob>,
    /// Pods the operator made, trimmed to what the controllers read.
    pub pods: Store<Pod>,
    /// When each shot's status was last written, to write progress at most once a second.
    status_writes: Mutex<HashMap<String, Instant>>,
    ready: AtomicBool,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").finish_non_exhaustive()
    }
}

/// Progress-only status changes of one shot are written at most this often.
pub const STATUS_WRITE_INTERVAL: Duration = Duration::from_secs(1);

impl Context {
    pub fn new(
        client: Client,
        config: Config,
        recorder: Recorder,
        jobs: Store<RenderJob>,
        pods: Store<Pod>,
    ) -> Self {
        Context {
            pod_settings: config.pod_settings(),
            client,
            config,
            metrics: Metrics::new(),
            recorder,
            jobs,
            pods,
            status_writes: Mutex::new(HashMap::new()),
            ready: AtomicBool::new(false),
        }
    }

    /// How long to wait before a progress-only status write of `shot`; zero when it may be
    /// written now (and it is then recorded as written).
    pub fn progress_write_delay(&self, shot: &str) -> Duration {
        let Ok(mut writes) = self.status_writes.lock() else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        match writes.get(shot) {
            Some(last) if now.duration_since(*last) < STATUS_WRITE_INTERVAL => {
                STATUS_WRITE_INTERVAL - now.duration_since(*last)
            }
            _ => {
                writes.insert(shot.to_owned(), now);
                Duration::ZERO
            }
        }
    }

    /// Records an urgent status write, so progress writes keep their distance from it.
    pub fn status_written(&self, shot: &str) {
        if let Ok(mut writes) = self.status_writes.lock() {
            writes.insert(shot.to_owned(), Instant::now());
        }
    }

    pub fn forget_shot(&self, shot: &str) {
        if let Ok(mut writes) = self.status_writes.lock() {
            writes.remove(shot);
        }
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Publishes an event; a failure is logged, never fails the reconcile.
    pub async fn publish(
        &self,
        regarding: &ObjectReference,
        warning: bool,
        reason: &str,
        note: String,
    ) {
        let event = Event {
            type_: if warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: reason.into(),
            note: Some(note),
            action: reason.into(),
            secondary: None,
        };
        if let Err(error) = self.recorder.publish(&event, regarding).await {
            tracing::warn!(%error, reason, "failed to publish an event");
        }
    }
}
