//! Portal configuration, layered: built-in defaults, then an optional TOML file,
//! then `REPLIMAP_*` (and the Azure SDKs' `AZURE_*`) environment variables, then
//! command-line flags. Later sources win.
//!
//! Every setting is one field of [`cli::Settings`], declared once with its three spellings
//! (TOML key, variable, flag): serde reads the file into it, clap the environment and the
//! flags on top, and [`Config::load`] checks the merged result and fills in the defaults.
//! Unknown keys and `REPLIMAP_*` variables are warned about, not fatal, so an older binary
//! still starts with a newer file. [`Config::load`] is given the environment as a map and
//! never reads the process environment, so tests pass their own.

mod auth;
mod cli;
mod endpoint;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use azure_core::credentials::Secret;
use clap::FromArgMatches;
use replimap_arm::CredentialKind;
use replimap_arm_emulator::Seed;
use replimap_types::{SubscriptionId, UiSettings};

pub use self::auth::{check_pattern, AuthConfig, Binding, OidcConfig, ProxyConfig, ProxyPreset, Subject};
pub use self::cli::{command, usage, Cli, Credential};
use self::cli::{ArmSection, AuditSection, DatabaseSection, EmulatorSection, HttpSection, Settings, CLIENT_SECRET_ENV};
pub use self::endpoint::{ArmEndpoint, EndpointError};
use crate::hub::PollIntervals;

/// Shortest poll interval accepted.
const MIN_POLL: Duration = Duration::from_millis(100);

/// Public-cloud ARM.
pub const PUBLIC_ARM: &str = "https://management.azure.com";

/// The Azure Retail Prices API (unauthenticated).
pub const PUBLIC_PRICES: &str = "https://prices.azure.com/api/retail/prices";

/// cargo-leptos passes the site address in this variable; it is the lowest-priority `listen`.
const LEPTOS_SITE_ADDR: &str = "LEPTOS_SITE_ADDR";

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
        /// ARM base URL (public or sovereign cloud), checked fit for a bearer token.
        endpoint: ArmEndpoint,
        /// Which credential to use.
        credential: CredentialKind,
        /// Entra ID host for credentials that sign in (sovereign clouds, tests); `None` = public cloud.
        authority_host: Option<url::Url>,
        /// Extra CA certificates (PEM) for ARM and sign-in.
        ca_bundle: Option<PathBuf>,
    },
}

/// Where the cost figures' prices are refreshed from.
#[derive(Debug, Clone, PartialEq)]
pub enum Prices {
    /// The bundled snapshot only.
    Off,
    /// The embedded emulator's stand-in for the Retail Prices API.
    Emulator,
    /// The Azure Retail Prices API (or a mirror of it).
    Url(url::Url),
}

/// Where the store lives.
#[derive(Clone)]
pub struct DatabaseConfig {
    /// `postgres://…`; `None` = SQLite in the data directory.
    pub url: Option<String>,
    /// How long a write waits for a locked SQLite database.
    pub busy_timeout: Duration,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        let url = self.url.as_deref().map(redact_url);
        f.debug_struct("DatabaseConfig").field("url", &url).field("busy_timeout", &self.busy_timeout).finish()
    }
}

/// A database URL with its password replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("redacted"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparsable URL>".to_owned(),
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: None, busy_timeout: Duration::from_secs(5) }
    }
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
    /// Workload discovery and the fill.
    pub coverage: crate::coverage::CoverageSettings,
    /// Where prices are refreshed from (the bundled snapshot is used until then, and always
    /// when `Off`).
    pub prices: Prices,
    /// Where the SQLite store and the emulator's state file live.
    pub data_dir: PathBuf,
    /// The store.
    pub database: DatabaseConfig,
    /// Audit records older than this are deleted; `None` keeps them forever.
    pub audit_retention: Option<Duration>,
    /// The HTTP edge: the public URL, timeouts and caps.
    pub http: HttpConfig,
    /// Sign-in and roles.
    pub auth: AuthConfig,
}

