//! One Leaflet marker per region, kept for the life of the page.
//!
//! A state change rewrites the marker element's attributes in place instead of calling
//! `setIcon`, which would replace the element and drop keyboard focus from it.

use std::collections::HashMap;

use leaflet::{DivIconOptions, LatLng, Map, Marker, MarkerOptions, MouseEvents, Point};
use leptos::prelude::{Set, WithUntracked};
use replimap_types::RegionName;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};

use super::bindings::{div_icon, marker_element};
use crate::components::region_marker::{declutter, marker_html, MarkerAttrs, MARKER_CLASS, MARKER_SIZE, MIN_GAP};
use crate::model::RegionView;
use crate::portal::{Card, Portal, Step};

struct Entry {
    marker: Marker,
    element: Option<HtmlElement>,
    shown: Option<MarkerAttrs>,
    // Live as long as the element that calls them.
    _listeners: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

/// The markers on one map.
#[derive(Default)]
pub struct Markers {
    entries: HashMap<RegionName, Entry>,
    order: Vec<RegionName>,
}

impl Markers {
    /// Adds missing markers, removes stale ones and brings every element up to date.
    pub fn sync(&mut self, map: &Map, views: &[RegionView], selected: Option<&RegionName>, portal: Portal) {
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
                update(entry, view, selected == Some(&view.region.name));
            }
        }
        if added {
            self.declutter(map);
        }
    }

    /// Where a region's marker is.
    pub fn lat_lng(&self, region: &RegionName) -> Option<LatLng> {
        self.entries.get(region).map(|e| e.marker.get_lat_lng())
    }

    /// A region's marker element.
    pub fn element(&self, region: &RegionName) -> Option<&HtmlElement> {
        self.entries.get(region)?.element.as_ref()
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
                // Whole pixels, printed as integers: a float's Display would link core's float
                // printer into the WASM for a sub-pixel nobody sees.
                let _ = style.set_property("margin-left", &format!("{}px", (dx - half).round() as i64));
                let _ = style.set_property("margin-top", &format!("{}px", (dy - half).round() as i64));
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
    // Not Leaflet's `keyboard` option: the element becomes a focusable button below, together
    // with its key handler, so the two cannot be told apart from outside (the same task adds
    // both; this keeps it so if the order of the code changes).
    options.set_keyboard(false);
    options.set_rise_on_hover(true);
    let marker = Marker::new_with_options(&LatLng::new(view.region.latitude, view.region.longitude), &options);
    marker.add_to(map);

    let name = view.region.name.clone();
    marker.on_click(Box::new(move |_| portal.open(name.clone(), Step::Main)));

    let element = marker_element(&marker);
    let mut listeners = Vec::new();
    if let Some(el) = &element {
        el.set_attribute("data-region", view.region.name.as_str()).ok();
        el.set_attribute("aria-describedby", "region-card").ok();
        let name = view.region.name.clone();
        // Leaflet only turns Enter into a click for popups, so markers handle their keys.
        listeners.push(listen(el, "keydown", move |e| {
            let Some(e) = e.dyn_ref::<KeyboardEvent>() else { return };
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                portal.open(name.clone(), Step::Main);
            } else if e.key() == "Escape" {
                portal.card.set(None);
            }
        }));
        // The card follows pointer hover and keyboard focus alike.
        for event in ["mouseenter", "focus"] {
            let (name, el2) = (view.region.name.clone(), el.clone());
            listeners.push(listen(el, event, move |_| show_card(portal, &name, &el2, event == "mouseenter")));
        }
        for event in ["mouseleave", "blur"] {
            let name = view.region.name.clone();
            listeners.push(listen(el, event, move |e| {
                // The pointer moved on into the card (to its links): it stays until it leaves that.
                let into_card = e
                    .dyn_ref::<web_sys::MouseEvent>()
                    .and_then(|m| m.related_target())
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|t| t.closest("#region-card").ok().flatten().is_some());
                if !into_card && portal.card.with_untracked(|c| c.as_ref().is_some_and(|c| c.region == name)) {
                    portal.card.set(None);
                }
            }));
        }
        // Only now a button in the tab order: Enter and Space on it always do something.
        el.set_tab_index(0);
        el.set_attribute("role", "button").ok();
    }
    Entry { marker, element, shown: None, _listeners: listeners }
}

fn listen(
    el: &HtmlElement,
    event: &str,
    f: impl FnMut(web_sys::Event) + 'static,
) -> Closure<dyn FnMut(web_sys::Event)> {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(f);
    el.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref()).ok();
    closure
}

/// Roughly the card's height (with "Recent actions here") and half its width, to keep it
/// inside the window.
const CARD_HEIGHT: f64 = 420.0;
const CARD_HALF_WIDTH: f64 = 180.0;

/// Places the card above the marker, or below it near the top of the window, and never
/// past the window's sides (viewport coordinates; the card is `position: fixed`).
fn show_card(portal: Portal, region: &RegionName, el: &HtmlElement, hover: bool) {
    let rect = el.get_bounding_client_rect();
    let width = web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|w| w.as_f64()).unwrap_or(1280.0);
    let x = (rect.left() + rect.width() / 2.0).clamp(CARD_HALF_WIDTH, (width - CARD_HALF_WIDTH).max(CARD_HALF_WIDTH));
    let below = rect.top() < CARD_HEIGHT;
    let y = if below { rect.bottom() } else { rect.top() };
    portal.card.set(Some(Card { region: region.clone(), x, y, below, hover }));
    portal.load_recent(region);
}

fn update(entry: &mut Entry, view: &RegionView, selected: bool) {
    let attrs = MarkerAttrs::of(view, selected);
    if entry.shown.as_ref() == Some(&attrs) {
        return;
    }
    if let Some(el) = &entry.element {
        el.set_attribute("data-state", attrs.state).ok();
        el.set_attribute("aria-label", &attrs.label).ok();
        for (name, value) in [("data-reason", attrs.reason), ("data-coverage", attrs.coverage)] {
            match value {
                Some(value) => el.set_attribute(name, value).ok(),
                None => el.remove_attribute(name).ok(),
            };
        }
        if entry.shown.as_ref().map(|s| s.count) != Some(attrs.count) {
            let text = if attrs.count == 0 { String::new() } else { attrs.count.to_string() };
            if let Some(badge) = el.last_element_child() {
                badge.set_text_content(Some(&text));
            }
        }
        for (name, on) in attrs.flags() {
            if on {
                el.set_attribute(name, "true").ok();
            } else {
                el.remove_attribute(name).ok();
            }
        }
    }
    // Replicas and gaps draw above free regions where they still overlap, the selected one on top.
    let z = match (attrs.selected, attrs.state, attrs.coverage) {
        (true, _, _) => 2000.0,
        (false, _, Some("gap")) => 1000.0,
        (false, "available" | "unavailable", _) => 0.0,
        _ => 1000.0,
    };
    entry.marker.set_z_index_offset(z);
    entry.shown = Some(attrs);
}
