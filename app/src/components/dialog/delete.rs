//! The delete confirmation, naming the registry and the region.

use leptos::prelude::*;
use replimap_types::ReplicationName;

use crate::components::denied::note;
use crate::model::cli;
use crate::portal::Portal;

/// `[data-step="confirm-delete"]`: Cancel is the default; "Delete replica" sends `DELETE`.
pub fn confirm(
    title: String,
    registry: String,
    name: ReplicationName,
    deleting: bool,
    portal: Portal,
) -> impl IntoView {
    let cmd = cli::delete(&registry, name.as_str());
    let region = portal.dialog.with_untracked(|d| d.as_ref().map(|d| d.region.clone()));
    view! {
        <div data-step="confirm-delete">
            <h2 id="dialog-title">{format!("Delete the replica of {registry} in {title}?")}</h2>
            <p>
                {format!("Clients near {title} will be served by another replica of {registry}, further away. The images stay in its other regions. This cannot be undone; a new replica would copy every image again.")}
            </p>
            {super::command(move || cmd.clone())}
            {note(portal, "dialog-denied", "deleting a replica")}
            <div class="dialog-actions">
                <button
                    type="button"
                    class="danger"
                    disabled=move || deleting || portal.read_only.get()
                    on:click=move |_| {
                        if let Some(region) = region.clone() {
                            portal.delete(region);
                        }
                        portal.close();
                    }
                >
                    {if deleting { "Deleting…" } else { "Delete replica" }}
                </button>
                <button
                    type="button"
                    data-autofocus=""
                    on:click=move |_| portal.close()
                >
                    "Cancel"
                </button>
            </div>
        </div>
    }
}
