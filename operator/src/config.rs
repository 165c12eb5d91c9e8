//! The operator's settings, from flags or the environment (`FRAMEFARM_*`), as the Helm chart's
//! Deployment passes them.

use std::net::SocketAddr;

use clap::Parser;

use crate::pods::PodSettings;

/// Framefarm operator: splits RenderShots into RenderJobs and runs each as a pod with the
/// node-agent.
#[derive(Clone, Debug, Parser)]
#[command(name = "framefarm-operator", version)]
pub struct Config {
    /// Watch only this namespace (a namespaced Role is then enough); all namespaces when unset.
    #[arg(long, env = "FRAMEFARM_NAMESPACE")]
    pub namespace: Option<String>,

    /// Image holding the node-agent; its binary is copied into every render pod.
    #[arg(
        long,
        env = "FRAMEFARM_AGENT_IMAGE",
        default_value = concat!("ghcr.io/framefarm/node-agent:", env!("CARGO_PKG_VERSION"))
    )]
    pub agent_image: String,

    /// Image of Blender shots that name none (defaults to the agent image, which carries Blender).
    #[arg(long, env = "FRAMEFARM_BLENDER_IMAGE")]
    pub blender_image: Option<String>,

    /// Node folder shared by the render pods of a node as their scene cache.
    #[arg(
        long,
        env = "FRAMEFARM_CACHE_HOST_PATH",
        default_value = "/var/cache/framefarm"
    )]
    pub cache_host_path: String,

    /// Largest size of a node's scene cache in GiB.
    #[arg(long, env = "FRAMEFARM_CACHE_GIB", default_value_t = 50.0)]
    pub cache_gib: f64,

    /// ServiceAccount of render pods whose shot names none.
    #[arg(
        long,
        env = "FRAMEFARM_AGENT_SERVICE_ACCOUNT",
        default_value = "framefarm-agent"
    )]
    pub agent_service_account: String,

    /// Seconds a render pod has to upload what it saved after SIGTERM.
    #[arg(
        long,
        env = "FRAMEFARM_TERMINATION_GRACE_SECONDS",
        default_value_t = 60
    )]
    pub termination_grace_seconds: i64,

    /// Mark rendering pods as not to be evicted by the cluster autoscaler or Karpenter.
    #[arg(long, env = "FRAMEFARM_DISRUPTION_ANNOTATIONS", default_value_t = true, action = clap::ArgAction::Set)]
    pub disruption_annotations: bool,

    /// Run render containers with a read-only root filesystem.
    #[arg(long, env = "FRAMEFARM_READ_ONLY_ROOT", default_value_t = true, action = clap::ArgAction::Set)]
    pub read_only_root_filesystem: bool,

    /// Log filter passed to the node-agent.
    #[arg(long, env = "FRAMEFARM_AGENT_LOG", default_value = "info")]
    pub agent_log: String,

    /// Reconciles running at once, per controller.
    #[arg(long, env = "FRAMEFARM_CONCURRENCY", default_value_t = 16)]
    pub concurrency: u16,

    /// Address of the /metrics, /healthz and /readyz server.
    #[arg(long, env = "FRAMEFARM_HTTP_ADDR", default_value = "0.0.0.0:8080")]
    pub http_addr: SocketAddr,

    /// Serve the read-only dashboard under /dashboard on the HTTP address (every replica).
    #[arg(
        long,
        env = "FRAMEFARM_DASHBOARD",
        default_value_t = false,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub dashboard: bool,

    /// Hold a Lease before acting, so that only one replica works at a time.
    #[arg(long, env = "FRAMEFARM_LEADER_ELECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_election: bool,

    /// Name of the Lease.
    #[arg(
        long,
        env = "FRAMEFARM_LEASE_NAME",
        default_value = "framefarm-operator"
    )]
    pub lease_name: String,

    /// Namespace of the Lease (default: the watched namespace, else the client's namespace).
    #[arg(long, env = "FRAMEFARM_LEASE_NAMESPACE")]
    pub lease_namespace: Option<String>,

    /// Who holds the Lease (default: the pod name from POD_NAME, else the host name).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,

    /// Seconds a Lease is held without renewal before another replica may take it.
    #[arg(long, env = "FRAMEFARM_LEASE_SECONDS", default_value_t = 15)]
    pub lease_seconds: u64,

    /// Log filter of the operator (tracing's EnvFilter syntax).
    #[arg(long, env = "FRAMEFARM_LOG", default_value = "info")]
    pub log: String,
}

impl Config {
    pub fn pod_settings(&self) -> PodSettings {
        PodSettings {
            agent_image: self.agent_image.clone(),
            blender_image: self
                .blender_image
                .clone()
                .unwrap_or_else(|| self.agent_image.clone()),
            cache_host_path: self.cache_host_path.clone(),
            cache_gib: self.cache_gib,
            service_account: self.agent_service_account.clone(),
            termination_grace_seconds: self.termination_grace_seconds,
            disruption_annotations: self.disruption_annotations,
            read_only_root_filesystem: self.read_only_root_filesystem,
            log_filter: self.agent_log.clone(),
        }
    }
}
