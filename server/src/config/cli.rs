//! The settings as one typed tree that serde fills from the TOML file and clap from the
//! environment and the flags.
//!
//! Each setting is declared once, on a field: its clap `id` is its dotted TOML key (which
//! is also the field's serde path), `env` its variable, `long` its flag and the doc comment
//! its help. Every field is an `Option`, so a layer that does not mention a setting leaves
//! the lower layer's value alone; the built-in defaults are applied after the merge.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use azure_core::credentials::Secret;
use clap::{ArgAction, ArgMatches, Args, Command, CommandFactory, Parser, ValueEnum};
use replimap_types::SubscriptionId;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use url::Url;

/// The only setting without a flag: a secret on the command line would show in `ps`.
pub const CLIENT_SECRET_ENV: &str = "AZURE_CLIENT_SECRET";

/// The `replimap` command line.
#[derive(Debug, Parser)]
#[command(
    name = "replimap",
    about = "The replimap portal: Azure Container Registry geo-replication on a map.",
    args_override_self = true,
    disable_help_flag = true,
    after_long_help = "Settings are layered: built-in defaults, then the TOML file (--config), then the \
                       environment, then flags; later ones win. Each setting's TOML key is shown as \
                       [toml: KEY]. The client secret is read from AZURE_CLIENT_SECRET (environment only) \
                       or, better, from the file named by arm.client_secret_file."
)]
pub struct Cli {
    /// TOML file with settings (the environment and flags override it)
    #[arg(id = "config", long = "config", env = "REPLIMAP_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print help (`-h` and `--help` alike: every setting in its three spellings)
    #[arg(id = "help", short = 'h', long = "help", action = ArgAction::HelpLong)]
    pub help: Option<bool>,
    #[command(flatten)]
    pub settings: Settings,
}

/// Every setting, grouped as in the TOML file.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// portal address (default 127.0.0.1:3000, or cargo-leptos' LEPTOS_SITE_ADDR)
    #[arg(id = "listen", long = "listen", env = "REPLIMAP_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// portal port (keeps the host of `listen`)
    #[arg(id = "port", long = "port", env = "REPLIMAP_PORT", value_name = "PORT")]
    pub port: Option<u16>,
    /// comma-separated subscription ids (default: all visible)
    #[arg(id = "subscriptions", long = "subscriptions", env = "REPLIMAP_SUBSCRIPTIONS", value_name = "IDS")]
    pub subscriptions: Option<CommaList<SubscriptionId>>,
    /// only registries in these resource groups (comma-separated)
    #[arg(id = "resource_groups", long = "resource-groups", env = "REPLIMAP_RESOURCE_GROUPS", value_name = "NAMES")]
    pub resource_groups: Option<CommaList<String>>,
    /// only these registries (names, comma-separated)
    #[arg(id = "registries", long = "registries", env = "REPLIMAP_REGISTRIES", value_name = "NAMES")]
    pub registries: Option<CommaList<String>>,
    /// where the store and the emulator keep their files (default: see `replimap --help`)
    #[arg(id = "data_dir", long = "data-dir", env = "REPLIMAP_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub http: HttpSection,
    #[command(flatten)]
    pub database: DatabaseSection,
    #[command(flatten)]
    pub audit: AuditSection,
    #[command(flatten)]
    pub arm: ArmSection,
    #[command(flatten)]
    pub poll: PollSection,
    #[command(flatten)]
    pub emulator: EmulatorSection,
    #[command(flatten)]
    pub ui: UiSection,
    #[command(flatten)]
    pub coverage: CoverageSection,
    #[command(flatten)]
    pub auth: super::auth::AuthSection,
    #[command(flatten)]
    pub rbac: super::auth::RbacSection,
}