/// The HTTP edge: what one connection, request or client may cost the portal, and the URL
/// people open. The defaults hold the bench's 10,000 event-stream clients on one portal with
/// room to spare.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The URL people open (an origin); `None` = the request's own `Host` is taken as ours.
    pub public_url: Option<url::Url>,
    /// A request's headers must arrive within this; idle keep-alive connections close after it.
    pub header_timeout: Duration,
    /// Longest a request may take before it is answered 503 (the event stream is exempt).
    pub request_timeout: Duration,
    /// Open connections at most; one more is closed at once.
    pub max_connections: usize,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Open event streams at most.
    pub max_streams: usize,
    /// Open event streams per identity (not applied to the local user).
    pub max_streams_per_identity: usize,
    /// The bearer token `/metrics` requires; `None` = `/metrics` is open.
    pub metrics_token: Option<Secret>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_connections: 20_000,
            max_body_bytes: 64 * 1024,
            max_streams: 20_000,
            max_streams_per_identity: 200,
            metrics_token: None,
        }
    }
}

/// Smallest `http.max_body_bytes`: a write's JSON body is a few hundred bytes.
const MIN_BODY_BYTES: usize = 1024;

/// Audit records are kept this long unless configured: more than a year, so "what changed
/// this time last year" can be answered.
const DEFAULT_RETENTION_DAYS: u64 = 400;

