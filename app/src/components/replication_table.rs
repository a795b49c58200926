//! The replica list under the map, with the columns of `az acr replication list -o table`.

use leptos::prelude::*;
use replimap_types::Replication;

use crate::model::Pending;
use crate::portal::Portal;

/// `<table id="replications">`; one `<tr data-replication="{name}">` per replica, sorted by
/// name. Before the first snapshot the body holds a single `tr.loading` row.
#[component]
pub fn ReplicationTable(portal: Portal) -> impl IntoView {
    let model = portal.model;
    let rows = move || {
        model.with(|m| {
            if !m.loaded {
                return view! { <tr class="loading"><td colspan="5">"Loading replications…"</td></tr> }.into_any();
            }
            if m.selected().is_none() {
                return view! { <tr class="empty"><td colspan="5">"No replicable registry."</td></tr> }.into_any();
            }
            m.replicas()
                .into_iter()
                .map(|r| {
                    let deleting = m.pending.get(&r.location) == Some(&Pending::Delete);
                    row(r, deleting, portal)
                })
                .collect_view()
                .into_any()
        })
    };
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
            <tbody>{rows}</tbody>
        </table>
    }
}

fn row(r: Replication, deleting: bool, portal: Portal) -> impl IntoView {
    let location = r.location.clone();
    let status = r.status.display_status.clone().unwrap_or_else(|| "—".to_owned());
    let endpoint = if r.region_endpoint_enabled { "True" } else { "False" };
    let title = r.status.message.clone().unwrap_or_default();
    view! {
        <tr data-replication=r.name.to_string() data-phase=r.phase().as_str() class:pending=deleting>
            <td>
                // The name opens the same dialog as the marker.
                <button type="button" class="link" on:click=move |_| portal.open(location.clone())>
                    {r.name.to_string()}
                </button>
                {r.is_home.then_some(view! { <span class="badge">"home"</span> })}
            </td>
            <td>{r.location.to_string()}</td>
            <td>{r.provisioning_state.to_string()}</td>
            <td title=title>{status}</td>
            <td>{endpoint}</td>
        </tr>
    }
}