/// `[http]`: what the portal answers to.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
pub struct HttpSection {
    /// extra Host names (host:port, comma-separated; * = any) besides localhost
    #[arg(id = "http.allowed_hosts", long = "allowed-hosts", env = "REPLIMAP_ALLOWED_HOSTS", value_name = "HOSTS")]
    pub allowed_hosts: Option<CommaList<String>>,
    /// the URL people open, e.g. https://replimap.example.com: its host is allowed, the CSRF check compares Origin with it, https turns on HSTS
    #[arg(id = "http.public_url", long = "http-public-url", env = "REPLIMAP_HTTP_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<Url>,
    /// a client must send a request's headers within this, s; idle keep-alive connections close after it too (default 10)
    #[arg(
        id = "http.header_timeout_secs",
        long = "http-header-timeout-secs",
        env = "REPLIMAP_HTTP_HEADER_TIMEOUT_SECS",
        value_name = "SECS"
    )]
    pub header_timeout_secs: Option<u64>,
    /// longest a request may take before a 503, s; the event stream is exempt (default 60)
    #[arg(
        id = "http.request_timeout_secs",
        long = "http-request-timeout-secs",
        env = "REPLIMAP_HTTP_REQUEST_TIMEOUT_SECS",
        value_name = "SECS"
    )]
    pub request_timeout_secs: Option<u64>,
    /// open connections at most; one more is closed at once (default 20000)
    #[arg(
        id = "http.max_connections",
        long = "http-max-connections",
        env = "REPLIMAP_HTTP_MAX_CONNECTIONS",
        value_name = "N"
    )]
    pub max_connections: Option<usize>,
    /// largest request body, bytes; a larger one is refused with 413 (default 65536)
    #[arg(
        id = "http.max_body_bytes",
        long = "http-max-body-bytes",
        env = "REPLIMAP_HTTP_MAX_BODY_BYTES",
        value_name = "BYTES"
    )]
    pub max_body_bytes: Option<usize>,
    /// open event streams at most (default 20000)
    #[arg(id = "http.max_streams", long = "http-max-streams", env = "REPLIMAP_HTTP_MAX_STREAMS", value_name = "N")]
    pub max_streams: Option<usize>,
    /// open event streams per signed-in identity; not applied to the local user (default 200)
    #[arg(
        id = "http.max_streams_per_identity",
        long = "http-max-streams-per-identity",
        env = "REPLIMAP_HTTP_MAX_STREAMS_PER_IDENTITY",
        value_name = "N"
    )]
    pub max_streams_per_identity: Option<usize>,
    /// file holding the bearer token /metrics requires (Prometheus' credentials_file); unset = /metrics is open
    #[arg(
        id = "http.metrics_token_file",
        long = "http-metrics-token-file",
        env = "REPLIMAP_HTTP_METRICS_TOKEN_FILE",
        value_name = "FILE"
    )]
    pub metrics_token_file: Option<PathBuf>,
}

/// `[database]`: where the audit trail, operations and idempotency keys live.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Store")]
pub struct DatabaseSection {
    /// postgres://user@host/db for PostgreSQL; unset = SQLite in data_dir (the password is never printed)
    #[arg(id = "database.url", long = "database-url", env = "REPLIMAP_DATABASE_URL", value_name = "URL")]
    pub url: Option<String>,
    /// how long a write waits for a locked SQLite database before it is refused (503), ms (default 5000)
    #[arg(
        id = "database.busy_timeout_ms",
        long = "database-busy-timeout-ms",
        env = "REPLIMAP_DATABASE_BUSY_TIMEOUT_MS",
        value_name = "MS"
    )]
    pub busy_timeout_ms: Option<u64>,
}

/// `[audit]`: how long the audit trail is kept.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Audit")]
pub struct AuditSection {
    /// keep audit records this many days (default 400; 0 = forever)
    #[arg(
        id = "audit.retention_days",
        long = "audit-retention-days",
        env = "REPLIMAP_AUDIT_RETENTION_DAYS",
        value_name = "DAYS"
    )]
    pub retention_days: Option<u64>,
}

/// `[arm]`: where ARM is and how to sign in.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Azure Resource Manager")]
pub struct ArmSection {
    /// which credential; unset = the embedded emulator, refused while another arm.* setting is given
    #[arg(id = "arm.credential", long = "credential", env = "REPLIMAP_CREDENTIAL", value_name = "KIND")]
    pub credential: Option<Credential>,
    /// ARM base URL (default https://management.azure.com); https, or http to a loopback host
    #[arg(id = "arm.endpoint", long = "arm-endpoint", env = "REPLIMAP_ARM_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<Url>,
    /// Entra tenant (client_secret)
    #[arg(id = "arm.tenant_id", long = "tenant-id", env = "AZURE_TENANT_ID", value_name = "ID")]
    pub tenant_id: Option<String>,
    /// application id (client_secret) or user-assigned identity
    #[arg(id = "arm.client_id", long = "client-id", env = "AZURE_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// client secret: TOML or the environment ([`CLIENT_SECRET_ENV`]) only, never a flag
    #[arg(skip)]
    pub client_secret: Option<Secret>,
    /// file holding the client secret
    #[arg(
        id = "arm.client_secret_file",
        long = "client-secret-file",
        env = "AZURE_CLIENT_SECRET_FILE",
        value_name = "FILE"
    )]
    pub client_secret_file: Option<PathBuf>,
    /// Entra ID sign-in host (default https://login.microsoftonline.com; sovereign clouds set theirs)
    #[arg(id = "arm.authority_host", long = "authority-host", env = "AZURE_AUTHORITY_HOST", value_name = "URL")]
    pub authority_host: Option<Url>,
    /// PEM file of extra CA certificates trusted for ARM and sign-in (a TLS-inspecting proxy's)
    #[arg(id = "arm.ca_bundle", long = "ca-bundle", env = "REPLIMAP_CA_BUNDLE", value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
}

