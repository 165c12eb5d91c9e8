//! A throwaway Garage server for scripts (benchmarks, local trials): starts it on loopback
//! with the given buckets, prints `export` lines for the endpoint and keys, and runs until its
//! standard input closes, then stops the server and removes its data.
//!
//! `cargo run -p framefarm-tests --example garage_server -- BUCKET...`

use std::io::Read;
use std::process::ExitCode;

use framefarm_tests::garage::Garage;

fn main() -> ExitCode {
    let garage = match Garage::start() {
        Ok(garage) => garage,
        Err(error) => {
            eprintln!("garage_server: {error}");
            return ExitCode::FAILURE;
        }
    };
    for bucket in std::env::args().skip(1) {
        if let Err(error) = garage.create_bucket(&bucket) {
            eprintln!("garage_server: {error}");
            return ExitCode::FAILURE;
        }
    }
    println!("export S3_ENDPOINT={}", garage.endpoint());
    println!("export AWS_ACCESS_KEY_ID={}", garage.access_key_id());
    println!(
        "export AWS_SECRET_ACCESS_KEY={}",
        garage.secret_access_key()
    );
    println!("export AWS_REGION={}", garage.region());
    println!("ready");
    // Dropping `garage` below stops the server; wait for the caller to close our input.
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    drop(garage);
    ExitCode::SUCCESS
}
