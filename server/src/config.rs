//! Portal configuration, layered: built-in defaults, then an optional TOML file,
//! then `REPLIMAP_*` (and the Azure SDKs' `AZURE_*`) environment variables, then
//! command-line flags. Later sources win.
//!
//! Every source is first flattened into dotted keys (`arm.endpoint`), so the layering
//! is one map merge and each setting has exactly one parser. Unknown keys are warned
//! about, not fatal, so an older binary still starts with a newer file.
//! Tests build [`Config`] values directly and never read the process environment.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use azure_core::credentials::Secret;
use replimap_arm::CredentialKind;
use replimap_arm_emulator::Seed;
use replimap_types::{SubscriptionId, UiSettings};

use crate::hub::PollIntervals;

/// Shortest poll interval accepted.
const MIN_POLL: Duration = Duration::from_millis(100);

/// Public-cloud ARM.
pub const PUBLIC_ARM: &str = "https://management.azure.com";

/// Every setting: dotted key, environment variable, command-line flag, help.
const KEYS: &[(&str, &str, &str, &str)] = &[
    ("listen", "REPLIMAP_LISTEN", "--listen", "portal address, e.g. 127.0.0.1:3000"),
    ("port", "REPLIMAP_PORT", "--port", "portal port (keeps the host of `listen`)"),
    (
        "http.allowed_hosts",
        "REPLIMAP_ALLOWED_HOSTS",
        "--allowed-hosts",
        "extra Host names (host:port, comma-separated; * = any) besides localhost",
    ),
    (
        "subscriptions",
        "REPLIMAP_SUBSCRIPTIONS",
        "--subscriptions",
        "comma-separated subscription ids (default: all visible)",
    ),
    (
        "resource_groups",
        "REPLIMAP_RESOURCE_GROUPS",
        "--resource-groups",
        "only registries in these resource groups (comma-separated)",
    ),
    ("registries", "REPLIMAP_REGISTRIES", "--registries", "only these registries (names, comma-separated)"),
    (
        "arm.credential",
        "REPLIMAP_CREDENTIAL",
        "--credential",
        "emulator | managed_identity | workload_identity | client_secret | azure_cli",
    ),
    ("arm.endpoint", "REPLIMAP_ARM_ENDPOINT", "--arm-endpoint", "ARM base URL (default https://management.azure.com)"),
    ("arm.tenant_id", "AZURE_TENANT_ID", "--tenant-id", "Entra tenant (client_secret)"),
    ("arm.client_id", "AZURE_CLIENT_ID", "--client-id", "application id (client_secret) or user-assigned identity"),
    ("arm.client_secret", "AZURE_CLIENT_SECRET", "", "client secret (prefer arm.client_secret_file)"),
    ("arm.client_secret_file", "AZURE_CLIENT_SECRET_FILE", "--client-secret-file", "file holding the client secret"),
    ("poll.fast_ms", "REPLIMAP_POLL_FAST_MS", "--poll-fast-ms", "poll interval while anything is in flight (1000)"),
    ("poll.slow_ms", "REPLIMAP_POLL_SLOW_MS", "--poll-slow-ms", "poll interval when settled (10000)"),
    ("emulator.delay_ms", "REPLIMAP_EMULATOR_DELAY_MS", "--emulator-delay-ms", "emulated provisioning time (3000)"),
    (
        "emulator.listen",
        "REPLIMAP_EMULATOR_LISTEN",
        "--emulator-listen",
        "emulator address (default: a free loopback port)",
    ),
    ("emulator.seed", "REPLIMAP_EMULATOR_SEED", "--emulator-seed", "seed file for the emulator"),
    (
        "ui.tile_url",
        "REPLIMAP_TILE_URL",
        "--tile-url",
        "map tiles under the outline, e.g. https://tile.example/{z}/{x}/{y}.png (default: none)",
    ),
    (
        "ui.tile_attribution",
        "REPLIMAP_TILE_ATTRIBUTION",
        "--tile-attribution",
        "attribution the tile provider requires",
    ),
    (
        "ui.stuck_after_secs",
        "REPLIMAP_STUCK_AFTER_SECS",
        "--stuck-after-secs",
        "flag a replica Syncing longer than this as possibly stuck (3600)",
    ),
    (
        "ui.heartbeat_secs",
        "REPLIMAP_HEARTBEAT_SECS",
        "--heartbeat-secs",
        "status-stream heartbeat; pages call the stream stale after three missed (15)",
    ),
];

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
    /// Host names (host:port) the portal answers to besides loopback; `*` accepts any.
    pub allowed_hosts: Vec<String>,
    /// Narrows which registries are shown.
    pub filter: RegistryFilter,
    /// What the page needs from the configuration (tiles, stuck threshold).
    pub ui: UiSettings,
}

