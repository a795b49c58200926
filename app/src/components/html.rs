//! The parts of the page that are HTML text set as `inner_html`, not views: the header's
//! registry facts and coverage figure, the wall screen's figure and counts, the region card's body and its
//! workloads, and the table's rows for regions without a replica. One memo closure renders
//! them all, so the WASM holds one memo of a `String`, not one per part.

use leptos::prelude::*;

use crate::model::coverage;
use crate::portal::Portal;

/// Which part a memo renders.
#[derive(Clone, Copy)]
pub enum Part {
    /// The header's `.registry-box`: the selected registry's facts.
    Registry,
    /// `#coverage` in the header.
    Header,
    /// `#kiosk-coverage`.
    Kiosk,
    /// `#kiosk-counts`' items.
    Counts,
    /// The card's facts (rebuilt every second: the time in state).
    CardBody,
    /// The card's workloads (changed only with the workloads or the replica's coverage, so
    /// its links are not replaced under a click).
    CardWorkloads,
    /// `#coverage-rows`, filtered by the table's filter.
    Rows(RwSignal<String>),
}

/// A memo of `part`'s HTML.
pub fn html(portal: Portal, part: Part) -> Memo<String> {
    Memo::new(move |_| render(portal, part))
}

fn render(portal: Portal, part: Part) -> String {
    let model = portal.model;
    match part {
        Part::Registry => model.with(crate::components::header::registry_html),
        Part::Header => {
            let refusal = portal.denied.get();
            model.with(|m| {
                let name = m.selected_registry().map(|r| r.key.name.to_string());
                coverage::header_html(name.as_deref(), m.figure(), refusal.as_deref())
            })
        }
        Part::Kiosk => model.with(|m| coverage::kiosk_html(m.figure())),
        Part::Counts => {
            let now = portal.now.get();
            model.with(|m| crate::components::legend::counts_html(m, now))
        }
        Part::CardBody => {
            let Some(region) = portal.card.with(|c| c.as_ref().map(|c| c.region.clone())) else { return String::new() };
            let now = portal.now.get();
            model.with(|m| {
                let Some(view) = m.region_view(&region, now) else { return String::new() };
                let pair = view.region.paired_region.as_ref().map(|p| m.display_name(p));
                crate::components::region_card::body_html(&view, pair, now)
            })
        }
        Part::CardWorkloads => {
            let Some(region) = portal.card.with(|c| c.as_ref().map(|c| c.region.clone())) else { return String::new() };
            model.with(|m| {
                let replica = m.selected().and_then(|s| s.replications.iter().find(|r| r.location == region));
                let c = m.coverage();
                coverage::card_html(c, &region, c.and_then(|c| c.status(&region, replica)))
            })
        }
        Part::Rows(filter) => {
            let (now, filter, read_only) = (portal.now.get_untracked(), filter.get(), portal.read_only.get());
            model.with(|m| coverage::rows_html(&m.uncovered(now), &filter, !portal.kiosk, read_only))
        }
    }
}
