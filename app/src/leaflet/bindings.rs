//! Bindings the `leaflet` crate (0.5) lacks or gets wrong.
//!
//! - `DivIcon::new` is bound to `new L.Icon(…)`, which builds an `<img>` icon and throws
//!   "iconUrl not set"; `L.divIcon` is the factory we need.
//! - `L.geoJSON` exists in the crate but in a private module.
//! - `Marker.getElement` is not bound; we need the element to keep its ARIA in step.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `L.divIcon(options)`: an icon that is a plain `<div>` with our HTML inside.
    #[wasm_bindgen(js_namespace = L, js_name = divIcon)]
    pub fn div_icon(options: &leaflet::DivIconOptions) -> leaflet::Icon;

    /// `L.geoJSON(data, options)`.
    #[wasm_bindgen(js_namespace = L, js_name = geoJSON)]
    pub fn geo_json(data: &JsValue, options: &JsValue) -> leaflet::Layer;

    /// Any Leaflet layer seen through its `getElement()` method (bound on a local type:
    /// the orphan rule forbids adding methods to the crate's `Marker`).
    type WithElement;

    #[wasm_bindgen(method, js_name = getElement)]
    fn get_element(this: &WithElement) -> Option<web_sys::HtmlElement>;
}

/// `marker.getElement()`: the icon element, once the marker is on a map.
pub fn marker_element(marker: &leaflet::Marker) -> Option<web_sys::HtmlElement> {
    marker.unchecked_ref::<WithElement>().get_element()
}
