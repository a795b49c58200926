//! The 62 physical Azure regions (`data/azure-regions.json`), embedded at build
//! time, and the checks the resource handlers make against them.

use std::sync::OnceLock;

use serde::Deserialize;

/// One region as normalised in `data/azure-regions.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Region {
    pub name: String,
    pub display_name: String,
    pub regional_display_name: String,
    pub geography: String,
    pub geography_group: String,
    pub physical_location: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub paired_region: Option<String>,
    pub region_category: String,
    pub availability_zones: Vec<String>,
}

const REGIONS_JSON: &str = include_str!("../../../data/azure-regions.json");

/// All regions, parsed once. The file is part of the build, so a parse error
/// is a packaging bug: it yields an empty list rather than a panic on a
/// request path, and the unit test below catches it.
pub(crate) fn all() -> &'static [Region] {
    static REGIONS: OnceLock<Vec<Region>> = OnceLock::new();
    REGIONS.get_or_init(|| serde_json::from_str(REGIONS_JSON).unwrap_or_default())
}

/// Turns `"East US"` / `"EastUS"` into `"eastus"` (ARM accepts display names).
pub(crate) fn normalize(location: &str) -> String {
    location.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase()
}

/// Canary (`*euap`) and staging (`*stg`) regions are not offered to ordinary
/// subscriptions (arm-facts §10).
fn is_restricted(name: &str) -> bool {
    name.ends_with("euap") || name.ends_with("stg")
}

/// The region a resource may be placed in, by normalised name or display name.
pub(crate) fn deployable(location: &str) -> Option<&'static Region> {
    let wanted = normalize(location);
    all().iter().find(|r| r.name == wanted || normalize(&r.display_name) == wanted).filter(|r| !is_restricted(&r.name))
}

/// Comma-separated names for the "available regions" part of error messages.
pub(crate) fn deployable_names() -> String {
    all().iter().filter(|r| !is_restricted(&r.name)).map(|r| r.display_name.as_str()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_file_parses_to_62_regions() {
        assert_eq!(all().len(), 62);
    }

    #[test]
    fn display_names_and_restricted_regions() {
        assert_eq!(deployable("East US").map(|r| r.name.as_str()), Some("eastus"));
        assert_eq!(deployable("japaneast").map(|r| r.name.as_str()), Some("japaneast"));
        assert!(deployable("eastus2euap").is_none());
        assert!(deployable("eastusstg").is_none());
        assert!(deployable("atlantis").is_none());
    }
}
