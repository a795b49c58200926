//! The bundled price snapshot, `data/prices/<date>.json`: the figures of docs/coverage.md §B.1
//! with their sources, and the transfer zone of each region. It is the price list offline and
//! under the emulator, and the fallback for whatever the Retail Prices API does not answer.

use std::collections::{BTreeMap, HashMap};

use replimap_types::{Region, RegionName};
use serde::Deserialize;

/// The snapshot, embedded. Its name is its date; a newer snapshot replaces the file.
pub(super) const SNAPSHOT_JSON: &str = include_str!("../../../../data/prices/2026-10-01.json");

/// The transfer zones Azure prices inter-region data transfer by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Continent {
    /// The US, Canada and Mexico.
    NorthAmerica,
    /// Europe and the UK.
    Europe,
    /// Asia Pacific except Australia and New Zealand.
    Asia,
    /// Australia and New Zealand.
    Oceania,
    /// The Middle East and Africa.
    MiddleEastAfrica,
    /// South America.
    SouthAmerica,
}

/// The file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Snapshot {
    pub currency: String,
    pub as_of: String,
    pub premium_registry_unit: UnitFigure,
    pub data_stored: StoredFigure,
    pub included_storage: IncludedFigure,
    pub transfer: TransferFigure,
    pub continents: ContinentMap,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UnitFigure {
    pub per_day: f64,
    #[serde(default)]
    pub by_region: HashMap<RegionName, f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StoredFigure {
    pub per_gb_month: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IncludedFigure {
    pub gb_per_premium_unit: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TransferFigure {
    pub per_gb: TransferRates,
    /// The rates' own date (older than the snapshot's).
    pub date: String,
}

/// Inter-region data transfer, USD per GB, by transfer zone.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferRates {
    /// Both ends in one region.
    pub same_region: f64,
    /// Both ends in one zone.
    pub within_continent: BTreeMap<Continent, f64>,
    /// Leaving the sender's zone.
    pub inter_continent_from: BTreeMap<Continent, f64>,
}

impl TransferRates {
    /// Price of a gigabyte from a region in zone `from` to a different region in zone `to`;
    /// `None` for a zone unknown (a region missing from the region list): the cheapest
    /// inter-continent rate, so egress has to earn its keep before it looks like a saving.
    pub fn between(&self, from: Option<Continent>, to: Option<Continent>) -> f64 {
        let cheapest = || self.inter_continent_from.values().copied().fold(f64::INFINITY, f64::min);
        let rate = match (from, to) {
            (Some(a), Some(b)) if a == b => self.within_continent.get(&a).copied(),
            (Some(a), Some(_)) => self.inter_continent_from.get(&a).copied(),
            _ => None,
        };
        rate.unwrap_or_else(cheapest)
    }

    /// Lowest and highest inter-region rate, for the assumption text.
    pub fn range(&self) -> (f64, f64) {
        self.within_continent
            .values()
            .chain(self.inter_continent_from.values())
            .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &r| (lo.min(r), hi.max(r)))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContinentMap {
    pub by_geography_group: HashMap<String, Continent>,
    #[serde(default)]
    pub by_geography: HashMap<String, Continent>,
}

impl ContinentMap {
    /// Each region's transfer zone; regions whose group the map does not name are left out
    /// (and priced as unknown).
    pub fn of_regions(&self, regions: &[Region]) -> HashMap<RegionName, Continent> {
        regions
            .iter()
            .filter_map(|r| {
                let zone =
                    self.by_geography.get(&r.geography).or_else(|| self.by_geography_group.get(&r.geography_group));
                zone.map(|&c| (r.name.clone(), c))
            })
            .collect()
    }
}

impl Snapshot {
    /// The embedded snapshot.
    pub fn embedded() -> Result<Self, serde_json::Error> {
        serde_json::from_str(SNAPSHOT_JSON)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Vec<Region> {
        crate::regions::Regions::embedded().unwrap().all().to_vec()
    }

    #[test]
    fn the_snapshot_has_the_sourced_figures() {
        let s = Snapshot::embedded().unwrap();
        assert_eq!(s.currency, "USD");
        assert_eq!(s.as_of, "2026-10-01");
        assert_eq!(s.premium_registry_unit.per_day, 1.6666);
        assert_eq!(s.data_stored.per_gb_month, 0.10);
        assert_eq!(s.included_storage.gb_per_premium_unit, 500.0);
        assert_eq!(s.transfer.per_gb.same_region, 0.0);
        assert_eq!(s.transfer.per_gb.range(), (0.02, 0.16));
        assert_eq!(s.transfer.date, "2025-12-03");
        let raw: serde_json::Value = serde_json::from_str(SNAPSHOT_JSON).unwrap();
        for figure in ["premiumRegistryUnit", "dataStored", "includedStorage", "transfer"] {
            assert!(raw[figure]["source"].as_str().is_some_and(|s| s.len() > 20), "{figure} names its source");
            assert!(raw[figure]["date"].as_str().is_some(), "{figure} has a date");
        }
        assert_eq!(raw["transfer"]["verify"], true, "the breakdown is marked for verification");
    }

    #[test]
    fn every_region_has_a_transfer_zone() {
        let s = Snapshot::embedded().unwrap();
        let regions = regions();
        let zones = s.continents.of_regions(&regions);
        let missing: Vec<_> =
            regions.iter().filter(|r| !zones.contains_key(&r.name)).map(|r| r.name.as_str()).collect();
        assert!(missing.is_empty(), "no zone for {missing:?}");
        let zone = |n: &str| zones[&n.parse::<RegionName>().unwrap()];
        assert_eq!(zone("eastus"), Continent::NorthAmerica);
        assert_eq!(zone("mexicocentral"), Continent::NorthAmerica);
        assert_eq!(zone("uksouth"), Continent::Europe);
        assert_eq!(zone("japaneast"), Continent::Asia);
        assert_eq!(zone("australiaeast"), Continent::Oceania);
        assert_eq!(zone("newzealandnorth"), Continent::Oceania);
        assert_eq!(zone("uaenorth"), Continent::MiddleEastAfrica);
        assert_eq!(zone("southafricanorth"), Continent::MiddleEastAfrica);
        assert_eq!(zone("brazilsouth"), Continent::SouthAmerica);
    }

    #[test]
    fn each_zone_pair_has_its_rate() {
        let t = Snapshot::embedded().unwrap().transfer.per_gb;
        use Continent::*;
        for (from, to, rate) in [
            (NorthAmerica, NorthAmerica, 0.02),
            (Europe, Europe, 0.02),
            (Asia, Asia, 0.08),
            (Oceania, Oceania, 0.08),
            (MiddleEastAfrica, MiddleEastAfrica, 0.08),
            (SouthAmerica, SouthAmerica, 0.16),
            (NorthAmerica, Europe, 0.05),
            (Europe, Asia, 0.05),
            (Asia, Europe, 0.08),
            (Oceania, Asia, 0.08),
            (MiddleEastAfrica, NorthAmerica, 0.08),
            (SouthAmerica, NorthAmerica, 0.16),
        ] {
            assert_eq!(t.between(Some(from), Some(to)), rate, "{from:?} → {to:?}");
        }
        assert_eq!(t.between(Some(Asia), None), 0.05, "unknown: the cheapest inter-continent rate");
    }
}
