//! The Azure regions the map knows, embedded from `data/azure-regions.json`.
//!
//! Coordinates are not part of what ARM needs to be asked for on every start, and a
//! locked-down network may not let the portal enumerate locations, so the list ships
//! with the binary.

use std::collections::HashMap;

use replimap_types::{Region, RegionName};

const REGIONS_JSON: &str = include_str!("../../data/azure-regions.json");

/// Every physical region, with lookup by name.
#[derive(Debug)]
pub struct Regions {
    list: Vec<Region>,
    by_name: HashMap<RegionName, usize>,
}

impl Regions {
    /// Parses the embedded data. Called once at start-up; the file is part of the build.
    pub fn embedded() -> anyhow::Result<Self> {
        let mut list: Vec<Region> = serde_json::from_str(REGIONS_JSON)?;
        for r in &mut list {
            r.accepts_replicas = !Region::is_restricted_name(r.name.as_str());
        }
        let by_name = list.iter().enumerate().map(|(i, r)| (r.name.clone(), i)).collect();
        Ok(Self { list, by_name })
    }

    /// All regions, sorted by name.
    pub fn all(&self) -> &[Region] {
        &self.list
    }

    /// One region by canonical name.
    pub fn get(&self, name: &RegionName) -> Option<&Region> {
        self.by_name.get(name).map(|&i| &self.list[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_has_every_physical_region() {
        let r = Regions::embedded().unwrap();
        assert_eq!(r.all().len(), 62);
        let je = r.get(&"japaneast".parse().unwrap()).unwrap();
        assert_eq!(je.display_name, "Japan East");
        assert!(je.accepts_replicas);
        assert!(!r.get(&"eastus2euap".parse().unwrap()).unwrap().accepts_replicas);
    }
}
