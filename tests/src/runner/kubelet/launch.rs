//! What process a container becomes: program and arguments (`command` or the image
//! entrypoint, plus `args`, `$(VAR)` expanded), environment (host basics, image env, pod env)
//! and working directory, with in-container paths rewritten to host paths. Pure.

use std::collections::BTreeMap;
use std::path::PathBuf;

use k8s_openapi::api::core::v1::Container;

use super::expansion::expand;
use super::paths::PathMap;
use crate::runner::config::LocalImage;

/// Variables every container gets from the runner, lowest in precedence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostBasics {
    /// The host's `PATH`, so that `sh` and friends resolve.
    pub path: String,
    pub home: PathBuf,
    pub hostname: String,
    pub kubeconfig: PathBuf,
}

/// A process to start for a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchPlan {
    pub program: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub working_dir: WorkingDir,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkingDir {
    /// Inside a volume or image file mapping: created if missing, as a runtime creates it.
    Mapped(PathBuf),
    /// A host directory that must exist.
    Host(PathBuf),
}

/// Why no process can be planned; shown as `CreateContainerError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LaunchProblem {
    NoCommand { container: String },
}

impl std::fmt::Display for LaunchProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaunchProblem::NoCommand { container } => write!(
                f,
                "failed to generate container \"{container}\" spec: no command specified"
            ),
        }
    }
}

