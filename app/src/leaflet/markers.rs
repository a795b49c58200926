//! One Leaflet marker per region, kept for the life of the page.
//!
//! A state change rewrites the marker element's attributes in place instead of calling
//! `setIcon`, which would replace the element and drop keyboard focus from it.

use std::collections::HashMap;

use leaflet::{DivIconOptions, LatLng, Map, Marker, MarkerOptions, MouseEvents, Point};
use replimap_types::RegionName;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};

use super::bindings::{div_icon, marker_element};
use crate::components::region_marker::{declutter, marker_html, MarkerAttrs, MARKER_CLASS, MARKER_SIZE, MIN_GAP};
use crate::model::RegionView;
use crate::portal::Portal;

struct Entry {
    marker: Marker,
    element: Option<HtmlElement>,
    shown: Option<MarkerAttrs>,
    // Lives as long as the element that calls it.
    _keydown: Option<Closure<dyn FnMut(KeyboardEvent)>>,
}

/// The markers on one map.
#[derive(Default)]
pub struct Markers {
    entries: HashMap<RegionName, Entry>,
    order: Vec<RegionName>,
}

impl Markers {
    /// Adds missing markers, removes stale ones and brings every element up to date.
    pub fn sync(&mut self, map: &Map, views: &[RegionView], portal: Portal) {
        let mut added = false;
        for view in views {
            if !self.entries.contains_key(&view.region.name) {
                let entry = create(map, view, portal);
                self.entries.insert(view.region.name.clone(), entry);
                added = true;
            }
        }
        if self.entries.len() != views.len() {
            let keep: Vec<&RegionName> = views.iter().map(|v| &v.region.name).collect();
            self.entries.retain(|name, entry| {
                let kept = keep.contains(&name);
                if !kept {
                    entry.marker.remove();
                }
                kept
            });
        }
        self.order = views.iter().map(|v| v.region.name.clone()).collect();
        for view in views {
            if let Some(entry) = self.entries.get_mut(&view.region.name) {
                update(entry, view);
            }
        }
        if added {
            self.declutter(map);
        }
    }

    /// Nudges overlapping markers apart for the current zoom (call after every zoom).
    pub fn declutter(&self, map: &Map) {
        let entries: Vec<&Entry> = self.order.iter().filter_map(|n| self.entries.get(n)).collect();
        let points: Vec<(f64, f64)> = entries
            .iter()
            .map(|e| {
                let p = map.lat_lng_to_layer_point(&e.marker.get_lat_lng());
                (p.x(), p.y())
            })
            .collect();
        let half = MARKER_SIZE / 2.0;
        for (entry, (dx, dy)) in entries.iter().zip(declutter(&points, MIN_GAP)) {
            // Leaflet places the icon with a transform and centres it with negative margins
            // (from iconAnchor); shifting the margins moves the icon without touching Leaflet.
            if let Some(el) = &entry.element {
                let style = el.style();
                let _ = style.set_property("margin-left", &format!("{:.1}px", dx - half));
                let _ = style.set_property("margin-top", &format!("{:.1}px", dy - half));
            }
        }
    }
}

fn create(map: &Map, view: &RegionView, portal: Portal) -> Entry {
    let icon_options = DivIconOptions::new();
    icon_options.set_class_name(MARKER_CLASS.to_owned());
    icon_options.set_html(marker_html(&view.region.display_name));
    icon_options.set_icon_size(Point::new(MARKER_SIZE, MARKER_SIZE));
    icon_options.set_icon_anchor(Point::new(MARKER_SIZE / 2.0, MARKER_SIZE / 2.0));
    let options = MarkerOptions::new();
    options.set_icon(div_icon(&icon_options));
    // keyboard: Leaflet gives the element tabindex=0 and role=button.
    options.set_keyboard(true);
    options.set_rise_on_hover(true);
    let marker = Marker::new_with_options(&LatLng::new(view.region.latitude, view.region.longitude), &options);
    marker.add_to(map);

    let name = view.region.name.clone();
    marker.on_click(Box::new(move |_| portal.open(name.clone())));

    let element = marker_element(&marker);
    let keydown = element.as_ref().map(|el| {
        el.set_attribute("data-region", view.region.name.as_str()).ok();
        let name = view.region.name.clone();
        // Leaflet only turns Enter into a click for popups, so markers handle their keys.
        let on_key = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                portal.open(name.clone());
            }
        });
        el.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref()).ok();
        on_key
    });
    Entry { marker, element, shown: None, _keydown: keydown }
}

fn update(entry: &mut Entry, view: &RegionView) {
    let attrs = MarkerAttrs::of(view);
    if entry.shown.as_ref() == Some(&attrs) {
        return;
    }
    if let Some(el) = &entry.element {
        el.set_attribute("data-state", attrs.state).ok();
        el.set_attribute("aria-label", &attrs.label).ok();
        el.set_attribute("title", &attrs.label).ok();
        if attrs.busy {
            el.set_attribute("aria-busy", "true").ok();
        } else {
            el.remove_attribute("aria-busy").ok();
        }
    }
    // Replicas draw above available regions where they still overlap.
    let z = if attrs.state == "available" { 0.0 } else { 1000.0 };
    entry.marker.set_z_index_offset(z);
    entry.shown = Some(attrs);
}
