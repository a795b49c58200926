//! `scripts/bench`: starts a release portal (embedded emulator) as its own process and
//! measures it from outside, so the figures are the server's alone.
//!
//! Prints: SSE clients held and server memory per client; delivery latency of one
//! change to every client (p50/p99); ARM requests per minute idle and busy, with and
//! without clients; API throughput. Figures, not assertions: targets live in the README.

use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

const SUB: &str = "00000000-0000-0000-0000-000000000000";

struct Server {
    child: Child,
    port: u16,
    emu_port: u16,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
    fn emu(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.emu_port)
    }
    fn rss_kib(&self) -> u64 {
        let pid = self.child.id().unwrap_or(0);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn start(bin: &str, port: u16, emu_port: u16) -> anyhow::Result<Server> {
    let child = Command::new(bin)
        .env("REPLIMAP_LISTEN", format!("127.0.0.1:{port}"))
        .env("REPLIMAP_EMULATOR_LISTEN", format!("127.0.0.1:{emu_port}"))
        .env("REPLIMAP_EMULATOR_DELAY_MS", "2000")
        .env("LEPTOS_OUTPUT_NAME", "replimap")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("starting {bin}"))?;
    let server = Server { child, port, emu_port };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = http.get(server.url("/healthz")).send().await {
            let v: serde_json::Value = r.json().await.unwrap_or_default();
            if v["registriesDiscovered"] == true {
                return Ok(server);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the portal did not come up")
}

/// One raw SSE client: sends `(event id, receive time)` for every event it reads.
async fn sse_client(port: u16, tx: mpsc::UnboundedSender<(u64, Instant)>) -> anyhow::Result<()> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
    let req = format!("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry = String::new();
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        let now = Instant::now();
        carry.push_str(&String::from_utf8_lossy(&buf[..n]));
        while let Some(pos) = carry.find('\n') {
            let line: String = carry.drain(..=pos).collect();
            if let Some(id) = line.trim().strip_prefix("id: ").and_then(|v| v.parse::<u64>().ok()) {
                let _ = tx.send((id, now));
            }
        }
    }
}

async fn arm_requests(http: &reqwest::Client, server: &Server) -> anyhow::Result<u64> {
    let v: serde_json::Value = http.get(server.emu("/_emulator/requests")).send().await?.json().await?;
    Ok(v["total"].as_u64().unwrap_or(0))
}

async fn arm_rate(http: &reqwest::Client, server: &Server, window: Duration) -> anyhow::Result<f64> {
    let a = arm_requests(http, server).await?;
    tokio::time::sleep(window).await;
    let b = arm_requests(http, server).await?;
    Ok((b - a) as f64 * 60.0 / window.as_secs_f64())
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bin = std::env::var("REPLIMAP_BIN").unwrap_or_else(|_| "target/release/replimap".into());
    let clients = env_num("BENCH_CLIENTS", 10_000);
    let window = Duration::from_secs(env_num("BENCH_WINDOW_S", 10) as u64);
    let server = start(&bin, 3917, 3918).await?;
    let http = reqwest::Client::new();
    let reps = format!("/api/v1/registries/{SUB}/myresourcegroup/myACR0007/replications");
    println!(
        "replimap bench: {} cores, {clients} SSE clients, {}s windows",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        window.as_secs()
    );

    let idle_no_clients = arm_rate(&http, &server, window).await?;
    let rss_before = server.rss_kib();

    // Connect the clients; each reports the ids it receives.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    for _ in 0..clients {
        let tx = tx.clone();
        tokio::spawn(sse_client(server.port, tx));
    }
    drop(tx);
    let mut snapshot_seen = 0;
    let mut first_id = 0;
    while snapshot_seen < clients {
        match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
            Ok(Some((id, _))) => {
                snapshot_seen += 1;
                first_id = first_id.max(id);
            }
            _ => break,
        }
    }
    let connect_time = started.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = server.rss_kib();
    println!(
        "sse clients held: {snapshot_seen}/{clients} (all connected and snapshotted in {:.1}s)",
        connect_time.as_secs_f64()
    );
    println!(
        "server rss: {:.1} MiB idle, {:.1} MiB with clients -> {:.1} KiB per client",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        (rss_after.saturating_sub(rss_before)) as f64 / snapshot_seen.max(1) as f64
    );
    let idle_with_clients = arm_rate(&http, &server, window).await?;

    // One change: an out-of-band create on the emulator, seen by the poller, fanned out.
    // Latency is measured from the moment the portal's own API accepted the write to each
    // client's receipt of the first event after the snapshot.
    let t0 = Instant::now();
    let resp = http
        .put(server.url(&reps))
        .header("x-replimap-csrf", "1")
        .json(&serde_json::json!({"location": "japaneast"}))
        .send()
        .await?;
    anyhow::ensure!(resp.status().as_u16() == 202, "create returned {}", resp.status());
    let mut lat = Vec::with_capacity(clients);
    let deadline = Instant::now() + Duration::from_secs(30);
    // The first event after the snapshots is the change (Creating); later ids (Succeeded) are not counted.
    let mut change_id = None;
    while lat.len() < snapshot_seen && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some((id, at))) if id > first_id => {
                let change = *change_id.get_or_insert(id);
                if id == change {
                    lat.push(at.saturating_duration_since(t0));
                }
            }
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    let busy_with_clients = arm_rate(&http, &server, Duration::from_secs(2)).await?;
    while rx.try_recv().is_ok() {}
    lat.sort();
    let firsts = &lat[..];
    println!(
        "delivery of one change to {} clients: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        firsts.len(),
        pct(firsts, 0.50).as_secs_f64() * 1e3,
        pct(firsts, 0.99).as_secs_f64() * 1e3,
        firsts.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!(
        "ARM requests/min: idle {idle_no_clients:.0} without clients, {idle_with_clients:.0} with {snapshot_seen} clients; busy (replica in flight) {busy_with_clients:.0}"
    );

    // API throughput: GET /api/v1/registries (served from the hub) with 64 workers.
    let n_workers = 64;
    let dur = Duration::from_secs(5);
    let end = Instant::now() + dur;
    let mut handles = Vec::new();
    for _ in 0..n_workers {
        let http = http.clone();
        let url = server.url("/api/v1/registries");
        handles.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < end {
                if http.get(&url).send().await.map(|r| r.status().is_success()).unwrap_or(false) {
                    n += 1;
                }
            }
            n
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap_or(0);
    }
    println!("api throughput: {:.0} req/s (GET /api/v1/registries, 64 connections, while {snapshot_seen} SSE clients stay open)", total as f64 / dur.as_secs_f64());
    Ok(())
}
