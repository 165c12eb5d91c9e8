//! Where things live on this machine: pod and node directories under the runner's root, log
//! files, and the mapping from in-container absolute paths (volume mounts, image files) to host
//! paths, applied to whole paths and to paths inside command lines. Pure: creates nothing.

use std::path::{Path, PathBuf};

/// A pod's directory on its node: `{root}/nodes/{node}/pods/{uid}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodDirs {
    pub dir: PathBuf,
}

impl PodDirs {
    pub fn new(root: &Path, node: &str, uid: &str) -> Self {
        PodDirs {
            dir: node_dir(root, node).join("pods").join(uid),
        }
    }

    /// A volume's directory, named by plugin as the kubelet names them
    /// (`volumes/kubernetes.io~empty-dir/{name}`).
    pub fn volume(&self, plugin: &str, name: &str) -> PathBuf {
        self.dir
            .join("volumes")
            .join(format!("kubernetes.io~{plugin}"))
            .join(name)
    }

    /// `HOME` of the pod's containers.
    pub fn home(&self) -> PathBuf {
        self.dir.join("home")
    }
}

pub fn node_dir(root: &Path, node: &str) -> PathBuf {
    root.join("nodes").join(node)
}

/// Where a `hostPath` volume's path lives on an emulated node: shared by the node's pods only.
pub fn host_path(root: &Path, node: &str, path: &str) -> PathBuf {
    node_dir(root, node)
        .join("hostpath")
        .join(path.trim_start_matches('/'))
}

/// The log file the API server serves as `pods/log`.
pub fn container_log(logs_dir: &Path, namespace: &str, pod: &str, container: &str) -> PathBuf {
    logs_dir
        .join(namespace)
        .join(pod)
        .join(format!("{container}.log"))
}

/// In-container absolute paths mapped to host paths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathMap {
    /// Longest container path first, so that a mount inside another mount wins.
    entries: Vec<(String, PathBuf)>,
}

impl PathMap {
    /// Earlier entries win over later ones with the same container path, so callers list
    /// volume mounts before image files.
    pub fn new(entries: impl IntoIterator<Item = (String, PathBuf)>) -> Self {
        let mut kept: Vec<(String, PathBuf)> = Vec::new();
        for (container, host) in entries {
            let container = normalize(&container);
            if container.is_empty() || kept.iter().any(|(existing, _)| *existing == container) {
                continue;
            }
            kept.push((container, host));
        }
        kept.sort_by_key(|(container, _)| std::cmp::Reverse(container.len()));
        PathMap { entries: kept }
    }

    /// The host path of an absolute container path, if it lies in a mapped path.
    pub fn resolve(&self, path: &str) -> Option<PathBuf> {
        self.entries.iter().find_map(|(container, host)| {
            let rest = path.strip_prefix(container.as_str())?;
            if rest.is_empty() {
                Some(host.clone())
            } else {
                rest.strip_prefix('/')
                    .map(|relative| host.join(relative.trim_start_matches('/')))
            }
        })
    }

    /// Replaces every mapped path inside `text` (a command-line argument, an env value, a shell
    /// script) by its host path. A path counts where it starts a word (after the start, a
    /// space, `=`, `:`, a quote, …) and ends at `/` or at a character that cannot continue a
    /// file name, so `/data` is rewritten in `--out=/data/f` but not in `/database`.
    pub fn rewrite_text(&self, text: &str) -> String {
        let mut output = String::with_capacity(text.len());
        let mut index = 0;
        while index < text.len() {
            let starts_word = text[..index]
                .chars()
                .next_back()
                .is_none_or(|previous| !continues_name(previous) && previous != '/');
            let mapped = starts_word
                .then(|| {
                    self.entries.iter().find(|(container, _)| {
                        text[index..].starts_with(container.as_str())
                            && text[index + container.len()..]
                                .chars()
                                .next()
                                .is_none_or(|next| next == '/' || !continues_name(next))
                    })
                })
                .flatten();
            match mapped {
                Some((container, host)) => {
                    output.push_str(&host.to_string_lossy());
                    index += container.len();
                }
                None => {
                    let Some(character) = text[index..].chars().next() else {
                        break;
                    };
                    output.push(character);
                    index += character.len_utf8();
                }
            }
        }
        output
    }
}