/// Plans the process for `container` from its image and its resolved pod environment.
/// `default_dir` is where a container without `workingDir` starts.
pub fn plan_launch(
    container: &Container,
    image: &LocalImage,
    pod_env: &BTreeMap<String, String>,
    paths: &PathMap,
    basics: &HostBasics,
    default_dir: PathBuf,
) -> Result<LaunchPlan, LaunchProblem> {
    let lookup = |name: &str| pod_env.get(name).map(String::as_str);
    let command = container
        .command
        .clone()
        .filter(|command| !command.is_empty());
    let args = container.args.clone().unwrap_or_default();
    let words: Vec<String> = match command {
        Some(command) => command
            .iter()
            .chain(args.iter())
            .map(|word| expand(word, lookup))
            .collect(),
        None => image
            .entrypoint
            .iter()
            .cloned()
            .chain(args.iter().map(|word| expand(word, lookup)))
            .collect(),
    };
    let mut words = words.into_iter().map(|word| paths.rewrite_text(&word));
    let program = words.next().ok_or_else(|| LaunchProblem::NoCommand {
        container: container.name.clone(),
    })?;

    let mut env = BTreeMap::from([
        ("PATH".to_owned(), basics.path.clone()),
        (
            "HOME".to_owned(),
            basics.home.to_string_lossy().into_owned(),
        ),
        ("HOSTNAME".to_owned(), basics.hostname.clone()),
        (
            "KUBECONFIG".to_owned(),
            basics.kubeconfig.to_string_lossy().into_owned(),
        ),
    ]);
    for (name, value) in image.env.iter().chain(pod_env.iter()) {
        env.insert(name.clone(), paths.rewrite_text(value));
    }

    let working_dir = match container
        .working_dir
        .as_deref()
        .filter(|dir| !dir.is_empty())
    {
        None => WorkingDir::Host(default_dir),
        Some(dir) => match paths.resolve(dir) {
            Some(host) => WorkingDir::Mapped(host),
            None => WorkingDir::Host(PathBuf::from(dir)),
        },
    };
    Ok(LaunchPlan {
        program,
        args: words.collect(),
        env,
        working_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn basics() -> HostBasics {
        HostBasics {
            path: "/usr/bin:/bin".to_owned(),
            home: PathBuf::from("/farm/pod/home"),
            hostname: "render-0".to_owned(),
            kubeconfig: PathBuf::from("/farm/kubeconfig"),
        }
    }

    fn agent_image() -> LocalImage {
        LocalImage::new("ghcr.io/framefarm/node-agent")
            .with_file("/usr/local/bin/agent", "/build/agent")
            .with_entrypoint(["/usr/local/bin/agent", "--log=json"])
            .with_env("CACHE", "/data/cache")
    }

    fn paths() -> PathMap {
        PathMap::new([
            ("/data".to_owned(), PathBuf::from("/farm/pod/volumes/data")),
            (
                "/usr/local/bin/agent".to_owned(),
                PathBuf::from("/build/agent"),
            ),
        ])
    }

    fn plan(
        container: serde_json::Value,
        pod_env: &[(&str, &str)],
    ) -> Result<LaunchPlan, LaunchProblem> {
        let container: Container = serde_json::from_value(container).unwrap();
        let pod_env = pod_env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        plan_launch(
            &container,
            &agent_image(),
            &pod_env,
            &paths(),
            &basics(),
            PathBuf::from("/farm/pod"),
        )
    }

    #[test]
    fn the_image_entrypoint_runs_when_the_container_names_no_command() {
        let plan = plan(json!({"name": "agent"}), &[]).unwrap();
        assert_eq!(plan.program, "/build/agent");
        assert_eq!(plan.args, ["--log=json"]);
    }

    #[test]
    fn args_follow_the_image_entrypoint() {
        let plan = plan(
            json!({"name": "agent", "args": ["render", "--out=/data/$(SHOT)"]}),
            &[("SHOT", "sh010")],
        )
        .unwrap();
        assert_eq!(plan.program, "/build/agent");
        assert_eq!(
            plan.args,
            ["--log=json", "render", "--out=/farm/pod/volumes/data/sh010"]
        );
    }

    #[test]
    fn a_command_runs_host_programs_with_mapped_paths_in_its_script() {
        let plan = plan(json!({"name": "sh", "command": ["sh", "-c"], "args": ["echo $(GREETING) > /data/out"]}), &[("GREETING", "hello")]).unwrap();
        assert_eq!(plan.program, "sh");
        assert_eq!(plan.args, ["-c", "echo hello > /farm/pod/volumes/data/out"]);
    }

    #[test]
    fn pod_env_overrides_image_env_which_overrides_host_basics() {
        let plan = plan(
            json!({"name": "agent"}),
            &[("HOME", "/data/home"), ("SHOT", "sh010")],
        )
        .unwrap();
        assert_eq!(plan.env["PATH"], "/usr/bin:/bin");
        assert_eq!(plan.env["KUBECONFIG"], "/farm/kubeconfig");
        assert_eq!(plan.env["HOSTNAME"], "render-0");
        assert_eq!(
            plan.env["CACHE"], "/farm/pod/volumes/data/cache",
            "image env values are rewritten too"
        );
        assert_eq!(plan.env["HOME"], "/farm/pod/volumes/data/home");
        assert_eq!(plan.env["SHOT"], "sh010");
    }

    #[test]
    fn working_directories_inside_volumes_are_mapped() {
        let plan = plan(json!({"name": "agent", "workingDir": "/data/work"}), &[]).unwrap();
        assert_eq!(
            plan.working_dir,
            WorkingDir::Mapped(PathBuf::from("/farm/pod/volumes/data/work"))
        );
        let plan = plan_default_dir();
        assert_eq!(
            plan.working_dir,
            WorkingDir::Host(PathBuf::from("/farm/pod"))
        );
    }

    fn plan_default_dir() -> LaunchPlan {
        plan(json!({"name": "agent"}), &[]).unwrap()
    }

    #[test]
    fn no_command_anywhere_is_a_problem() {
        let container: Container = serde_json::from_value(json!({"name": "empty"})).unwrap();
        let problem = plan_launch(
            &container,
            &LocalImage::new("scratch"),
            &BTreeMap::new(),
            &PathMap::default(),
            &basics(),
            PathBuf::from("/"),
        )
        .unwrap_err();
        assert_eq!(
            problem.to_string(),
            "failed to generate container \"empty\" spec: no command specified"
        );
    }
}
