//! `[auth]` and `[rbac]`: how the portal learns who is asking, and what each identity may do.
//!
//! The sections are declared here (as [`cli::Settings`](super::cli::Settings) flattens them) and
//! checked into [`AuthConfig`] by [`auth_config`]. Role bindings are tables, so they live in the
//! TOML file only; everything else also has a variable and a flag.

use std::path::PathBuf;
use std::time::Duration;

use azure_core::credentials::Secret;
use clap::{Args, ValueEnum};
use replimap_types::{AuthMode, Role};
use serde::Deserialize;
use url::Url;

use super::cli::CommaList;

/// The variable that may carry the OIDC client secret (never a flag: `ps` would show it).
pub const OIDC_SECRET_ENV: &str = "REPLIMAP_OIDC_CLIENT_SECRET";

/// `[auth]`.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Sign-in")]
pub struct AuthSection {
    /// local (one admin on loopback; the default), proxy (a reverse proxy signs users in) or oidc
    #[arg(id = "auth.mode", long = "auth-mode", env = "REPLIMAP_AUTH_MODE", value_name = "MODE")]
    pub mode: Option<ModeSetting>,
    /// local mode only: listen on a non-loopback address anyway, everyone who reaches it an admin
    #[arg(
        id = "auth.allow_remote_local",
        long = "auth-allow-remote-local",
        env = "REPLIMAP_AUTH_ALLOW_REMOTE_LOCAL",
        value_name = "BOOL"
    )]
    pub allow_remote_local: Option<bool>,
    /// a cookie session ends after this long without a request, minutes (default 60)
    #[arg(
        id = "auth.session_idle_minutes",
        long = "session-idle-minutes",
        env = "REPLIMAP_SESSION_IDLE_MINUTES",
        value_name = "MIN"
    )]
    pub session_idle_minutes: Option<u64>,
    /// a signed-in session ends this long after sign-in whatever its use, hours (default 12)
    #[arg(
        id = "auth.session_max_hours",
        long = "session-max-hours",
        env = "REPLIMAP_SESSION_MAX_HOURS",
        value_name = "HOURS"
    )]
    pub session_max_hours: Option<u64>,
    #[command(flatten)]
    pub proxy: ProxySection,
    #[command(flatten)]
    pub oidc: OidcSection,
}

/// `auth.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum ModeSetting {
    /// one local admin; loopback only
    Local,
    /// identity from a trusted reverse proxy's headers
    Proxy,
    /// the portal signs users in against an OpenID provider
    Oidc,
}

/// `[auth.proxy]`.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
pub struct ProxySection {
    /// addresses or CIDRs of the proxies whose X-Forwarded-For is believed, and in proxy mode their identity headers (required there)
    #[arg(
        id = "auth.proxy.trusted_proxies",
        long = "trusted-proxies",
        env = "REPLIMAP_TRUSTED_PROXIES",
        value_name = "CIDRS"
    )]
    pub trusted_proxies: Option<CommaList<String>>,
    /// header names: oauth2-proxy (X-Forwarded-*), auth-request (X-Auth-Request-*), easy-auth, custom
    #[arg(id = "auth.proxy.preset", long = "proxy-preset", env = "REPLIMAP_PROXY_PRESET", value_name = "PRESET")]
    pub preset: Option<ProxyPreset>,
    /// custom preset: the header with the user name
    #[arg(id = "auth.proxy.user_header", long = "proxy-user-header", env = "REPLIMAP_PROXY_USER_HEADER")]
    pub user_header: Option<String>,
    /// custom preset: the header with the e-mail address
    #[arg(id = "auth.proxy.email_header", long = "proxy-email-header", env = "REPLIMAP_PROXY_EMAIL_HEADER")]
    pub email_header: Option<String>,
    /// custom preset: the header with the groups (comma-separated or repeated)
    #[arg(id = "auth.proxy.groups_header", long = "proxy-groups-header", env = "REPLIMAP_PROXY_GROUPS_HEADER")]
    pub groups_header: Option<String>,
    /// custom preset: the header with role claims (comma-separated or repeated)
    #[arg(id = "auth.proxy.roles_header", long = "proxy-roles-header", env = "REPLIMAP_PROXY_ROLES_HEADER")]
    pub roles_header: Option<String>,
}

