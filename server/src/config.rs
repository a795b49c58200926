//! Portal configuration.
//!
//! First cut: built-in defaults, then `REPLIMAP_*` environment variables. Tests build
//! [`Config`] values directly and never read the process environment.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use azure_core::credentials::Secret;
use replimap_arm::CredentialKind;
use replimap_arm_emulator::Seed;
use replimap_types::SubscriptionId;

use crate::hub::PollIntervals;

/// Public-cloud ARM.
pub const PUBLIC_ARM: &str = "https://management.azure.com";

/// Where ARM is.
#[derive(Debug, Clone)]
pub enum ArmMode {
    /// Run the embedded emulator in-process (no Azure credentials configured).
    Emulator {
        /// How long replicas stay Creating/Deleting.
        provisioning_delay: Duration,
        /// Where the emulator listens (port 0 = any free port).
        listen: SocketAddr,
        /// Its initial subscriptions, resource groups and registries.
        seed: Seed,
    },
    /// Talk to a real ARM endpoint.
    Live {
        /// ARM base URL (public or sovereign cloud).
        endpoint: String,
        /// Which credential to use.
        credential: CredentialKind,
    },
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Portal listen address.
    pub listen: SocketAddr,
    /// ARM or the emulator.
    pub arm: ArmMode,
    /// Subscriptions to show; empty = every subscription the credential sees.
    pub subscriptions: Vec<SubscriptionId>,
    /// Poll cadence of the status hub.
    pub poll: PollIntervals,
}

impl Config {
    /// Defaults for a local demo against the emulator.
    pub fn emulator_defaults() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            arm: ArmMode::Emulator {
                provisioning_delay: Duration::from_secs(3),
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                seed: Seed::docs_example(),
            },
            subscriptions: Vec::new(),
            poll: PollIntervals::default(),
        }
    }

    /// Reads `REPLIMAP_*` variables from `env` over the defaults.
    pub fn from_env(env: &HashMap<String, String>) -> anyhow::Result<Self> {
        let get = |k: &str| env.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mut c = Self::emulator_defaults();
        if let Some(site) = get("LEPTOS_SITE_ADDR") {
            c.listen = site.parse().map_err(|e| anyhow::anyhow!("LEPTOS_SITE_ADDR '{site}': {e}"))?;
        }
        if let Some(port) = get("REPLIMAP_PORT") {
            c.listen.set_port(port.parse().map_err(|e| anyhow::anyhow!("REPLIMAP_PORT '{port}': {e}"))?);
        }
        if let Some(listen) = get("REPLIMAP_LISTEN") {
            c.listen = listen.parse().map_err(|e| anyhow::anyhow!("REPLIMAP_LISTEN '{listen}': {e}"))?;
        }
        let ms = |k: &str| -> anyhow::Result<Option<Duration>> {
            get(k).map(|v| v.parse::<u64>().map(Duration::from_millis).map_err(|e| anyhow::anyhow!("{k} '{v}': {e}"))).transpose()
        };
        if let Some(d) = ms("REPLIMAP_POLL_FAST_MS")? {
            c.poll.fast = d;
        }
        if let Some(d) = ms("REPLIMAP_POLL_SLOW_MS")? {
            c.poll.slow = d;
        }
        if let Some(subs) = get("REPLIMAP_SUBSCRIPTIONS") {
            c.subscriptions = subs
                .split(',')
                .map(|s| s.trim().parse::<SubscriptionId>().map_err(anyhow::Error::from))
                .collect::<anyhow::Result<_>>()?;
        }
        c.arm = match get("REPLIMAP_CREDENTIAL") {
            None | Some("emulator") => {
                let mut delay = Duration::from_secs(3);
                if let Some(d) = ms("REPLIMAP_EMULATOR_DELAY_MS")? {
                    delay = d;
                }
                let listen = match get("REPLIMAP_EMULATOR_LISTEN") {
                    Some(l) => l.parse().map_err(|e| anyhow::anyhow!("REPLIMAP_EMULATOR_LISTEN '{l}': {e}"))?,
                    None => SocketAddr::from(([127, 0, 0, 1], 0)),
                };
                let seed = match get("REPLIMAP_EMULATOR_SEED") {
                    Some(path) => Seed::from_json_file(path).map_err(|e| anyhow::anyhow!("REPLIMAP_EMULATOR_SEED {path}: {e}"))?,
                    None => Seed::docs_example(),
                };
                ArmMode::Emulator { provisioning_delay: delay, listen, seed }
            }
            Some(kind) => ArmMode::Live {
                endpoint: get("REPLIMAP_ARM_ENDPOINT").unwrap_or(PUBLIC_ARM).to_owned(),
                credential: credential(kind, &get)?,
            },
        };
        Ok(c)
    }
}

fn credential<'a>(kind: &str, get: &impl Fn(&str) -> Option<&'a str>) -> anyhow::Result<CredentialKind> {
    Ok(match kind {
        "managed_identity" => CredentialKind::ManagedIdentity { client_id: get("AZURE_CLIENT_ID").map(str::to_owned) },
        "workload_identity" => CredentialKind::WorkloadIdentity,
        "azure_cli" => CredentialKind::AzureCli,
        "client_secret" => {
            let need = |k: &str| get(k).map(str::to_owned).ok_or_else(|| anyhow::anyhow!("REPLIMAP_CREDENTIAL=client_secret needs {k}"));
            // Prefer a file so the secret is not in the process environment listing.
            let secret = match get("AZURE_CLIENT_SECRET_FILE") {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("AZURE_CLIENT_SECRET_FILE {path}: {e}"))?
                    .trim()
                    .to_owned(),
                None => need("AZURE_CLIENT_SECRET")?,
            };
            CredentialKind::ClientSecret {
                tenant_id: need("AZURE_TENANT_ID")?,
                client_id: need("AZURE_CLIENT_ID")?,
                secret: Secret::new(secret),
            }
        }
        other => anyhow::bail!(
            "REPLIMAP_CREDENTIAL '{other}' is not one of emulator, managed_identity, workload_identity, client_secret, azure_cli"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn no_credentials_means_the_emulator() {
        let c = Config::from_env(&env(&[("REPLIMAP_PORT", "8123")])).unwrap();
        assert_eq!(c.listen.port(), 8123);
        assert!(matches!(c.arm, ArmMode::Emulator { .. }));
    }

    #[test]
    fn live_mode_reads_the_endpoint_and_credential() {
        let c = Config::from_env(&env(&[
            ("REPLIMAP_CREDENTIAL", "managed_identity"),
            ("REPLIMAP_ARM_ENDPOINT", "https://management.chinacloudapi.cn"),
        ]))
        .unwrap();
        match c.arm {
            ArmMode::Live { endpoint, credential: CredentialKind::ManagedIdentity { .. } } => {
                assert_eq!(endpoint, "https://management.chinacloudapi.cn")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        let err = Config::from_env(&env(&[("REPLIMAP_CREDENTIAL", "magic")])).unwrap_err();
        assert!(err.to_string().contains("REPLIMAP_CREDENTIAL"));
        let err = Config::from_env(&env(&[("REPLIMAP_SUBSCRIPTIONS", "nope")])).unwrap_err();
        assert!(err.to_string().contains("subscription id"));
    }
}
