//! `scripts/bench`: starts a release portal (embedded emulator) as its own process and
//! measures it from outside, so the figures are the server's alone.
//!
//! Prints: SSE clients held and server memory per client; delivery latency of one
//! change to every client (p50/p99); ARM requests per minute idle and busy, with and
//! without clients; API throughput.
//!
//! The clients connect all at once, as browsers do when a portal restarts (a reconnect
//! storm). The run fails (exit status 1, each reason on a `FAIL` line) when any client is
//! lost: not connected, refused, or without its snapshot within [`STORM_WAIT`]; when the storm
//! takes longer than [`STORM_LIMIT`]; when the
//! delivery p99 is over [`DELIVERY_P99_LIMIT`] or a client misses the change; or when the
//! server needs more than [`KIB_PER_CLIENT_LIMIT`] per client. `BENCH_CLIENTS` (default
//! 10,000) and `BENCH_WINDOW_S` (default 10) change the load.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

const SUB: &str = "00000000-0000-0000-0000-000000000000";

/// Every client connecting at once has its snapshot within this.
const STORM_LIMIT: Duration = Duration::from_secs(10);
/// How long the bench waits for the storm before it counts the missing clients as lost.
const STORM_WAIT: Duration = Duration::from_secs(60);
/// One change reaches 99 % of the clients within this.
const DELIVERY_P99_LIMIT: Duration = Duration::from_secs(1);
/// Server memory per SSE client (resident set growth over the idle server).
const KIB_PER_CLIENT_LIMIT: f64 = 24.0;

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

/// The soft limit on open files of this process (the portal inherits it).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