/// Optional narrowing of the registries in the configured subscriptions. Names compare
/// case-insensitively, as ARM does; an empty list means no restriction.
#[derive(Debug, Clone, Default)]
pub struct RegistryFilter {
    /// Resource groups to include.
    pub resource_groups: Vec<String>,
    /// Registry names to include.
    pub registries: Vec<String>,
}

impl RegistryFilter {
    /// Whether a registry passes the filter.
    pub fn allows(&self, key: &replimap_types::RegistryKey) -> bool {
        let matches = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x.eq_ignore_ascii_case(v));
        matches(&self.resource_groups, key.resource_group.as_str()) && matches(&self.registries, key.name.as_str())
    }
}

/// Settings as dotted keys, before parsing.
pub type Layer = BTreeMap<String, String>;

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
            allowed_hosts: Vec::new(),
            filter: RegistryFilter::default(),
            ui: UiSettings::default(),
        }
    }

    /// Loads all layers: `--config FILE` (or `REPLIMAP_CONFIG`), the environment, then `args`.
    /// Returns the config and warnings (unknown keys) for the caller to log.
    pub fn load(env: &BTreeMap<String, String>, args: &[String]) -> anyhow::Result<(Self, Vec<String>)> {
        let mut warnings = Vec::new();
        let flags = from_args(args)?;
        let file = flags.get("config").or_else(|| env.get("REPLIMAP_CONFIG")).cloned();
        let mut merged = Layer::new();
        // cargo-leptos passes the site address this way; it is the lowest-priority `listen`.
        if let Some(site) = env.get("LEPTOS_SITE_ADDR") {
            merged.insert("listen".into(), site.clone());
        }
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("config file {path}: {e}"))?;
            merged.extend(from_toml(&text, &mut warnings).map_err(|e| anyhow::anyhow!("config file {path}: {e}"))?);
        }
        merged.extend(from_env(env, &mut warnings));
        merged.extend(flags.into_iter().filter(|(k, _)| k != "config"));
        Ok((Self::from_layer(&merged)?, warnings))
    }

    /// Builds a config from merged keys over the defaults.
    pub fn from_layer(l: &Layer) -> anyhow::Result<Self> {
        let get = |k: &str| l.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let addr = |k: &str| -> anyhow::Result<Option<SocketAddr>> {
            get(k).map(|v| v.parse().map_err(|e| anyhow::anyhow!("{k} '{v}': {e}"))).transpose()
        };
        let ms = |k: &str| -> anyhow::Result<Option<Duration>> {
            get(k)
                .map(|v| v.parse::<u64>().map(Duration::from_millis).map_err(|e| anyhow::anyhow!("{k} '{v}': {e}")))
                .transpose()
        };
        let mut c = Self::emulator_defaults();
        if let Some(a) = addr("listen")? {
            c.listen = a;
        }
        if let Some(port) = get("port") {
            c.listen.set_port(port.parse().map_err(|e| anyhow::anyhow!("port '{port}': {e}"))?);
        }
        c.poll.fast = ms("poll.fast_ms")?.unwrap_or(c.poll.fast);
        c.poll.slow = ms("poll.slow_ms")?.unwrap_or(c.poll.slow);
        // Zero would turn a poller into a busy loop against ARM.
        for (name, d) in [("poll.fast_ms", c.poll.fast), ("poll.slow_ms", c.poll.slow)] {
            anyhow::ensure!(d >= MIN_POLL, "{name} must be at least {} ms", MIN_POLL.as_millis());
        }
        let list = |k: &str| -> Vec<String> {
            get(k)
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default()
        };
        if let Some(url) = get("ui.tile_url") {
            c.ui.tile_url = Some(tile_url(url)?);
        }
        c.ui.tile_attribution = get("ui.tile_attribution").map(str::to_owned);
        if let Some(v) = get("ui.stuck_after_secs") {
            let secs: u64 = v.parse().map_err(|e| anyhow::anyhow!("ui.stuck_after_secs '{v}': {e}"))?;
            anyhow::ensure!(secs > 0, "ui.stuck_after_secs must be at least 1");
            c.ui.stuck_after_secs = secs;
        }
        if let Some(v) = get("ui.heartbeat_secs") {
            let secs: u64 = v.parse().map_err(|e| anyhow::anyhow!("ui.heartbeat_secs '{v}': {e}"))?;
            // Proxies close idle streams after 30-60 s; a slower heartbeat would let them.
            anyhow::ensure!((1..=30).contains(&secs), "ui.heartbeat_secs must be between 1 and 30");
            c.ui.heartbeat_secs = secs;
        }
        c.filter = RegistryFilter { resource_groups: list("resource_groups"), registries: list("registries") };
        if let Some(hosts) = get("http.allowed_hosts") {
            c.allowed_hosts = hosts.split(',').map(|h| h.trim().to_owned()).filter(|h| !h.is_empty()).collect();
        }
        if let Some(subs) = get("subscriptions") {
            c.subscriptions = subs
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().parse::<SubscriptionId>().map_err(|e| anyhow::anyhow!("subscriptions: {e}")))
                .collect::<anyhow::Result<_>>()?;
        }
        c.arm = match get("arm.credential") {
            None | Some("emulator") => {
                let seed = match get("emulator.seed") {
                    Some(path) => {
                        Seed::from_json_file(path).map_err(|e| anyhow::anyhow!("emulator.seed {path}: {e}"))?
                    }
                    None => Seed::docs_example(),
                };
                ArmMode::Emulator {
                    provisioning_delay: ms("emulator.delay_ms")?.unwrap_or(Duration::from_secs(3)),
                    listen: addr("emulator.listen")?.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
                    seed,
                }
            }
            Some(kind) => {
                let endpoint = get("arm.endpoint").unwrap_or(PUBLIC_ARM).to_owned();
                // Bearer tokens must not travel in clear text; loopback is allowed for local ARM fakes.
                let loopback =
                    ["http://127.0.0.1", "http://localhost", "http://[::1]"].iter().any(|p| endpoint.starts_with(p));
                anyhow::ensure!(
                    endpoint.starts_with("https://") || loopback,
                    "arm.endpoint '{endpoint}' must use https"
                );
                ArmMode::Live { endpoint, credential: credential(kind, &get)? }
            }
        };
        Ok(c)
    }
}

