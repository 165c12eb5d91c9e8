//! Writes the thumbnail of one frame, like `node-agent thumbnail <in> <out> --width <n>`; the
//! thumbnail benchmark uses it when the node-agent binary lacks that subcommand.

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use framefarm_node_agent::thumbnail::{format_for_output_path, make_thumbnail};

#[derive(Debug, Parser)]
struct Args {
    /// The frame: PNG, JPEG or OpenEXR.
    input: PathBuf,
    /// Where to write the thumbnail; .png, .jpg or .jpeg.
    output: PathBuf,
    /// Width of the thumbnail in pixels.
    #[arg(long, default_value_t = 320)]
    width: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let format = format_for_output_path(&args.output)?;
    let thumbnail = make_thumbnail(&args.input, args.width, format)?;
    std::fs::write(&args.output, thumbnail.bytes)
        .map_err(|error| format!("failed to write {}: {error}", args.output.display()))?;
    Ok(())
}
