//! The card a marker shows on hover or keyboard focus: where the region is, what the replica
//! there is doing, what happened to it last, the registry's workloads there with their
//! evidence and coverage (`model::coverage::card_html`), and the last actions taken there through the
//! portal ("Recent actions here", from the audit trail, with a link to all of them). Markers
//! point at it with `aria-describedby`, so a screen reader reads it after the marker's name.
//! Opened by the pointer, the card stays while the pointer is on it, so its link can be used.

use crate::components::html::{html, Part};
use crate::components::region_marker::escape_html as esc;
use crate::model::audit;
use crate::model::table::{status_detail, Cells};
use crate::model::{duration, RegionView};
use crate::portal::Portal;
use leptos::prelude::*;

/// One line of the card: `data-field`, term and text.
type Field = (&'static str, &'static str, String);

fn fields(v: &RegionView, pair: Option<String>, now_ms: i64) -> Vec<Field> {
    let r = &v.region;
    let dash = || "—".to_owned();
    let mut out: Vec<Field> = vec![
        (
            "geography",
            "Geography",
            if r.geography.is_empty() { dash() } else { format!("{} ({})", r.geography, r.geography_group) },
        ),
        ("physical-location", "Location", r.physical_location.clone().unwrap_or_else(dash)),
        ("paired-region", "Paired region", pair.unwrap_or_else(dash)),
        (
            "zones",
            "Availability zones",
            if r.availability_zones.is_empty() { "none".to_owned() } else { r.availability_zones.join(", ") },
        ),
    ];
    match &v.replica {
        Some(rep) => {
            let status = status_detail(rep).unwrap_or_else(|| rep.provisioning_state.to_string());
            out.push(("status", "Status", status));
            if let Some(since) = v.since_ms {
                let stuck = if v.stuck { " — possibly stuck" } else { "" };
                out.push(("since", "In this state for", format!("{}{stuck}", duration::short(now_ms - since))));
            }
            out.push(("timestamp", "Status time", rep.status.timestamp.as_deref().map_or_else(dash, readable_time)));
            out.push(("zone-redundancy", "Zone redundancy", Cells::of(rep).zone.to_owned()));
            let routing = if rep.region_endpoint_enabled {
                "On: the global endpoint routes here"
            } else {
                "Off: no requests are routed here"
            };
            out.push(("routing", "Routing", routing.to_owned()));
        }
        None => {
            let status = match v.unavailable {
                Some(why) => format!("Not available: {}", why.reason()),
                None if v.pending.is_some() => "Creating…".to_owned(),
                None => "No replica".to_owned(),
            };
            out.push(("status", "Status", status));
        }
    }
    let last = v.last_event.as_ref().map_or_else(
        || "Nothing since the page opened".to_owned(),
        |e| format!("{} ({} ago)", e.text, duration::short(now_ms - e.at_ms)),
    );
    out.push(("last-event", "Last event", last));
    out
}

/// `2026-11-30T13:11:38.3543Z` as `2026-11-30 13:11:38 UTC`; anything else as it came.
fn readable_time(ts: &str) -> String {
    match (ts.get(..10), ts.get(11..19), ts.ends_with('Z') || ts.ends_with("+00:00")) {
        (Some(date), Some(time), true) => format!("{date} {time} UTC"),
        _ => ts.to_owned(),
    }
}

/// The card's facts as HTML: the region's name, its state and a `<dl>` of `data-field`s.
pub fn body_html(v: &RegionView, pair: Option<String>, now_ms: i64) -> String {
    let mut out = format!(
        r#"<h3 data-field="display-name">{}</h3><p class="card-state" data-state="{}">{}</p><dl>"#,
        esc(&v.region.display_name),
        v.state.as_str(),
        v.state.describe()
    );
    for (field, term, text) in fields(v, pair, now_ms) {
        out.push_str(&format!(r#"<div data-field="{field}"><dt>{term}</dt><dd>{}</dd></div>"#, esc(&text)));
    }
    out.push_str("</dl>");
    out
}

/// `<div id="region-card" role="tooltip">`, `hidden` when no marker is hovered or focused.
#[component]
pub fn RegionCard(portal: Portal) -> impl IntoView {
    // Where and what: the body's HTML is a part of its own (`components::html`).
    let at = Memo::new(move |_| {
        let card = portal.card.get()?;
        let state = portal.model.with(|m| m.region_view(&card.region, 0).map(|v| v.state.as_str()))?;
        Some((card.x, card.y, card.below, card.hover, state))
    });
    let body = html(portal, Part::CardBody);
    let workloads = html(portal, Part::CardWorkloads);
    view! {
        <div
            id="region-card"
            role="tooltip"
            hidden=move || at.with(Option::is_none)
            data-state=move || at.with(|v| v.map(|v| v.4))
            data-below=move || at.with(|v| v.is_some_and(|v| v.2).then_some("true"))
            data-hover=move || at.with(|v| v.is_some_and(|v| v.3).then_some("true"))
            on:mouseleave=move |_| portal.card.set(None)
            style=move || at.with(|v| v.map(|v| format!("left:{}px;top:{}px", v.0.round() as i64, v.1.round() as i64)))
        >
            <div class="card-body" inner_html=move || body.get()></div>
            <section class="card-workloads" data-field="workloads" inner_html=move || workloads.get()></section>
            // Beside the part rebuilt every second, so its link is not replaced under a click;
            // its times are as of the last change of the list.
            <section
                class="card-recent"
                data-field="recent"
                inner_html=move || {
                    portal.recent.with(|r| {
                        let r = r.as_ref()?;
                        let display = portal.model.with_untracked(|m| m.display_name(&r.0 .1));
                        Some(audit::recent_html(r, portal.now.get_untracked(), &display))
                    })
                }
            ></section>
        </div>
    }
}