/// A tile URL template must be http(s) and name the tile by `{z}`, `{x}` and `{y}`, or the
/// map would silently stay blank.
fn tile_url(url: &str) -> anyhow::Result<String> {
    let url = url.trim();
    anyhow::ensure!(
        url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'),
        "ui.tile_url '{url}' must be an http(s) URL or a path on the portal"
    );
    for part in ["{z}", "{x}", "{y}"] {
        anyhow::ensure!(url.contains(part), "ui.tile_url '{url}' lacks {part}");
    }
    Ok(url.to_owned())
}

fn credential<'a>(kind: &str, get: &impl Fn(&str) -> Option<&'a str>) -> anyhow::Result<CredentialKind> {
    let need = |k: &str| get(k).map(str::to_owned).ok_or_else(|| anyhow::anyhow!("credential {kind} needs {k}"));
    Ok(match kind {
        "managed_identity" => CredentialKind::ManagedIdentity { client_id: get("arm.client_id").map(str::to_owned) },
        "workload_identity" => CredentialKind::WorkloadIdentity,
        "azure_cli" => CredentialKind::AzureCli,
        "client_secret" => {
            // A file keeps the secret out of `ps` and environment dumps.
            let secret = match get("arm.client_secret_file") {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("arm.client_secret_file {path}: {e}"))?
                    .trim()
                    .to_owned(),
                None => need("arm.client_secret")?,
            };
            CredentialKind::ClientSecret {
                tenant_id: need("arm.tenant_id")?,
                client_id: need("arm.client_id")?,
                secret: Secret::new(secret),
            }
        }
        other => anyhow::bail!(
            "credential '{other}' is not one of emulator, managed_identity, workload_identity, client_secret, azure_cli"
        ),
    })
}

