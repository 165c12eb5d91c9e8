//! The throwaway configuration of one Garage server: free loopback ports, secrets, and the
//! TOML file. Starts nothing.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::TcpListener;
use std::path::Path;
use std::time::SystemTime;

use super::{GarageError, REGION};

/// The loopback ports one Garage server listens on.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ports {
    pub(super) s3: u16,
    pub(super) rpc: u16,
    pub(super) admin: u16,
}

pub(super) fn config_text(dir: &Path, ports: Ports) -> String {
    format!(
        r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin}"
admin_token = "{token}"
"#,
        meta = dir.join("meta").display(),
        data = dir.join("data").display(),
        rpc = ports.rpc,
        s3 = ports.s3,
        admin = ports.admin,
        secret = random_hex(32),
        token = random_hex(32),
    )
}

/// A loopback port that was free a moment ago.
pub(super) fn free_port() -> Result<u16, GarageError> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(GarageError::PickPort)
}

/// `bytes` random bytes as lowercase hex. Not for cryptography: enough to keep throwaway
/// servers and keys of concurrent tests apart.
pub(super) fn random_hex(bytes: usize) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let mut hex = String::with_capacity(bytes * 2 + 16);
    while hex.len() < bytes * 2 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        hex.push_str(&format!("{:016x}", hasher.finish()));
    }
    hex.truncate(bytes * 2);
    hex
}
