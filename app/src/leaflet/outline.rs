//! The world outline: country shapes from `public/data/world.geojson`, drawn under the
//! markers. There is no tile server; this layer is the whole basemap.

use leaflet::Map;
use wasm_bindgen::JsValue;

use super::bindings::geo_json;

const OUTLINE_URL: &str = "/data/world.geojson";
/// A pane of its own below Leaflet's overlay pane (z-index 400), so markers always sit on
/// top; `main.css` gives `.leaflet-world-pane` its z-index.
const PANE: &str = "world";
/// Non-interactive: clicks and keys go to markers only. Colours are in `main.css` via the
/// `country` class, so the palette lives in one place.
const OPTIONS: &str = r#"{"pane":"world","interactive":false,"style":{"className":"country","weight":0.6}}"#;

/// Creates the pane now and loads the outline in the background.
pub fn add_outline(map: &Map) {
    map.create_pane_by_name(PANE);
    let map = map.clone();
    leptos::task::spawn_local(async move {
        match crate::api::static_json(OUTLINE_URL).await {
            Ok(data) => {
                let options = js_sys::JSON::parse(OPTIONS).unwrap_or(JsValue::UNDEFINED);
                geo_json(&data, &options).add_to(&map);
            }
            // The markers still work without the outline; say so in the console only.
            Err(e) => leptos::logging::warn!("world outline not loaded: {e}"),
        }
    });
}
