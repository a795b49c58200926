//! `TestPortal`: the portal and its embedded emulator on loopback ports, plus helpers.

use std::time::Duration;

use futures::StreamExt;
use leptos::config::LeptosOptions;
use replimap_arm_emulator::{Emulator, Seed};
use replimap_server::hub::PollIntervals;
use replimap_server::{start, ArmMode, Config, Portal, CSRF_HEADER};
use replimap_types::StatusEvent;
use serde_json::Value;

pub const SUB: &str = "00000000-0000-0000-0000-000000000000";
pub const REG: &str = "00000000-0000-0000-0000-000000000000/myresourcegroup/myACR0007";

pub struct TestPortal {
    pub portal: Portal,
    pub http: reqwest::Client,
    /// The portal's data directory (store and emulator state), removed on drop unless kept.
    pub data_dir: std::path::PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// A fresh, empty directory under the system's temporary directory.
pub fn scratch_dir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("replimap-it-{what}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl TestPortal {
    pub async fn start() -> Self {
        Self::with_seed(Seed::docs_example()).await
    }

    pub async fn with_seed(seed: Seed) -> Self {
        Self::with_seed_and(seed, |_| {}).await
    }

    /// A portal whose config `tweak` adjusts; waits for the first poll of the first watched registry.
    pub async fn with_seed_and(seed: Seed, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            arm: ArmMode::Emulator {
                provisioning_delay: Duration::from_millis(600),
                listen: "127.0.0.1:0".parse().unwrap(),
                seed,
            },
            poll: PollIntervals { fast: Duration::from_millis(100), slow: Duration::from_millis(500) },
            data_dir: scratch_dir("portal"),
            ..Config::emulator_defaults()
        };
        tweak(&mut config);
        let data_dir = config.data_dir.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let options = LeptosOptions::builder().output_name("replimap").build();
        let portal = start(config, options, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
        let t = Self { portal, http: reqwest::Client::new(), data_dir, shutdown: Some(tx) };
        // Wait until every watched, replicable registry has been polled once: writes are
        // validated against that state.
        for _ in 0..100 {
            let hub = &t.portal.state.hub;
            let regs = hub.registries();
            if hub.discovered() && regs.iter().filter(|r| r.replicable).all(|r| hub.polled(&r.key)) {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("portal never polled its registries");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.portal.url())
    }

    pub fn emulator(&self) -> &Emulator {
        self.portal.emulator.as_ref().unwrap().emulator()
    }

    pub fn emulator_url(&self) -> String {
        self.portal.emulator.as_ref().unwrap().base_url()
    }

    /// A bearer token for out-of-band ARM calls (another client, as `az` would be), from the
    /// emulator's token endpoint.
    pub async fn arm_token(&self) -> String {
        let body = "grant_type=client_credentials&client_id=replimap-tests&client_secret=x\
                    &scope=https%3A%2F%2Fmanagement.azure.com%2F.default";
        let tenant = replimap_arm_emulator::DEMO_TENANT_ID;
        let resp = self
            .http
            .post(format!("{}/{tenant}/oauth2/v2.0/token", self.emulator_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn put(&self, path: &str, body: Value) -> reqwest::Response {
        self.http.put(self.url(path)).header(CSRF_HEADER, "1").json(&body).send().await.unwrap()
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.http.delete(self.url(path)).header(CSRF_HEADER, "1").send().await.unwrap()
    }

    pub async fn patch(&self, path: &str, body: Value) -> reqwest::Response {
        self.http.patch(self.url(path)).header(CSRF_HEADER, "1").json(&body).send().await.unwrap()
    }

    /// The audit trail as `GET /api/v1/audit?{query}` returns it (every page).
    pub async fn audit(&self, query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("/api/v1/audit?limit=1000&{query}");
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let resp = self.get(&url).await;
            assert_eq!(resp.status(), 200, "{url}");
            let page: Value = resp.json().await.unwrap();
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return items,
            }
        }
    }

    /// Waits until the audit record `id` has a final outcome; returns it.
    pub async fn final_audit(&self, id: i64) -> Value {
        for _ in 0..200 {
            let all = self.audit("").await;
            if let Some(r) = all.iter().find(|r| r["id"] == id) {
                if ["refused", "succeeded", "failed", "unknown"].contains(&r["outcome"].as_str().unwrap()) {
                    return r.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("audit record {id} never reached a final outcome");
    }

    /// ARM writes (PUT/PATCH/DELETE) the emulator has served so far.
    pub fn arm_writes(&self) -> u64 {
        let stats = self.emulator().request_stats();
        ["PUT", "PATCH", "DELETE"].iter().map(|m| stats.by_method.get(*m).copied().unwrap_or(0)).sum()
    }

    /// Polls the portal's list until `pred` holds (or fails after 15 s).
    pub async fn wait_for_list(&self, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        for _ in 0..150 {
            let list: Vec<Value> =
                self.get(&format!("/api/v1/registries/{REG}/replications")).await.json().await.unwrap();
            if pred(&list) {
                return list;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("condition on the replication list never held");
    }

    /// Sends the shutdown signal; the returned future resolves when the server has stopped.
    pub fn shutdown(&mut self) -> impl std::future::Future<Output = ()> + '_ {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        async move {
            while tokio::net::TcpStream::connect(self.portal.addr).await.is_ok() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    pub async fn sse(&self, last_event_id: Option<u64>) -> SseClient {
        let mut req = self.http.get(self.url("/api/v1/events"));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        SseClient { stream: Box::pin(eventsource_stream::EventStream::new(resp.bytes_stream())) }
    }
}

impl Drop for TestPortal {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

type EventStream = std::pin::Pin<
    Box<
        dyn futures::Stream<
                Item = Result<eventsource_stream::Event, eventsource_stream::EventStreamError<reqwest::Error>>,
            > + Send,
    >,
>;

pub struct SseClient {
    stream: EventStream,
}

impl SseClient {
    /// The next status event and its id (fails after 15 s); heartbeats are skipped.
    pub async fn next(&mut self) -> (u64, StatusEvent) {
        loop {
            let ev = self.next_frame().await;
            if ev.event != "heartbeat" {
                return (ev.id.parse().unwrap(), serde_json::from_str(&ev.data).unwrap());
            }
        }
    }

    /// The next SSE frame of any kind (fails after 15 s).
    pub async fn next_frame(&mut self) -> eventsource_stream::Event {
        tokio::time::timeout(Duration::from_secs(15), self.stream.next())
            .await
            .expect("no SSE event within 15 s")
            .expect("stream ended")
            .expect("bad SSE frame")
    }

    /// Whether the stream ends (within 5 s) rather than delivering more events.
    pub async fn ended(&mut self) -> bool {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.stream.next()).await {
                Ok(None) | Ok(Some(Err(_))) => return true,
                Ok(Some(Ok(_))) => continue,
                Err(_) => return false,
            }
        }
    }

    /// Reads events until one satisfies `pred`; returns it with its id.
    pub async fn until(&mut self, pred: impl Fn(&StatusEvent) -> bool) -> (u64, StatusEvent) {
        loop {
            let (id, ev) = self.next().await;
            if pred(&ev) {
                return (id, ev);
            }
        }
    }
}

pub fn is_upsert(ev: &StatusEvent, name: &str, state: &str) -> bool {
    matches!(ev, StatusEvent::ReplicationUpserted { replication, .. }
        if replication.name.as_str() == name && replication.provisioning_state.as_str() == state)
}
