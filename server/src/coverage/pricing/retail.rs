//! The Azure Retail Prices API (unauthenticated, `GET {url}?api-version=…&$filter=…`): the
//! Container Registry meters per region, read page by page through `NextPageLink`.
//!
//! Only two meters are taken: `Premium Registry Unit` (`1/Day`) and `Data Stored`
//! (`1 GB/Month`). Everything else in the answer (Basic and Standard units, Task vCPU, …) is
//! skipped; an answer in another currency or that does not parse is refused whole, so the
//! caller keeps the prices it had.

use std::collections::HashMap;
use std::time::Duration;

use replimap_types::RegionName;
use serde::Deserialize;
use url::Url;

use super::PricingError;

/// The version whose filters are case-sensitive and documented (docs/coverage.md §B.2).
pub(super) const API_VERSION: &str = "2023-01-01-preview";
/// Container Registry's consumption meters, every region.
pub(super) const FILTER: &str = "serviceName eq 'Container Registry' and priceType eq 'Consumption'";
/// Container Registry has a few hundred rows (about 60 regions × 8 meters): a handful of pages.
/// A longer chain is a loop or a different answer than the one asked for.
pub(super) const MAX_PAGES: usize = 30;
/// A page is small; a slow answer is a network problem, not worth holding a task for.
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Far above a real page (100 to 1,000 rows of about 600 bytes).
const MAX_PAGE_BYTES: usize = 8 << 20;

pub(super) const PREMIUM_UNIT_METER: &str = "Premium Registry Unit";
pub(super) const DATA_STORED_METER: &str = "Data Stored";

/// One page, as the API writes it (PascalCase envelope).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Envelope {
    #[serde(default)]
    pub billing_currency: Option<String>,
    pub items: Vec<Item>,
    #[serde(default)]
    pub next_page_link: Option<String>,
}

/// One price row (camelCase). Fields replimap does not use are left to serde to skip.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Item {
    pub currency_code: String,
    pub retail_price: f64,
    #[serde(default)]
    pub tier_minimum_units: f64,
    #[serde(default)]
    pub arm_region_name: String,
    #[serde(default)]
    pub effective_start_date: String,
    pub meter_name: String,
    #[serde(default)]
    pub service_name: String,
    pub unit_of_measure: String,
    #[serde(default, rename = "type")]
    pub price_type: String,
    #[serde(default)]
    pub is_primary_meter_region: bool,
}

/// What an answer says about Container Registry, USD by region.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct RetailPrices {
    /// `Premium Registry Unit`, per day.
    pub unit: HashMap<RegionName, f64>,
    /// `Data Stored`, per GB-month.
    pub stored: HashMap<RegionName, f64>,
}

/// The first page's URL: the configured endpoint with the version and the filter.
pub(super) fn first_page(url: &Url) -> Url {
    let mut first = url.clone();
    // `set_query` percent-encodes spaces and quotes (`%20`, `%27`); form encoding's `+` for a
    // space is not what the API's documentation shows.
    first.set_query(Some(&format!("api-version={API_VERSION}&$filter={FILTER}")));
    first
}

/// Reads every page, following `NextPageLink` on the same origin only (the link comes from
/// the answer; the portal should not be steered elsewhere by it).
pub(super) async fn fetch(url: &Url) -> Result<Vec<Item>, PricingError> {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("replimap/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| PricingError::Transport(super::chain(&e)))?;
    let mut items = Vec::new();
    let mut next = Some(first_page(url));
    let mut pages = 0;
    while let Some(page) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(PricingError::TooManyPages(MAX_PAGES));
        }
        let response = client.get(page.clone()).send().await.map_err(|e| PricingError::Transport(super::chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(PricingError::Status(status.as_u16()));
        }
        let body = response.bytes().await.map_err(|e| PricingError::Transport(super::chain(&e)))?;
        if body.len() > MAX_PAGE_BYTES {
            return Err(PricingError::Malformed(format!("a page of {} bytes", body.len())));
        }
        let envelope: Envelope = serde_json::from_slice(&body).map_err(PricingError::Decode)?;
        if let Some(currency) = envelope.billing_currency.as_deref().filter(|c| !c.eq_ignore_ascii_case("USD")) {
            return Err(PricingError::Currency(currency.to_owned()));
        }
        items.extend(envelope.items);
        next = match envelope.next_page_link.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            None => None,
            Some(link) => {
                let link = page.join(link).map_err(|e| PricingError::Malformed(format!("NextPageLink: {e}")))?;
                if link.origin() != url.origin() {
                    return Err(PricingError::ForeignLink(link.origin().ascii_serialization()));
                }
                Some(link)
            }
        };
    }
    Ok(items)
}

