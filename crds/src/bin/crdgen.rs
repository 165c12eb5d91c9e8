//! Writes the CustomResourceDefinitions generated from the API types as YAML files.
//!
//! `crdgen` writes them into the `crds/` folder of the repository; `crdgen DIR` writes them
//! into DIR; `crdgen --check` only reports whether the committed files are current.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::{env, fs, io};

use framefarm_crds::crd;

fn main() -> ExitCode {
    let mut check = false;
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for arg in env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!(
                    "usage: crdgen [--check] [DIR]\nwrites the Framefarm CRDs to DIR (default: crds/)"
                );
                return ExitCode::SUCCESS;
            }
            other => dir = PathBuf::from(other),
        }
    }
    let mut stale = false;
    for (file_name, definition) in crd::definitions() {
        let path = dir.join(file_name);
        let yaml = match crd::to_yaml(&definition) {
            Ok(yaml) => yaml,
            Err(error) => {
                eprintln!("crdgen: failed to render {file_name}: {error}");
                return ExitCode::FAILURE;
            }
        };
        if check {
            if fs::read_to_string(&path).ok().as_deref() != Some(yaml.as_str()) {
                eprintln!("crdgen: {} is out of date; run crdgen", path.display());
                stale = true;
            }
        } else if let Err(error) = fs::write(&path, yaml) {
            eprintln!("crdgen: failed to write {}: {error}", path.display());
            return ExitCode::FAILURE;
        } else {
            // A closed stdout (`crdgen | head`) must not stop the remaining files being written.
            let _ = writeln!(io::stdout(), "wrote {}", path.display());
        }
    }
    if stale {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
