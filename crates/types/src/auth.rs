//! Who the caller is and what they may do: roles, `GET /api/v1/me`, API tokens.

use serde::{Deserialize, Serialize};

/// What an identity may do on a registry. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read: the map, the table, the live stream, the activity of the registries in scope.
    Viewer,
    /// Create, update and delete replicas.
    Operator,
    /// API tokens, everyone's activity, settings.
    Admin,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Self; 3] = [Self::Viewer, Self::Operator, Self::Admin];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    /// The role with this wire name (lower case).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the portal learns who is asking (`auth.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// One local user, an admin, on loopback.
    Local,
    /// A reverse proxy that signed the user in passes the identity in headers.
    Proxy,
    /// The portal signs users in itself against an OpenID provider.
    Oidc,
}

/// A role on the registries whose ARM id matches one of the patterns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// Glob patterns on the registry's ARM id (`*` matches within a path segment, `**` or a
    /// lone `*` anything), compared without regard to case as ARM does.
    pub registries: Vec<String>,
}

/// `GET /api/v1/me`: who the portal thinks you are and what you may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// The identity's name (a user name, an e-mail, `token:<id>`, `local`).
    pub actor: String,
    /// A name to show, when the identity has one apart from `actor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Where the identity came from: `local`, `proxy`, `session`, `token`, `device`.
    pub source: String,
    /// The API token's id, for token and device identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// The portal's sign-in mode.
    pub mode: AuthMode,
    /// The strongest role the identity holds anywhere (what the header shows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Every role, with the registries it applies to.
    pub grants: Vec<Grant>,
    /// Groups the identity was seen with (as the proxy or the provider named them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Whether the caller may sign out here (a cookie session).
    pub can_sign_out: bool,
    /// Writes go to Azure with the user's own token rather than the portal's identity.
    #[serde(default)]
    pub acting_as_user: bool,
    /// Things the person should know about their identity (an Entra group overage, a
    /// session about to end).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// An API token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    /// The public id (also the prefix of the secret).
    pub id: String,
    /// What it is for (`ci-prod`, `wall screen 3rd floor`).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The registries it may do it on (glob patterns on the ARM id).
    pub registries: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
    /// When it was last used (RFC 3339), at minute precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    /// When it was revoked (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Who revoked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
    /// `active`, `expired` or `revoked`, as of the answer.
    pub state: ApiTokenState,
}

/// Whether a token still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiTokenState {
    /// It works.
    Active,
    /// Past its expiry.
    Expired,
    /// Revoked by an admin.
    Revoked,
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApiToken {
    /// What it is for (1–100 characters).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Glob patterns on registry ARM ids; default `["*"]` (every registry).
    #[serde(default)]
    pub registries: Option<Vec<String>>,
    /// Days until it expires (1–400; default 90).
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// The answer to `POST /api/v1/tokens`: the secret, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiToken {
    /// `rmp_<id>_<secret>`: send as `Authorization: Bearer …`. Not stored; not shown again.
    pub secret: String,
    /// The token as it will be listed.
    pub token: ApiToken,
}

/// `POST /auth/enroll` (form or JSON): a wall screen trades an API token for a device session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Enrollment {
    /// The API token's secret (`rmp_…`).
    pub token: String,
}

/// The ARM id of a registry, as role patterns are written against it.
pub fn registry_arm_id(key: &crate::RegistryKey) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerRegistry/registries/{}",
        key.subscription_id, key.resource_group, key.name
    )
}

/// Whether a role pattern covers a registry. This is the one rule, used by the server to decide
/// and by the console to grey out what would be refused.
///
/// A pattern starting with `/` is a glob on the ARM id: `*` matches within one path segment,
/// `**` across segments. Any other pattern is a glob on the registry name alone (`prod*`), and a
/// lone `*` covers every registry. ARM compares ids without regard to case, and so does this.
pub fn pattern_matches(pattern: &str, key: &crate::RegistryKey) -> bool {
    let pattern = pattern.trim();
    if pattern == "*" || pattern == "**" {
        return true;
    }
    if pattern.starts_with('/') {
        glob(pattern.as_bytes(), registry_arm_id(key).as_bytes(), true)
    } else {
        glob(pattern.as_bytes(), key.name.as_str().as_bytes(), false)
    }
}

/// Iterative glob with backtracking to the last star (linear in practice, no recursion): `*`
/// stops at `/` when `segments` is set, `**` never does.
fn glob(p: &[u8], s: &[u8], segments: bool) -> bool {
    let (mut pi, mut si) = (0, 0);
    // The last star: (pattern index after it, subject index it matched up to, crosses `/`).
    let mut star: Option<(usize, usize, bool)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            let double = p.get(pi + 1) == Some(&b'*');
            pi += if double { 2 } else { 1 };
            star = Some((pi, si, double || !segments));
        } else if pi < p.len() && p[pi].eq_ignore_ascii_case(&s[si]) {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss, any)) = star {
            // Let the star take one more byte, unless that byte is a separator it may not cross.
            if !any && s[ss] == b'/' {
                return false;
            }
            pi = sp;
            si = ss + 1;
            star = Some((sp, ss + 1, any));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

impl Me {
    /// The strongest role this identity holds on the registry, if any.
    pub fn role_on(&self, key: &crate::RegistryKey) -> Option<Role> {
        role_on(&self.grants, key)
    }
}

/// The strongest role the grants give on the registry.
pub fn role_on(grants: &[Grant], key: &crate::RegistryKey) -> Option<Role> {
    grants.iter().filter(|g| g.registries.iter().any(|p| pattern_matches(p, key))).map(|g| g.role).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(sub: &str, rg: &str, name: &str) -> crate::RegistryKey {
        crate::RegistryKey {
            subscription_id: sub.parse().unwrap(),
            resource_group: rg.parse().unwrap(),
            name: name.parse().unwrap(),
        }
    }

    #[test]
    fn patterns_match_ids_and_names_without_regard_to_case() {
        let sub = "00000000-0000-0000-0000-000000000001";
        let k = key(sub, "Prod-West", "acrProd");
        assert!(pattern_matches("*", &k));
        assert!(pattern_matches("acr*", &k));
        assert!(pattern_matches("ACRPROD", &k));
        assert!(!pattern_matches("acrdev*", &k));
        assert!(pattern_matches(
            "/subscriptions/*/resourceGroups/prod-*/providers/Microsoft.ContainerRegistry/registries/*",
            &k
        ));
        assert!(!pattern_matches(
            "/subscriptions/*/resourceGroups/dev-*/providers/Microsoft.ContainerRegistry/registries/*",
            &k
        ));
        assert!(pattern_matches(&format!("/subscriptions/{sub}/**"), &k));
        // A single star stays inside its segment: it cannot stand for the resource group part.
        assert!(!pattern_matches(&format!("/subscriptions/{sub}/*/registries/acrprod"), &k));
        assert!(pattern_matches(&format!("/subscriptions/{sub}/**/registries/acrprod"), &k));
        assert!(!pattern_matches("/subscriptions/00000000-0000-0000-0000-000000000002/**", &k));
    }

    #[test]
    fn the_strongest_matching_grant_wins() {
        let k = key("00000000-0000-0000-0000-000000000001", "rg", "acrprod");
        let grants = vec![
            Grant { role: Role::Viewer, registries: vec!["*".into()] },
            Grant { role: Role::Operator, registries: vec!["acrprod".into()] },
            Grant { role: Role::Admin, registries: vec!["other".into()] },
        ];
        assert_eq!(role_on(&grants, &k), Some(Role::Operator));
        assert_eq!(role_on(&grants[2..], &k), None);
    }
}