/// `auth.proxy.preset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum ProxyPreset {
    /// oauth2-proxy as the upstream's proxy: X-Forwarded-User, -Email, -Groups, -Preferred-Username
    Oauth2Proxy,
    /// nginx auth_request in front of oauth2-proxy (its set-xauthrequest option): X-Auth-Request-User, -Email, -Groups
    AuthRequest,
    /// Azure App Service / Container Apps authentication: X-MS-CLIENT-PRINCIPAL (base64 JSON)
    EasyAuth,
    /// the header names given by auth.proxy.*_header
    Custom,
}

/// `[auth.oidc]`.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
pub struct OidcSection {
    /// the provider's issuer, e.g. https://login.microsoftonline.com/<tenant>/v2.0
    #[arg(id = "auth.oidc.issuer", long = "oidc-issuer", env = "REPLIMAP_OIDC_ISSUER", value_name = "URL")]
    pub issuer: Option<Url>,
    /// the portal's client (application) id at the provider
    #[arg(id = "auth.oidc.client_id", long = "oidc-client-id", env = "REPLIMAP_OIDC_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// client secret: TOML or REPLIMAP_OIDC_CLIENT_SECRET only, never a flag
    #[arg(skip)]
    pub client_secret: Option<Secret>,
    /// file holding the client secret
    #[arg(
        id = "auth.oidc.client_secret_file",
        long = "oidc-client-secret-file",
        env = "REPLIMAP_OIDC_CLIENT_SECRET_FILE",
        value_name = "FILE"
    )]
    pub client_secret_file: Option<PathBuf>,
    /// scopes asked for at sign-in (default openid,profile,email)
    #[arg(id = "auth.oidc.scopes", long = "oidc-scopes", env = "REPLIMAP_OIDC_SCOPES", value_name = "SCOPES")]
    pub scopes: Option<CommaList<String>>,
    /// the ID-token claim with role names (default roles: Entra app roles)
    #[arg(id = "auth.oidc.roles_claim", long = "oidc-roles-claim", env = "REPLIMAP_OIDC_ROLES_CLAIM")]
    pub roles_claim: Option<String>,
    /// the ID-token claim with groups (default groups)
    #[arg(id = "auth.oidc.groups_claim", long = "oidc-groups-claim", env = "REPLIMAP_OIDC_GROUPS_CLAIM")]
    pub groups_claim: Option<String>,
    /// where the provider sends the browser back (default: http.public_url + /auth/callback)
    #[arg(
        id = "auth.oidc.redirect_url",
        long = "oidc-redirect-url",
        env = "REPLIMAP_OIDC_REDIRECT_URL",
        value_name = "URL"
    )]
    pub redirect_url: Option<Url>,
    /// Entra ID: send writes to Azure with the signed-in user's own token (on-behalf-of)
    #[arg(
        id = "auth.oidc.act_as_user",
        long = "oidc-act-as-user",
        env = "REPLIMAP_OIDC_ACT_AS_USER",
        value_name = "BOOL"
    )]
    pub act_as_user: Option<bool>,
    /// acting as the user: the scope of the user's token for the portal (default api://<client_id>/user_impersonation)
    #[arg(
        id = "auth.oidc.user_scope",
        long = "oidc-user-scope",
        env = "REPLIMAP_OIDC_USER_SCOPE",
        value_name = "SCOPE"
    )]
    pub user_scope: Option<String>,
    /// acting as the user: the token endpoint of the exchange (default: the provider's)
    #[arg(
        id = "auth.oidc.obo_token_url",
        long = "oidc-obo-token-url",
        env = "REPLIMAP_OIDC_OBO_TOKEN_URL",
        value_name = "URL"
    )]
    pub obo_token_url: Option<Url>,
    /// PEM file of extra CA certificates trusted for the provider
    #[arg(id = "auth.oidc.ca_bundle", long = "oidc-ca-bundle", env = "REPLIMAP_OIDC_CA_BUNDLE", value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
}

