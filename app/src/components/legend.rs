//! The legend: one entry per marker state, drawn with the same CSS as the markers.

use leptos::prelude::*;

use crate::model::RegionState;

fn describe(state: RegionState) -> &'static str {
    match state {
        RegionState::Home => "Home replica",
        RegionState::Ready => "Replica ready",
        RegionState::Creating => "Creating",
        RegionState::Syncing => "Syncing",
        RegionState::Updating => "Updating",
        RegionState::Deleting => "Deleting",
        RegionState::Failed => "Failed",
        RegionState::Available => "Available",
    }
}

/// `<ul id="legend">` naming every state a marker can show.
#[component]
pub fn Legend() -> impl IntoView {
    let items = RegionState::ALL
        .iter()
        .map(|state| {
            view! {
                <li data-state=state.as_str()>
                    <span class="legend-swatch" data-state=state.as_str() aria-hidden="true">
                        <span class="marker-shape"></span>
                    </span>
                    {describe(*state)}
                </li>
            }
        })
        .collect_view();
    view! {
        <ul id="legend" aria-label="Legend">
            {items}
        </ul>
    }
}