async fn start(bin: &str, port: u16, emu_port: u16) -> anyhow::Result<Server> {
    let child = Command::new(bin)
        .env("REPLIMAP_LISTEN", format!("127.0.0.1:{port}"))
        .env("REPLIMAP_EMULATOR_LISTEN", format!("127.0.0.1:{emu_port}"))
        .env("REPLIMAP_EMULATOR_DELAY_MS", "2000")
        .env("LEPTOS_OUTPUT_NAME", "replimap")
        // A fresh store and emulator state each run, never the demo's.
        .env("REPLIMAP_DATA_DIR", std::env::temp_dir().join(format!("replimap-bench-{}-{port}", std::process::id())))
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

/// What a client tells the bench.
enum Report {
    /// Its first event, a snapshot, with that event's id.
    Snapshot(u64, Instant),
    /// A later event's id.
    Event(u64, Instant),
    /// The client is gone: why.
    Lost(String),
}

/// One raw SSE client, as a browser's `EventSource`: reports its snapshot, then the id of
/// every event it reads, and why it stopped.
async fn sse_client(port: u16, tx: mpsc::UnboundedSender<Report>) {
    let why = match read_stream(port, &tx).await {
        Ok(()) => "the server ended the stream".to_owned(),
        Err(e) => format!("{e:#}"),
    };
    let _ = tx.send(Report::Lost(why));
}

async fn read_stream(port: u16, tx: &mpsc::UnboundedSender<Report>) -> anyhow::Result<()> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.context("connect")?;
    let req = format!("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n");
    s.write_all(req.as_bytes()).await.context("sending the request")?;
    let mut buf = vec![0u8; 8 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    let mut head = true;
    let mut id = None;
    let mut events = 0u64;
    loop {
        let n = s.read(&mut buf).await.context("reading the stream")?;
        if n == 0 {
            anyhow::ensure!(events > 0, "connection closed before the snapshot");
            return Ok(());
        }
        let now = Instant::now();
        carry.extend_from_slice(&buf[..n]);
        // Frames are whole lines inside one chunk each; chunk-size lines match nothing below.
        let mut start = 0;
        while let Some(pos) = carry[start..].iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&carry[start..start + pos]).trim_end().to_owned();
            start += pos + 1;
            if head {
                if line.starts_with("HTTP/") {
                    anyhow::ensure!(line.split_whitespace().nth(1) == Some("200"), "answered '{line}'");
                } else if line.is_empty() {
                    head = false;
                }
            } else if let Some(v) = line.strip_prefix("id: ") {
                id = v.parse::<u64>().ok();
            } else if let Some(data) = line.strip_prefix("data: ") {
                let Some(this) = id.take() else { continue }; // a heartbeat
                if events == 0 {
                    anyhow::ensure!(data.starts_with(r#"{"type":"snapshot""#), "the first event is not a snapshot");
                    let _ = tx.send(Report::Snapshot(this, now));
                } else {
                    let _ = tx.send(Report::Event(this, now));
                }
                events += 1;
            }
        }
        carry.drain(..start);
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Records a missed target, and says so at once (the run goes on, for the other figures).
fn fail(failures: &mut Vec<String>, why: String) {
    eprintln!("FAIL: {why}");
    failures.push(why);
}

/// Why clients were lost, most common first, e.g. `213 × connect: Connection reset by peer`.
fn reasons(lost: &BTreeMap<String, usize>) -> String {
    let mut v: Vec<_> = lost.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1));
    v.iter().take(4).map(|(why, n)| format!("{n} × {why}")).collect::<Vec<_>>().join("; ")
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let bin = std::env::var("REPLIMAP_BIN").unwrap_or_else(|_| "target/release/replimap".into());
    let clients = env_num("BENCH_CLIENTS", 10_000);
    let window = Duration::from_secs(env_num("BENCH_WINDOW_S", 10) as u64);
    // Each client is a socket here and one in the portal, which inherits this limit.
    if let Some(limit) = open_files_limit() {
        anyhow::ensure!(
            limit >= clients + 256,
            "{clients} clients need more open files than the limit of {limit} (ulimit -n {}, as scripts/bench sets)",
            clients + 256
        );
    }
    let server = start(&bin, 3917, 3918).await?;
    // A portal that ran out of sockets would otherwise hang the bench instead of failing it.
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let reps = format!("/api/v1/registries/{SUB}/myresourcegroup/myACR0007/replications");
    println!(
        "replimap bench: {} cores, {clients} SSE clients connecting at once, {}s windows",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        window.as_secs()
    );
    let mut failures: Vec<String> = Vec::new();

    let idle_no_clients = arm_rate(&http, &server, window).await?;
    let rss_before = server.rss_kib();

    // The storm: every client at once; each reports its snapshot, its events, or its loss.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    for _ in 0..clients {
        tokio::spawn(sse_client(server.port, tx.clone()));
    }
    drop(tx);
    let mut snapshot_at = Vec::with_capacity(clients);
    let mut lost: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_id = 0;
    let deadline = started + STORM_WAIT;
    while snapshot_at.len() + lost.values().sum::<usize>() < clients {
        match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
            Ok(Some(Report::Snapshot(id, at))) => {
                snapshot_at.push(at.saturating_duration_since(started));
                first_id = first_id.max(id);
            }
            Ok(Some(Report::Event(..))) => {}
            Ok(Some(Report::Lost(why))) => *lost.entry(why).or_default() += 1,
            Ok(None) | Err(_) => break,
        }
    }
    let held = snapshot_at.len();
    let n_lost: usize = lost.values().sum();
    let silent = clients - held - n_lost;
    snapshot_at.sort();
    let storm = snapshot_at.last().copied().unwrap_or_default();
    println!(
        "reconnect storm: {held}/{clients} clients connected and snapshotted, the last after {:.1}s \
         (p50 {:.0} ms, p99 {:.0} ms)",
        storm.as_secs_f64(),
        ms(pct(&snapshot_at, 0.50)),
        ms(pct(&snapshot_at, 0.99)),
    );
    if n_lost > 0 {
        fail(&mut failures, format!("{n_lost} of {clients} clients lost in the storm: {}", reasons(&lost)));
    }
    if silent > 0 {
        let why = format!("{silent} of {clients} clients had no snapshot {}s after connecting", STORM_WAIT.as_secs());
        fail(&mut failures, why);
    }
    if held > 0 && storm > STORM_LIMIT {
        let late = snapshot_at.iter().filter(|d| **d > STORM_LIMIT).count();
        fail(
            &mut failures,
            format!(
                "the storm took {:.1}s, over {}s: {late} clients had their snapshot later",
                storm.as_secs_f64(),
                STORM_LIMIT.as_secs()
            ),
        );
    }

    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = server.rss_kib();
    let per_client = (rss_after.saturating_sub(rss_before)) as f64 / held.max(1) as f64;
    println!(
        "server rss: {:.1} MiB idle, {:.1} MiB with clients -> {per_client:.1} KiB per client",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
    );
    if per_client > KIB_PER_CLIENT_LIMIT {
        fail(&mut failures, format!("{per_client:.1} KiB per client, over {KIB_PER_CLIENT_LIMIT} KiB"));
    }
    let idle_with_clients = arm_rate(&http, &server, window).await?;

    // One change: a create through the portal's API, fanned out to every client. Latency is
    // measured from the moment the request was sent to each client's receipt of the first
    // event after its snapshot; later ids (Succeeded) are not counted.
    let t0 = Instant::now();
    let resp = http
        .put(server.url(&reps))
        .header("x-replimap-csrf", "1")
        .json(&serde_json::json!({"location": "japaneast"}))
        .send()
        .await?;
    anyhow::ensure!(resp.status().as_u16() == 202, "create returned {}", resp.status());
    let mut lat = Vec::with_capacity(held);
    let mut lost_later: BTreeMap<String, usize> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut change_id = None;
    while lat.len() + lost_later.values().sum::<usize>() < held {
        match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
            Ok(Some(Report::Event(id, at))) if id > first_id => {
                if id == *change_id.get_or_insert(id) {
                    lat.push(at.saturating_duration_since(t0));
                }
            }
            Ok(Some(Report::Lost(why))) => *lost_later.entry(why).or_default() += 1,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let busy_with_clients = arm_rate(&http, &server, Duration::from_secs(2)).await?;
    lat.sort();
    let p99 = pct(&lat, 0.99);
    println!(
        "delivery of one change to {}/{held} clients: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        lat.len(),
        ms(pct(&lat, 0.50)),
        ms(p99),
        ms(lat.last().copied().unwrap_or_default())
    );
    let n_lost_later: usize = lost_later.values().sum();
    if n_lost_later > 0 {
        fail(&mut failures, format!("{n_lost_later} clients lost after the storm: {}", reasons(&lost_later)));
    }
    let missed = held.saturating_sub(lat.len() + n_lost_later);
    if missed > 0 {
        fail(&mut failures, format!("{missed} of {held} clients did not receive the change within 30 s"));
    }
    if p99 > DELIVERY_P99_LIMIT {
        fail(&mut failures, format!("delivery p99 {:.0} ms, over {:.0} ms", ms(p99), ms(DELIVERY_P99_LIMIT)));
    }
    println!(
        "ARM requests/min: idle {idle_no_clients:.0} without clients, {idle_with_clients:.0} with {held} clients; busy (replica in flight) {busy_with_clients:.0}"
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
    println!(
        "api throughput: {:.0} req/s (GET /api/v1/registries, 64 connections, while {held} SSE clients stay open)",
        total as f64 / dur.as_secs_f64()
    );
    // Clients that dropped while the API was under load.
    let mut lost_end: BTreeMap<String, usize> = BTreeMap::new();
    while let Ok(report) = rx.try_recv() {
        if let Report::Lost(why) = report {
            *lost_end.entry(why).or_default() += 1;
        }
    }
    if !lost_end.is_empty() {
        fail(
            &mut failures,
            format!("{} clients lost during the API run: {}", lost_end.values().sum::<usize>(), reasons(&lost_end)),
        );
    }

    if failures.is_empty() {
        println!(
            "PASS: {clients} clients held, storm {:.1}s, p99 {:.0} ms, {per_client:.1} KiB per client",
            storm.as_secs_f64(),
            ms(p99)
        );
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("replimap bench: {} of its targets missed:", failures.len());
    for f in &failures {
        eprintln!("FAIL: {f}");
    }
    Ok(ExitCode::FAILURE)
}
