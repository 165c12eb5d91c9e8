//! Pod mode (`node-agent run`): the RenderJob is read from the Kubernetes API and status is
//! written back to its status subresource by server-side apply, frame by frame and coalesced.
//!
//! Until the API emulator exists, the API side here is a recording server that answers the
//! two requests the agent makes (GET the RenderJob, PATCH its status) and keeps every patch,
//! so the test can check exactly what the agent sends. Blender and Garage are real.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use framefarm_tests::blender::SceneOptions;
use serde_json::{Value, json};
use support::{BLENDER_PNG, Fixture, frame_files, run, stderr};

const JOB_PATH: &str = "/apis/framefarm.io/v1alpha1/namespaces/studio/renderjobs/sh010-chunk-1";

/// One request the agent made.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    target: String,
    content_type: String,
    body: String,
}

/// Serves one RenderJob and records the requests.
fn serve(job: Value) -> (String, Arc<Mutex<Vec<Request>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let recorded = Arc::clone(&recorded);
            let job = job.clone();
            std::thread::spawn(move || answer(stream, &job, &recorded));
        }
    });
    (address, requests)
}

fn answer(stream: TcpStream, job: &Value, recorded: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let (mut length, mut content_type) = (0, String::new());
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap(),
                "content-type" => content_type = value.trim().to_owned(),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let body = String::from_utf8(body).unwrap();
        let (status, reply) = if method == "GET" && target.starts_with(JOB_PATH) {
            ("200 OK", job.clone())
        } else if method == "PATCH" && target.starts_with(&format!("{JOB_PATH}/status")) {
            let mut updated = job.clone();
            let patch: Value = serde_json::from_str(&body).unwrap();
            updated["status"] = patch["status"].clone();
            ("200 OK", updated)
        } else {
            let missing = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404});
            ("404 Not Found", missing)
        };
        recorded.lock().unwrap().push(Request {
            method,
            target,
            content_type,
            body,
        });
        let reply = reply.to_string();
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            reply.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(reply.as_bytes()).unwrap();
    }
}

#[test]
fn in_a_pod_the_agent_reads_its_job_and_applies_status_with_its_own_field_manager() {
    let fixture = Fixture::new(&SceneOptions::default());
    let manifest = fixture.manifest("1-3", BLENDER_PNG, "");
    let mut job: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    // Frame 1 was rendered by attempt 1, whose record is on the job.
    let earlier = json!({
        "frame": 1, "outputKey": "out/sh010/frame_0001.png", "bytes": 5, "renderSeconds": 0.5,
        "finishedAt": "2026-11-21T10:00:00Z", "node": "node-z", "attempt": 1
    });
    job["status"] = json!({ "attempt": 2, "phase": "Running", "frameRecords": [earlier] });
    fixture
        .garage
        .put_object(support::BUCKET, "out/sh010/frame_0001.png", b"12345")
        .unwrap();
    let (server, requests) = serve(job);
    let kubeconfig = fixture.path("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n\
             contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n    namespace: studio\n\
             current-context: c\nusers:\n- name: u\n  user: {{}}\n"
        ),
    )
    .unwrap();

    let output = run(support::agent_command()
        .arg("run")
        .arg("--cache-dir")
        .arg(fixture.path("cache"))
        .env("KUBECONFIG", &kubeconfig)
        .env("FRAMEFARM_JOB_NAME", "sh010-chunk-1")
        .env("FRAMEFARM_JOB_NAMESPACE", "studio")
        .env("FRAMEFARM_ATTEMPT", "2")
        .env("FRAMEFARM_NODE_NAME", "node-a")
        .env("AWS_ACCESS_KEY_ID", fixture.garage.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", fixture.garage.secret_access_key()));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        frame_files(&fixture.outputs()),
        ["frame_0001.png", "frame_0002.png", "frame_0003.png"]
    );
    assert_eq!(
        fixture.output("frame_0001.png"),
        b"12345",
        "frame 1 is not rendered again"
    );

    let requests = requests.lock().unwrap().clone();
    let patches: Vec<&Request> = requests
        .iter()
        .filter(|request| request.method == "PATCH")
        .collect();
    assert!(!patches.is_empty());
    // Three frames in a few seconds: bursts are coalesced, not one write per event.
    assert!(patches.len() <= 6, "{} status writes", patches.len());
    for patch in &patches {
        assert_eq!(patch.content_type, "application/apply-patch+yaml");
        assert!(
            patch.target.contains("fieldManager=framefarm-node-agent"),
            "{}",
            patch.target
        );
        assert!(patch.target.contains("force=true"), "{}", patch.target);
    }
    let last: Value = serde_json::from_str(&patches.last().unwrap().body).unwrap();
    assert_eq!(last["kind"], "RenderJob");
    let status = &last["status"];
    // Only the agent's fields: phase and attempt belong to the operator.
    let mut fields: Vec<&str> = status
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["failures", "frameRecords", "progress", "renderedFrames"]
    );
    assert_eq!(status["renderedFrames"], "1-3");
    assert_eq!(status["progress"], "3/3");
    let records = status["frameRecords"].as_array().unwrap();
    assert_eq!(records[0], earlier, "the earlier attempt's record is kept");
    for record in &records[1..] {
        assert_eq!(record["attempt"], 2);
        assert_eq!(record["node"], "node-a");
    }
    assert_eq!(records.len(), 3);
}