/// `[poll]`: the status hub's cadence.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Polling")]
pub struct PollSection {
    /// poll interval while anything is in flight, ms (default 1000, at least 100)
    #[arg(id = "poll.fast_ms", long = "poll-fast-ms", env = "REPLIMAP_POLL_FAST_MS", value_name = "MS")]
    pub fast_ms: Option<u64>,
    /// poll interval when settled, ms (default 10000, at least 100)
    #[arg(id = "poll.slow_ms", long = "poll-slow-ms", env = "REPLIMAP_POLL_SLOW_MS", value_name = "MS")]
    pub slow_ms: Option<u64>,
}

/// `[emulator]`: the embedded ARM emulator (used when no credential is configured).
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Embedded emulator")]
pub struct EmulatorSection {
    /// emulated provisioning time, ms (default 3000)
    #[arg(id = "emulator.delay_ms", long = "emulator-delay-ms", env = "REPLIMAP_EMULATOR_DELAY_MS", value_name = "MS")]
    pub delay_ms: Option<u64>,
    /// emulator address (default: a free loopback port)
    #[arg(id = "emulator.listen", long = "emulator-listen", env = "REPLIMAP_EMULATOR_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// seed file for the emulator (default: the docs example)
    #[arg(id = "emulator.seed", long = "emulator-seed", env = "REPLIMAP_EMULATOR_SEED", value_name = "FILE")]
    pub seed: Option<PathBuf>,
}

/// `[ui]`: what the page needs from the configuration.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Page")]
pub struct UiSection {
    /// map tiles under the outline, e.g. https://tile.example/{z}/{x}/{y}.png (default: none)
    #[arg(id = "ui.tile_url", long = "tile-url", env = "REPLIMAP_TILE_URL", value_name = "URL")]
    pub tile_url: Option<TileUrl>,
    /// attribution the tile provider requires
    #[arg(
        id = "ui.tile_attribution",
        long = "tile-attribution",
        env = "REPLIMAP_TILE_ATTRIBUTION",
        value_name = "TEXT"
    )]
    pub tile_attribution: Option<String>,
    /// flag a replica Syncing longer than this as possibly stuck, s (default 3600)
    #[arg(
        id = "ui.stuck_after_secs",
        long = "stuck-after-secs",
        env = "REPLIMAP_STUCK_AFTER_SECS",
        value_name = "SECS"
    )]
    pub stuck_after_secs: Option<u64>,
    /// status-stream heartbeat, s; pages call the stream stale after three missed (default 15, 1 to 30)
    #[arg(id = "ui.heartbeat_secs", long = "heartbeat-secs", env = "REPLIMAP_HEARTBEAT_SECS", value_name = "SECS")]
    pub heartbeat_secs: Option<u64>,
}

/// `[coverage]`: workload discovery, the fill of the gaps and prices.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Coverage")]
pub struct CoverageSection {
    /// read where images run (Resource Graph, or ARM listing where it is refused) (default true)
    #[arg(id = "coverage.enabled", long = "coverage-enabled", env = "REPLIMAP_COVERAGE_ENABLED", value_name = "BOOL")]
    pub enabled: Option<bool>,
    /// how often workloads are read again, s (default 600, 10 to 86400)
    #[arg(
        id = "coverage.interval_secs",
        long = "coverage-interval-secs",
        env = "REPLIMAP_COVERAGE_INTERVAL_SECS",
        value_name = "SECS"
    )]
    pub interval_secs: Option<u64>,
    /// replicas a fill of the gaps creates at once (default 4, 1 to 16)
    #[arg(
        id = "coverage.fill_parallelism",
        long = "fill-parallelism",
        env = "REPLIMAP_FILL_PARALLELISM",
        value_name = "N"
    )]
    pub fill_parallelism: Option<usize>,
    /// Azure Retail Prices API to refresh prices from, or "off" (default: the public API; the emulator's with the emulator)
    #[arg(id = "coverage.prices_url", long = "prices-url", env = "REPLIMAP_PRICES_URL", value_name = "URL")]
    pub prices_url: Option<String>,
}

/// `arm.credential`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Credential {
    /// the embedded emulator (the default)
    Emulator,
    /// the VM's or pod's managed identity (`arm.client_id` picks a user-assigned one)
    ManagedIdentity,
    /// AKS workload identity
    WorkloadIdentity,
    /// a service principal (`arm.tenant_id`, `arm.client_id`, the secret)
    ClientSecret,
    /// whoever `az login` signed in
    AzureCli,
}

