//! Starts the operator: client, caches, HTTP server, leader election, then both controllers,
//! until SIGTERM (graceful: reconciles in flight finish, the Lease is released) or until the
//! Lease is lost (exit with an error, to come back as a standby).

use std::sync::Arc;

use framefarm_crds::{RenderJob, RenderShot};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Pod, PodSpec};
use kube::runtime::controller::{self, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use thiserror::Error;
use tokio::sync::watch;

use crate::config::Config;
use crate::context::Context;
use crate::dashboard::Dashboard;
use crate::http::{self, HttpError};
use crate::leader::{LeaderError, Leadership};
use crate::names::{MANAGED_BY, MANAGED_BY_LABEL, OPERATOR_MANAGER};
use crate::{job, shot};

#[derive(Debug, Error)]
pub enum RunError {
    #[error("failed to connect to the Kubernetes API: {0}")]
    Client(#[source] kube::Error),
    #[error(transparent)]
    Leader(#[from] LeaderError),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("lost the Lease to another replica; stopping so as not to act beside it")]
    LostLease,
    #[error("failed to share the {kind} cache between the controllers")]
    Subscribe { kind: &'static str },
}

/// Objects buffered for a slow controller before the shared watch waits for it.
const SHARED_BUFFER: usize = 1024;
/// Objects per page when listing.
const PAGE_SIZE: u32 = 500;

pub async fn run(config: Config) -> Result<(), RunError> {
    let client = Client::try_default().await.map_err(RunError::Client)?;
    let (stop_sender, stop) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = stop_sender.send(true);
    });

    let (jobs, job_writer) = reflector::store_shared::<RenderJob>(SHARED_BUFFER);
    let (pods, pod_writer) = reflector::store_shared::<Pod>(SHARED_BUFFER);
    let subscribe = |kind| RunError::Subscribe { kind };
    let jobs_for_shots = job_writer
        .subscribe()
        .ok_or_else(|| subscribe("RenderJob"))?;
    let jobs_for_jobs = job_writer
        .subscribe()
        .ok_or_else(|| subscribe("RenderJob"))?;
    let pods_for_shots = pod_writer.subscribe().ok_or_else(|| subscribe("Pod"))?;
    let pods_for_jobs = pod_writer.subscribe().ok_or_else(|| subscribe("Pod"))?;

    let identity = config.identity.clone().unwrap_or_else(host_name);
    let reporter = Reporter {
        controller: OPERATOR_MANAGER.into(),
        instance: Some(identity.clone()),
    };
    let recorder = Recorder::new(client.clone(), reporter);
    let context = Arc::new(Context::new(
        client.clone(),
        config.clone(),
        recorder,
        jobs.clone(),
        pods.clone(),
    ));

    // The dashboard watches shots on every replica, so a standby serves it too.
    let dashboard = config.dashboard.then(|| {
        let (dashboard, shot_watch) =
            Dashboard::start(context.clone(), config.namespace.as_deref());
        tokio::spawn(shot_watch);
        dashboard
    });
    let http_stop = wait_for(stop.clone());
    let server = tokio::spawn(http::serve(
        config.http_addr,
        context.clone(),
        dashboard,
        http_stop,
    ));

    let mut leadership = None;
    if config.leader_election {
        let namespace = config
            .lease_namespace
            .clone()
            .or_else(|| config.namespace.clone())
            .unwrap_or_else(|| client.default_namespace().to_owned());
        let mut campaign = Leadership::campaign(
            client.clone(),
            &namespace,
            &config.lease_name,
            &identity,
            config.lease_seconds,
        )
        .await?;
        // A standby is healthy and ready; it just waits.
        context.set_ready(true);
        tracing::info!(lease = %config.lease_name, %namespace, %identity, "waiting for the Lease");
        tokio::select! {
            () = campaign.acquired() => {}
            () = wait_for(stop.clone()) => {
                campaign.release().await?;
                return Ok(());
            }
        }
        context.set_ready(false);
        tracing::info!("holding the Lease; starting the controllers");
        leadership = Some(campaign);
    }

    let (shots_api, jobs_api, pods_api) = match &config.namespace {
        Some(namespace) => (
            Api::<RenderShot>::namespaced(client.clone(), namespace),
            Api::<RenderJob>::namespaced(client.clone(), namespace),
            Api::<Pod>::namespaced(client.clone(), namespace),
        ),
        None => (
            Api::<RenderShot>::all(client.clone()),
            Api::<RenderJob>::all(client.clone()),
            Api::<Pod>::all(client.clone()),
        ),
    };
    let list = watcher::Config::default().page_size(PAGE_SIZE);
    let job_watch = watcher(jobs_api, list.clone())
        .default_backoff()
        .modify(|job: &mut RenderJob| job.metadata.managed_fields = None)
        .reflect_shared(job_writer)
        .for_each(|_| async {});
    let pod_watch = watcher(
        pods_api,
        list.clone()
            .labels(&format!("{MANAGED_BY_LABEL}={MANAGED_BY}")),
    )
    .default_backoff()
    .modify(trim_pod)
    .reflect_shared(pod_writer)
    .for_each(|_| async {});

    let controller_config = controller::Config::default().concurrency(config.concurrency);
    let shot_controller = Controller::new(shots_api, list.clone())
        .owns_shared_stream(jobs_for_shots)
        .owns_shared_stream(pods_for_shots)
        .with_config(controller_config.clone())
        .graceful_shutdown_on(wait_for(stop.clone()))
        .run(
            shot::reconcile::reconcile,
            shot::reconcile::error_policy,
            context.clone(),
        )
        .for_each(|_| async {});
    let job_controller = Controller::for_shared_stream(jobs_for_jobs, jobs.clone())
        .owns_shared_stream(pods_for_jobs)
        .with_config(controller_config)
        .graceful_shutdown_on(wait_for(stop.clone()))
        .run(
            job::reconcile::reconcile,
            job::reconcile::error_policy,
            context.clone(),
        )
        .for_each(|_| async {});
    let readiness = {
        let context = context.clone();
        async move {
            let _ = jobs.wait_until_ready().await;
            let _ = pods.wait_until_ready().await;
            context.set_ready(true);
            tracing::info!("caches filled");
            std::future::pending::<()>().await;
        }
    };

    let lost = async {
        match leadership.as_mut() {
            Some(leadership) => leadership.lost().await,
            None => std::future::pending().await,
        }
    };
    let outcome = tokio::select! {
        () = async { tokio::join!(shot_controller, job_controller); } => Ok(()),
        () = job_watch => Ok(()),
        () = pod_watch => Ok(()),
        () = readiness => Ok(()),
        () = lost => Err(RunError::LostLease),
    };
    if let Some(leadership) = leadership {
        leadership.release().await?;
    }
    if let Ok(Err(error)) = server.await {
        return Err(error.into());
    }
    outcome
}

/// Keeps what the controllers read of a pod, so a cache of many pods stays small.
fn trim_pod(pod: &mut Pod) {
    pod.metadata.managed_fields = None;
    pod.metadata.annotations = None;
    let node_name = pod.spec.as_ref().and_then(|spec| spec.node_name.clone());
    pod.spec = Some(PodSpec {
        node_name,
        ..PodSpec::default()
    });
}

async fn wait_for(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| format!("framefarm-operator-{}", std::process::id()))
}
