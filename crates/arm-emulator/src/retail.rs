//! A stand-in for the Azure Retail Prices API (`GET /api/retail/prices`, unauthenticated
//! like the real one at prices.azure.com) with the few meters replimap prices: Container
//! Registry units and storage, and inter-region transfer, for every public region.
//!
//! Envelope and item fields as the real API (`docs/coverage.md` §B.2). Premium is USD
//! 1.6666/day in eastus2 (the published figure) and varies by a few percent, fixed per
//! region, elsewhere, so a refresh visibly differs from a flat snapshot. `$filter` takes
//! `field eq 'value'` joined by `and` over the item fields below; from api-version
//! 2023-01-01-preview values compare case-sensitively, as the real API does. Pages hold
//! 100 items, continued by `NextPageLink` (`$skip`).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::emulator::Emulator;
use crate::workloads::{fnv1a, stable_guid};

pub(crate) const PATH: &str = "/api/retail/prices";
const PAGE: usize = 100;

pub(crate) fn is_retail(path: &str) -> bool {
    path.eq_ignore_ascii_case(PATH)
}

/// `$filter` fields and the item field each compares (`priceType` is the item's `type`).
const FIELDS: &[(&str, &str)] = &[
    ("serviceName", "serviceName"),
    ("armRegionName", "armRegionName"),
    ("priceType", "type"),
    ("meterName", "meterName"),
    ("skuName", "skuName"),
    ("productName", "productName"),
    ("serviceFamily", "serviceFamily"),
    ("location", "location"),
    ("armSkuName", "armSkuName"),
];

/// The Premium unit in `region`: 1.6666 in eastus2, 0–12 % more elsewhere.
pub(crate) fn premium_unit(region: &str) -> f64 {
    if region == "eastus2" {
        return 1.6666;
    }
    let step = fnv1a(region.as_bytes(), 0xcbf2_9ce4_8422_2325) % 13;
    round4(1.6666 * (1.0 + step as f64 / 100.0))
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

struct Meter {
    service: &'static str,
    family: &'static str,
    product: &'static str,
    sku: &'static str,
    meter: &'static str,
    unit: &'static str,
    price: fn(&str) -> f64,
}

const METERS: &[Meter] = &[
    Meter {
        service: "Container Registry",
        family: "Containers",
        product: "Container Registry",
        sku: "Premium",
        meter: "Premium Registry Unit",
        unit: "1/Day",
        price: premium_unit,
    },
    Meter {
        service: "Container Registry",
        family: "Containers",
        product: "Container Registry",
        sku: "Standard",
        meter: "Standard Registry Unit",
        unit: "1/Day",
        price: |r| round4(premium_unit(r) * 0.4),
    },
    Meter {
        service: "Container Registry",
        family: "Containers",
        product: "Container Registry",
        sku: "Basic",
        meter: "Basic Registry Unit",
        unit: "1/Day",
        price: |r| round4(premium_unit(r) * 0.1),
    },
    Meter {
        service: "Container Registry",
        family: "Containers",
        product: "Container Registry",
        sku: "Standard",
        meter: "Data Stored",
        unit: "1 GB/Month",
        price: |_| 0.10,
    },
    Meter {
        service: "Bandwidth",
        family: "Networking",
        product: "Bandwidth - Inter-Region",
        sku: "Standard",
        meter: "Intra Continent Data Transfer Out",
        unit: "1 GB",
        price: |_| 0.02,
    },
    Meter {
        service: "Bandwidth",
        family: "Networking",
        product: "Bandwidth - Inter-Region",
        sku: "Standard",
        meter: "Inter Continent Data Transfer Out",
        unit: "1 GB",
        price: |_| 0.05,
    },
];

fn item(m: &Meter, region: &crate::regions::Region) -> Value {
    let price = (m.price)(&region.name);
    let product_id = format!("DZH3{:08X}", fnv1a(m.product.as_bytes(), 7) as u32);
    json!({
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region.name,
        "location": region.display_name,
        "effectiveStartDate": "2017-10-01T00:00:00Z",
        "meterId": stable_guid(&format!("{}|{}", m.meter, region.name)),
        "meterName": m.meter,
        "productId": product_id,
        "skuId": format!("{product_id}/{:04X}", fnv1a(m.sku.as_bytes(), 7) as u16),
        "productName": m.product,
        "skuName": m.sku,
        "serviceName": m.service,
        "serviceId": format!("DZH3{:08X}", fnv1a(m.service.as_bytes(), 7) as u32),
        "serviceFamily": m.family,
        "unitOfMeasure": m.unit,
        "type": "Consumption",
        "isPrimaryMeterRegion": true,
        "armSkuName": ""
    })
}

/// Every item, in a stable order (region, then meter).
fn catalogue() -> Vec<Value> {
    crate::regions::all()
        .iter()
        .filter(|r| crate::regions::deployable(&r.name).is_some())
        .flat_map(|r| METERS.iter().map(move |m| item(m, r)))
        .collect()
}

/// `(item field, value)` pairs, or the message of the 400.
fn parse_filter(filter: &str) -> Result<Vec<(&'static str, String)>, String> {
    let invalid = || format!("Invalid OData parameters supplied: $filter '{filter}'");
    filter
        .split(" and ")
        .map(|clause| {
            let clause = clause.trim();
            let (field, rest) = clause.split_once(' ').ok_or_else(invalid)?;
            let value = rest.trim().strip_prefix("eq ").ok_or_else(invalid)?.trim();
            let value = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).ok_or_else(invalid)?;
            let (_, item_field) = FIELDS.iter().find(|(f, _)| f.eq_ignore_ascii_case(field)).ok_or_else(invalid)?;
            Ok((*item_field, value.to_owned()))
        })
        .collect()
}

