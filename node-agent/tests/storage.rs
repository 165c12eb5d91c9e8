//! The storage helpers the operator uses to find and remove a shot's files, against a real
//! Garage: listing every object under a prefix across pages, and deleting keys in batches of
//! up to 1000 where a key already gone is no error; and presigned URLs that fetch one object
//! without the keys.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

use bytes::Bytes;
use framefarm_crds::storage::StorageSpec;
use framefarm_node_agent::storage::{Storage, StorageCredentials, StorageError, TransferSettings};
use framefarm_tests::garage::Garage;
use futures::{StreamExt, TryStreamExt};

const BUCKET: &str = "renders";

fn storage(garage: &Garage, access_key_id: &str, secret_access_key: &str) -> Storage {
    let spec = StorageSpec {
        endpoint: Some(garage.endpoint()),
        region: Some(garage.region().to_owned()),
        ..StorageSpec::default()
    };
    let credentials =
        StorageCredentials::new(access_key_id.to_owned(), secret_access_key.to_owned());
    Storage::new(&spec, credentials, TransferSettings::default()).unwrap()
}

fn garage() -> (Garage, Storage) {
    let garage = Garage::start().expect("Garage starts");
    garage.create_bucket(BUCKET).unwrap();
    let storage = storage(&garage, garage.access_key_id(), garage.secret_access_key());
    (garage, storage)
}

async fn put_all(storage: &Storage, keys: &[String]) {
    futures::stream::iter(keys)
        .map(|key| storage.upload_bytes(BUCKET, key, Bytes::from_static(b"x"), "image/png"))
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
}

/// More keys than fit in one page of a listing or one DeleteObjects request.
fn shot_keys() -> Vec<String> {
    (1..=1203)
        .map(|frame| format!("out/sh010/frame_{frame:04}.png"))
        .chain(["out/sh010/thumbs/frame_0001.jpg".to_owned()])
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_object_under_a_prefix_is_listed_across_pages_and_deleted_in_batches() {
    let (garage, storage) = garage();
    let keys = shot_keys();
    put_all(&storage, &keys).await;
    let neighbours = [
        "out/sh0100/frame_0001.png".to_owned(),
        "out/sh011/frame_0001.png".to_owned(),
    ];
    put_all(&storage, &neighbours).await;

    let listed = storage.list_prefix(BUCKET, "out/sh010/").await.unwrap();
    let listed_keys: Vec<String> = listed.iter().map(|object| object.key.clone()).collect();
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(listed_keys, expected, "every key once, in key order");
    assert!(listed.iter().all(|object| object.size == 1));
    assert!(listed.iter().all(|object| object.last_modified.is_some()));

    let mut doomed = keys.clone();
    doomed.push("out/sh010/frame_9999.png".to_owned());
    let requested = storage.delete_objects(BUCKET, &doomed).await.unwrap();
    assert_eq!(requested, 1205, "keys that do not exist are requested too");
    assert!(
        storage
            .list_prefix(BUCKET, "out/sh010/")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        garage.list_keys(BUCKET, "out/").unwrap(),
        neighbours,
        "objects outside the prefix are kept"
    );

    // Deleting again, as a cleanup interrupted halfway does, succeeds.
    assert_eq!(storage.delete_objects(BUCKET, &doomed).await.unwrap(), 1205);
    assert_eq!(storage.delete_objects(BUCKET, &[]).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_prefix_lists_nothing_and_a_missing_bucket_is_named() {
    let (_garage, storage) = garage();
    assert!(
        storage
            .list_prefix(BUCKET, "out/nothing/")
            .await
            .unwrap()
            .is_empty()
    );
    let error = storage
        .list_prefix("no-such-bucket", "out/")
        .await
        .unwrap_err();
    assert!(
        matches!(error, StorageError::NoSuchBucket { .. }),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_with_wrong_keys_is_refused_as_a_credentials_problem() {
    let (garage, good) = garage();
    let key = "out/sh010/frame_0001.png".to_owned();
    put_all(&good, std::slice::from_ref(&key)).await;
    let wrong = storage(&garage, garage.access_key_id(), "not-the-secret");
    let error = wrong
        .delete_objects(BUCKET, std::slice::from_ref(&key))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::BadCredentials { .. } | StorageError::AccessDenied { .. }
        ),
        "{error}"
    );
    assert_eq!(garage.list_keys(BUCKET, "out/").unwrap(), [key]);
}

/// Fetches `url` with curl, which knows nothing of the store's keys; the CA variables this
/// environment sets are dropped because the store speaks plain HTTP.
fn fetch_with_curl(url: &str) -> (String, Vec<u8>) {
    let output = std::process::Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--write-out",
            "\n%{http_code}",
            url,
        ])
        .env_remove("CURL_CA_BUNDLE")
        .env_remove("SSL_CERT_FILE")
        .output()
        .expect("curl runs");
    let mut body = output.stdout;
    let split = body
        .iter()
        .rposition(|byte| *byte == b'\n')
        .expect("status line");
    let status = String::from_utf8(body.split_off(split + 1)).unwrap();
    body.pop();
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_presigned_url_fetches_one_object_without_keys_for_a_limited_time() {
    let (_garage, storage) = garage();
    let key = "out/sh010/preview/sh010.gif".to_owned();
    storage
        .upload_bytes(BUCKET, &key, Bytes::from_static(b"GIF89a"), "image/gif")
        .await
        .unwrap();
    let hour = std::time::Duration::from_secs(3600);

    let url = storage.presigned_get(BUCKET, &key, hour).await.unwrap();
    assert!(url.contains("X-Amz-Expires=3600"), "{url}");
    assert_eq!(
        fetch_with_curl(&url),
        ("200".to_owned(), b"GIF89a".to_vec())
    );

    let tampered = url.replace("sh010.gif", "sh011.gif");
    assert_eq!(
        fetch_with_curl(&tampered).0,
        "403",
        "the signature covers the key"
    );

    let missing = storage
        .presigned_get(BUCKET, "out/sh010/nothing.png", hour)
        .await
        .unwrap();
    assert_eq!(fetch_with_curl(&missing).0, "404");

    let too_long = std::time::Duration::from_secs(8 * 24 * 3600);
    let refused = storage
        .presigned_get(BUCKET, &key, too_long)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("7 days"), "{refused}");
}
