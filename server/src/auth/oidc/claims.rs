//! An [`Identity`] from a verified ID token's claims: who (`preferred_username`, `email`,
//! `sub`), what roles the provider gave (`auth.oidc.roles_claim`, Entra ID app roles) and which
//! groups (`auth.oidc.groups_claim`). Entra ID's *group overage* (more groups than a token
//! holds) is detected and explained, so a missing group binding is not a silent mystery.

use serde_json::{Map, Value};

use crate::auth::identity::{Identity, Source};
use crate::config::OidcConfig;

/// Entra ID puts at most this many groups in a JWT (150 in SAML) before it sends the overage
/// marker instead.
const ENTRA_GROUP_LIMIT: usize = 200;

/// What the person is told when their groups did not come with the token.
pub fn overage_note(groups_claim: &str) -> String {
    format!(
        "Your identity provider did not send your groups (the '{groups_claim}' claim): you are in more \
         groups than fit in a sign-in token (Entra ID sends at most {ENTRA_GROUP_LIMIT} and points to \
         Microsoft Graph instead). Roles that the portal gives to groups do not apply to you. Ask your \
         administrator for an app role (the roles claim), or to assign the portal's groups to the \
         application in Entra ID so only those are sent."
    )
}

/// A claim by name, or by a dotted path into nested objects (`realm_access.roles`, as Keycloak
/// nests its roles) when no claim has the whole name.
fn claim<'c>(claims: &'c Map<String, Value>, name: &str) -> Option<&'c Value> {
    claims.get(name).or_else(|| {
        let mut parts = name.split('.');
        let first = claims.get(parts.next()?)?;
        parts.try_fold(first, |v, p| v.get(p))
    })
}

/// A list claim: an array of strings, or one string (some providers send a lone role so).
/// Values are trimmed; blanks and duplicates are dropped.
fn strings(value: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        let s = s.trim();
        if !s.is_empty() && !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    };
    match value {
        Some(Value::String(s)) => push(s),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).for_each(&mut push),
        _ => {}
    }
    out
}

fn text<'c>(claims: &'c Map<String, Value>, name: &str) -> Option<&'c str> {
    claims.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// Whether the token says the groups were left out: `_claim_names` names the groups claim
/// (distributed claims, Entra ID's JWT overage), or `hasgroups: true` (the implicit flow's).
pub fn has_group_overage(claims: &Map<String, Value>, groups_claim: &str) -> bool {
    let distributed =
        claims.get("_claim_names").and_then(Value::as_object).is_some_and(|n| n.contains_key(groups_claim));
    let hasgroups = matches!(claims.get("hasgroups"), Some(Value::Bool(true)))
        || claims.get("hasgroups").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case("true"));
    distributed || hasgroups
}

/// The identity a verified ID token describes. `sub` is always present in a verified token;
/// the audit trail names the person by `preferred_username`, else `email`, else `sub`.
pub fn identity(claims: &Map<String, Value>, config: &OidcConfig) -> Identity {
    let sub = text(claims, "sub").unwrap_or("unknown");
    let actor = text(claims, "preferred_username").or_else(|| text(claims, "email")).unwrap_or(sub);
    let mut notes = Vec::new();
    let groups = strings(claim(claims, &config.groups_claim));
    if groups.is_empty() && has_group_overage(claims, &config.groups_claim) {
        notes.push(overage_note(&config.groups_claim));
    }
    Identity {
        actor: actor.to_owned(),
        display_name: text(claims, "name").filter(|n| *n != actor).map(str::to_owned),
        email: text(claims, "email").map(str::to_owned),
        source: Source::Session,
        groups,
        roles: strings(claim(claims, &config.roles_claim)),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> OidcConfig {
        OidcConfig::example()
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn names_roles_and_groups_come_from_the_claims() {
        let claims = map(json!({
            "sub": "s-1", "preferred_username": "alice@corp", "name": "Alice", "email": "a@corp",
            "roles": ["replimap.operator", " ", "replimap.operator"], "groups": ["g1", "g2"],
        }));
        let id = identity(&claims, &config());
        assert_eq!(id.actor, "alice@corp");
        assert_eq!(id.display_name.as_deref(), Some("Alice"));
        assert_eq!(id.email.as_deref(), Some("a@corp"));
        assert_eq!(id.source, Source::Session);
        assert_eq!(id.roles, ["replimap.operator"], "blanks and repeats dropped");
        assert_eq!(id.groups, ["g1", "g2"]);
        assert!(id.notes.is_empty());
    }

    #[test]
    fn the_actor_falls_back_to_email_then_sub() {
        assert_eq!(identity(&map(json!({"sub": "s", "email": "e@x"})), &config()).actor, "e@x");
        let bare = identity(&map(json!({"sub": "s", "preferred_username": " "})), &config());
        assert_eq!(bare.actor, "s");
        assert!(bare.roles.is_empty() && bare.groups.is_empty() && bare.display_name.is_none());
        // A name equal to the actor adds nothing.
        assert_eq!(identity(&map(json!({"sub": "s", "name": "s"})), &config()).display_name, None);
    }

    #[test]
    fn other_claim_names_lone_strings_and_nested_paths() {
        let mut c = config();
        c.roles_claim = "realm_access.roles".into();
        c.groups_claim = "teams".into();
        let id = identity(&map(json!({"sub": "s", "realm_access": {"roles": ["admin"]}, "teams": "ops"})), &c);
        assert_eq!(id.roles, ["admin"]);
        assert_eq!(id.groups, ["ops"]);
        // A claim named with a dot wins over the path.
        let id =
            identity(&map(json!({"sub": "s", "realm_access.roles": ["flat"], "realm_access": {"roles": ["x"]}})), &c);
        assert_eq!(id.roles, ["flat"]);
    }

    #[test]
    fn a_group_overage_is_explained_not_silent() {
        let carol = map(json!({
            "sub": "c", "preferred_username": "carol",
            "_claim_names": {"groups": "src1"},
            "_claim_sources": {"src1": {"endpoint": "https://graph.microsoft.com/v1.0/users/c/getMemberObjects"}},
        }));
        let id = identity(&carol, &config());
        assert!(id.groups.is_empty());
        assert_eq!(id.notes, [overage_note("groups")]);
        assert!(id.notes[0].contains("more groups than fit"), "{}", id.notes[0]);

        let erin = identity(&map(json!({"sub": "e", "hasgroups": true})), &config());
        assert_eq!(erin.notes.len(), 1, "the implicit flow's marker");
        let as_text = identity(&map(json!({"sub": "e", "hasgroups": "true"})), &config());
        assert_eq!(as_text.notes.len(), 1);

        // Another claim's overage, or groups that did come, say nothing.
        let other = map(json!({"sub": "x", "_claim_names": {"roles": "src1"}}));
        assert!(identity(&other, &config()).notes.is_empty());
        let both = map(json!({"sub": "x", "groups": ["g"], "hasgroups": true}));
        assert!(identity(&both, &config()).notes.is_empty());
    }
}