/// The data directory when none is configured: the XDG data home, as desktop and server
/// tools on Linux use it, else the working directory.
fn default_data_dir(env: &BTreeMap<String, String>) -> PathBuf {
    let set = |k: &str| env.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(xdg) = set("XDG_DATA_HOME") {
        xdg.join("replimap")
    } else if let Some(home) = set("HOME") {
        home.join(".local/share/replimap")
    } else {
        PathBuf::from("replimap-data")
    }
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

impl Config {
    /// Defaults for a local demo against the emulator.
    pub fn emulator_defaults() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            arm: ArmMode::Emulator {
                provisioning_delay: Duration::from_secs(3),
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                seed: Seed::demo(),
            },
            subscriptions: Vec::new(),
            poll: PollIntervals::default(),
            allowed_hosts: Vec::new(),
            filter: RegistryFilter::default(),
            ui: UiSettings::default(),
            coverage: crate::coverage::CoverageSettings::default(),
            prices: Prices::Emulator,
            data_dir: PathBuf::from("replimap-data"),
            database: DatabaseConfig::default(),
            audit_retention: Some(Duration::from_secs(DEFAULT_RETENTION_DAYS * 86_400)),
            http: HttpConfig::default(),
            auth: AuthConfig::default(),
        }
    }

    /// Loads all layers: `--config FILE` (or `REPLIMAP_CONFIG`), the environment, then `args`
    /// (without the program name). Returns the config and warnings (unknown keys) for the
    /// caller to log. A bad flag, and `--help`, come back as a [`clap::Error`] (print it, or
    /// [`usage`] for help, which also names the variables).
    pub fn load(env: &BTreeMap<String, String>, args: &[String]) -> anyhow::Result<(Self, Vec<String>)> {
        let mut warnings = Vec::new();
        let spellings = cli::spellings();
        let parser = cli::parser();
        let flags =
            parser.clone().try_get_matches_from(std::iter::once("replimap").chain(args.iter().map(String::as_str)))?;
        let from_env = cli::env_matches(&parser, &spellings, env)?;
        for var in env.keys().filter(|v| v.starts_with("REPLIMAP_")) {
            // The OIDC client secret is a variable only (no flag: `ps` would show it).
            if var != auth::OIDC_SECRET_ENV && !spellings.iter().any(|s| s.env.as_deref() == Some(var.as_str())) {
                warnings.push(format!("unknown environment variable {var} ignored"));
            }
        }
        let file = flags.get_one::<std::path::PathBuf>("config").or_else(|| from_env.get_one("config"));
        let mut settings = match file {
            Some(path) => from_toml(path, &mut warnings)?,
            None => Settings::default(),
        };
        settings.update_from_arg_matches(&from_env)?;
        if let Some(secret) = env.get(CLIENT_SECRET_ENV).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            settings.arm.client_secret = Some(Secret::new(secret.to_owned()));
        }
        if let Some(secret) = env.get(auth::OIDC_SECRET_ENV).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            settings.auth.oidc.client_secret = Some(Secret::new(secret.to_owned()));
        }
        settings.update_from_arg_matches(&flags)?;
        let site = env.get(LEPTOS_SITE_ADDR).map(|s| s.trim()).filter(|s| !s.is_empty());
        let data_dir = default_data_dir(env);
        Ok((Self::from_settings(settings, site, data_dir)?, warnings))
    }

    /// Checks merged settings and fills in the defaults; `site_addr` is the `listen` of last resort.
    fn from_settings(s: Settings, site_addr: Option<&str>, data_dir: PathBuf) -> anyhow::Result<Self> {
        let mut c = Self::emulator_defaults();
        c.data_dir = s.data_dir.clone().unwrap_or(data_dir);
        c.database = database(s.database)?;
        c.audit_retention = retention(&s.audit);
        if let Some(listen) = s.listen {
            c.listen = listen;
        } else if let Some(site) = site_addr {
            c.listen = site.parse().map_err(|e| anyhow::anyhow!("{LEPTOS_SITE_ADDR} '{site}': {e}"))?;
        }
        if let Some(port) = s.port {
            c.listen.set_port(port);
        }
        c.poll.fast = s.poll.fast_ms.map(Duration::from_millis).unwrap_or(c.poll.fast);
        c.poll.slow = s.poll.slow_ms.map(Duration::from_millis).unwrap_or(c.poll.slow);
        // Zero would turn a poller into a busy loop against ARM.
        for (name, d) in [("poll.fast_ms", c.poll.fast), ("poll.slow_ms", c.poll.slow)] {
            anyhow::ensure!(d >= MIN_POLL, "{name} must be at least {} ms", MIN_POLL.as_millis());
        }
        if let Some(on) = s.coverage.enabled {
            c.coverage.enabled = on;
        }
        if let Some(secs) = s.coverage.interval_secs {
            // Discovery spends ARM's read budget; faster than every 10 s would compete with the pollers.
            anyhow::ensure!((10..=86_400).contains(&secs), "coverage.interval_secs must be between 10 and 86400");
            c.coverage.interval = Duration::from_secs(secs);
        }
        if let Some(n) = s.coverage.fill_parallelism {
            anyhow::ensure!((1..=16).contains(&n), "coverage.fill_parallelism must be between 1 and 16");
            c.coverage.fill_parallelism = n;
        }
        c.ui.tile_url = s.ui.tile_url.map(|t| t.0);
        c.ui.tile_attribution = s.ui.tile_attribution.filter(|a| !a.trim().is_empty());
        if let Some(secs) = s.ui.stuck_after_secs {
            anyhow::ensure!(secs > 0, "ui.stuck_after_secs must be at least 1");
            c.ui.stuck_after_secs = secs;
        }
        if let Some(secs) = s.ui.heartbeat_secs {
            // Proxies close idle streams after 30-60 s; a slower heartbeat would let them.
            anyhow::ensure!((1..=30).contains(&secs), "ui.heartbeat_secs must be between 1 and 30");
            c.ui.heartbeat_secs = secs;
        }
        c.filter = RegistryFilter {
            resource_groups: s.resource_groups.map(|l| l.0).unwrap_or_default(),
            registries: s.registries.map(|l| l.0).unwrap_or_default(),
        };
        c.allowed_hosts = s.http.allowed_hosts.clone().map(|l| l.0).unwrap_or_default();
        c.http = http(s.http)?;
        c.subscriptions = s.subscriptions.map(|l| l.0).unwrap_or_default();
        c.arm = arm_mode(s.arm, s.emulator)?;
        c.prices = match s.coverage.prices_url.as_deref().map(str::trim) {
            Some("off") | Some("") => Prices::Off,
            Some(u) => {
                let url = url::Url::parse(u).map_err(|e| anyhow::anyhow!("coverage.prices_url '{u}': {e}"))?;
                anyhow::ensure!(
                    matches!(url.scheme(), "https" | "http"),
                    "coverage.prices_url must be an http(s) URL or \"off\", not '{u}'"
                );
                Prices::Url(url)
            }
            // The demo never reaches the internet: the emulator serves a stand-in.
            None if matches!(c.arm, ArmMode::Emulator { .. }) => Prices::Emulator,
            None => Prices::Url(url::Url::parse(PUBLIC_PRICES).map_err(|e| anyhow::anyhow!("{e}"))?),
        };
        c.auth = auth::auth_config(s.auth, s.rbac, c.listen)?;
        Ok(c)
    }
}

fn database(d: DatabaseSection) -> anyhow::Result<DatabaseConfig> {
    let url = d.url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    if let Some(url) = &url {
        // SQLite is configured by data_dir; a URL is for a shared PostgreSQL.
        anyhow::ensure!(
            url.starts_with("postgres://") || url.starts_with("postgresql://"),
            "database.url '{}' must be a postgres:// URL (leave it unset for SQLite in data_dir)",
            redact_url(url)
        );
    }
    let busy_timeout = d.busy_timeout_ms.map(Duration::from_millis).unwrap_or(Duration::from_secs(5));
    anyhow::ensure!(!busy_timeout.is_zero(), "database.busy_timeout_ms must be at least 1");
    Ok(DatabaseConfig { url, busy_timeout })
}