/// A list given as `a,b` (flag, environment or TOML string) or as a TOML array. Items are
/// trimmed and empty ones dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommaList<T>(pub Vec<T>);

impl<T: FromStr> FromStr for CommaList<T> {
    type Err = T::Err;

    fn from_str(s: &str) -> Result<Self, T::Err> {
        s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::parse).collect::<Result<_, _>>().map(Self)
    }
}

impl<'de, T> Deserialize<'de> for CommaList<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);

        impl<'de, T> Visitor<'de> for ListVisitor<T>
        where
            T: FromStr,
            T::Err: fmt::Display,
        {
            type Value = CommaList<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings or a comma-separated string")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    let item = item.trim();
                    if !item.is_empty() {
                        items.push(item.parse().map_err(de::Error::custom)?);
                    }
                }
                Ok(CommaList(items))
            }
        }

        d.deserialize_any(ListVisitor(PhantomData))
    }
}

/// A tile URL template: http(s) or a path on the portal, naming the tile by `{z}`, `{x}` and
/// `{y}`, or the map would silently stay blank.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TileUrl(pub String);

impl FromStr for TileUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/')) {
            return Err(format!("ui.tile_url '{url}' must be an http(s) URL or a path on the portal"));
        }
        match ["{z}", "{x}", "{y}"].into_iter().find(|part| !url.contains(part)) {
            Some(part) => Err(format!("ui.tile_url '{url}' lacks {part}")),
            None => Ok(Self(url.to_owned())),
        }
    }
}

impl TryFrom<String> for TileUrl {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// Arguments of the command that are not settings (no TOML key).
const NOT_SETTINGS: [&str; 2] = ["config", "help"];

/// Whether a clap id is a setting's TOML key.
pub fn is_setting(id: &str) -> bool {
    !NOT_SETTINGS.contains(&id)
}

/// One setting's spellings, read off the clap command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spelling {
    /// Dotted TOML key (the clap id); `config` and `help` for those flags (see [`is_setting`]).
    pub key: String,
    /// Environment variable.
    pub env: Option<String>,
    /// Flag, without the leading `--`.
    pub flag: Option<String>,
}

/// The command as `--help` shows it: clap's own, with each setting's TOML key added to its
/// help and environment values hidden (help must not echo the environment).
pub fn command() -> Command {
    Cli::command().mut_args(|a| {
        let a = a.hide_env_values(true);
        let key = a.get_id().as_str().to_owned();
        if !is_setting(&key) {
            return a;
        }
        let help = a.get_help().map(ToString::to_string).unwrap_or_default();
        a.help(format!("{help} [toml: {key}]"))
    })
}

/// The long help, as `replimap --help` prints it.
pub fn usage() -> String {
    command().render_long_help().to_string()
}

/// Every argument's spellings, `--config` and `--help` included.
pub fn spellings() -> Vec<Spelling> {
    Cli::command()
        .get_arguments()
        .map(|a| Spelling {
            key: a.get_id().as_str().to_owned(),
            env: a.get_env().map(|e| e.to_string_lossy().into_owned()),
            flag: a.get_long().map(str::to_owned),
        })
        .collect()
}

/// The command `Config::load` parses with. clap reads the process environment while it
/// builds a command (`Arg::env`), and `load` must see only the map it is given, so this
/// command has no environment: the map is fed to it as flags by [`env_matches`].
pub fn parser() -> Command {
    Cli::command().mut_args(|a| a.env(None))
}

/// The environment layer: each known variable that is set and not blank, parsed by its
/// flag's parser. An error names the variable.
pub fn env_matches(
    parser: &Command,
    spellings: &[Spelling],
    env: &BTreeMap<String, String>,
) -> anyhow::Result<ArgMatches> {
    let given: Vec<(&str, String)> = spellings
        .iter()
        .filter_map(|s| {
            let (var, flag) = (s.env.as_deref()?, s.flag.as_deref()?);
            let value = env.get(var)?.trim();
            (!value.is_empty()).then(|| (var, format!("--{flag}={value}")))
        })
        .collect();
    let parse =
        |args: &[&str]| parser.clone().try_get_matches_from(std::iter::once("replimap").chain(args.iter().copied()));
    let all: Vec<&str> = given.iter().map(|(_, arg)| arg.as_str()).collect();
    parse(&all).or_else(|all_err| {
        // Find the variable to blame, so the message names what the user set.
        for (var, arg) in &given {
            if let Err(e) = parse(&[arg.as_str()]) {
                anyhow::bail!("{var}: {}", clap_message(&e));
            }
        }
        Err(all_err.into())
    })
}

/// A clap error's message without its `error: ` prefix and usage footer.
fn clap_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let text = text.split("\n\n").next().unwrap_or_default().trim();
    text.strip_prefix("error: ").unwrap_or(text).to_owned()
}
