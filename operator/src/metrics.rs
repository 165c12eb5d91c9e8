//! Prometheus metrics: reconciles per controller (count, errors, duration, in flight), and
//! render totals (frames rendered, failed and running, engine seconds, bytes uploaded) summed
//! from the cached RenderJobs when scraped, so they are right after an operator restart.

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use framefarm_crds::{FrameSet, RenderJob};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabels {
    pub controller: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub controller: &'static str,
    pub error: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FrameLabels {
    pub state: &'static str,
}

/// Every metric the operator exports, registered once.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    reconciles: Family<ControllerLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    durations: Family<ControllerLabels, Histogram>,
    in_flight: Family<ControllerLabels, Gauge>,
    frames: Family<FrameLabels, Gauge>,
    render_seconds: Gauge<f64, AtomicU64>,
    uploaded_bytes: Gauge,
    render_jobs: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("framefarm");
        let reconciles = Family::<ControllerLabels, Counter>::default();
        registry.register("reconciles", "Reconciles run", reconciles.clone());
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "reconcile_errors",
            "Reconciles that failed, by error",
            errors.clone(),
        );
        let durations = Family::<ControllerLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 14))
        });
        registry.register(
            "reconcile_duration_seconds",
            "Time spent in one reconcile",
            durations.clone(),
        );
        let in_flight = Family::<ControllerLabels, Gauge>::default();
        registry.register(
            "reconciles_in_flight",
            "Reconciles running now (the part of the work queue being worked on)",
            in_flight.clone(),
        );
        let frames = Family::<FrameLabels, Gauge>::default();
        registry.register(
            "frames",
            "Frames of the cached RenderJobs, by state (rendered, failed, missing)",
            frames.clone(),
        );
        let render_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "render_seconds",
            "Engine seconds spent on the rendered frames of the cached RenderJobs",
            render_seconds.clone(),
        );
        let uploaded_bytes = Gauge::default();
        registry.register(
            "uploaded_bytes",
            "Bytes of rendered frames uploaded by the cached RenderJobs",
            uploaded_bytes.clone(),
        );
        let render_jobs = Gauge::default();
        registry.register(
            "render_jobs",
            "RenderJobs in the operator's cache",
            render_jobs.clone(),
        );
        Metrics {
            registry,
            reconciles,
            errors,
            durations,
            in_flight,
            frames,
            render_seconds,
            uploaded_bytes,
            render_jobs,
        }
    }

    /// Starts timing one reconcile; the returned guard records it when dropped.
    pub fn reconcile(&self, controller: &'static str) -> ReconcileTimer<'_> {
        let labels = ControllerLabels { controller };
        self.reconciles.get_or_create(&labels).inc();
        self.in_flight.get_or_create(&labels).inc();
        ReconcileTimer {
            metrics: self,
            labels,
            started: Instant::now(),
        }
    }

    pub fn reconcile_failed(&self, controller: &'static str, error: &'static str) {
        self.errors
            .get_or_create(&ErrorLabels { controller, error })
            .inc();
    }

    /// The text exposition, with render totals summed from `jobs` first.
    pub fn render<'a>(&self, jobs: impl Iterator<Item = &'a RenderJob>) -> String {
        let totals = RenderTotals::sum(jobs);
        for (state, value) in [
            ("rendered", totals.rendered),
            ("failed", totals.failed),
            ("missing", totals.missing),
        ] {
            self.frames
                .get_or_create(&FrameLabels { state })
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        }
        self.render_seconds.set(totals.render_seconds);
        self.uploaded_bytes
            .set(i64::try_from(totals.bytes).unwrap_or(i64::MAX));
        self.render_jobs
            .set(i64::try_from(totals.jobs).unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Records a reconcile's duration when dropped, however the reconcile ends.
#[derive(Debug)]
pub struct ReconcileTimer<'a> {
    metrics: &'a Metrics,
    labels: ControllerLabels,
    started: Instant,
}

impl Drop for ReconcileTimer<'_> {
    fn drop(&mut self) {
        self.metrics
            .durations
            .get_or_create(&self.labels)
            .observe(self.started.elapsed().as_secs_f64());
        self.metrics.in_flight.get_or_create(&self.labels).dec();
    }
}

/// Frame and byte totals over RenderJobs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RenderTotals {
    pub jobs: u64,
    pub rendered: u64,
    pub failed: u64,
    pub missing: u64,
    pub render_seconds: f64,
    pub bytes: u64,
}

impl RenderTotals {
    pub fn sum<'a>(jobs: impl Iterator<Item = &'a RenderJob>) -> Self {
        let mut totals = RenderTotals::default();
        for job in jobs {
            totals.jobs += 1;
            let frames = FrameSet::parse(&job.spec.frames).unwrap_or_default();
            let status = job.status.clone().unwrap_or_default();
            let rendered =
                FrameSet::from_status(status.rendered_frames.as_deref()).intersection(&frames);
            let failed = FrameSet::from_status(status.failed_frames.as_deref())
                .intersection(&frames)
                .difference(&rendered);
            totals.rendered += rendered.len();
            totals.failed += failed.len();
            totals.missing += frames.len() - rendered.len() - failed.len();
            for record in &status.frame_records {
                totals.render_seconds += record.render_seconds;
                totals.bytes += record.bytes;
            }
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(frames: &str, status: serde_json::Value) -> RenderJob {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "framefarm.io/v1alpha1", "kind": "RenderJob",
            "metadata": {"name": "j"},
            "spec": {
                "frames": frames,
                "scene": {"uri": "s3://studio/a.blend"},
                "engine": {"blender": {}},
                "output": {"uri": "s3://studio/out/"},
                "storage": {"endpoint": "http://127.0.0.1:3900"}
            },
            "status": status
        }))
        .unwrap()
    }

    #[test]
    fn totals_count_each_frame_once_in_one_state() {
        let record = |frame: u64| {
            serde_json::json!({"frame": frame, "outputKey": "k", "bytes": 100, "renderSeconds": 1.5,
                "finishedAt": "2026-11-21T10:00:00Z", "attempt": 1})
        };
        let jobs = [
            job(
                "1-10",
                serde_json::json!({"renderedFrames": "1-4", "failedFrames": "4-5",
                    "frameRecords": [record(1), record(2)]}),
            ),
            job("11-20", serde_json::json!({})),
        ];
        let totals = RenderTotals::sum(jobs.iter());
        assert_eq!(
            totals,
            RenderTotals {
                jobs: 2,
                rendered: 4,
                failed: 1,
                missing: 15,
                render_seconds: 3.0,
                bytes: 200
            }
        );
    }

    #[test]
    fn the_exposition_names_every_metric() {
        let metrics = Metrics::new();
        drop(metrics.reconcile("rendershot"));
        metrics.reconcile_failed("rendershot", "apply_job");
        let text = metrics.render(std::iter::empty());
        for name in [
            "framefarm_reconciles_total{controller=\"rendershot\"} 1",
            "framefarm_reconcile_errors_total{controller=\"rendershot\",error=\"apply_job\"} 1",
            "framefarm_reconcile_duration_seconds_count{controller=\"rendershot\"} 1",
            "framefarm_reconciles_in_flight{controller=\"rendershot\"} 0",
            "framefarm_frames{state=\"rendered\"} 0",
            "framefarm_uploaded_bytes 0",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    }
}
