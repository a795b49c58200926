//! All JavaScript interop for the map, browser only.
//!
//! Leaflet is loaded as a classic script in the page head (see `crate::shell`), so `L`
//! exists before the WASM module runs. The map is created once, when hydration hands us the
//! `<div id="map">`; after that effects keep one marker per region in step with the model,
//! bring a region selected in the table into view and, on the wall screen, fit the map to
//! the replicas of the registry shown.

mod bindings;
mod markers;
mod outline;

use std::cell::RefCell;
use std::rc::Rc;

use leaflet::{LatLng, LatLngBounds, Map, MapOptions, TileLayer, TileLayerOptions};
use leptos::html::Div;
use leptos::prelude::*;
use replimap_types::UiSettings;

use crate::portal::Portal;
use markers::Markers;

struct MapView {
    map: Map,
    markers: Markers,
}

type Slot = Rc<RefCell<Option<MapView>>>;

/// Set to `"true"` on the map container once the markers are drawn and answer keys and clicks
/// (the readiness the browser tests wait for; see `crate::components::world_map`).
const READY_ATTR: &str = "data-ready";

/// Creates the map inside `node` once it is in the DOM and keeps its markers current.
pub fn mount(node: NodeRef<Div>, portal: Portal) {
    // `/?registry=…&region=japaneast` (a link from the activity page): that region is selected
    // and its marker focused, which shows its card, once the map is ready.
    let linked = crate::location::use_location()
        .query()
        .with_untracked(|q| q.get("region"))
        .and_then(|r| r.parse::<replimap_types::RegionName>().ok())
        .filter(|_| !portal.kiosk);
    let view: Slot = Rc::new(RefCell::new(None));
    let slot = view.clone();
    let for_zoom = view.clone();
    let ready = RwSignal::new(false);
    Effect::new(move |_| {
        let Some(div) = node.get() else { return };
        // The clock matters too: "possibly stuck" and highlights change with time alone.
        let now = portal.now.get();
        let views = portal.model.with(|m| m.region_views(now));
        let selected = portal.selected.get();
        let mut slot = slot.borrow_mut();
        let first = slot.is_none();
        if first {
            match create_map(&div, &portal.settings.get_value(), portal.kiosk) {
                Ok(map) => {
                    let weak = Rc::downgrade(&for_zoom);
                    let map_for_zoom = map.clone();
                    map.on_zoom_end(Box::new(move |_| {
                        // Skipped if the sync below holds the view; it declutters anyway.
                        if let Some(view) = weak.upgrade() {
                            if let Ok(view) = view.try_borrow() {
                                if let Some(v) = view.as_ref() {
                                    v.markers.declutter(&map_for_zoom);
                                }
                            }
                        }
                    }));
                    // The card is placed in viewport pixels; moving the map would strand it.
                    map.on_move_start(Box::new(move |_| portal.card.set(None)));
                    *slot = Some(MapView { map, markers: Markers::default() });
                    ready.set(true);
                }
                Err(message) => {
                    portal.alert.set(Some(format!("The map could not be drawn: {message}")));
                    return;
                }
            }
        }
        if let Some(MapView { map, markers }) = slot.as_mut() {
            markers.sync(map, &views, selected.as_ref(), portal);
            // Every region's marker is on the map with its handlers (regions come with the
            // page, so an empty list means a page without data: not ready).
            if !views.is_empty() && div.get_attribute(READY_ATTR).is_none() {
                div.set_attribute(READY_ATTR, "true").ok();
                if let Some((region, el)) = linked.as_ref().and_then(|r| Some((r, markers.element(r)?))) {
                    portal.selected.set(Some(region.clone()));
                    let _ = el.focus();
                }
            }
        }
    });
    reveal_selected(view.clone(), portal);
    if portal.kiosk {
        fit_to_replicas(view, ready, portal);
    }
}

