//! Object access for a test's own checks on a [`Garage`]: put, get and list through the rclone
//! command-line tool, with the remote set up in rclone's environment. Not how the code under
//! test talks to S3; it brings its own client.

use std::process::{Command, Output};

use super::{Garage, GarageError, REGION};
use crate::command;

/// rclone's exit codes for "directory not found" and "file not found".
const RCLONE_DIR_NOT_FOUND: i32 = 3;
const RCLONE_FILE_NOT_FOUND: i32 = 4;
/// With this set (as it is on our machines), rclone's S3 backend fails before any request:
/// "LoadCustomCABundleError: unable to load custom CA bundle, HTTPClient's transport unsupported
/// type"; so it is removed from rclone's environment. The endpoint is plain HTTP anyway.
const AWS_CA_BUNDLE: &str = "AWS_CA_BUNDLE";

impl Garage {
    /// Writes an object, replacing one with the same key.
    pub fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), GarageError> {
        let mut rclone = self.rclone_command();
        rclone.arg("rcat").arg(remote_path(bucket, key));
        command::run(&mut rclone, Some(body)).map_err(|source| GarageError::PutObject {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            source,
        })?;
        Ok(())
    }

    /// The body of an object, or `None` when there is no object with exactly this key.
    pub fn get_object(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, GarageError> {
        let error = |source| GarageError::GetObject {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            source,
        };
        // `rclone cat` of a path that is not an object reads every object under it as a folder,
        // so ask first whether the key is an object.
        let mut stat = self.rclone_command();
        stat.args(["lsjson", "--stat"])
            .arg(remote_path(bucket, key));
        match command::run(&mut stat, None) {
            Ok(output) if is_file_stat(&output) => {}
            Ok(_) => return Ok(None),
            Err(source)
                if matches!(
                    source.exit_code(),
                    Some(RCLONE_DIR_NOT_FOUND | RCLONE_FILE_NOT_FOUND)
                ) =>
            {
                return Ok(None);
            }
            Err(source) => return Err(error(source)),
        }
        let mut cat = self.rclone_command();
        cat.arg("cat").arg(remote_path(bucket, key));
        match command::run(&mut cat, None) {
            Ok(output) => Ok(Some(output.stdout)),
            Err(source) if source.exit_code() == Some(RCLONE_FILE_NOT_FOUND) => Ok(None),
            Err(source) => Err(error(source)),
        }
    }

    /// The keys of the objects in `bucket` that start with `prefix`, sorted.
    pub fn list_keys(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, GarageError> {
        // The prefix is a string prefix, not a folder, so list the whole bucket and filter.
        let mut rclone = self.rclone_command();
        rclone
            .args(["lsf", "-R", "--files-only"])
            .arg(remote_path(bucket, ""));
        let output = match command::run(&mut rclone, None) {
            Ok(output) => output,
            Err(source) if source.exit_code() == Some(RCLONE_DIR_NOT_FOUND) => return Ok(vec![]),
            Err(source) => {
                return Err(GarageError::ListObjects {
                    bucket: bucket.to_owned(),
                    prefix: prefix.to_owned(),
                    source,
                });
            }
        };
        let mut keys: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|key| key.starts_with(prefix))
            .map(str::to_owned)
            .collect();
        keys.sort();
        Ok(keys)
    }

    /// rclone with a remote named `garage` for this server, set up through the environment.
    pub(super) fn rclone_command(&self) -> Command {
        let mut rclone = Command::new(&self.rclone);
        rclone
            // No configuration file: the remote lives in the environment only.
            .args(["--config", ""])
            // Fail fast: the server is local, and fault tests stop it on purpose.
            .args([
                "--retries",
                "1",
                "--low-level-retries",
                "2",
                "--contimeout",
                "5s",
            ])
            .env_remove(AWS_CA_BUNDLE)
            .env("RCLONE_CONFIG_GARAGE_TYPE", "s3")
            .env("RCLONE_CONFIG_GARAGE_PROVIDER", "Other")
            .env("RCLONE_CONFIG_GARAGE_ENDPOINT", self.endpoint())
            .env("RCLONE_CONFIG_GARAGE_REGION", REGION)
            .env("RCLONE_CONFIG_GARAGE_ACCESS_KEY_ID", &self.access_key_id)
            .env(
                "RCLONE_CONFIG_GARAGE_SECRET_ACCESS_KEY",
                &self.secret_access_key,
            )
            .env("RCLONE_CONFIG_GARAGE_FORCE_PATH_STYLE", "true")
            .env("RCLONE_CONFIG_GARAGE_NO_CHECK_BUCKET", "true");
        rclone
    }
}

fn remote_path(bucket: &str, key: &str) -> String {
    format!("garage:{bucket}/{key}")
}

/// Whether `rclone lsjson --stat` printed an object rather than a folder.
fn is_file_stat(output: &Output) -> bool {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str::<serde_json::Value>(&text)
        .is_ok_and(|stat| stat.get("IsDir") == Some(&serde_json::Value::Bool(false)))
}
