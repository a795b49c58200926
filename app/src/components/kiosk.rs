//! Wall-screen mode (`/?kiosk`): the map of one registry filling the screen, its coverage
//! figure and large counts per state, no controls. `&cycle=<seconds>` rotates through the replicable registries (or
//! those in `&registries=a,b`). When the stream is down or quiet the whole screen says so,
//! so nobody trusts a frozen picture.

use leptos::prelude::*;

use crate::components::legend::Counts;
use crate::components::stream_banner::StreamBanner;
use crate::components::world_map::WorldMap;
use crate::location::use_location;
use crate::model::StreamStatus;
use crate::portal::Portal;

/// Shortest rotation accepted, so a typo cannot make the screen flicker.
const MIN_CYCLE_SECS: u32 = 5;

/// `<main id="kiosk" data-registry="…" data-stale="true|false">`.
#[component]
pub fn Kiosk(portal: Portal) -> impl IntoView {
    let (cycle, only) = use_location().query().with_untracked(|q| {
        let cycle = q.get("cycle").and_then(|c| c.parse::<u32>().ok()).map(|c| c.max(MIN_CYCLE_SECS));
        let only: Vec<String> = q
            .get("registries")
            .map(|l| l.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        (cycle, only)
    });
    #[cfg(feature = "hydrate")]
    if let Some(secs) = cycle {
        rotate(portal, secs, only);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (cycle, only);
    let name = Memo::new(move |_| portal.model.with(|m| m.selected_registry().map(|r| r.key.name.to_string())));
    let home = Memo::new(move |_| {
        portal.model.with(|m| m.selected_registry().map(|r| m.display_name(&r.location)).unwrap_or_default())
    });
    let coverage = crate::components::html::html(portal, crate::components::html::Part::Kiosk);
    let stale = move || !matches!(portal.stream.get(), StreamStatus::Live | StreamStatus::Connecting);
    let clock = move || {
        let secs = portal.now.get() / 1000;
        format!("{:02}:{:02} UTC", (secs / 3600) % 24, (secs / 60) % 60)
    };
    view! {
        <main id="kiosk" data-registry=move || name.get() data-stale=move || if stale() { "true" } else { "false" }>
            <header class="kiosk-head">
                <h1>
                    <span class="kiosk-registry">{move || name.get().unwrap_or_else(|| "No registry".to_owned())}</span>
                    <span class="kiosk-home">{move || format!("home {}", home.get())}</span>
                </h1>
                <p id="kiosk-coverage" inner_html=move || coverage.get()></p>
                <p id="stream-status" data-state=move || portal.stream.get().as_str() role="status">
                    <span class="stream-dot" aria-hidden="true"></span>
                    <span class="stream-text">{move || portal.stream.get().text()}</span>
                    <span class="kiosk-clock">{clock}</span>
                </p>
            </header>
            <StreamBanner portal/>
            <WorldMap portal/>
            <Counts portal/>
        </main>
    }
}

/// Moves to the next registry every `secs` seconds (without touching the URL or history).
#[cfg(feature = "hydrate")]
fn rotate(portal: Portal, secs: u32, only: Vec<String>) {
    let timer = crate::api::Interval::every(i32::try_from(secs.saturating_mul(1000)).unwrap_or(i32::MAX), move || {
        portal.model.update(|m| {
            // The list as given, or every replicable registry by name.
            let names: Vec<String> = if only.is_empty() {
                let mut all: Vec<String> = m
                    .registries
                    .iter()
                    .filter(|s| s.registry.replicable)
                    .map(|s| s.registry.key.name.to_string())
                    .collect();
                // Registry names are ASCII.
                crate::model::sort_by(&mut all, |a, b| a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()));
                all
            } else {
                only.clone()
            };
            if names.is_empty() {
                return;
            }
            let current = m.selected_registry().map(|r| r.key.name.to_string()).unwrap_or_default();
            let at = names.iter().position(|n| n.eq_ignore_ascii_case(&current));
            let next = at.map_or(0, |i| (i + 1) % names.len());
            m.wanted = Some(names[next].clone());
        });
    });
    // The timer lives as long as the page's reactive owner.
    StoredValue::new_local(timer);
}
