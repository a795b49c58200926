//! `replimap-emulator`: runs the ARM emulator standalone until Ctrl-C.
//!
//! Flags (env in brackets): `--listen ADDR` [`REPLIMAP_EMULATOR_LISTEN`,
//! default 127.0.0.1:8090], `--delay-ms N` [`REPLIMAP_EMULATOR_DELAY_MS`],
//! `--seed FILE` [`REPLIMAP_EMULATOR_SEED`] (JSON, see `Seed`).

use std::net::SocketAddr;
use std::time::Duration;

use replimap_arm_emulator::{serve, Emulator, EmulatorConfig, Seed};

const USAGE: &str = "usage: replimap-emulator [--listen ADDR] [--delay-ms N] [--seed FILE]";

struct Args {
    listen: String,
    delay_ms: Option<String>,
    seed: Option<String>,
}

/// Flags win over environment variables.
fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        listen: std::env::var("REPLIMAP_EMULATOR_LISTEN")
            .unwrap_or_else(|_| "127.0.0.1:8090".into()),
        delay_ms: std::env::var("REPLIMAP_EMULATOR_DELAY_MS").ok(),
        seed: std::env::var("REPLIMAP_EMULATOR_SEED").ok(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag.clone(), None),
        };
        if name == "--help" || name == "-h" {
            return Err(USAGE.into());
        }
        let value = inline
            .or_else(|| it.next())
            .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?;
        match name.as_str() {
            "--listen" => args.listen = value,
            "--delay-ms" => args.delay_ms = Some(value),
            "--seed" => args.seed = Some(value),
            _ => return Err(format!("unknown flag {name}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn config(args: &Args) -> Result<(SocketAddr, EmulatorConfig), String> {
    let addr: SocketAddr = args
        .listen
        .parse()
        .map_err(|e| format!("bad --listen '{}': {e}", args.listen))?;
    let mut config = EmulatorConfig::default();
    if let Some(ms) = &args.delay_ms {
        let ms: u64 = ms
            .parse()
            .map_err(|e| format!("bad --delay-ms '{ms}': {e}"))?;
        config.provisioning_delay = Duration::from_millis(ms);
        // Updates are quicker than creates; never slower than the given delay.
        config.update_delay = config.update_delay.min(config.provisioning_delay);
    }
    if let Some(path) = &args.seed {
        config.seed =
            Seed::from_json_file(path).map_err(|e| format!("cannot read seed '{path}': {e}"))?;
    }
    Ok((addr, config))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let parsed = parse_args().and_then(|a| config(&a));
    let (addr, config) = match parsed {
        Ok(v) => v,
        Err(msg) => {
            eprintln!("{msg}");
            return std::process::ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    println!("replimap ARM emulator listening on http://{local}");
    let shutdown = async {
        // If the signal handler cannot be installed, serve until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    match serve(listener, Emulator::new(config), shutdown).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
