//! Matches a pod's image reference to a configured [`LocalImage`] by repository, the way a
//! container runtime names images (`busybox` is `docker.io/library/busybox`). Tags and digests
//! are ignored; nothing is pulled.

use super::config::LocalImage;

/// The fully qualified repository of an image reference, without tag or digest.
pub fn repository(reference: &str) -> String {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let last_slash = without_digest.rfind('/').map_or(0, |index| index + 1);
    let without_tag = match without_digest[last_slash..].find(':') {
        Some(colon) => &without_digest[..last_slash + colon],
        None => without_digest,
    };
    let (first, rest) = without_tag.split_once('/').unwrap_or(("", without_tag));
    let first_is_registry =
        !first.is_empty() && (first.contains('.') || first.contains(':') || first == "localhost");
    match (first_is_registry, first.is_empty()) {
        (true, _) => without_tag.to_owned(),
        (false, true) => format!("docker.io/library/{rest}"),
        (false, false) => format!("docker.io/{without_tag}"),
    }
}

/// The configured image a pod's `image` refers to.
pub fn find<'a>(images: &'a [LocalImage], reference: &str) -> Option<&'a LocalImage> {
    let wanted = repository(reference);
    images
        .iter()
        .find(|image| repository(&image.image) == wanted)
}

/// What a pull of an unmapped image reports, in the words a container's waiting message and
/// its `Failed` event use.
pub fn pull_failure(images: &[LocalImage], reference: &str) -> String {
    let known: Vec<&str> = images.iter().map(|image| image.image.as_str()).collect();
    format!(
        "Failed to pull image \"{reference}\": repository {:?} is not mapped to a local image by the pod runner (mapped: {})",
        repository(reference),
        if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_docker_hub_library_images() {
        assert_eq!(repository("busybox"), "docker.io/library/busybox");
        assert_eq!(repository("busybox:1.36"), "docker.io/library/busybox");
        assert_eq!(
            repository("bitnami/kubectl:1.31"),
            "docker.io/bitnami/kubectl"
        );
    }

    #[test]
    fn registries_with_ports_keep_their_port_and_lose_the_tag() {
        assert_eq!(
            repository("localhost:5000/agent:v2"),
            "localhost:5000/agent"
        );
        assert_eq!(
            repository("ghcr.io/framefarm/node-agent@sha256:abc"),
            "ghcr.io/framefarm/node-agent"
        );
        assert_eq!(
            repository("ghcr.io/framefarm/node-agent:v1@sha256:abc"),
            "ghcr.io/framefarm/node-agent"
        );
    }

    #[test]
    fn a_pod_image_matches_the_configured_repository_whatever_its_tag() {
        let images = vec![
            LocalImage::new("ghcr.io/framefarm/node-agent"),
            LocalImage::new("busybox:latest"),
        ];
        assert_eq!(
            find(&images, "ghcr.io/framefarm/node-agent:v0.1.0")
                .unwrap()
                .image,
            "ghcr.io/framefarm/node-agent"
        );
        assert_eq!(
            find(&images, "docker.io/library/busybox:1.36")
                .unwrap()
                .image,
            "busybox:latest"
        );
        assert!(find(&images, "ghcr.io/framefarm/operator:v1").is_none());
    }

    #[test]
    fn a_pull_failure_names_the_image_and_what_is_mapped() {
        let images = vec![LocalImage::new("busybox")];
        let message = pull_failure(&images, "blender:4.2");
        assert!(
            message.starts_with("Failed to pull image \"blender:4.2\""),
            "{message}"
        );
        assert!(message.contains("busybox"), "{message}");
    }
}
