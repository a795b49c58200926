//! `replimap`: reads configuration (file, environment, flags) and serves the portal.

use std::process::ExitCode;

use clap::error::ErrorKind;
use leptos::config::get_configuration;
use replimap_server::{start, ArmMode, Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn")))
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let (config, warnings) = match Config::load(&env, &args) {
        Ok(loaded) => loaded,
        Err(e) => match e.downcast::<clap::Error>() {
            // `load` parses without the environment; the help printed names the variables too.
            Ok(e) if e.kind() == ErrorKind::DisplayHelp => {
                print!("{}", replimap_server::config::usage());
                return Ok(ExitCode::SUCCESS);
            }
            Ok(e) => {
                e.print()?;
                return Ok(ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)));
            }
            Err(e) => return Err(e),
        },
    };
    for w in warnings {
        tracing::warn!("{w}");
    }
    let mut leptos = get_configuration(None)?.leptos_options;
    leptos.site_addr = config.listen;
    let emulated = matches!(config.arm, ArmMode::Emulator { .. });
    let data_dir = config.data_dir.clone();
    let portal = start(config, leptos, shutdown_signal()).await?;
    if let Some(emu) = &portal.emulator {
        // A warning, not news: someone who meant Azure must not mistake the demo for it.
        tracing::warn!(
            url = %emu.base_url(),
            "EMULATOR IN USE: the registries shown are simulated and no change reaches Azure \
             (arm.credential is unset or 'emulator'); set arm.credential to manage real registries"
        );
    }
    println!("replimap is running at {}{}", portal.url(), if emulated { " (embedded ARM emulator)" } else { "" });
    println!("data: {} (store: {})", data_dir.display(), portal.state.store.describe());
    portal.wait().await?;
    Ok(ExitCode::SUCCESS)
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
