//! The legend: one entry per marker state, drawn with the same CSS as the markers. The wall
//! screen's variant adds how many replicas are in each state.

use leptos::prelude::*;

use crate::model::RegionState;
use crate::portal::Portal;

fn swatch(state: RegionState) -> impl IntoView {
    view! {
        <span class="legend-swatch" data-state=state.as_str() aria-hidden="true">
            <span class="marker-shape"></span>
        </span>
    }
}

/// `<ul id="legend">` naming every state a marker can show.
#[component]
pub fn Legend() -> impl IntoView {
    let items = RegionState::ALL
        .iter()
        .map(|state| view! { <li data-state=state.as_str()>{swatch(*state)}{state.describe()}</li> })
        .collect_view();
    view! {
        <ul id="legend" aria-label="Legend">
            {items}
        </ul>
    }
}

/// `<ul id="kiosk-counts">`: each replica state with its count, large, for a wall screen.
/// States with no replica are dimmed but kept, so the layout does not jump.
#[component]
pub fn Counts(portal: Portal) -> impl IntoView {
    let counts = Memo::new(move |_| {
        let now = portal.now.get();
        portal.model.with(|m| m.counts(now))
    });
    let items = RegionState::ALL
        .iter()
        .filter(|s| !matches!(s, RegionState::Available | RegionState::Unavailable))
        .map(|&state| {
            let n = move || counts.with(|c| c.get(&state).copied().unwrap_or(0));
            view! {
                <li data-state=state.as_str() class:zero=move || n() == 0>
                    {swatch(state)}
                    <span class="count">{n}</span>
                    <span class="count-label">{state.describe()}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul id="kiosk-counts" aria-label="Replicas by state">
            {items}
        </ul>
    }
}