/// Characters that can continue a file name in a command line.
fn continues_name(character: char) -> bool {
    character.is_alphanumeric() || matches!(character, '_' | '-' | '.' | '~' | '+' | '@' | '%')
}

/// `/data/` and `/data` are the same mount point; `/` alone maps nothing.
fn normalize(path: &str) -> String {
    path.trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> PathMap {
        PathMap::new([
            ("/data".to_owned(), PathBuf::from("/host/pod/data")),
            ("/data/cache/".to_owned(), PathBuf::from("/host/node/cache")),
            (
                "/usr/local/bin/agent".to_owned(),
                PathBuf::from("/build/agent"),
            ),
        ])
    }

    #[test]
    fn a_path_inside_a_mount_resolves_into_its_host_directory() {
        assert_eq!(
            map().resolve("/data/frames/1.exr"),
            Some(PathBuf::from("/host/pod/data/frames/1.exr"))
        );
        assert_eq!(
            map().resolve("/data"),
            Some(PathBuf::from("/host/pod/data"))
        );
        assert_eq!(
            map().resolve("/data/cache/x"),
            Some(PathBuf::from("/host/node/cache/x")),
            "the deeper mount wins"
        );
        assert_eq!(
            map().resolve("/usr/local/bin/agent"),
            Some(PathBuf::from("/build/agent"))
        );
    }

    #[test]
    fn unmapped_paths_fall_through_to_the_host() {
        assert_eq!(map().resolve("/bin/sh"), None);
        assert_eq!(map().resolve("/database"), None);
    }

    #[test]
    fn paths_inside_scripts_and_flags_are_rewritten() {
        assert_eq!(
            map().rewrite_text("echo hi > /data/out.txt && cat /data/cache/x"),
            "echo hi > /host/pod/data/out.txt && cat /host/node/cache/x"
        );
        assert_eq!(
            map().rewrite_text("--output=/data"),
            "--output=/host/pod/data"
        );
        assert_eq!(
            map().rewrite_text("PATH=/usr/local/bin/agent:/bin"),
            "PATH=/build/agent:/bin"
        );
        assert_eq!(map().rewrite_text("'/data/x'"), "'/host/pod/data/x'");
    }

    #[test]
    fn lookalikes_are_left_alone() {
        assert_eq!(
            map().rewrite_text("/database /srv/data s3://bucket/data ./data"),
            "/database /srv/data s3://bucket/data ./data"
        );
    }

    #[test]
    fn the_first_mapping_of_a_container_path_wins() {
        let map = PathMap::new([
            ("/etc/conf".to_owned(), PathBuf::from("/mount")),
            ("/etc/conf".to_owned(), PathBuf::from("/image")),
        ]);
        assert_eq!(map.resolve("/etc/conf/a"), Some(PathBuf::from("/mount/a")));
    }

    #[test]
    fn directories_follow_the_kubelet_layout() {
        let dirs = PodDirs::new(Path::new("/farm"), "node-a", "uid-1");
        assert_eq!(
            dirs.volume("empty-dir", "scratch"),
            PathBuf::from("/farm/nodes/node-a/pods/uid-1/volumes/kubernetes.io~empty-dir/scratch")
        );
        assert_eq!(
            host_path(Path::new("/farm"), "node-a", "/var/cache"),
            PathBuf::from("/farm/nodes/node-a/hostpath/var/cache")
        );
        assert_eq!(
            container_log(Path::new("/logs"), "shots", "p", "main"),
            PathBuf::from("/logs/shots/p/main.log")
        );
    }
}
