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
    let token = fetch_token(&http, &url).await;
    let resp = http.get(format!("{url}/subscriptions?api-version=2022-12-01")).bearer_auth(&token).send().await;
    let refused = http.get(format!("{url}/subscriptions?api-version=2022-12-01")).send().await;
    child.kill().ok();
    child.wait().ok();
    let body: serde_json::Value = resp.unwrap().json().await.unwrap();
    assert_eq!(body["value"][0]["subscriptionId"], crate::support::SUB);
    assert_eq!(refused.unwrap().status(), 401, "no token, no ARM");
}

/// A token from the emulator's token endpoint, as MSAL asks for one.
pub async fn fetch_token(http: &reqwest::Client, base: &str) -> String {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "app1"),
        ("client_secret", "s"),
        ("scope", "https://management.azure.com/.default"),
    ];
    let url = format!("{base}/{}/oauth2/v2.0/token", replimap_arm_emulator::DEMO_TENANT_ID);
    let body: serde_json::Value = http.post(url).form(&form).send().await.unwrap().json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
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
    let token = fetch_token(&client, &https).await;
    let resp = client.get(format!("{https}/subscriptions?api-version=2022-12-01")).bearer_auth(&token).send().await;
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

/// Starts the binary with `args` on a free port; returns it and its http URL.
fn start_binary(args: &[&str], state: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_replimap-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .arg("--state")
        .arg(state)
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("replimap ARM emulator listening on ").expect("banner").to_owned();
    (child, url)
}

/// The portal's embedded emulator is killed (`kill -9`) mid-create and started again on
/// the same state file, on another port: the stored monitor URL, re-based, still answers
/// for the same operation, which ends Succeeded.
#[tokio::test]
async fn a_kill_9_mid_create_resumes_from_the_state_file() {
    let dir = std::env::temp_dir().join(format!("replimap-kill-{}", uuid::Uuid::new_v4()));
    let state = dir.join("state.json");
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap();
    let (mut first, url) = start_binary(&["--delay-ms", "2000"], &state);
    let token = fetch_token(&http, &url).await;
    let put = http
        .put(format!("{url}{}", crate::support::with_api(&crate::support::replication_path("japaneast"))))
        .bearer_auth(&token)
        .json(&serde_json::json!({"location": "japaneast"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    let monitor = crate::state::path_and_query(put.headers()["azure-asyncoperation"].to_str().unwrap());
    first.kill().unwrap(); // SIGKILL: no shutdown, no last write
    first.wait().unwrap();

    let (mut second, url2) = start_binary(&["--delay-ms", "2000"], &state);
    assert_ne!(url, url2);
    let mut statuses = Vec::new();
    let mut last = serde_json::Value::Null;
    for _ in 0..100 {
        let r = http.get(format!("{url2}{monitor}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200, "the monitor URL survived");
        last = r.json().await.unwrap();
        statuses.push(last["status"].as_str().unwrap().to_owned());
        if statuses.last().is_some_and(|s| s == "Succeeded") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    second.kill().ok();
    second.wait().ok();
    assert_eq!(statuses.first().map(String::as_str), Some("Creating"), "{statuses:?}");
    assert_eq!(statuses.last().map(String::as_str), Some("Succeeded"), "{statuses:?}");
    assert!(monitor.contains(last["name"].as_str().unwrap()), "same operation id: {monitor}");
    std::fs::remove_dir_all(&dir).ok();
}