/// `[rbac]`: roles from identities. Bindings are TOML only:
///
/// ```toml
/// [rbac]
/// default = "viewer"
/// [[rbac.bind]]
/// group = "platform-team"        # or user = "a@example.com", or claim = "replimap.operator"
/// role = "operator"
/// registries = ["/subscriptions/*/resourceGroups/prod-*/providers/Microsoft.ContainerRegistry/registries/*"]
/// ```
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Roles")]
pub struct RbacSection {
    /// role of every signed-in identity no binding names, on every registry: viewer, operator, admin or none (default none)
    #[arg(id = "rbac.default", long = "rbac-default", env = "REPLIMAP_RBAC_DEFAULT", value_name = "ROLE")]
    pub default: Option<String>,
    /// role bindings (TOML only)
    #[arg(skip)]
    pub bind: Vec<BindingSetting>,
}

/// One `[[rbac.bind]]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingSetting {
    /// A user name or e-mail (compared without regard to case).
    pub user: Option<String>,
    /// A group as the proxy or provider names it (an Entra group object id, a GitHub team).
    pub group: Option<String>,
    /// A role claim value (Entra app role), e.g. `replimap.operator`.
    pub claim: Option<String>,
    /// viewer, operator or admin.
    pub role: String,
    /// Registry patterns (default every registry).
    pub registries: Option<Vec<String>>,
}

/// Who a binding names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A user name or e-mail, lower case.
    User(String),
    /// A group, as given.
    Group(String),
    /// A role claim value, as given.
    Claim(String),
}

/// A checked binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Who.
    pub subject: Subject,
    /// The role.
    pub role: Role,
    /// On which registries.
    pub registries: Vec<String>,
}

/// Where identity headers come from and what they are called.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Peers believed; anyone else's identity headers are ignored.
    pub trusted: Vec<ipnet::IpNet>,
    /// The header names.
    pub preset: ProxyPreset,
    /// Custom header names (lower case).
    pub user_header: Option<String>,
    /// Custom e-mail header.
    pub email_header: Option<String>,
    /// Custom groups header.
    pub groups_header: Option<String>,
    /// Custom roles header.
    pub roles_header: Option<String>,
}

/// The portal signing users in.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The provider's issuer.
    pub issuer: Url,
    /// The portal's client id.
    pub client_id: String,
    /// The portal's client secret.
    pub client_secret: Secret,
    /// Scopes asked for.
    pub scopes: Vec<String>,
    /// The roles claim.
    pub roles_claim: String,
    /// The groups claim.
    pub groups_claim: String,
    /// The redirect URL, when configured (else derived from the public URL).
    pub redirect_url: Option<Url>,
    /// Acting as the user.
    pub act_as_user: bool,
    /// The scope of the user's token for the portal's API (acting as the user).
    pub user_scope: String,
    /// The exchange's token endpoint, when not the provider's.
    pub obo_token_url: Option<Url>,
    /// Extra CA certificates for the provider.
    pub ca_bundle: Option<PathBuf>,
}

#[cfg(test)]
impl OidcConfig {
    /// A provider for unit tests (nothing is asked of it).
    pub fn example() -> Self {
        Self {
            issuer: Url::parse("https://login.example/tenant/v2.0").unwrap_or_else(|_| unreachable!()),
            client_id: "portal".into(),
            client_secret: Secret::new("s"),
            scopes: vec!["openid".into()],
            roles_claim: "roles".into(),
            groups_claim: "groups".into(),
            redirect_url: None,
            act_as_user: false,
            user_scope: "api://portal/user_impersonation".into(),
            obo_token_url: None,
            ca_bundle: None,
        }
    }
}

/// `[auth]` and `[rbac]`, checked.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The mode.
    pub mode: AuthMode,
    /// Local mode on a non-loopback address, explicitly allowed.
    pub allow_remote_local: bool,
    /// Proxy mode's settings.
    pub proxy: Option<ProxyConfig>,
    /// OIDC mode's settings.
    pub oidc: Option<OidcConfig>,
    /// Idle expiry of cookie sessions.
    pub session_idle: Duration,
    /// Absolute expiry of signed-in sessions.
    pub session_max: Duration,
    /// The role of identities no binding names.
    pub default_role: Option<Role>,
    /// Role bindings.
    pub bindings: Vec<Binding>,
    /// Proxies whose `X-Forwarded-For` names the client (every mode; the audit trail records
    /// the client, not the TLS terminator), and in proxy mode whose identity headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            mode: AuthMode::Local,
            allow_remote_local: false,
            proxy: None,
            oidc: None,
            session_idle: Duration::from_secs(60 * 60),
            session_max: Duration::from_secs(12 * 3600),
            default_role: None,
            bindings: Vec::new(),
            trusted_proxies: Vec::new(),
        }
    }
}

