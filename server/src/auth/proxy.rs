//! Proxy mode: the identity a trusted reverse proxy passes in headers.
//!
//! Only peers in `auth.proxy.trusted_proxies` are believed. Identity headers from anyone else
//! are ignored, logged (at most every few seconds) and counted: a client that can reach the
//! portal around the proxy must not be able to name itself.

use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use axum::http::HeaderMap;
use base64::Engine;

use super::identity::{Identity, Source};
use crate::config::{ProxyConfig, ProxyPreset};

/// Every header name some preset reads: what a spoofing client would send.
const IDENTITY_HEADERS: [&str; 10] = [
    "x-forwarded-user",
    "x-forwarded-email",
    "x-forwarded-groups",
    "x-forwarded-preferred-username",
    "x-auth-request-user",
    "x-auth-request-email",
    "x-auth-request-groups",
    "x-auth-request-preferred-username",
    "x-ms-client-principal",
    "x-ms-client-principal-name",
];

/// Spoofed headers seen, for `/metrics`.
#[derive(Debug, Default)]
pub struct ProxyCounters {
    /// Requests from untrusted peers that carried identity headers.
    pub untrusted_identity_headers: AtomicU64,
    /// When the last warning was logged (ms), so a flood does not flood the log too.
    last_warned_ms: AtomicI64,
}

/// The names (user, email, groups, display) of a header preset.
struct Names<'a> {
    user: Option<&'a str>,
    email: Option<&'a str>,
    groups: Option<&'a str>,
    roles: Option<&'a str>,
    display: Option<&'a str>,
}

fn names(cfg: &ProxyConfig) -> Names<'_> {
    match cfg.preset {
        ProxyPreset::Oauth2Proxy => Names {
            user: Some("x-forwarded-user"),
            email: Some("x-forwarded-email"),
            groups: Some("x-forwarded-groups"),
            roles: None,
            display: Some("x-forwarded-preferred-username"),
        },
        ProxyPreset::AuthRequest => Names {
            user: Some("x-auth-request-user"),
            email: Some("x-auth-request-email"),
            groups: Some("x-auth-request-groups"),
            roles: None,
            display: Some("x-auth-request-preferred-username"),
        },
        ProxyPreset::EasyAuth | ProxyPreset::Custom => Names {
            user: cfg.user_header.as_deref(),
            email: cfg.email_header.as_deref(),
            groups: cfg.groups_header.as_deref(),
            roles: cfg.roles_header.as_deref(),
            display: None,
        },
    }
}

/// Whether the peer is one of the trusted proxies.
pub fn trusted(cfg: &ProxyConfig, peer: IpAddr) -> bool {
    within(&cfg.trusted, peer)
}

fn within(nets: &[ipnet::IpNet], ip: IpAddr) -> bool {
    let ip = canonical(ip);
    nets.iter().any(|n| n.contains(&ip))
}

