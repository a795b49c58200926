//! The replica list under the map, with the columns of `az acr replication list -o table`.

use leptos::prelude::*;
use replimap_types::{RegionName, Replication, ReplicationName};

use crate::model::{Model, Pending};
use crate::portal::Portal;

/// What the table body shows besides the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholder {
    /// Before the first snapshot.
    Loading,
    /// No replicable registry.
    Empty,
    /// The rows.
    None,
}

/// What never changes for a row (a replica's name and location are immutable): the key of
/// `<For>`. A row keeps its DOM nodes for as long as its replica exists; the changing cells
/// are reactive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RowKey {
    registry: String,
    name: ReplicationName,
    location: RegionName,
    is_home: bool,
}

/// The cells that change while a replica lives.
#[derive(Debug, Clone, PartialEq, Default)]
struct RowState {
    phase: &'static str,
    provisioning: String,
    status: String,
    title: String,
    endpoint: &'static str,
    deleting: bool,
}

/// `<table id="replications">`; one `<tr data-replication="{name}">` per replica, sorted by
/// name. Before the first snapshot the body holds a single `tr.loading` row.
#[component]
pub fn ReplicationTable(portal: Portal) -> impl IntoView {
    let model = portal.model;
    let placeholder = Memo::new(move |_| {
        model.with(|m| match (m.loaded, m.selected().is_some()) {
            (false, _) => Placeholder::Loading,
            (true, false) => Placeholder::Empty,
            (true, true) => Placeholder::None,
        })
    });
    let keys = Memo::new(move |_| model.with(row_keys));
    view! {
        <table id="replications">
            <caption>"Replications"</caption>
            <thead>
                <tr>
                    <th scope="col">"NAME"</th>
                    <th scope="col">"LOCATION"</th>
                    <th scope="col">"PROVISIONING STATE"</th>
                    <th scope="col">"STATUS"</th>
                    <th scope="col">"REGION ENDPOINT ENABLED"</th>
                </tr>
            </thead>
            <tbody>
                {move || match placeholder.get() {
                    Placeholder::Loading => {
                        Some(view! { <tr class="loading"><td colspan="5">"Loading replications…"</td></tr> }.into_any())
                    }
                    Placeholder::Empty => {
                        Some(view! { <tr class="empty"><td colspan="5">"No replicable registry."</td></tr> }.into_any())
                    }
                    Placeholder::None => None,
                }}
                <For each=move || keys.get() key=RowKey::clone children=move |key| row(key, portal)/>
            </tbody>
        </table>
    }
    // Type erasure keeps the page's view type within the compiler's query depth limit.
    .into_any()
}

fn row_keys(m: &Model) -> Vec<RowKey> {
    let Some(registry) = m.selected_registry() else { return Vec::new() };
    let registry = registry.key.name.to_string();
    m.replicas()
        .into_iter()
        .map(|r| RowKey {
            registry: registry.clone(),
            name: r.name,
            location: r.location,
            is_home: r.is_home,
        })
        .collect()
}

fn row_state(m: &Model, name: &ReplicationName) -> RowState {
    let Some(r) = m.selected().and_then(|s| s.replications.iter().find(|r| &r.name == name)) else {
        // The row is about to be removed.
        return RowState::default();
    };
    state_of(r, m.pending.get(&r.location) == Some(&Pending::Delete))
}

fn state_of(r: &Replication, deleting: bool) -> RowState {
    RowState {
        phase: r.phase().as_str(),
        provisioning: r.provisioning_state.to_string(),
        status: r.status.display_status.clone().unwrap_or_else(|| "—".to_owned()),
        title: r.status.message.clone().unwrap_or_default(),
        endpoint: if r.region_endpoint_enabled { "True" } else { "False" },
        deleting,
    }
}

fn row(key: RowKey, portal: Portal) -> impl IntoView {
    let RowKey { name, location, is_home, .. } = key;
    let state = {
        let name = name.clone();
        Memo::new(move |_| portal.model.with(|m| row_state(m, &name)))
    };
    let region = location.clone();
    view! {
        <tr
            data-replication=name.to_string()
            data-phase=move || state.with(|s| s.phase)
            class:pending=move || state.with(|s| s.deleting)
        >
            <td>
                // The name opens the same dialog as the marker.
                <button
                    type="button"
                    class="link"
                    on:click=move |_| portal.open(region.clone())
                >
                    {name.to_string()}
                </button>
                {is_home.then_some(view! { <span class="badge">"home"</span> })}
            </td>
            <td>{location.to_string()}</td>
            <td>{move || state.with(|s| s.provisioning.clone())}</td>
            <td title=move || state.with(|s| s.title.clone())>{move || state.with(|s| s.status.clone())}</td>
            <td>{move || state.with(|s| s.endpoint)}</td>
        </tr>
    }
    .into_any()
}
