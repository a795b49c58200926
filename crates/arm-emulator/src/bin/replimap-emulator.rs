//! `replimap-emulator`: runs the ARM emulator standalone until Ctrl-C.
//!
//! Flags (env in brackets; flags win):
//! * `--listen ADDR` [`REPLIMAP_EMULATOR_LISTEN`, default 127.0.0.1:8090]: plain http.
//! * `--tls-listen ADDR` [`REPLIMAP_EMULATOR_TLS_LISTEN`]: also serve https with
//!   a certificate generated at start (what `az` and the Python SDK need).
//! * `--ca-out PATH` [`REPLIMAP_EMULATOR_CA_OUT`]: where the CA certificate
//!   clients must trust is written (default: beside `--state`, else in the
//!   temp folder).
//! * `--state FILE` [`REPLIMAP_EMULATOR_STATE`]: keep state across restarts.
//! * `--seed FILE` [`REPLIMAP_EMULATOR_SEED`]: initial state (JSON, see `Seed`).
//! * `--faults FILE` [`REPLIMAP_EMULATOR_FAULTS`]: fault rules active from start.
//! * `--delay-ms N` [`REPLIMAP_EMULATOR_DELAY_MS`]: provisioning delay.
//! * `--throttle on|off` [`REPLIMAP_EMULATOR_THROTTLE`]: ARM's token buckets.
//!
//! See `docs/emulator.md` for pointing `az` and the SDK at it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use replimap_arm_emulator::{serve, serve_tls, Emulator, EmulatorConfig, FaultRule, Seed, Throttling, TlsIdentity};
use tokio::net::TcpListener;
use tokio::sync::watch;

const USAGE: &str = "usage: replimap-emulator [--listen ADDR] [--tls-listen ADDR] [--ca-out PATH] \
[--state FILE] [--seed FILE] [--faults FILE] [--delay-ms N] [--throttle on|off]";

/// Flag name → environment variable; every flag takes a value.
const FLAGS: &[(&str, &str)] = &[
    ("--listen", "REPLIMAP_EMULATOR_LISTEN"),
    ("--tls-listen", "REPLIMAP_EMULATOR_TLS_LISTEN"),
    ("--ca-out", "REPLIMAP_EMULATOR_CA_OUT"),
    ("--state", "REPLIMAP_EMULATOR_STATE"),
    ("--seed", "REPLIMAP_EMULATOR_SEED"),
    ("--faults", "REPLIMAP_EMULATOR_FAULTS"),
    ("--delay-ms", "REPLIMAP_EMULATOR_DELAY_MS"),
    ("--throttle", "REPLIMAP_EMULATOR_THROTTLE"),
];

/// Flag values by flag name, environment first, then the command line.
fn parse_args() -> Result<Vec<(&'static str, String)>, String> {
    let mut values: Vec<(&'static str, String)> =
        FLAGS.iter().filter_map(|(flag, env)| std::env::var(env).ok().map(|v| (*flag, v))).collect();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        if name == "--help" || name == "-h" {
            return Err(USAGE.into());
        }
        let Some((flag, _)) = FLAGS.iter().find(|(f, _)| *f == name) else {
            return Err(format!("unknown flag {name}\n{USAGE}"));
        };
        let value = inline.or_else(|| it.next()).ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?;
        values.retain(|(f, _)| f != flag);
        values.push((flag, value));
    }
    Ok(values)
}

/// What `main` needs: listen addresses, CA path and the emulator config.
struct Plan {
    listen: SocketAddr,
    tls_listen: Option<SocketAddr>,
    ca_out: PathBuf,
    config: EmulatorConfig,
    faults: Vec<FaultRule>,
}

fn addr(flag: &str, v: &str) -> Result<SocketAddr, String> {
    v.parse().map_err(|e| format!("bad {flag} '{v}': {e}"))
}

fn plan(values: &[(&'static str, String)]) -> Result<Plan, String> {
    let get = |flag: &str| values.iter().find(|(f, _)| *f == flag).map(|(_, v)| v.as_str());
    let mut config = EmulatorConfig::default();
    if let Some(ms) = get("--delay-ms") {
        let ms: u64 = ms.parse().map_err(|e| format!("bad --delay-ms '{ms}': {e}"))?;
        config.provisioning_delay = Duration::from_millis(ms);
        // Updates are quicker than creates; never slower than the given delay.
        config.update_delay = config.update_delay.min(config.provisioning_delay);
    }
    if let Some(path) = get("--seed") {
        config.seed = Seed::from_json_file(path).map_err(|e| format!("cannot read seed '{path}': {e}"))?;
    }
    config.throttling = match get("--throttle") {
        None | Some("off") => None,
        Some("on") => Some(Throttling::arm()),
        Some(other) => return Err(format!("bad --throttle '{other}': use on or off")),
    };
    config.state_file = get("--state").map(PathBuf::from);
    let faults = match get("--faults") {
        None => Vec::new(),
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            .map_err(|e| format!("cannot read fault rules '{path}' (a JSON list): {e}"))?,
    };
    if let Some(err) = faults.iter().find_map(|r: &FaultRule| r.validate().err()) {
        return Err(format!("bad fault rule: {err}"));
    }
    // The CA goes beside the state file so a demo folder holds both.
    let default_ca = match &config.state_file {
        Some(s) => s.with_file_name("emulator-ca.pem"),
        None => std::env::temp_dir().join("replimap-emulator").join("emulator-ca.pem"),
    };
    Ok(Plan {
        listen: addr("--listen", get("--listen").unwrap_or("127.0.0.1:8090"))?,
        tls_listen: get("--tls-listen").map(|v| addr("--tls-listen", v)).transpose()?,
        ca_out: get("--ca-out").map_or(default_ca, PathBuf::from),
        config,
        faults,
    })
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))
}

async fn run(plan: Plan) -> Result<(), String> {
    let emu = Emulator::try_new(plan.config).map_err(|e| format!("cannot load state: {e}"))?;
    emu.set_faults(plan.faults);
    let http = bind(plan.listen).await?;
    let local = http.local_addr().unwrap_or(plan.listen);
    // The first line is the http URL: scripts and tests read it.
    println!("replimap ARM emulator listening on http://{local}");
    let (stop, stopped) = watch::channel(false);
    let until_stopped = move || {
        let mut rx = stopped.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let mut servers = vec![tokio::spawn(serve(http, emu.clone(), until_stopped()))];
    if let Some(addr) = plan.tls_listen {
        let tls = bind(addr).await?;
        let local = tls.local_addr().unwrap_or(addr);
        let identity = TlsIdentity::generate(&[local.ip().to_string()]).map_err(|e| e.to_string())?;
        identity.write_ca_pem(&plan.ca_out).map_err(|e| format!("cannot write {}: {e}", plan.ca_out.display()))?;
        println!("replimap ARM emulator listening on https://{local}");
        println!("CA certificate: {}", plan.ca_out.display());
        let emu = emu.clone();
        let shutdown = until_stopped();
        servers.push(tokio::spawn(async move { serve_tls(tls, emu, &identity, shutdown).await }));
    }
    tokio::spawn(async move {
        // If the signal handler cannot be installed, serve until killed.
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop.send(true);
        }
    });
    for server in servers {
        match server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(format!("server error: {e}")),
            Err(e) => return Err(format!("server task failed: {e}")),
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let plan = match parse_args().and_then(|v| plan(&v)) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("{msg}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(plan).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::ExitCode::FAILURE
        }
    }
}
