//! Operations survive the portal: `kill -9` in the middle of a create, start again on the same
//! data directory, and the operation ends in ARM's true state under the same id, with its
//! audit record completed and its event on the stream. The real binary, as an operator runs it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};

use crate::support::{scratch_dir, REG};

struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    /// A failing test must not leave a portal behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `replimap` on `port` with `data_dir`; returns once it printed its URL.
fn start(port: u16, emulator_port: u16, data_dir: &std::path::Path, extra: &[(&str, &str)]) -> Running {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_replimap"));
    cmd.env("REPLIMAP_LISTEN", format!("127.0.0.1:{port}"))
        // Its own emulator port, kept across the restart (the stored operation's monitor URL
        // names it), and not the one scripts/test exports for the browser tests' portal: the
        // SQLite and PostgreSQL runs of this test overlap.
        .env("REPLIMAP_EMULATOR_LISTEN", format!("127.0.0.1:{emulator_port}"))
        .env("REPLIMAP_DATA_DIR", data_dir)
        // Long enough to kill the portal in the middle of a create.
        .env("REPLIMAP_EMULATOR_DELAY_MS", "5000")
        .env("REPLIMAP_POLL_FAST_MS", "200")
        .env("REPLIMAP_POLL_SLOW_MS", "500")
        .env("RUST_LOG", "warn")
        .env("LEPTOS_OUTPUT_NAME", "replimap")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the portal exited before printing its URL");
        if line.starts_with("replimap is running at") {
            break;
        }
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in out.lines() {});
    Running { child, url: format!("http://127.0.0.1:{port}") }
}

async fn json_of(http: &reqwest::Client, url: &str) -> (u16, Value) {
    let resp = http.get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The replica list once the registry has been polled.
async fn wait_polled(http: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if json_of(http, &format!("{base}/api/v1/registries/{REG}/replications")).await.0 == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the registry was never polled");
}

/// The whole journey, on whatever store `extra` configures.
pub async fn kill_mid_create_then_restart(extra: &[(&str, &str)]) {
    let data = scratch_dir("durable");
    let (port, emulator_port) = (free_port(), free_port());
    let http = reqwest::Client::new();
    let first = start(port, emulator_port, &data, extra);
    wait_polled(&http, &first.url).await;
    let resp = http
        .put(format!("{}/api/v1/registries/{REG}/replications", first.url))
        .header(replimap_server::CSRF_HEADER, "1")
        .json(&json!({"location": "japaneast"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let op_id = resp.headers()["operation-id"].to_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(800)).await;
    drop(first); // SIGKILL: no shutdown code runs

    // A port of its own: between the kill and the restart another test may have taken the
    // first one (seen once in CI as "Address already in use"); the data directory is what
    // carries over.
    let second = start(free_port(), emulator_port, &data, extra);
    // A new client: the old one's pooled connections went down with the first process.
    let http = reqwest::Client::new();
    let events = http.get(format!("{}/api/v1/events", second.url)).send().await.unwrap();
    let mut sse = Box::pin(eventsource_stream::EventStream::new(events.bytes_stream()));
    let (_, op) = json_of(&http, &format!("{}/api/v1/operations/{op_id}", second.url)).await;
    assert_eq!(op["id"], op_id.as_str(), "the operation outlived the process: {op}");
    let audit_id = op["auditId"].as_i64().unwrap();
    // Its end arrives on the stream as the audit record moving to succeeded.
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(Ok(ev)) = sse.next().await {
            let Ok(v) = serde_json::from_str::<Value>(&ev.data) else { continue };
            if v["type"] == "activity" && v["record"]["id"] == audit_id && v["record"]["outcome"] != "accepted" {
                return v["record"].clone();
            }
        }
        Value::Null
    })
    .await
    .expect("no activity event for the resumed operation within 30 s");
    assert_eq!(ended["outcome"], "succeeded", "{ended}");
    let (_, op) = json_of(&http, &format!("{}/api/v1/operations/{op_id}", second.url)).await;
    assert_eq!(op["state"], "succeeded", "{op}");
    let (_, page) = json_of(&http, &format!("{}/api/v1/audit?action=create_replication", second.url)).await;
    let records = page["items"].as_array().unwrap();
    assert_eq!(records.len(), 1, "one record for one create: {page}");
    let r = &records[0];
    assert_eq!(r["operationId"], op_id.as_str());
    for field in ["armRequestId", "correlationId", "answeredAt", "endedAt", "requestId"] {
        assert!(r[field].as_str().is_some_and(|s| !s.is_empty()), "{field} in {r}");
    }
    // ARM's truth: the replica is there and Succeeded.
    wait_polled(&http, &second.url).await;
    let (_, list) = json_of(&http, &format!("{}/api/v1/registries/{REG}/replications", second.url)).await;
    let japan = list.as_array().unwrap().iter().find(|r| r["name"] == "japaneast").cloned();
    assert_eq!(japan.map(|r| r["provisioningState"].clone()), Some(json!("Succeeded")));
    drop(second);
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test]
async fn kill_9_mid_create_then_restart_ends_succeeded_on_sqlite() {
    kill_mid_create_then_restart(&[]).await;
}

/// A fresh database on the throw-away PostgreSQL server the test script starts
/// (`REPLIMAP_TEST_DATABASE_URL`); `None` when there is none and it is not required.
pub fn fresh_postgres() -> Option<String> {
    let Ok(server) = std::env::var("REPLIMAP_TEST_DATABASE_URL") else {
        assert!(
            std::env::var("REPLIMAP_REQUIRE_POSTGRES").is_err(),
            "REPLIMAP_REQUIRE_POSTGRES is set but REPLIMAP_TEST_DATABASE_URL is not"
        );
        eprintln!("skipped: REPLIMAP_TEST_DATABASE_URL is not set");
        return None;
    };
    let name = format!("replimap_it_{}", uuid::Uuid::new_v4().simple());
    let out = Command::new("psql").arg(&server).arg("-qc").arg(format!("CREATE DATABASE {name}")).output().unwrap();
    assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&name);
    Some(url.to_string())
}

#[tokio::test]
async fn kill_9_mid_create_then_restart_ends_succeeded_on_postgres() {
    let Some(url) = fresh_postgres() else { return };
    kill_mid_create_then_restart(&[("REPLIMAP_DATABASE_URL", &url)]).await;
}
