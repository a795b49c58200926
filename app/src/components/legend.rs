//! The legend: one entry per marker state and coverage cue, drawn with the same CSS as the
//! markers. The wall screen's variant adds how many replicas are in each state.

use leptos::prelude::*;

use crate::model::{Model, RegionState};
use crate::portal::Portal;

/// A legend swatch: a marker's shape under the same CSS as the markers.
fn swatch(state: &str, coverage: &str, inner: &str) -> String {
    format!(
        r#"<span class="legend-swatch" data-state="{state}"{coverage} aria-hidden="true"><span class="marker-shape"></span>{inner}</span>"#
    )
}

/// `<ul id="legend">` naming every state a marker can show (`li[data-state]`), then each
/// coverage cue (`li[data-coverage]`: gap, idle, unattributed, the workload count). Server
/// HTML: it never changes, and hydration leaves `inner_html` as it is, so the browser carries
/// no code for it.
#[component]
pub fn Legend() -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    let html = legend_html();
    #[cfg(feature = "hydrate")]
    let html = String::new();
    view! { <ul id="legend" aria-label="Legend" inner_html=html></ul> }
}

/// The legend's entries; a swatch is a marker's shape under the same CSS as the markers.
#[cfg(not(feature = "hydrate"))]
fn legend_html() -> String {
    let item = |kind: &str, value: &str, state: &str, coverage: &str, inner: &str, text: &str| {
        format!(r#"<li data-{kind}="{value}">{}{text}</li>"#, swatch(state, coverage, inner))
    };
    let mut out: String =
        RegionState::ALL.iter().map(|s| item("state", s.as_str(), s.as_str(), "", "", s.describe())).collect();
    for (value, state, text) in [
        ("gap", "available", "Gap: images run here, no replica"),
        ("idle", "ready", "Idle replica: nothing pulls here"),
        ("unattributed", "available", "Workloads of unknown registry"),
    ] {
        out.push_str(&item("coverage", value, state, &format!(r#" data-coverage="{value}""#), "", text));
    }
    let count = r#"<span class="marker-count">3</span>"#;
    out.push_str(&item("coverage", "count", "available", "", count, "Workloads running there"));
    out
}

/// `<ul id="kiosk-counts">`: each replica state with its count, large, for a wall screen.
/// States with no replica are dimmed but kept, so the layout does not jump. HTML text
/// (`components::html`).
#[component]
pub fn Counts(portal: Portal) -> impl IntoView {
    let html = crate::components::html::html(portal, crate::components::html::Part::Counts);
    view! { <ul id="kiosk-counts" aria-label="Replicas by state" inner_html=move || html.get()></ul> }
}

/// The items of `#kiosk-counts`.
pub fn counts_html(m: &Model, now_ms: i64) -> String {
    let counts = m.counts(now_ms);
    RegionState::ALL
        .iter()
        .filter(|s| !matches!(s, RegionState::Available | RegionState::Unavailable))
        .map(|&state| {
            let n = counts.get(&state).copied().unwrap_or(0);
            format!(
                r#"<li data-state="{s}"{zero}>{swatch}<span class="count">{n}</span><span class="count-label">{label}</span></li>"#,
                s = state.as_str(),
                zero = if n == 0 { r#" class="zero""# } else { "" },
                swatch = swatch(state.as_str(), "", ""),
                label = state.describe()
            )
        })
        .collect()
}