/// A region picked in the table is panned into view (the map does not move for clicks on
/// the map itself: the marker is already where the pointer is).
fn reveal_selected(view: Slot, portal: Portal) {
    Effect::new(move |_| {
        let Some(region) = portal.reveal.get() else { return };
        if let Some(MapView { map, markers }) = view.borrow().as_ref() {
            if let Some(at) = markers.lat_lng(&region) {
                map.pan_inside(&at);
            }
        }
        portal.reveal.set(None);
    });
}

/// Wall screen: fits the map to the replicas whenever the registry (or its set of replica
/// regions) changes, so a room sees where the registry lives without anyone touching it.
fn fit_to_replicas(view: Slot, ready: RwSignal<bool>, portal: Portal) {
    let places = Memo::new(move |_| {
        portal.model.with(|m| {
            m.replicas()
                .iter()
                .filter_map(|r| {
                    m.region(&r.location).map(|g| ((g.latitude * 100.0) as i64, (g.longitude * 100.0) as i64))
                })
                .collect::<Vec<_>>()
        })
    });
    Effect::new(move |_| {
        let places = places.get();
        if !ready.get() {
            return;
        }
        let map = view.borrow().as_ref().map(|v| v.map.clone());
        let Some(map) = map else { return };
        let Some(first) = places.first() else { return };
        let point = |p: &(i64, i64)| LatLng::new(p.0 as f64 / 100.0, p.1 as f64 / 100.0);
        let bounds = LatLngBounds::new(&point(first), &point(first));
        for p in &places[1..] {
            bounds.extend(&point(p));
        }
        // Zoom 4 frames a region well at 1280 px; each doubling of the width allows one more.
        let width = web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|w| w.as_f64()).unwrap_or(1280.0);
        let max_zoom = (4.0 + (width / 1280.0).log2().max(0.0)).min(7.0);
        let padding = (width / 16.0).clamp(60.0, 240.0);
        // Built as a JS object, not printed as JSON: printing floats with a precision linked
        // core's exact float formatter into the WASM (2 KB compressed) for this one call.
        let options = js_sys::Object::new();
        let set = |k: &str, v: &wasm_bindgen::JsValue| js_sys::Reflect::set(&options, &k.into(), v).ok();
        let pad = wasm_bindgen::JsValue::from_f64(padding.round());
        set("padding", &js_sys::Array::of2(&pad, &pad));
        set("maxZoom", &wasm_bindgen::JsValue::from_f64(max_zoom));
        map.fit_bounds_with_options(&bounds, &options);
    });
}

fn create_map(div: &web_sys::HtmlDivElement, settings: &UiSettings, kiosk: bool) -> Result<Map, String> {
    let options = MapOptions::new();
    // Nobody zooms a wall screen.
    options.set_zoom_control(!kiosk);
    options.set_zoom_snap(0.25);
    options.set_zoom_delta(0.5);
    options.set_min_zoom(1.0);
    options.set_max_zoom(7.0);
    // Without tiles there is nothing to attribute on the map; the footer credits the outline.
    options.set_attribution_control(settings.tile_url.is_some());
    options.set_max_bounds(bounds((-78.0, -200.0), (86.0, 200.0)));
    options.set_max_bounds_viscosity(0.8);
    let map = Map::new_with_element(div, &options).map_err(|e| format!("{e:?}"))?;
    // Populated latitudes only: the view fits the continents, not the poles.
    map.fit_bounds(&bounds((-47.0, -128.0), (66.0, 178.0)));
    if let Some(url) = &settings.tile_url {
        // Tiles draw the land; the outline then only traces borders (see `.with-tiles`).
        div.class_list().add_1("with-tiles").ok();
        let tile_options = TileLayerOptions::new();
        if let Some(text) = &settings.tile_attribution {
            tile_options.set_attribution(text.clone());
        }
        TileLayer::new_options(url, &tile_options).add_to(&map);
    }
    outline::add_outline(&map);
    Ok(map)
}

fn bounds(south_west: (f64, f64), north_east: (f64, f64)) -> LatLngBounds {
    LatLngBounds::new(&LatLng::new(south_west.0, south_west.1), &LatLng::new(north_east.0, north_east.1))
}
