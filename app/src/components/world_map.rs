//! The map container. The server renders an empty `<div id="map">`; in the browser
//! `crate::leaflet` draws the outline and the region markers into it and then sets
//! `data-ready="true"` on it: from then on every marker is a focusable button whose Enter,
//! Space and click open its dialog. Before that there is no marker to press.

use leptos::html::Div;
use leptos::prelude::*;

use crate::portal::Portal;

/// `<div id="map">`, filled by Leaflet after hydration.
#[component]
pub fn WorldMap(portal: Portal) -> impl IntoView {
    let node = NodeRef::<Div>::new();
    #[cfg(feature = "hydrate")]
    crate::leaflet::mount(node, portal);
    #[cfg(not(feature = "hydrate"))]
    let _ = portal;
    view! {
        <div
            id="map"
            node_ref=node
            role="region"
            aria-label="World map of Azure regions. Each region is a button; press Enter to act on it."
        ></div>
    }
}