fn error(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "Error": { "Code": "400", "Message": message } }))).into_response()
}

pub(crate) async fn prices(State(emu): State<Emulator>, req: Request) -> Response {
    emu.record_retail_request();
    let query: Vec<(String, String)> =
        req.uri().query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let param = |name: &str| query.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    if let Some(c) = param("currencyCode").filter(|c| !c.trim_matches('\'').eq_ignore_ascii_case("USD")) {
        return error(format!("The emulator's price list is in USD only; currencyCode '{c}' is not available."));
    }
    let filters = match param("$filter").filter(|f| !f.trim().is_empty()).map(parse_filter).transpose() {
        Ok(f) => f.unwrap_or_default(),
        Err(message) => return error(message),
    };
    let api_version = param("api-version").unwrap_or("");
    // Before 2023-01-01-preview the real API compared values without regard to case.
    let case_sensitive = api_version >= "2023-01-01-preview";
    let skip = match param("$skip").map(str::parse::<usize>).transpose() {
        Ok(s) => s.unwrap_or(0),
        Err(_) => return error("Invalid OData parameters supplied: $skip".into()),
    };
    let matching: Vec<Value> = catalogue()
        .into_iter()
        .filter(|it| {
            filters.iter().all(|(field, want)| {
                let have = it.get(*field).and_then(Value::as_str).unwrap_or("");
                if case_sensitive {
                    have == want
                } else {
                    have.eq_ignore_ascii_case(want)
                }
            })
        })
        .collect();
    let total = matching.len();
    let items: Vec<Value> = matching.into_iter().skip(skip).take(PAGE).collect();
    let next = (skip + PAGE < total).then(|| {
        let base = crate::ctx::base_url(req.headers(), req.extensions());
        let mut link = format!("{base}{PATH}?");
        let mut first = true;
        for (k, v) in query.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("$skip")) {
            let v: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            link.push_str(&format!("{}{k}={v}", if first { "" } else { "&" }));
            first = false;
        }
        link.push_str(&format!("{}$skip={}", if first { "" } else { "&" }, skip + PAGE));
        link
    });
    Json(json!({
        "BillingCurrency": "USD",
        "CustomerEntityId": "Default",
        "CustomerEntityType": "Retail",
        "Items": items,
        "NextPageLink": next,
        "Count": items.len(),
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_fixed_per_region_and_vary_between_them() {
        assert_eq!(premium_unit("eastus2"), 1.6666);
        assert_eq!(premium_unit("westeurope"), premium_unit("westeurope"));
        let regions = ["eastus", "westeurope", "japaneast", "australiaeast", "brazilsouth", "uksouth"];
        assert!(regions.iter().any(|r| premium_unit(r) != 1.6666), "not a flat price");
        assert!(regions.iter().all(|r| (1.6666..=1.6666 * 1.13).contains(&premium_unit(r))));
    }

    #[test]
    fn filters_parse_or_fail_like_the_real_api() {
        let f = parse_filter("serviceName eq 'Container Registry' and priceType eq 'Consumption'").unwrap();
        assert_eq!(f, [("serviceName", "Container Registry".to_owned()), ("type", "Consumption".to_owned())]);
        assert!(parse_filter("serviceName ne 'x'").unwrap_err().starts_with("Invalid OData parameters supplied"));
        assert!(parse_filter("color eq 'blue'").is_err());
        assert!(catalogue().len() > 2 * PAGE, "several pages unfiltered");
    }
}
