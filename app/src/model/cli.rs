//! The `az acr replication …` command equivalent to what a dialog is about to do, so the
//! console teaches the CLI and a change can be repeated in a script.

use std::collections::BTreeMap;

use super::tags::shell_tags;

/// `az acr replication create` with the options that differ from ARM's defaults.
pub fn create(
    registry: &str,
    location: &str,
    zone_redundant: bool,
    routing: bool,
    tags: &BTreeMap<String, String>,
) -> String {
    let mut cmd = format!("az acr replication create --registry {registry} --location {location}");
    if zone_redundant {
        cmd.push_str(" --zone-redundancy Enabled");
    }
    if !routing {
        cmd.push_str(" --region-endpoint-enabled false");
    }
    if !tags.is_empty() {
        cmd.push_str(&format!(" --tags {}", shell_tags(tags)));
    }
    cmd
}

/// `az acr replication update` setting routing and, when given, replacing the tags
/// (`--tags ""` clears them).
pub fn update(registry: &str, name: &str, routing: bool, tags: Option<&BTreeMap<String, String>>) -> String {
    let mut cmd =
        format!("az acr replication update --registry {registry} --name {name} --region-endpoint-enabled {routing}");
    match tags {
        Some(t) if t.is_empty() => cmd.push_str(" --tags \"\""),
        Some(t) => cmd.push_str(&format!(" --tags {}", shell_tags(t))),
        None => {}
    }
    cmd
}

/// `az acr replication list`, to watch the replicas from a terminal.
pub fn list(registry: &str) -> String {
    format!("az acr replication list --registry {registry} -o table")
}

/// `az acr update --sku Premium`: what geo-replication needs first.
pub fn upgrade(registry: &str) -> String {
    format!("az acr update --name {registry} --sku Premium")
}

/// `az acr replication delete`.
pub fn delete(registry: &str, name: &str) -> String {
    format!("az acr replication delete --registry {registry} --name {name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_carry_only_what_differs_from_the_defaults() {
        let none = BTreeMap::new();
        assert_eq!(
            create("myACR0007", "westeurope", false, true, &none),
            "az acr replication create --registry myACR0007 --location westeurope"
        );
        let tags = BTreeMap::from([("team".to_owned(), "web".to_owned())]);
        assert_eq!(
            create("r", "westeurope", true, false, &tags),
            "az acr replication create --registry r --location westeurope --zone-redundancy Enabled --region-endpoint-enabled false --tags team=web"
        );
        assert_eq!(
            update("r", "westeurope", false, Some(&none)),
            "az acr replication update --registry r --name westeurope --region-endpoint-enabled false --tags \"\""
        );
        assert_eq!(
            update("r", "westeurope", true, None),
            "az acr replication update --registry r --name westeurope --region-endpoint-enabled true"
        );
        assert_eq!(delete("r", "japaneast"), "az acr replication delete --registry r --name japaneast");
    }
}
