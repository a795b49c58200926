//! What the signed-in identity may do on the page: the role the header shows and why a write
//! control is disabled, from the identity's grants (`Me::grants`; `None`: nobody is signed
//! in). The rule of which grant applies where is `replimap_types::role_on`, the server's own;
//! this module only words its answer.

use replimap_types::{role_on, Grant, RegistryKey, Role};

/// The grants of whoever the page was rendered for (`Me::grants`; `None`: nobody is signed in):
/// all the browser needs to know of them (the rest of `Me` is shown as server HTML).
pub type Grants = Option<Vec<Grant>>;

/// The role to show: the one on `registry` when a registry is selected, else the strongest
/// held anywhere (as `Me::role`). `None`: no role (or nobody signed in).
pub fn shown_role(grants: Option<&[Grant]>, registry: Option<&RegistryKey>) -> Option<Role> {
    let grants = grants?;
    match registry {
        Some(key) => role_on(grants, key),
        None => grants.iter().map(|g| g.role).max(),
    }
}

/// Why writes to `registry` are refused here, as the start of a sentence ("Your role on
/// acrprod is viewer"), or `None` when the identity is an operator there (or no registry is
/// selected: nothing can be written then anyway).
pub fn refusal(grants: Option<&[Grant]>, registry: Option<&RegistryKey>) -> Option<String> {
    let key = registry?;
    let Some(grants) = grants else { return Some("You are not signed in".to_owned()) };
    match role_on(grants, key) {
        Some(role) if role >= Role::Operator => None,
        Some(role) => Some(format!("Your role on {} is {role}", key.name)),
        None => Some(format!("You have no role on {}", key.name)),
    }
}

/// "Your role on acrprod is viewer: adding a replica needs operator."
pub fn because(refusal: &str, doing: &str) -> String {
    format!("{refusal}: {doing} needs operator.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> RegistryKey {
        RegistryKey {
            subscription_id: "00000000-0000-0000-0000-000000000001".parse().unwrap(),
            resource_group: "rg".parse().unwrap(),
            name: name.parse().unwrap(),
        }
    }

    fn grant(role: Role, pattern: &str) -> Grant {
        Grant { role, registries: vec![pattern.into()] }
    }

    #[test]
    fn writes_need_operator_on_the_selected_registry() {
        let grants = [grant(Role::Viewer, "*"), grant(Role::Operator, "acrdev*")];
        let (prod, dev) = (key("acrprod"), key("acrdev1"));
        assert_eq!(refusal(Some(&grants), Some(&dev)), None);
        let why = refusal(Some(&grants), Some(&prod)).unwrap();
        assert_eq!(
            because(&why, "adding a replica"),
            "Your role on acrprod is viewer: adding a replica needs operator."
        );
        assert_eq!(refusal(Some(&grants), None), None, "no registry, nothing to refuse");
        assert_eq!(refusal(None, Some(&prod)).as_deref(), Some("You are not signed in"));
        let scoped = [grant(Role::Admin, "other")];
        assert_eq!(refusal(Some(&scoped), Some(&prod)).as_deref(), Some("You have no role on acrprod"));
    }

    #[test]
    fn the_header_shows_the_role_where_the_user_is() {
        let grants = [grant(Role::Viewer, "*"), grant(Role::Admin, "acrdev*")];
        assert_eq!(shown_role(Some(&grants), None), Some(Role::Admin), "strongest anywhere");
        assert_eq!(shown_role(Some(&grants), Some(&key("acrprod"))), Some(Role::Viewer));
        assert_eq!(shown_role(Some(&grants), Some(&key("acrdev2"))), Some(Role::Admin));
        assert_eq!(shown_role(None, Some(&key("acrprod"))), None);
        assert_eq!(shown_role(Some(&[]), Some(&key("acrprod"))), None, "signed in, no role");
    }
}
