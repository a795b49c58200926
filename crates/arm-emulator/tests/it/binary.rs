//! The standalone `replimap-emulator` binary starts, prints its URL and serves.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn binary_prints_its_url_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_replimap-emulator"))
        .args(["--listen", "127.0.0.1:0", "--delay-ms", "100"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("replimap ARM emulator listening on ").expect("banner").to_owned();
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap();
    let resp = http.get(format!("{url}/subscriptions?api-version=2022-12-01")).send().await;
    child.kill().ok();
    child.wait().ok();
    let body: serde_json::Value = resp.unwrap().json().await.unwrap();
    assert_eq!(body["value"][0]["subscriptionId"], crate::support::SUB);
}

#[test]
fn binary_rejects_unknown_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_replimap-emulator")).arg("--bogus").arg("x").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn binary_serves_https_and_writes_its_ca_and_state() {
    let dir = std::env::temp_dir().join(format!("replimap-bin-{}", uuid::Uuid::new_v4()));
    let state = dir.join("state.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_replimap-emulator"))
        .args(["--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0"])
        .arg("--state")
        .arg(&state)
        .args(["--throttle", "on"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        lines.push(line.trim().to_owned());
    }
    let https = lines[1].strip_prefix("replimap ARM emulator listening on ").expect("https banner").to_owned();
    let ca_path = lines[2].strip_prefix("CA certificate: ").expect("CA line");
    // Beside the state file by default.
    assert_eq!(std::path::Path::new(ca_path), dir.join("emulator-ca.pem"));
    let ca = std::fs::read(ca_path).unwrap();
    let client =
        reqwest::Client::builder().add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap()).build().unwrap();
    let resp = client.get(format!("{https}/subscriptions?api-version=2022-12-01")).send().await;
    child.kill().ok();
    child.wait().ok();
    let resp = resp.unwrap();
    // --throttle on: the real bucket size, one read taken.
    assert_eq!(resp.headers()["x-ms-ratelimit-remaining-subscription-reads"], "249");
    assert!(state.exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn binary_rejects_bad_values() {
    let out = Command::new(env!("CARGO_BIN_EXE_replimap-emulator")).args(["--throttle", "sometimes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
