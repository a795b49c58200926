//! `GET /subscriptions/{sub}/locations`: ARM's List Locations shape, built
//! from the embedded regions file (latitude/longitude are strings in ARM).

use axum::response::Response;
use serde_json::{json, Value};

use crate::ctx::{ok, Ctx};
use crate::error::ArmResult;
use crate::regions::{self, Region};

pub(crate) fn list(ctx: &Ctx, sub: &str) -> ArmResult<Response> {
    ctx.emu.store().require_sub(sub)?;
    let value: Vec<Value> = regions::all().iter().map(|r| location(sub, r)).collect();
    Ok(ok(&json!({ "value": value })))
}

fn location(sub: &str, r: &Region) -> Value {
    let paired: Vec<Value> = r
        .paired_region
        .iter()
        .map(|p| json!({ "name": p, "id": format!("/subscriptions/{sub}/locations/{p}") }))
        .collect();
    let mut metadata = json!({
        "regionType": "Physical",
        "regionCategory": r.region_category,
        "geography": r.geography,
        "geographyGroup": r.geography_group,
        "longitude": r.longitude.to_string(),
        "latitude": r.latitude.to_string(),
        "pairedRegion": paired,
    });
    if let Some(p) = &r.physical_location {
        metadata["physicalLocation"] = p.clone().into();
    }
    let mut doc = json!({
        "id": format!("/subscriptions/{sub}/locations/{}", r.name),
        "name": r.name,
        "type": "Region",
        "displayName": r.display_name,
        "regionalDisplayName": r.regional_display_name,
        "metadata": metadata,
    });
    // ARM omits the mappings for regions without availability zones.
    if !r.availability_zones.is_empty() {
        let zones: Vec<Value> = r
            .availability_zones
            .iter()
            .map(|z| json!({ "logicalZone": z, "physicalZone": format!("{}-az{z}", r.name) }))
            .collect();
        doc["availabilityZoneMappings"] = zones.into();
    }
    doc
}