fn http(h: HttpSection) -> anyhow::Result<HttpConfig> {
    let d = HttpConfig::default();
    let secs = |v: Option<u64>, name: &str, default: Duration| -> anyhow::Result<Duration> {
        // Zero would close every connection at once, or answer every request 503.
        anyhow::ensure!(v != Some(0), "{name} must be at least 1");
        Ok(v.map_or(default, Duration::from_secs))
    };
    let count = |v: Option<usize>, name: &str, min: usize, default: usize| -> anyhow::Result<usize> {
        let v = v.unwrap_or(default);
        anyhow::ensure!(v >= min, "{name} must be at least {min}");
        Ok(v)
    };
    let public_url = h.public_url.map(public_url).transpose()?;
    let metrics_token = match &h.metrics_token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("http.metrics_token_file {}: {e}", path.display()))?;
            let token = text.trim();
            anyhow::ensure!(!token.is_empty(), "http.metrics_token_file {} is empty", path.display());
            Some(Secret::new(token.to_owned()))
        }
        None => None,
    };
    Ok(HttpConfig {
        public_url,
        header_timeout: secs(h.header_timeout_secs, "http.header_timeout_secs", d.header_timeout)?,
        request_timeout: secs(h.request_timeout_secs, "http.request_timeout_secs", d.request_timeout)?,
        max_connections: count(h.max_connections, "http.max_connections", 1, d.max_connections)?,
        max_body_bytes: count(h.max_body_bytes, "http.max_body_bytes", MIN_BODY_BYTES, d.max_body_bytes)?,
        max_streams: count(h.max_streams, "http.max_streams", 1, d.max_streams)?,
        max_streams_per_identity: count(
            h.max_streams_per_identity,
            "http.max_streams_per_identity",
            1,
            d.max_streams_per_identity,
        )?,
        metrics_token,
    })
}

/// `http.public_url` is an origin: the Origin header browsers send is compared with it, so a
/// path, query or user name would never match (and a user name is a secret in the wrong place).
fn public_url(url: url::Url) -> anyhow::Result<url::Url> {
    // First, so the messages below may quote the URL.
    anyhow::ensure!(
        url.username().is_empty() && url.password().is_none(),
        "http.public_url must not carry a user name or password"
    );
    anyhow::ensure!(
        matches!(url.scheme(), "https" | "http") && url.host().is_some(),
        "http.public_url '{url}' must be an http(s) URL with a host"
    );
    anyhow::ensure!(
        url.path() == "/" && url.query().is_none() && url.fragment().is_none(),
        "http.public_url '{url}' must be the site's origin only (scheme, host, port), without a path or query"
    );
    Ok(url)
}

fn retention(a: &AuditSection) -> Option<Duration> {
    match a.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS) {
        0 => None,
        days => Some(Duration::from_secs(days.saturating_mul(86_400))),
    }
}

/// The `arm.*` settings that only mean something to a real credential and are set, each with
/// its variable (the `AZURE_*` ones are often set by the platform rather than by the operator).
fn credential_settings_given(arm: &ArmSection) -> Vec<String> {
    let set = [
        ("arm.endpoint", arm.endpoint.is_some()),
        ("arm.tenant_id", arm.tenant_id.is_some()),
        ("arm.client_id", arm.client_id.is_some()),
        ("arm.client_secret", arm.client_secret.is_some()),
        ("arm.client_secret_file", arm.client_secret_file.is_some()),
        ("arm.authority_host", arm.authority_host.is_some()),
        ("arm.ca_bundle", arm.ca_bundle.is_some()),
    ];
    let spellings = cli::spellings();
    set.into_iter()
        .filter(|(_, given)| *given)
        .map(|(key, _)| {
            let env = spellings.iter().find(|s| s.key == key).and_then(|s| s.env.clone());
            match env.as_deref().or((key == "arm.client_secret").then_some(CLIENT_SECRET_ENV)) {
                Some(var) => format!("{key} ({var})"),
                None => key.to_owned(),
            }
        })
        .collect()
}

