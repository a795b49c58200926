//! Test harness: an emulator on 127.0.0.1:0, a reqwest client that sends a
//! token the emulator issued, path helpers for the docs example, and pollers
//! that do not wait for `Retry-After`.

use std::time::{Duration, Instant};

use replimap_arm_emulator::{spawn, EmulatorConfig, EmulatorHandle, Seed};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

pub const SUB: &str = "00000000-0000-0000-0000-000000000000";
pub const RG: &str = "myresourcegroup";
pub const REG: &str = "myACR0007";
pub const API: &str = "2025-04-01";
pub const DELAY: Duration = Duration::from_millis(200);

pub fn registry_path() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerRegistry/registries/{REG}")
}

pub fn replications_path() -> String {
    format!("{}/replications", registry_path())
}

pub fn replication_path(name: &str) -> String {
    format!("{}/replications/{name}", registry_path())
}

/// Adds `?api-version=` (or `&api-version=`).
pub fn with_api(path: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}api-version={API}")
}

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// `Value::Null` when the body is empty.
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("<no error code>")
    }

    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

pub struct Env {
    pub handle: EmulatorHandle,
    pub base: String,
    pub http: reqwest::Client,
    /// Sent as `Authorization: Bearer` by [`Env::send`].
    pub token: String,
}

/// A token from the emulator's in-process credential (what the portal uses).
pub async fn token_for(handle: &EmulatorHandle) -> String {
    let token = handle.credential().get_token(&["https://management.azure.com/.default"], None).await.unwrap();
    token.token.secret().to_owned()
}

pub fn test_config(seed: Seed) -> EmulatorConfig {
    EmulatorConfig { provisioning_delay: DELAY, update_delay: DELAY, seed, ..Default::default() }
}

/// The docs example with a 200 ms delay.
pub async fn start() -> Env {
    start_with(test_config(Seed::docs_example())).await
}

pub async fn start_with(config: EmulatorConfig) -> Env {
    let handle = spawn(config).await.expect("emulator starts");
    let base = handle.base_url();
    let token = token_for(&handle).await;
    Env { handle, base, http: reqwest::Client::new(), token }
}

impl Env {
    /// `path` is relative to the base URL and must carry its own api-version
    /// (use [`with_api`]); absolute URLs are used as-is.
    pub async fn send(&self, method: Method, path: &str, body: Option<&str>) -> Resp {
        self.send_as(Some(&format!("Bearer {}", self.token)), method, path, body).await
    }

    /// Like [`Env::send`] with this `Authorization` header, or none.
    pub async fn send_as(&self, authorization: Option<&str>, method: Method, path: &str, body: Option<&str>) -> Resp {
        let url = if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) };
        let mut req = self.http.request(method, url);
        if let Some(value) = authorization {
            req = req.header("authorization", value);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_owned());
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body read");
        let body = if text.trim().is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON body") };
        Resp { status, headers, text, body }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, &with_api_if_relative(path), None).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::PUT, &with_api_if_relative(path), Some(&body.to_string())).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::PATCH, &with_api_if_relative(path), Some(&body.to_string())).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, &with_api_if_relative(path), None).await
    }

    /// Polls an Azure-AsyncOperation URL until a terminal status; returns the
    /// final body and how many polls saw a running status.
    pub async fn poll_async(&self, url: &str) -> (Value, usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut running = 0;
        loop {
            let r = self.get(url).await;
            assert_eq!(r.status, 200, "operation status: {}", r.text);
            let status = r.body["status"].as_str().unwrap_or_default().to_owned();
            if matches!(status.as_str(), "Succeeded" | "Failed" | "Canceled") {
                return (r.body, running);
            }
            assert!(r.header("azure-asyncoperation").is_some(), "running status re-sends the header");
            running += 1;
            assert!(Instant::now() < deadline, "operation never finished");
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    /// Follows a delete's Location until it stops answering 202; returns the
    /// final status and how many 202s were seen.
    pub async fn poll_location(&self, url: &str) -> (u16, usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut accepted = 0;
        let mut url = url.to_owned();
        loop {
            let r = self.get(&url).await;
            if r.status != 202 {
                assert!(r.text.is_empty(), "done body is empty: {}", r.text);
                return (r.status, accepted);
            }
            accepted += 1;
            url = r.header("location").expect("202 carries Location").to_owned();
            assert!(Instant::now() < deadline, "delete never finished");
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    /// Names of the replicas in the list (single page).
    pub async fn replica_names(&self) -> Vec<String> {
        let r = self.get(&replications_path()).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["value"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap().to_owned()).collect()
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let body = body.map(Value::to_string);
        self.send(method, &format!("/_emulator{path}"), body.as_deref()).await
    }
}

fn with_api_if_relative(path: &str) -> String {
    if path.starts_with("http") || path.contains("api-version=") {
        path.to_owned()
    } else {
        with_api(path)
    }
}
