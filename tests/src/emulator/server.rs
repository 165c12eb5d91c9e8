//! Starting and stopping an emulated apiserver on loopback, and the kubeconfig that points
//! clients at it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::http::{self, Server};
use super::store::Store;
use super::tokens::Tokens;

/// Why the emulator could not start or be reached.
#[derive(Debug, Error)]
pub enum EmulatorError {
    #[error("failed to create the emulator's working folder")]
    CreateDir(#[source] std::io::Error),
    #[error("failed to set up the emulator's storage: {0}")]
    Store(String),
    #[error("failed to listen on {address}")]
    Listen {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write the kubeconfig {path}")]
    WriteKubeconfig {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to build a client from the kubeconfig {path}: {message}")]
    Client { path: String, message: String },
}

/// Where and how an emulator runs.
#[derive(Clone, Debug, Default)]
pub struct EmulatorConfig {
    /// Folder for the kubeconfig and container logs; a temporary one when `None`.
    pub dir: Option<PathBuf>,
    /// Port on 127.0.0.1; a free one when `None`.
    pub port: Option<u16>,
    /// Authorize requests made with ServiceAccount tokens by the stored RBAC objects.
    /// Requests without credentials are the administrator's either way.
    pub enforce_rbac: bool,
}

/// A running emulated apiserver.
#[derive(Debug)]
pub struct Emulator {
    address: SocketAddr,
    store: Arc<Store>,
    tokens: Arc<Tokens>,
    dir: PathBuf,
    kubeconfig: PathBuf,
    logs_dir: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _temporary: Option<tempfile::TempDir>,
}

impl Emulator {
    /// An emulator on a free loopback port, in a temporary folder.
    pub async fn start() -> Result<Emulator, EmulatorError> {
        Emulator::start_with(EmulatorConfig::default()).await
    }

    pub async fn start_with(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let (temporary, dir) = match config.dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir).map_err(EmulatorError::CreateDir)?;
                (None, dir)
            }
            None => {
                let temporary = tempfile::Builder::new()
                    .prefix("framefarm-emulator-")
                    .tempdir()
                    .map_err(EmulatorError::CreateDir)?;
                let dir = temporary.path().to_path_buf();
                (Some(temporary), dir)
            }
        };
        let logs_dir = dir.join("pod-logs");
        std::fs::create_dir_all(&logs_dir).map_err(EmulatorError::CreateDir)?;
        let requested = SocketAddr::from(([127, 0, 0, 1], config.port.unwrap_or(0)));
        let listener = tokio::net::TcpListener::bind(requested)
            .await
            .map_err(|source| EmulatorError::Listen {
                address: requested.to_string(),
                source,
            })?;
        let address = listener
            .local_addr()
            .map_err(|source| EmulatorError::Listen {
                address: requested.to_string(),
                source,
            })?;
        let store = Arc::new(Store::new().map_err(|error| EmulatorError::Store(error.message))?);
        let tokens = Arc::new(Tokens::new(config.enforce_rbac));
        let server = Arc::new(Server {
            store: Arc::clone(&store),
            tokens: Arc::clone(&tokens),
            logs_dir: logs_dir.clone(),
            address: address.to_string(),
        });
        let kubeconfig = dir.join("kubeconfig");
        std::fs::write(&kubeconfig, kubeconfig_text(&format!("http://{address}"))).map_err(
            |source| EmulatorError::WriteKubeconfig {
                path: kubeconfig.display().to_string(),
                source,
            },
        )?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = http::router(server);
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                // Either a stop request or the emulator being dropped ends serving.
                let _ = stopped.await;
            });
            if let Err(error) = serving.await {
                tracing::error!(%error, "the emulated apiserver stopped serving");
            }
        });
        Ok(Emulator {
            address,
            store,
            tokens,
            dir,
            kubeconfig,
            logs_dir,
            shutdown: Some(shutdown),
            task: Some(task),
            _temporary: temporary,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A kubeconfig whose current context is this emulator (namespace `default`).
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Where container logs go (`{namespace}/{pod}/{container}.log`), for the pod runner.
    pub fn logs_dir(&self) -> &Path {
        &self.logs_dir
    }

    /// The emulator's working folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A client built from the kubeconfig, as the product builds one.
    pub async fn client(&self) -> Result<kube::Client, EmulatorError> {
        let path = self.kubeconfig.display().to_string();
        let error = |message: String| EmulatorError::Client {
            path: path.clone(),
            message,
        };
        let text = std::fs::read_to_string(&self.kubeconfig).map_err(|e| error(e.to_string()))?;
        client_from_kubeconfig_text(&text, &path).await
    }

    /// A bearer token that authenticates as the ServiceAccount `namespace/name`, whether or
    /// not it exists (pods get theirs through TokenRequests instead).
    pub fn service_account_token(&self, namespace: &str, name: &str) -> String {
        self.tokens.issue(namespace, name)
    }

    /// A client that acts as the ServiceAccount `namespace/name`.
    pub async fn service_account_client(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<kube::Client, EmulatorError> {
        let token = self.service_account_token(namespace, name);
        client_from_kubeconfig_text(
            &kubeconfig_with_token(&self.url(), namespace, &token),
            &self.kubeconfig.display().to_string(),
        )
        .await
    }

    /// Forgets the change history, so watches resuming from an earlier `resourceVersion`
    /// get 410 Gone, as after etcd compaction.
    pub fn compact(&self) {
        self.store.compact();
    }

    /// Stops serving; open watches end.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn client_from_kubeconfig_text(
    text: &str,
    path: &str,
) -> Result<kube::Client, EmulatorError> {
    let error = |message: String| EmulatorError::Client {
        path: path.to_owned(),
        message,
    };
    let kubeconfig = kube::config::Kubeconfig::from_yaml(text).map_err(|e| error(e.to_string()))?;
    let config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .map_err(|e| error(e.to_string()))?;
    kube::Client::try_from(config).map_err(|e| error(e.to_string()))
}

/// A kubeconfig for a plain-HTTP server on loopback that authenticates with a bearer `token`
/// (a ServiceAccount's), its context in `namespace`.
pub fn kubeconfig_with_token(server: &str, namespace: &str, token: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: framefarm-emulator
  cluster:
    server: {server}
users:
- name: service-account
  user:
    token: {token}
contexts:
- name: framefarm-emulator
  context:
    cluster: framefarm-emulator
    user: service-account
    namespace: {namespace}
current-context: framefarm-emulator
"
    )
}

/// A kubeconfig for a plain-HTTP server on loopback, with no credentials.
pub fn kubeconfig_text(server: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: framefarm-emulator
  cluster:
    server: {server}
users:
- name: framefarm-emulator
  user: {{}}
contexts:
- name: framefarm-emulator
  context:
    cluster: framefarm-emulator
    user: framefarm-emulator
    namespace: default
current-context: framefarm-emulator
"
    )
}