/// The credential kinds that sign in to Azure, as `arm.credential` spells them.
fn credential_kinds() -> String {
    use clap::ValueEnum;
    Credential::value_variants()
        .iter()
        .filter(|c| **c != Credential::Emulator)
        .filter_map(|c| c.to_possible_value().map(|v| v.get_name().to_owned()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the TOML file into settings; keys serde did not use become warnings.
fn from_toml(path: &Path, warnings: &mut Vec<String>) -> anyhow::Result<Settings> {
    let at = |e: &dyn std::fmt::Display| anyhow::anyhow!("config file {}: {e}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| at(&e))?;
    let de = toml::Deserializer::parse(&text).map_err(|e| at(&e))?;
    let settings: Settings = serde_ignored::deserialize(de, |key| {
        warnings.push(format!("unknown configuration key '{key}' ignored"));
    })
    .map_err(|e| at(&e))?;
    if settings.arm.client_secret.is_some() {
        warnings.push("arm.client_secret in a config file: prefer arm.client_secret_file".into());
    }
    if settings.auth.oidc.client_secret.is_some() {
        warnings.push("auth.oidc.client_secret in a config file: prefer auth.oidc.client_secret_file".into());
    }
    Ok(settings)
}

/// The emulator when `arm.credential` is `emulator`, or when nothing about ARM is configured at
/// all; else ARM with that credential. A half-configured sign-in (a tenant, an endpoint, but no
/// `arm.credential`) is refused rather than silently demoted to the emulator: an operator who
/// meant Azure would otherwise watch simulated replicas.
fn arm_mode(arm: ArmSection, emulator: EmulatorSection) -> anyhow::Result<ArmMode> {
    if arm.credential.is_none() {
        let given = credential_settings_given(&arm);
        anyhow::ensure!(
            given.is_empty(),
            "arm.credential is not set, but {} is: set arm.credential (REPLIMAP_CREDENTIAL, --credential) to one of {}, \
             or to emulator to use the embedded ARM emulator anyway",
            given.join(", "),
            credential_kinds()
        );
    }
    let credential = match arm.credential {
        None | Some(Credential::Emulator) => {
            let seed = match &emulator.seed {
                Some(path) => {
                    Seed::from_json_file(path).map_err(|e| anyhow::anyhow!("emulator.seed {}: {e}", path.display()))?
                }
                None => Seed::demo(),
            };
            return Ok(ArmMode::Emulator {
                provisioning_delay: emulator.delay_ms.map(Duration::from_millis).unwrap_or(Duration::from_secs(3)),
                listen: emulator.listen.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
                seed,
            });
        }
        Some(Credential::ManagedIdentity) => CredentialKind::ManagedIdentity { client_id: arm.client_id },
        Some(Credential::WorkloadIdentity) => CredentialKind::WorkloadIdentity,
        Some(Credential::AzureCli) => CredentialKind::AzureCli,
        Some(Credential::ClientSecret) => {
            let need =
                |v: Option<String>, key: &str| v.ok_or_else(|| anyhow::anyhow!("credential client_secret needs {key}"));
            // A file keeps the secret out of `ps` and environment dumps.
            let secret = match &arm.client_secret_file {
                Some(path) => Secret::new(
                    std::fs::read_to_string(path)
                        .map_err(|e| anyhow::anyhow!("arm.client_secret_file {}: {e}", path.display()))?
                        .trim()
                        .to_owned(),
                ),
                None => arm
                    .client_secret
                    .ok_or_else(|| anyhow::anyhow!("credential client_secret needs arm.client_secret"))?,
            };
            CredentialKind::ClientSecret {
                tenant_id: need(arm.tenant_id, "arm.tenant_id")?,
                client_id: need(arm.client_id, "arm.client_id")?,
                secret,
            }
        }
    };
    // Bearer tokens must not travel in clear text; loopback is allowed for local ARM fakes.
    let endpoint = match arm.endpoint {
        Some(url) => ArmEndpoint::new(url)?,
        None => PUBLIC_ARM.parse()?,
    };
    let ca_bundle = match arm.ca_bundle {
        Some(path) => {
            // Read now so a wrong path fails start-up, not the first sign-in.
            std::fs::metadata(&path).map_err(|e| anyhow::anyhow!("arm.ca_bundle {}: {e}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    if let Some(host) = &arm.authority_host {
        anyhow::ensure!(host.scheme() == "https", "arm.authority_host '{host}' must be https");
    }
    Ok(ArmMode::Live { endpoint, credential, authority_host: arm.authority_host, ca_bundle })
}
