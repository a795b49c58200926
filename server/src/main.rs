//! `replimap`: reads configuration from the environment and serves the portal.

use leptos::config::get_configuration;
use replimap_server::{start, ArmMode, Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn")))
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{}", replimap_server::config::usage());
        return Ok(());
    }
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let (config, warnings) = Config::load(&env, &args)?;
    for w in warnings {
        tracing::warn!("{w}");
    }
    let mut leptos = get_configuration(None)?.leptos_options;
    leptos.site_addr = config.listen;
    let emulated = matches!(config.arm, ArmMode::Emulator { .. });
    let portal = start(config, leptos, shutdown_signal()).await?;
    if let Some(emu) = &portal.emulator {
        tracing::info!(url = %emu.base_url(), "no Azure credentials configured: using the embedded ARM emulator");
    }
    println!("replimap is running at {}{}", portal.url(), if emulated { " (embedded ARM emulator)" } else { "" });
    portal.wait().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
