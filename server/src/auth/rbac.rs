//! Roles from identities: the configured bindings, the default role, and the fixed grants of
//! the local user and of API tokens.

use replimap_types::{Grant, Role};

use super::identity::{Identity, Source};
use crate::config::{AuthConfig, Subject};

/// Every registry.
pub const EVERY_REGISTRY: &str = "*";

/// The grants of an identity recognised by a mode (local, proxy, session). Tokens carry their
/// own (see [`token_grants`]): a binding never widens what an admin gave a token.
pub fn grants(identity: &Identity, config: &AuthConfig) -> Vec<Grant> {
    if identity.source == Source::Local {
        return vec![Grant { role: Role::Admin, registries: vec![EVERY_REGISTRY.into()] }];
    }
    let user = identity.actor.to_lowercase();
    let email = identity.email.as_deref().map(str::to_lowercase);
    let mut out: Vec<Grant> = config
        .bindings
        .iter()
        .filter(|b| match &b.subject {
            Subject::User(u) => *u == user || email.as_deref() == Some(u.as_str()),
            // Group ids and app-role values are case-sensitive where they come from (object ids
            // are lower-case GUIDs; role values are defined by the app registration).
            Subject::Group(g) => identity.groups.iter().any(|x| x == g),
            Subject::Claim(c) => identity.roles.iter().any(|x| x == c),
        })
        .map(|b| Grant { role: b.role, registries: b.registries.clone() })
        .collect();
    if let Some(role) = config.default_role {
        out.push(Grant { role, registries: vec![EVERY_REGISTRY.into()] });
    }
    merge(out)
}

/// A token's grant: its role on its registries.
pub fn token_grants(role: Role, registries: &[String]) -> Vec<Grant> {
    vec![Grant { role, registries: registries.to_vec() }]
}

/// One grant per role, patterns joined (what `/api/v1/me` shows), strongest role first.
fn merge(grants: Vec<Grant>) -> Vec<Grant> {
    let mut out: Vec<Grant> = Vec::new();
    for g in grants {
        match out.iter_mut().find(|o| o.role == g.role) {
            Some(o) => {
                for p in g.registries {
                    if !o.registries.contains(&p) {
                        o.registries.push(p);
                    }
                }
            }
            None => out.push(g),
        }
    }
    out.sort_by_key(|g| std::cmp::Reverse(g.role));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Binding;

    fn config() -> AuthConfig {
        AuthConfig {
            default_role: Some(Role::Viewer),
            bindings: vec![
                Binding {
                    subject: Subject::User("ann@example.com".into()),
                    role: Role::Admin,
                    registries: vec!["*".into()],
                },
                Binding {
                    subject: Subject::Group("ops".into()),
                    role: Role::Operator,
                    registries: vec!["prod*".into()],
                },
                Binding {
                    subject: Subject::Claim("replimap.operator".into()),
                    role: Role::Operator,
                    registries: vec!["dev*".into()],
                },
            ],
            ..AuthConfig::default()
        }
    }

    fn user(actor: &str) -> Identity {
        Identity { actor: actor.into(), source: Source::Proxy, ..Identity::local() }
    }

    #[test]
    fn bindings_match_users_groups_and_claims_and_everyone_gets_the_default() {
        let c = config();
        assert_eq!(grants(&user("ANN@example.com"), &c)[0].role, Role::Admin);
        let mut bob = user("bob");
        bob.groups = vec!["ops".into()];
        bob.roles = vec!["replimap.operator".into()];
        let g = grants(&bob, &c);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0], Grant { role: Role::Operator, registries: vec!["prod*".into(), "dev*".into()] });
        assert_eq!(g[1], Grant { role: Role::Viewer, registries: vec!["*".into()] });
        // Group names are not folded: "OPS" is another group.
        let mut carol = user("carol");
        carol.groups = vec!["OPS".into()];
        assert_eq!(grants(&carol, &c), vec![Grant { role: Role::Viewer, registries: vec!["*".into()] }]);
        let strict = AuthConfig { default_role: None, ..config() };
        assert!(grants(&user("nobody"), &strict).is_empty());
    }

    #[test]
    fn the_local_user_is_admin_everywhere() {
        let g = grants(&Identity::local(), &AuthConfig::default());
        assert_eq!(g, vec![Grant { role: Role::Admin, registries: vec!["*".into()] }]);
    }
}
