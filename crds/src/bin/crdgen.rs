//! Writes the CustomResourceDefinitions generated from the API types as YAML files.
//!
//! `crdgen` writes them into the `crds/` folder of the repository and into the Helm chart's
//! `charts/framefarm/crds/` (byte-identical copies); `crdgen DIR` writes them into DIR only;
//! `crdgen --check` only reports whether the committed files are current.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::{env, fs, io};

use framefarm_crds::crd;

fn main() -> ExitCode {
    let mut check = false;
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<PathBuf> = crd::COMMITTED_DIRS
        .iter()
        .map(|dir| crate_dir.join(dir))
        .collect();
    for arg in env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!(
                    "usage: crdgen [--check] [DIR]\nwrites the Framefarm CRDs to DIR (default: crds/ and charts/framefarm/crds/)"
                );
                return ExitCode::SUCCESS;
            }
            other => dirs = vec![PathBuf::from(other)],
        }
    }
    let mut stale = false;
    for (file_name, definition) in crd::definitions() {
        let yaml = match crd::to_yaml(&definition) {
            Ok(yaml) => yaml,
            Err(error) => {
                eprintln!("crdgen: failed to render {file_name}: {error}");
                return ExitCode::FAILURE;
            }
        };
        for path in dirs.iter().map(|dir| dir.join(file_name)) {
            if check {
                if fs::read_to_string(&path).ok().as_deref() != Some(yaml.as_str()) {
                    eprintln!("crdgen: {} is out of date; run crdgen", path.display());
                    stale = true;
                }
            } else if let Err(error) = fs::write(&path, &yaml) {
                eprintln!("crdgen: failed to write {}: {error}", path.display());
                return ExitCode::FAILURE;
            } else {
                // A closed stdout (`crdgen | head`) must not stop the remaining files being
                // written.
                let _ = writeln!(io::stdout(), "wrote {}", path.display());
            }
        }
    }
    if stale {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