fn role(s: &str, key: &str) -> anyhow::Result<Role> {
    Role::parse(&s.trim().to_ascii_lowercase())
        .ok_or_else(|| anyhow::anyhow!("{key} '{s}' is not a role: use viewer, operator or admin"))
}

/// A header name as the settings give it, checked and lower-cased.
fn header_name(v: Option<String>, key: &str) -> anyhow::Result<Option<String>> {
    let Some(v) = v.map(|v| v.trim().to_ascii_lowercase()).filter(|v| !v.is_empty()) else { return Ok(None) };
    axum::http::HeaderName::from_bytes(v.as_bytes())
        .map_err(|_| anyhow::anyhow!("{key} '{v}' is not a header name"))?;
    Ok(Some(v))
}

/// Checks `[auth]` and `[rbac]` against the address the portal listens on.
pub fn auth_config(a: AuthSection, r: RbacSection, listen: std::net::SocketAddr) -> anyhow::Result<AuthConfig> {
    let mode = match a.mode.unwrap_or(ModeSetting::Local) {
        ModeSetting::Local => AuthMode::Local,
        ModeSetting::Proxy => AuthMode::Proxy,
        ModeSetting::Oidc => AuthMode::Oidc,
    };
    let mut c = AuthConfig { mode, ..AuthConfig::default() };
    c.allow_remote_local = a.allow_remote_local.unwrap_or(false);
    if c.mode == AuthMode::Local && !listen.ip().is_loopback() {
        // In local mode whoever connects is the admin: off loopback that is anyone on the network.
        anyhow::ensure!(
            c.allow_remote_local,
            "listen {listen} is not a loopback address, and in auth.mode = \"local\" everyone who can reach the \
             portal would be an admin of every registry. Configure sign-in: auth.mode = \"proxy\" (behind \
             oauth2-proxy or Easy Auth, with auth.proxy.trusted_proxies) or auth.mode = \"oidc\" (auth.oidc.issuer, \
             client_id, client secret); see docs/deploying.md. On a network you trust completely, \
             auth.allow_remote_local = true starts anyway."
        );
    }
    if let Some(m) = a.session_idle_minutes {
        anyhow::ensure!(m > 0, "auth.session_idle_minutes must be at least 1");
        c.session_idle = Duration::from_secs(m.saturating_mul(60));
    }
    if let Some(h) = a.session_max_hours {
        anyhow::ensure!(h > 0, "auth.session_max_hours must be at least 1");
        c.session_max = Duration::from_secs(h.saturating_mul(3600));
    }
    let p = a.proxy;
    c.trusted_proxies = p
        .trusted_proxies
        .map(|l| l.0)
        .unwrap_or_default()
        .iter()
        .map(|t| parse_net(t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if c.mode == AuthMode::Proxy {
        let trusted = c.trusted_proxies.clone();
        let preset = p.preset.unwrap_or(ProxyPreset::Oauth2Proxy);
        // Easy Auth strips the headers from outside requests itself; still, the app may be
        // reachable around it (a private endpoint, the pod network), so the list is required in
        // every preset: the portal believes no one by default.
        anyhow::ensure!(
            !trusted.is_empty(),
            "auth.mode = \"proxy\" needs auth.proxy.trusted_proxies: the addresses of the proxies whose identity \
             headers are believed (e.g. [\"127.0.0.1/32\"] for a proxy on the same host)"
        );
        let proxy = ProxyConfig {
            trusted,
            preset,
            user_header: header_name(p.user_header, "auth.proxy.user_header")?,
            email_header: header_name(p.email_header, "auth.proxy.email_header")?,
            groups_header: header_name(p.groups_header, "auth.proxy.groups_header")?,
            roles_header: header_name(p.roles_header, "auth.proxy.roles_header")?,
        };
        anyhow::ensure!(
            preset != ProxyPreset::Custom || proxy.user_header.is_some() || proxy.email_header.is_some(),
            "auth.proxy.preset = \"custom\" needs auth.proxy.user_header or auth.proxy.email_header"
        );
        c.proxy = Some(proxy);
    }
    let o = a.oidc;
    if c.mode == AuthMode::Oidc {
        let issuer = o
            .issuer
            .ok_or_else(|| anyhow::anyhow!("auth.mode = \"oidc\" needs auth.oidc.issuer (the provider's URL)"))?;
        let client_id = o
            .client_id
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| anyhow::anyhow!("auth.mode = \"oidc\" needs auth.oidc.client_id"))?;
        let client_secret = match (&o.client_secret_file, o.client_secret) {
            (Some(path), _) => Secret::new(
                std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("auth.oidc.client_secret_file {}: {e}", path.display()))?
                    .trim()
                    .to_owned(),
            ),
            (None, Some(s)) => s,
            (None, None) => anyhow::bail!(
                "auth.mode = \"oidc\" needs the client secret: auth.oidc.client_secret_file or {OIDC_SECRET_ENV}"
            ),
        };
        let loopback = issuer
            .host_str()
            .is_some_and(|h| h == "localhost" || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()));
        anyhow::ensure!(
            issuer.scheme() == "https" || loopback,
            "auth.oidc.issuer '{issuer}' must be https (http only for a provider on loopback)"
        );
        let scopes = o.scopes.map(|l| l.0).unwrap_or_else(|| vec!["openid".into(), "profile".into(), "email".into()]);
        anyhow::ensure!(scopes.iter().any(|s| s == "openid"), "auth.oidc.scopes must include openid");
        let user_scope = o.user_scope.unwrap_or_else(|| format!("api://{client_id}/user_impersonation"));
        c.oidc = Some(OidcConfig {
            issuer,
            client_id,
            client_secret,
            scopes,
            roles_claim: o.roles_claim.unwrap_or_else(|| "roles".into()),
            groups_claim: o.groups_claim.unwrap_or_else(|| "groups".into()),
            redirect_url: o.redirect_url,
            act_as_user: o.act_as_user.unwrap_or(false),
            user_scope,
            obo_token_url: o.obo_token_url,
            ca_bundle: o.ca_bundle,
        });
    }
    c.default_role = match r.default.as_deref().map(str::trim) {
        None | Some("") | Some("none") => None,
        Some(s) => Some(role(s, "rbac.default")?),
    };
    for (i, b) in r.bind.into_iter().enumerate() {
        let at = format!("rbac.bind[{i}]");
        let named = [&b.user, &b.group, &b.claim].iter().filter(|v| v.is_some()).count();
        anyhow::ensure!(named == 1, "{at} must name exactly one of user, group or claim");
        let subject = match (b.user, b.group, b.claim) {
            (Some(u), _, _) => Subject::User(u.trim().to_lowercase()),
            (_, Some(g), _) => Subject::Group(g.trim().to_owned()),
            (_, _, Some(c)) => Subject::Claim(c.trim().to_owned()),
            _ => unreachable!("exactly one is set"),
        };
        let registries = b.registries.unwrap_or_else(|| vec!["*".into()]);
        anyhow::ensure!(!registries.is_empty(), "{at}.registries is empty: leave it out for every registry");
        for p in &registries {
            check_pattern(p).map_err(|e| anyhow::anyhow!("{at}.registries: {e}"))?;
        }
        c.bindings.push(Binding { subject, role: role(&b.role, &format!("{at}.role"))?, registries });
    }
    Ok(c)
}

/// An address (`10.0.0.1`) or a network (`10.0.0.0/8`).
fn parse_net(s: &str) -> anyhow::Result<ipnet::IpNet> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| anyhow::anyhow!("auth.proxy.trusted_proxies '{s}' is not an address or a CIDR"))
}

/// A registry pattern that can match something: not blank, and an id pattern in ARM's shape.
pub fn check_pattern(p: &str) -> Result<(), String> {
    let p = p.trim();
    if p.is_empty() {
        return Err("a registry pattern is blank".into());
    }
    if p.len() > 400 {
        return Err("a registry pattern is longer than 400 characters".into());
    }
    if p.chars().any(char::is_control) {
        return Err("a registry pattern holds a control character".into());
    }
    if p.starts_with('/') && !p.to_ascii_lowercase().starts_with("/subscriptions/") {
        return Err(format!(
            "'{p}' is not an ARM id pattern: it must start with /subscriptions/ (or name registries without a leading /)"
        ));
    }
    Ok(())
}