/// The Container Registry prices in the rows. Where a meter has several rows for a region,
/// the primary meter region's wins, then the latest `effectiveStartDate`; only the first tier
/// counts (these meters have one).
pub(super) fn container_registry(items: &[Item]) -> Result<RetailPrices, PricingError> {
    // (primary, effective start, price): tuples order as the preference does.
    type Best = HashMap<RegionName, (bool, String, f64)>;
    let (mut unit, mut stored): (Best, Best) = Default::default();
    for item in items {
        if !item.currency_code.eq_ignore_ascii_case("USD") {
            return Err(PricingError::Currency(item.currency_code.clone()));
        }
        let wanted = match (item.meter_name.as_str(), item.unit_of_measure.as_str()) {
            (PREMIUM_UNIT_METER, "1/Day") => &mut unit,
            (DATA_STORED_METER, "1 GB/Month") => &mut stored,
            _ => continue,
        };
        // The filter asks for these; a stand-in that ignores it must not mix in other rows.
        let consumption = item.price_type.is_empty() || item.price_type == "Consumption";
        let service = item.service_name.is_empty() || item.service_name == "Container Registry";
        if !consumption || !service || item.tier_minimum_units > 0.0 {
            continue;
        }
        if !item.retail_price.is_finite() || item.retail_price < 0.0 {
            return Err(PricingError::Malformed(format!(
                "{} in {}: price {}",
                item.meter_name, item.arm_region_name, item.retail_price
            )));
        }
        // Rows without a region, or with a pseudo-region such as `Global`, price nothing here.
        if item.arm_region_name.eq_ignore_ascii_case("global") {
            continue;
        }
        let Ok(region) = item.arm_region_name.parse::<RegionName>() else { continue };
        let candidate = (item.is_primary_meter_region, item.effective_start_date.clone(), item.retail_price);
        match wanted.get(&region) {
            Some(best) if (best.0, &best.1) >= (candidate.0, &candidate.1) => {}
            _ => {
                wanted.insert(region, candidate);
            }
        }
    }
    let flatten = |m: Best| m.into_iter().map(|(r, (_, _, p))| (r, p)).collect();
    let prices = RetailPrices { unit: flatten(unit), stored: flatten(stored) };
    if prices.unit.is_empty() {
        return Err(PricingError::NoPrices);
    }
    Ok(prices)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Two pages in the recorded shape of the real API (field names, order, `NextPageLink`
    /// with the explicit `:443`). The East US 2 unit and Data Stored figures are the sourced
    /// ones; the other regions' figures are made up so that the selection rules show.
    pub(in super::super) const PAGE_1: &str = include_str!("fixtures/retail-prices-page-1.json");
    pub(in super::super) const PAGE_2: &str = include_str!("fixtures/retail-prices-page-2.json");

    fn region(s: &str) -> RegionName {
        s.parse().unwrap()
    }

    #[test]
    fn the_fixture_pages_parse_and_chain() {
        let one: Envelope = serde_json::from_str(PAGE_1).unwrap();
        let two: Envelope = serde_json::from_str(PAGE_2).unwrap();
        assert_eq!(one.billing_currency.as_deref(), Some("USD"));
        assert!(one.next_page_link.as_deref().unwrap().contains("$skip="));
        assert_eq!(two.next_page_link, None);
        let items: Vec<Item> = one.items.into_iter().chain(two.items).collect();
        let prices = container_registry(&items).unwrap();
        assert_eq!(prices.unit[&region("eastus2")], 1.6666);
        assert_eq!(prices.stored[&region("eastus2")], 0.1);
        assert_eq!(prices.unit[&region("westeurope")], 1.8333, "the primary meter region's row wins");
        assert_eq!(prices.unit[&region("japaneast")], 2.1666, "the latest effective date wins");
        assert_eq!(prices.unit[&region("brazilsouth")], 2.5, "read from the second page");
        assert_eq!(prices.stored[&region("westeurope")], 0.11);
        assert_eq!(prices.unit.len(), 4, "Basic and Standard units, Task vCPU and Global rows are skipped");
    }

    #[test]
    fn the_first_page_asks_for_container_registry_consumption_prices() {
        let url = first_page(&"https://prices.azure.com/api/retail/prices".parse().unwrap());
        assert_eq!(
            url.as_str(),
            "https://prices.azure.com/api/retail/prices?api-version=2023-01-01-preview\
             &$filter=serviceName%20eq%20%27Container%20Registry%27%20and%20priceType%20eq%20%27Consumption%27"
        );
        let filter = url.query_pairs().find(|(k, _)| k == "$filter").unwrap().1;
        assert_eq!(filter, FILTER, "filters are case-sensitive: sent exactly");
    }

    #[test]
    fn other_currencies_bad_prices_and_empty_answers_are_refused() {
        let mut items: Vec<Item> = serde_json::from_str::<Envelope>(PAGE_1).unwrap().items;
        items[0].currency_code = "EUR".into();
        assert!(matches!(container_registry(&items), Err(PricingError::Currency(c)) if c == "EUR"));
        let mut items: Vec<Item> = serde_json::from_str::<Envelope>(PAGE_1).unwrap().items;
        let unit = items.iter_mut().find(|i| i.meter_name == PREMIUM_UNIT_METER).unwrap();
        unit.retail_price = -1.0;
        assert!(matches!(container_registry(&items), Err(PricingError::Malformed(_))));
        assert!(matches!(container_registry(&[]), Err(PricingError::NoPrices)));
        let no_units: Vec<Item> = serde_json::from_str::<Envelope>(PAGE_1)
            .unwrap()
            .items
            .into_iter()
            .filter(|i| i.meter_name != PREMIUM_UNIT_METER)
            .collect();
        assert!(matches!(container_registry(&no_units), Err(PricingError::NoPrices)));
        let missing_price =
            r#"{"Items":[{"currencyCode":"USD","meterName":"Premium Registry Unit","unitOfMeasure":"1/Day"}]}"#;
        assert!(serde_json::from_str::<Envelope>(missing_price).is_err());
    }
}