fn from_env(env: &BTreeMap<String, String>, warnings: &mut Vec<String>) -> Layer {
    let mut layer = Layer::new();
    for (key, var, _, _) in KEYS {
        if let Some(v) = env.get(*var) {
            layer.insert((*key).to_owned(), v.clone());
        }
    }
    let known: Vec<&str> = KEYS.iter().map(|k| k.1).chain(["REPLIMAP_CONFIG"]).collect();
    for var in env.keys().filter(|v| v.starts_with("REPLIMAP_") && !known.contains(&v.as_str())) {
        warnings.push(format!("unknown environment variable {var} ignored"));
    }
    layer
}

fn from_toml(text: &str, warnings: &mut Vec<String>) -> anyhow::Result<Layer> {
    let table: toml::Table = text.parse()?;
    let mut layer = Layer::new();
    flatten("", &table, &mut layer);
    for key in layer.keys().filter(|k| !KEYS.iter().any(|(known, ..)| known == k)) {
        warnings.push(format!("unknown configuration key '{key}' ignored"));
    }
    if layer.contains_key("arm.client_secret") {
        warnings.push("arm.client_secret in a config file: prefer arm.client_secret_file".into());
    }
    Ok(layer)
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Layer) {
    for (k, v) in table {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Array(items) => {
                let parts: Vec<String> =
                    items.iter().map(|i| i.as_str().map(str::to_owned).unwrap_or_else(|| i.to_string())).collect();
                out.insert(key, parts.join(","));
            }
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

fn from_args(args: &[String]) -> anyhow::Result<Layer> {
    let mut layer = Layer::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_owned())),
            None => (arg.as_str(), None),
        };
        let key = if flag == "--config" {
            "config"
        } else {
            KEYS.iter()
                .find(|(_, _, f, _)| !f.is_empty() && *f == flag)
                .map(|(k, ..)| *k)
                .ok_or_else(|| anyhow::anyhow!("unknown flag '{flag}'\n\n{}", usage()))?
        };
        let value = match inline {
            Some(v) => v,
            None => it.next().cloned().ok_or_else(|| anyhow::anyhow!("flag {flag} needs a value"))?,
        };
        layer.insert(key.to_owned(), value);
    }
    Ok(layer)
}

