//! An Azure region as the portal shows it on the map.

use serde::{Deserialize, Serialize};

use crate::RegionName;

/// A physical Azure region. Field names match `azure-regions.json` (and ARM's
/// List Locations metadata), so the same struct reads the shipped data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// Canonical location name, e.g. `japaneast`.
    pub name: RegionName,
    /// Human name, e.g. `Japan East`.
    pub display_name: String,
    /// Name with its geography group, e.g. `(Asia Pacific) Japan East`.
    #[serde(default)]
    pub regional_display_name: String,
    /// Geography, e.g. `Japan`.
    #[serde(default)]
    pub geography: String,
    /// Geography group, e.g. `Asia Pacific`.
    #[serde(default)]
    pub geography_group: String,
    /// City or state, when ARM reports one.
    #[serde(default)]
    pub physical_location: Option<String>,
    /// Latitude in degrees.
    pub latitude: f64,
    /// Longitude in degrees.
    pub longitude: f64,
    /// The region Azure pairs with this one for disaster recovery.
    #[serde(default)]
    pub paired_region: Option<RegionName>,
    /// `Recommended` or `Other`.
    #[serde(default)]
    pub region_category: String,
    /// Logical availability zones; empty when the region has none.
    #[serde(default)]
    pub availability_zones: Vec<String>,
    /// Whether an ordinary subscription may place a replica here. Canary (`*euap`)
    /// and staging (`*stg`) regions are listed by ARM but not offered.
    #[serde(default = "default_true")]
    pub accepts_replicas: bool,
}

fn default_true() -> bool {
    true
}

impl Region {
    /// Canary and staging regions exist in ARM's list but are not deployable for customers.
    pub fn is_restricted_name(name: &str) -> bool {
        name.ends_with("euap") || name.ends_with("stg")
    }
}
