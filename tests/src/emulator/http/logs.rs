//! `pods/{name}/log`: a container's output, read from the file the pod runner writes it to
//! (`{logs_dir}/{namespace}/{pod}/{container}.log`), with `container`, `tailLines`,
//! `limitBytes` and `follow` (streamed until the container has terminated).

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{Request, Server, respond};
use crate::emulator::api_error::ApiError;
use crate::emulator::registry::ResourceType;
use crate::emulator::store::Store;

const FOLLOW_POLL: Duration = Duration::from_millis(200);

pub async fn serve(
    server: &Server,
    request: &Request,
    pods: &ResourceType,
    namespace: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let pod = server.store.get(pods, Some(namespace), name)?;
    let container = pick_container(&pod, request.query.get("container"))?;
    let path = server
        .logs_dir
        .join(namespace)
        .join(name)
        .join(format!("{container}.log"));
    if !path.exists() {
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: {}",
            waiting_reason(&pod, &container)
        )));
    }
    let text = tokio::fs::read(&path).await.map_err(|error| {
        ApiError::internal(format!(
            "failed to read the log of {namespace}/{name}/{container}: {error}"
        ))
    })?;
    let tail = request.query.number("tailLines")?;
    let mut shown = select_tail(&text, tail);
    if let Some(limit) = request.query.number("limitBytes")? {
        shown.truncate(usize::try_from(limit).unwrap_or(0));
    }
    if !request.query.flag("follow") {
        return Ok(respond::with_type(200, "text/plain", shown));
    }
    let follower = Follower {
        store: Arc::clone(&server.store),
        pods: pods.clone(),
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        container,
        path,
        offset: u64::try_from(text.len()).unwrap_or(u64::MAX),
    };
    let first = futures::stream::once(async move { Ok::<Bytes, Infallible>(Bytes::from(shown)) });
    let rest = futures::stream::unfold(Some(follower), |follower| async move {
        let mut follower = follower?;
        let (chunk, done) = follower.next_chunk().await;
        Some((Ok::<Bytes, Infallible>(chunk), (!done).then_some(follower)))
    });
    use futures::StreamExt;
    Ok(respond::with_type(
        200,
        "text/plain",
        Body::from_stream(first.chain(rest)),
    ))
}

/// The container a log request means: the one named, or the pod's only container.
fn pick_container(pod: &Value, requested: Option<&str>) -> Result<String, ApiError> {
    let names: Vec<String> = ["initContainers", "containers"]
        .iter()
        .filter_map(|list| pod["spec"][*list].as_array())
        .flatten()
        .filter_map(|container| container["name"].as_str().map(str::to_owned))
        .collect();
    let pod_name = pod["metadata"]["name"].as_str().unwrap_or_default();
    match requested {
        Some(name) if names.iter().any(|known| known == name) => Ok(name.to_owned()),
        Some(name) => Err(ApiError::bad_request(format!(
            "container {name} is not valid for pod {pod_name}"
        ))),
        None => {
            let main: Vec<&str> = pod["spec"]["containers"]
                .as_array()
                .map(|containers| {
                    containers
                        .iter()
                        .filter_map(|c| c["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            match main.as_slice() {
                [only] => Ok((*only).to_owned()),
                many => Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                    many.join(" ")
                ))),
            }
        }
    }
}

fn waiting_reason(pod: &Value, container: &str) -> String {
    ["initContainerStatuses", "containerStatuses"]
        .iter()
        .filter_map(|list| pod["status"][*list].as_array())
        .flatten()
        .find(|status| status["name"] == container)
        .and_then(|status| status["state"]["waiting"]["reason"].as_str())
        .unwrap_or("ContainerCreating")
        .to_owned()
}

fn select_tail(text: &[u8], lines: Option<i64>) -> Vec<u8> {
    let Some(lines) = lines.and_then(|lines| usize::try_from(lines).ok()) else {
        return text.to_vec();
    };
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let starts: Vec<usize> = body
        .iter()
        .enumerate()
        .filter(|(_, byte)| **byte == b'\n')
        .map(|(index, _)| index + 1)
        .collect();
    let total = starts.len() + 1;
    if lines >= total {
        return text.to_vec();
    }
    if lines == 0 {
        return Vec::new();
    }
    text[starts[total - lines - 1]..].to_vec()
}

struct Follower {
    store: Arc<Store>,
    pods: ResourceType,
    namespace: String,
    name: String,
    container: String,
    path: PathBuf,
    offset: u64,
}

impl Follower {
    /// The next bytes of the log, and whether the container is done writing it.
    async fn next_chunk(&mut self) -> (Bytes, bool) {
        loop {
            let finished = self.container_finished();
            let chunk = self.read_new().await;
            if !chunk.is_empty() || finished {
                return (Bytes::from(chunk), finished);
            }
            tokio::time::sleep(FOLLOW_POLL).await;
        }
    }

    fn container_finished(&self) -> bool {
        let Ok(pod) = self
            .store
            .get(&self.pods, Some(&self.namespace), &self.name)
        else {
            return true;
        };
        ["initContainerStatuses", "containerStatuses"]
            .iter()
            .filter_map(|list| pod["status"][*list].as_array())
            .flatten()
            .find(|status| status["name"] == self.container.as_str())
            .is_some_and(|status| status["state"].get("terminated").is_some())
    }

    async fn read_new(&mut self) -> Vec<u8> {
        let Ok(mut file) = tokio::fs::File::open(&self.path).await else {
            return Vec::new();
        };
        if file
            .seek(std::io::SeekFrom::Start(self.offset))
            .await
            .is_err()
        {
            return Vec::new();
        }
        let mut chunk = Vec::new();
        if file.read_to_end(&mut chunk).await.is_ok() {
            self.offset += u64::try_from(chunk.len()).unwrap_or(0);
        }
        chunk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_lines_keep_the_last_lines() {
        assert_eq!(select_tail(b"a\nb\nc\n", Some(2)), b"b\nc\n");
        assert_eq!(select_tail(b"a\nb\nc\n", Some(5)), b"a\nb\nc\n");
        assert_eq!(select_tail(b"a\nb\nc", Some(1)), b"c");
        assert_eq!(select_tail(b"a\nb\n", Some(0)), b"");
        assert_eq!(select_tail(b"a\nb\n", None), b"a\nb\n");
    }

    #[test]
    fn the_only_container_is_the_default() {
        let pod = serde_json::json!({"metadata": {"name": "p"}, "spec": {"initContainers": [{"name": "init"}], "containers": [{"name": "agent"}]}});
        assert_eq!(pick_container(&pod, None).unwrap(), "agent");
        assert_eq!(pick_container(&pod, Some("init")).unwrap(), "init");
        assert!(pick_container(&pod, Some("x")).is_err());
    }
}
