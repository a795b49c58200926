//! "Add a replica" without the map: a list of the free regions and a button that opens the
//! same create dialog a marker opens. With the row buttons this makes every action
//! reachable by keyboard and screen reader alone.

use leptos::prelude::*;

use crate::components::denied::{note, WRITES};
use crate::portal::{Portal, Step};

/// `<form id="add-replica">` with `select#add-region`, and `#write-denied`: why it and the
/// table's row actions are disabled, when the identity may not write to the registry.
#[component]
pub fn AddReplica(portal: Portal) -> impl IntoView {
    let regions = Memo::new(move |_| {
        portal.model.with(|m| {
            m.available_regions()
                .into_iter()
                .map(|r| {
                    let text =
                        if r.regional_display_name.is_empty() { r.display_name } else { r.regional_display_name };
                    (r.name, text)
                })
                .collect::<Vec<_>>()
        })
    });
    let choice = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let picked = choice.get_untracked();
        // The list may have changed under a stale choice; then the first free region is shown.
        let region = regions.with_untracked(|r| {
            r.iter().find(|(n, _)| n.as_str() == picked).or_else(|| r.first()).map(|(n, _)| n.clone())
        });
        if let Some(region) = region {
            portal.open(region, Step::Main);
        }
    };
    (!portal.kiosk).then(|| {
        view! {
            <form id="add-replica" on:submit=submit>
                <label for="add-region">"Add a replica in"</label>
                <select
                    id="add-region"
                    disabled=portal.read_only
                    on:change=move |ev| choice.set(event_target_value(&ev))
                >
                    {move || {
                        regions
                            .get()
                            .into_iter()
                            .map(|(name, text)| {
                                let picked = choice.with(|c| c == name.as_str());
                                view! { <option value=name.to_string() selected=picked>{text}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                <button type="submit" disabled=move || regions.with(Vec::is_empty) || portal.read_only.get()>
                    "Add replica…"
                </button>
                {note(portal, "write-denied", WRITES)}
            </form>
        }
    })
}
