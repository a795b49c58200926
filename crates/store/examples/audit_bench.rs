//! Audit-trail throughput and latency: records per second (each record one `audit_begin`
//! and one `audit_update` to a final outcome), written by one writer and by 16 at once,
//! with p50/p99 latency of each call.
//!
//! ```sh
//! cargo run --release -p replimap-store --example audit_bench -- sqlite
//! cargo run --release -p replimap-store --example audit_bench -- postgres://postgres@127.0.0.1:54329/postgres
//! ```
//!
//! SQLite runs on a fresh file in the temporary directory. A Postgres URL must allow
//! `CREATE DATABASE`: the benchmark writes to a fresh database and drops it afterwards.
//! `--records N` sets the records per phase (default 4000).

use std::error::Error;
use std::time::{Duration, Instant};

use replimap_store::{AuditChange, NewAudit, Store, StoreConfig};
use replimap_types::{AuditAction, AuditOutcome, RegistryKey};
use sqlx::Connection;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

const WRITERS: usize = 16;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let target = args.next().unwrap_or_else(|| "sqlite".to_owned());
    let mut records = 4000;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--records" => records = args.next().ok_or("--records needs a number")?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }

    let run = Target::create(&target).await?;
    let store = Store::open(&run.cfg).await?;
    println!("audit_bench: {} ({} cores), {records} records per phase", store.describe(), cores());
    let result = bench(&store, records).await;
    drop(store);
    run.remove().await?;
    result
}

async fn bench(store: &Store, records: usize) -> Result<()> {
    // Warm up the pool and the statement caches.
    phase(store, 1, 50).await?;

    let sequential = phase(store, 1, records).await?;
    sequential.print("1 writer");
    let concurrent = phase(store, WRITERS, records).await?;
    concurrent.print(&format!("{WRITERS} writers"));
    Ok(())
}

struct Phase {
    records: usize,
    elapsed: Duration,
    begin: Vec<Duration>,
    update: Vec<Duration>,
}

impl Phase {
    fn print(&self, name: &str) {
        let per_sec = self.records as f64 / self.elapsed.as_secs_f64();
        println!(
            "{name:>10}: {per_sec:>8.0} records/s | audit_begin p50 {:>7.2} ms p99 {:>7.2} ms | audit_update p50 {:>7.2} ms p99 {:>7.2} ms",
            ms(percentile(&self.begin, 50)),
            ms(percentile(&self.begin, 99)),
            ms(percentile(&self.update, 50)),
            ms(percentile(&self.update, 99)),
        );
    }
}

async fn phase(store: &Store, writers: usize, records: usize) -> Result<Phase> {
    let per_writer = records.div_ceil(writers);
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move { writer(&store, w, per_writer).await })
        })
        .collect();
    let (mut begin, mut update) = (Vec::new(), Vec::new());
    for task in tasks {
        let (b, u) = task.await??;
        begin.extend(b);
        update.extend(u);
    }
    Ok(Phase { records: per_writer * writers, elapsed: started.elapsed(), begin, update })
}

type Latencies = (Vec<Duration>, Vec<Duration>);

async fn writer(store: &Store, w: usize, n: usize) -> Result<Latencies> {
    let registry = RegistryKey {
        subscription_id: "00000000-0000-0000-0000-000000000000".parse()?,
        resource_group: "myresourcegroup".parse()?,
        name: "myACR0007".parse()?,
    };
    let (mut begin, mut update) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let now = replimap_store::clock::now_ms();
        let new = NewAudit {
            at_ms: now,
            actor: format!("bench-{w}"),
            actor_source: "local".to_owned(),
            actor_role: Some("operator".to_owned()),
            client_ip: "127.0.0.1".to_owned(),
            request_id: format!("req-{w}-{i}"),
            correlation_id: format!("corr-{w}-{i}"),
            registry: Some(registry.clone()),
            region: Some("japaneast".to_owned()),
            replication: Some("japaneast".parse()?),
            action: AuditAction::CreateReplication,
            request: serde_json::json!({"location": "japaneast", "regionEndpointEnabled": true, "tags": {"team": "web"}}),
        };
        let t = Instant::now();
        let rec = store.audit_begin(new).await?;
        begin.push(t.elapsed());
        let change = AuditChange {
            outcome: Some(AuditOutcome::Succeeded),
            arm_request_id: Some(format!("arm-{w}-{i}")),
            answered_at_ms: Some(now + 1),
            arm_ms: Some(1),
            at_ms: now + 1,
            ..Default::default()
        };
        let t = Instant::now();
        store.audit_update(rec.id, change).await?;
        update.push(t.elapsed());
    }
    Ok((begin, update))
}

fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let i = (sorted.len() * p).div_ceil(100).saturating_sub(1);
    sorted.get(i).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Where the benchmark writes, and how to clean up after it.
struct Target {
    cfg: StoreConfig,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

impl Target {
    async fn create(target: &str) -> Result<Target> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        if target == "sqlite" {
            let dir = std::env::temp_dir().join(format!("replimap-audit-bench-{tag}"));
            let cfg = StoreConfig::from_url("sqlite:replimap.db", &dir)?;
            return Ok(Target { cfg, cleanup: Cleanup::Dir(dir) });
        }
        let name = format!("replimap_bench_{tag}");
        let mut admin = sqlx::PgConnection::connect(target).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
        admin.close().await?;
        let mut url = url::Url::parse(target)?;
        url.set_path(&name);
        let cfg = StoreConfig::from_url(url.as_str(), std::path::Path::new("."))?;
        Ok(Target { cfg, cleanup: Cleanup::Database { admin_url: target.to_owned(), name } })
    }

    async fn remove(self) -> Result<()> {
        match self.cleanup {
            Cleanup::Dir(dir) => std::fs::remove_dir_all(dir)?,
            Cleanup::Database { admin_url, name } => {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await?;
            }
        }
        Ok(())
    }
}
