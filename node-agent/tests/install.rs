//! `node-agent install`, as the operator's init container runs it: the agent copies its own
//! executable into a shared volume, and the copy runs from there.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

const AGENT: &str = env!("CARGO_BIN_EXE_node-agent");

#[test]
fn the_agent_installs_a_runnable_copy_of_itself_into_new_folders() {
    let volume = tempfile::tempdir().unwrap();
    let dest = volume.path().join("framefarm/bin/node-agent");
    let output = Command::new(AGENT)
        .arg("install")
        .arg(&dest)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let installed = std::fs::metadata(&dest).unwrap();
    assert_eq!(installed.permissions().mode() & 0o777, 0o755);
    assert_eq!(installed.len(), std::fs::metadata(AGENT).unwrap().len());
    assert!(
        std::fs::read(&dest).unwrap() == std::fs::read(AGENT).unwrap(),
        "the copy is the agent, byte for byte"
    );
    let version = Command::new(&dest).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("node-agent "));
    let entries: Vec<_> = std::fs::read_dir(dest.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["node-agent"], "no partial file is left behind");
}

#[test]
fn installing_where_no_folder_can_be_made_fails_with_the_path() {
    let volume = tempfile::tempdir().unwrap();
    let blocker = volume.path().join("bin");
    std::fs::write(&blocker, b"a file, not a folder").unwrap();
    let output = Command::new(AGENT)
        .arg("install")
        .arg(blocker.join("node-agent"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&blocker.display().to_string()), "{stderr}");
}
