//! The progress line: writes this tab started that the status stream has not settled yet.

use leptos::prelude::*;

use crate::portal::Portal;

/// `<p id="activity" role="status">`, e.g. "Creating a replica in Japan East…".
#[component]
pub fn Activity(portal: Portal) -> impl IntoView {
    let text = move || {
        portal.model.with(|m| {
            m.pending_list()
                .into_iter()
                .map(|(region, pending)| format!("{} the replica in {region}…", pending.verb()))
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    view! {
        <p id="activity" role="status" class:busy=move || !text().is_empty()>
            <span class="spinner" aria-hidden="true"></span>
            <span class="activity-text">{text}</span>
        </p>
    }
}
