//! What the store adds to a write: end-to-end latency of `PATCH …/replications/{name}` (tags)
//! against a portal binary, p50/p99 over sequential writes. Run it against today's binary and
//! an older one to compare (`scripts/bench-writes` does both store backends).
//!
//! `write-latency BIN [WRITES]`, with `REPLIMAP_DATABASE_URL` passed through to the portal
//! when set (PostgreSQL), else SQLite in a fresh data directory.

use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::process::Command;

const REG: &str = "00000000-0000-0000-0000-000000000000/myresourcegroup/myACR0007";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let bin = args.next().context("usage: write-latency BIN [WRITES]")?;
    let writes: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(140);
    let port = 3960;
    let data = std::env::temp_dir().join(format!("replimap-write-latency-{}", std::process::id()));
    let mut child = Command::new(&bin)
        .env("REPLIMAP_LISTEN", format!("127.0.0.1:{port}"))
        .env("REPLIMAP_DATA_DIR", &data)
        // Writes finish at once at the emulator, so what is measured is the portal's own path.
        .env("REPLIMAP_EMULATOR_DELAY_MS", "0")
        .env("LEPTOS_OUTPUT_NAME", "replimap")
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("starting {bin}"))?;
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let list = format!("{base}/api/v1/registries/{REG}/replications");
    let mut ready = false;
    for _ in 0..300 {
        if http.get(&list).send().await.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::ensure!(ready, "the portal did not come up");
    let url = format!("{list}/eastus");
    let mut times = Vec::with_capacity(writes);
    let (mut accepted, mut refused) = (0, 0);
    // A warm-up, so connection set-up and first-use costs are not counted. Keep warm-up plus
    // writes under the ARM client's write budget (160 at once, then 8/s), or the throttle is measured.
    for i in 0..(writes + 10) {
        let start = Instant::now();
        let resp = http
            .patch(&url)
            .header("x-replimap-csrf", "1")
            .json(&serde_json::json!({"tags": {"n": i.to_string()}}))
            .send()
            .await?;
        let status = resp.status();
        resp.bytes().await?;
        anyhow::ensure!(status == 202 || status == 409, "write {i}: {status}");
        if i >= 10 {
            times.push(start.elapsed());
            if status == 202 {
                accepted += 1;
            } else {
                refused += 1;
            }
        }
        // The emulator refuses a PATCH while the last one is Updating; let it settle.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().await.ok();
    let _ = std::fs::remove_dir_all(&data);
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "{bin}: {} writes ({accepted} accepted, {refused} refused by ARM as busy), p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}