/// An IPv4 peer reached over an IPv6 socket (`::ffff:10.0.0.1`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address behind trusted proxies: the right-most `X-Forwarded-For` entry that is
/// not itself a trusted proxy (entries to its left were written by the client and prove
/// nothing). The peer itself when it is not trusted or the header is absent.
pub fn client_ip(trusted: &[ipnet::IpNet], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    if !within(trusted, peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    hops.into_iter().rev().find(|ip| !within(trusted, *ip)).unwrap_or(peer)
}

/// The identity the headers carry, if the peer is trusted and they name someone.
pub fn identify(cfg: &ProxyConfig, counters: &ProxyCounters, peer: IpAddr, headers: &HeaderMap) -> Option<Identity> {
    if !trusted(cfg, peer) {
        let custom = [&cfg.user_header, &cfg.email_header, &cfg.groups_header, &cfg.roles_header];
        let spoofed = IDENTITY_HEADERS.iter().any(|h| headers.contains_key(*h))
            || custom.iter().filter_map(|h| h.as_deref()).any(|h| headers.contains_key(h));
        if spoofed {
            let n = counters.untrusted_identity_headers.fetch_add(1, Ordering::Relaxed) + 1;
            let now = replimap_store::clock::now_ms();
            let last = counters.last_warned_ms.load(Ordering::Relaxed);
            if now - last > 10_000
                && counters.last_warned_ms.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
            {
                tracing::warn!(%peer, total = n, "identity headers from a peer that is not a trusted proxy ignored (auth.proxy.trusted_proxies)");
            }
        }
        return None;
    }
    if cfg.preset == ProxyPreset::EasyAuth {
        if let Some(identity) = easy_auth(headers) {
            return Some(identity);
        }
    }
    let n = names(cfg);
    let user = n.user.and_then(|h| one(headers, h));
    let email = n.email.and_then(|h| one(headers, h));
    let actor = user.clone().or_else(|| email.clone())?;
    Some(Identity {
        actor,
        display_name: n.display.and_then(|h| one(headers, h)),
        email,
        source: Source::Proxy,
        groups: n.groups.map(|h| list(headers, h)).unwrap_or_default(),
        roles: n.roles.map(|h| list(headers, h)).unwrap_or_default(),
        notes: Vec::new(),
    })
}

/// A single-valued header, trimmed; blank counts as absent.
fn one(headers: &HeaderMap, name: &str) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// A list header: comma-joined, repeated, or both (proxies differ).
fn list(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// App Service / Container Apps authentication: `X-MS-CLIENT-PRINCIPAL` is base64 JSON
/// `{"auth_typ","name_typ","role_typ","claims":[{"typ","val"}]}`.
fn easy_auth(headers: &HeaderMap) -> Option<Identity> {
    #[derive(serde::Deserialize)]
    struct Claim {
        typ: String,
        val: String,
    }
    #[derive(serde::Deserialize)]
    struct Principal {
        #[serde(default)]
        name_typ: Option<String>,
        #[serde(default)]
        role_typ: Option<String>,
        #[serde(default)]
        claims: Vec<Claim>,
    }
    let raw = headers.get("x-ms-client-principal")?.to_str().ok()?.trim();
    let bytes = base64::engine::general_purpose::STANDARD.decode(raw).ok()?;
    let p: Principal = serde_json::from_slice(&bytes).ok()?;
    let of = |typ: &str| -> std::vec::IntoIter<String> {
        p.claims.iter().filter(|c| c.typ == typ).map(|c| c.val.clone()).collect::<Vec<_>>().into_iter()
    };
    const EMAIL: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
    let name_typ = p.name_typ.as_deref().unwrap_or("name");
    let role_typ = p.role_typ.as_deref().unwrap_or("roles");
    let actor = of("preferred_username")
        .next()
        .or_else(|| of(name_typ).next())
        .or_else(|| one(headers, "x-ms-client-principal-name"))?;
    let mut notes = Vec::new();
    let overage = of("_claim_names").any(|v| v.contains("groups")) || of("hasgroups").any(|v| v == "true");
    if overage {
        notes.push(OVERAGE_NOTE.to_owned());
    }
    Some(Identity {
        display_name: of("name").next().filter(|n| *n != actor),
        email: of(EMAIL).next().or_else(|| of("email").next()),
        actor,
        source: Source::Proxy,
        groups: of("groups").collect(),
        roles: of(role_typ).collect(),
        notes,
    })
}

/// What a person in more groups than Entra puts in a token is told.
pub const OVERAGE_NOTE: &str = "You are in more groups than Entra ID puts in a token (200), so it sent none \
     (a \"group overage\"). Roles bound to groups do not apply to you; ask an admin to bind app roles \
     (the roles claim) or groups assigned to the application instead.";

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(preset: ProxyPreset) -> ProxyConfig {
        ProxyConfig {
            trusted: vec!["10.0.0.0/8".parse().unwrap(), "127.0.0.1/32".parse().unwrap()],
            preset,
            user_header: None,
            email_header: None,
            groups_header: None,
            roles_header: None,
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn trusted_peers_name_users_with_groups_split_and_repeated() {
        let c = cfg(ProxyPreset::Oauth2Proxy);
        let h = headers(&[("x-forwarded-user", "ann"), ("x-forwarded-groups", "a, b"), ("x-forwarded-groups", "c")]);
        let id = identify(&c, &ProxyCounters::default(), "10.1.2.3".parse().unwrap(), &h).unwrap();
        assert_eq!(id.actor, "ann");
        assert_eq!(id.groups, ["a", "b", "c"]);
        // IPv4 peers on an IPv6 socket.
        assert!(identify(&c, &ProxyCounters::default(), "::ffff:127.0.0.1".parse().unwrap(), &h).is_some());
    }

    #[test]
    fn untrusted_peers_are_ignored_and_counted() {
        let c = cfg(ProxyPreset::Oauth2Proxy);
        let counters = ProxyCounters::default();
        let h = headers(&[("x-forwarded-user", "admin")]);
        assert!(identify(&c, &counters, "127.0.0.2".parse().unwrap(), &h).is_none());
        assert!(identify(&c, &counters, "192.168.0.1".parse().unwrap(), &HeaderMap::new()).is_none());
        assert_eq!(counters.untrusted_identity_headers.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn the_client_address_is_the_first_untrusted_hop_from_the_right() {
        let c = cfg(ProxyPreset::AuthRequest);
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.0.0.5")]);
        assert_eq!(client_ip(&c.trusted, "127.0.0.1".parse().unwrap(), &h).to_string(), "203.0.113.9");
        assert_eq!(client_ip(&c.trusted, "192.0.2.1".parse().unwrap(), &h).to_string(), "192.0.2.1");
    }

    #[test]
    fn easy_auth_principal_is_decoded_with_roles_and_overage() {
        let json = r#"{"auth_typ":"aad","name_typ":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","role_typ":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role","claims":[{"typ":"preferred_username","val":"ann@example.com"},{"typ":"name","val":"Ann"},{"typ":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role","val":"replimap.operator"},{"typ":"_claim_names","val":"{\"groups\":\"src1\"}"}]}"#;
        let b64 = base64::engine::general_purpose::STANDARD.encode(json);
        let h = headers(&[("x-ms-client-principal", &b64)]);
        let id =
            identify(&cfg(ProxyPreset::EasyAuth), &ProxyCounters::default(), "10.0.0.1".parse().unwrap(), &h).unwrap();
        assert_eq!(id.actor, "ann@example.com");
        assert_eq!(id.display_name.as_deref(), Some("Ann"));
        assert_eq!(id.roles, ["replimap.operator"]);
        assert_eq!(id.notes, [OVERAGE_NOTE]);
    }
}
