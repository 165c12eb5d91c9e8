//! How a pod's containers reach the API: with the runner's own kubeconfig, or, when the
//! runner hands out ServiceAccount identities, with a kubeconfig of their own that carries a
//! token of the pod's ServiceAccount (`spec.serviceAccountName`, `default` when unset),
//! obtained by a TokenRequest as a kubelet obtains it for the projected token volume.

use std::path::PathBuf;

use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;
use kube::api::PostParams;

use super::context::PodContext;
use crate::emulator::kubeconfig_with_token;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("failed to read the API server's address from the kubeconfig {path}: {message}")]
    ReadKubeconfig { path: String, message: String },
    #[error("failed to request a token for service account {namespace}/{name}")]
    RequestToken {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("failed to write the pod's kubeconfig {path}")]
    WriteKubeconfig {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl IdentityError {
    /// The error with its causes, for the container's waiting message.
    pub fn event_message(&self) -> String {
        let mut message = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        message
    }
}

/// The kubeconfig the pod's containers get as `KUBECONFIG`.
pub async fn kubeconfig_for(pod: &PodContext) -> Result<PathBuf, IdentityError> {
    let config = &pod.shared.config;
    if !config.service_account_tokens {
        return Ok(config.kubeconfig.clone());
    }
    let account = pod
        .pod
        .spec
        .as_ref()
        .and_then(|spec| spec.service_account_name.as_deref())
        .filter(|name| !name.is_empty())
        .unwrap_or("default");
    let namespace = pod.namespace();
    let accounts: Api<ServiceAccount> = Api::namespaced(pod.shared.client.clone(), namespace);
    let body = TokenRequest::default();
    let answer: TokenRequest = accounts
        .create_subresource("token", account, &PostParams::default(), &body)
        .await
        .map_err(|source| IdentityError::RequestToken {
            namespace: namespace.to_owned(),
            name: account.to_owned(),
            source,
        })?;
    let token = answer.status.map(|status| status.token).unwrap_or_default();
    let server = api_server(&config.kubeconfig)?;
    let path = pod.dirs.dir.join("kubeconfig");
    std::fs::create_dir_all(&pod.dirs.dir)
        .and_then(|()| std::fs::write(&path, kubeconfig_with_token(&server, namespace, &token)))
        .map_err(|source| IdentityError::WriteKubeconfig {
            path: path.display().to_string(),
            source,
        })?;
    Ok(path)
}

fn api_server(kubeconfig: &std::path::Path) -> Result<String, IdentityError> {
    let error = |message: String| IdentityError::ReadKubeconfig {
        path: kubeconfig.display().to_string(),
        message,
    };
    let parsed =
        kube::config::Kubeconfig::read_from(kubeconfig).map_err(|e| error(e.to_string()))?;
    parsed
        .clusters
        .iter()
        .find_map(|cluster| cluster.cluster.as_ref()?.server.clone())
        .ok_or_else(|| error("no cluster with a server".to_owned()))
}
