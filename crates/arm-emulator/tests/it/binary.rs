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
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("replimap ARM emulator listening on ")
        .expect("banner")
        .to_owned();
    let resp = reqwest::get(format!("{url}/subscriptions?api-version=2022-12-01")).await;
    child.kill().ok();
    child.wait().ok();
    let body: serde_json::Value = resp.unwrap().json().await.unwrap();
    assert_eq!(body["value"][0]["subscriptionId"], crate::support::SUB);
}

#[test]
fn binary_rejects_unknown_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_replimap-emulator"))
        .arg("--bogus")
        .arg("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