/// Help text listing every setting with its three spellings.
pub fn usage() -> String {
    let mut s = String::from("usage: replimap [--config FILE] [flags]\n\nsetting (TOML key / environment / flag):\n");
    for (key, var, flag, help) in KEYS {
        s.push_str(&format!("  {key:<24} {var:<28} {flag:<22} {help}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn cargo_leptos_site_address_is_the_lowest_layer() {
        let (c, _) = Config::load(&env(&[("LEPTOS_SITE_ADDR", "127.0.0.1:3100")]), &[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:3100");
        let (c, _) =
            Config::load(&env(&[("LEPTOS_SITE_ADDR", "127.0.0.1:3100"), ("REPLIMAP_PORT", "3200")]), &[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:3200");
    }

    #[test]
    fn no_credentials_means_the_emulator() {
        let (c, _) = Config::load(&env(&[("REPLIMAP_PORT", "8123")]), &[]).unwrap();
        assert_eq!(c.listen.port(), 8123);
        assert!(matches!(c.arm, ArmMode::Emulator { .. }));
    }

    #[test]
    fn layers_apply_in_order_file_env_flags() {
        let dir = std::env::temp_dir().join(format!("replimap-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("portal.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:4000\"\nsubscriptions = [\"00000000-0000-0000-0000-000000000001\"]\nsurprise = 1\n[poll]\nfast_ms = 250\nslow_ms = 5000\n[arm]\ncredential = \"managed_identity\"\nendpoint = \"https://management.chinacloudapi.cn\"\n",
        )
        .unwrap();
        let e = env(&[("REPLIMAP_POLL_SLOW_MS", "7000"), ("REPLIMAP_TYPO", "x")]);
        let (c, warnings) =
            Config::load(&e, &args(&["--config", file.to_str().unwrap(), "--port", "4001", "--poll-fast-ms=300"]))
                .unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:4001");
        assert_eq!(c.poll.fast, Duration::from_millis(300), "flag beats file");
        assert_eq!(c.poll.slow, Duration::from_millis(7000), "env beats file");
        assert_eq!(c.subscriptions.len(), 1);
        match c.arm {
            ArmMode::Live { endpoint, credential: CredentialKind::ManagedIdentity { .. } } => {
                assert_eq!(endpoint, "https://management.chinacloudapi.cn")
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(warnings.iter().any(|w| w.contains("surprise")));
        assert!(warnings.iter().any(|w| w.contains("REPLIMAP_TYPO")));
    }

    #[test]
    fn secrets_come_from_files_and_never_print() {
        let dir = std::env::temp_dir().join(format!("replimap-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        std::fs::write(&file, "s3cr3t-value\n").unwrap();
        let e = env(&[
            ("REPLIMAP_CREDENTIAL", "client_secret"),
            ("AZURE_TENANT_ID", "00000000-0000-0000-0000-0000000000aa"),
            ("AZURE_CLIENT_ID", "app"),
            ("AZURE_CLIENT_SECRET_FILE", file.to_str().unwrap()),
        ]);
        let (c, _) = Config::load(&e, &[]).unwrap();
        let printed = format!("{c:?}");
        assert!(printed.contains("ClientSecret"));
        assert!(!printed.contains("s3cr3t"));
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        let err = Config::load(&env(&[("REPLIMAP_CREDENTIAL", "magic")]), &[]).unwrap_err();
        assert!(err.to_string().contains("magic"));
        let err = Config::load(&env(&[("REPLIMAP_SUBSCRIPTIONS", "nope")]), &[]).unwrap_err();
        assert!(err.to_string().contains("subscription id"));
        let err = Config::load(&env(&[]), &args(&["--bogus", "1"])).unwrap_err();
        assert!(err.to_string().contains("unknown flag '--bogus'"));
        let err = Config::load(&env(&[("REPLIMAP_CREDENTIAL", "client_secret")]), &[]).unwrap_err();
        assert!(err.to_string().contains("needs"));
    }

    #[test]
    fn map_settings_are_checked() {
        let (c, _) = Config::load(&env(&[]), &[]).unwrap();
        assert_eq!(c.ui, UiSettings::default());
        let (c, _) = Config::load(
            &env(&[
                ("REPLIMAP_TILE_URL", "https://tiles.example/{z}/{x}/{y}.png"),
                ("REPLIMAP_STUCK_AFTER_SECS", "90"),
            ]),
            &args(&["--tile-attribution", "© Example"]),
        )
        .unwrap();
        assert_eq!(c.ui.tile_url.as_deref(), Some("https://tiles.example/{z}/{x}/{y}.png"));
        assert_eq!(c.ui.tile_attribution.as_deref(), Some("© Example"));
        assert_eq!(c.ui.stuck_after_secs, 90);
        let err = Config::load(&env(&[("REPLIMAP_TILE_URL", "https://tiles.example/{z}/{x}.png")]), &[]).unwrap_err();
        assert!(err.to_string().contains("lacks {y}"), "{err}");
        let err = Config::load(&env(&[("REPLIMAP_TILE_URL", "javascript:alert(1)/{z}/{x}/{y}")]), &[]).unwrap_err();
        assert!(err.to_string().contains("http(s)"), "{err}");
        let err = Config::load(&env(&[("REPLIMAP_STUCK_AFTER_SECS", "0")]), &[]).unwrap_err();
        assert!(err.to_string().contains("at least 1"), "{err}");
        let (c, _) = Config::load(&env(&[("REPLIMAP_HEARTBEAT_SECS", "2")]), &[]).unwrap();
        assert_eq!(c.ui.heartbeat_secs, 2);
        let err = Config::load(&env(&[("REPLIMAP_HEARTBEAT_SECS", "90")]), &[]).unwrap_err();
        assert!(err.to_string().contains("between 1 and 30"), "{err}");
    }
}
