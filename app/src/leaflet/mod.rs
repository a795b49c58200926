//! All JavaScript interop for the map, browser only.
//!
//! Leaflet is loaded as a classic script in the page head (see `crate::shell`), so `L`
//! exists before the WASM module runs. The map is created once, when hydration hands us the
//! `<div id="map">`; after that an effect keeps one marker per region in step with the model.

mod bindings;
mod markers;
mod outline;

use std::cell::RefCell;
use std::rc::Rc;

use leaflet::{LatLng, LatLngBounds, Map, MapOptions};
use leptos::html::Div;
use leptos::prelude::*;

use crate::portal::Portal;
use markers::Markers;

struct MapView {
    map: Map,
    markers: Markers,
}

/// Creates the map inside `node` once it is in the DOM and keeps its markers current.
pub fn mount(node: NodeRef<Div>, portal: Portal) {
    let view: Rc<RefCell<Option<MapView>>> = Rc::new(RefCell::new(None));
    Effect::new(move |_| {
        let Some(div) = node.get() else { return };
        let views = portal.model.with(|m| m.region_views());
        let mut slot = view.borrow_mut();
        if slot.is_none() {
            match create_map(&div) {
                Ok(map) => {
                    let weak = Rc::downgrade(&view);
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
                    *slot = Some(MapView { map, markers: Markers::default() });
                }
                Err(message) => {
                    portal.alert.set(Some(format!("The map could not be drawn: {message}")));
                    return;
                }
            }
        }
        if let Some(MapView { map, markers }) = slot.as_mut() {
            markers.sync(map, &views, portal);
        }
    });
}

fn create_map(div: &web_sys::HtmlDivElement) -> Result<Map, String> {
    let options = MapOptions::new();
    options.set_zoom_snap(0.25);
    options.set_zoom_delta(0.5);
    options.set_min_zoom(1.0);
    options.set_max_zoom(7.0);
    // No tiles, so nothing to attribute on the map; the footer credits the outline data.
    options.set_attribution_control(false);
    options.set_max_bounds(bounds((-78.0, -200.0), (86.0, 200.0)));
    options.set_max_bounds_viscosity(0.8);
    let map = Map::new_with_element(div, &options).map_err(|e| format!("{e:?}"))?;
    // Populated latitudes only: the view fits the continents, not the poles.
    map.fit_bounds(&bounds((-47.0, -128.0), (66.0, 178.0)));
    outline::add_outline(&map);
    Ok(map)
}

fn bounds(south_west: (f64, f64), north_east: (f64, f64)) -> LatLngBounds {
    LatLngBounds::new(&LatLng::new(south_west.0, south_west.1), &LatLng::new(north_east.0, north_east.1))
}
