//! The create form: zone redundancy (only where the region has zones), routing, tags.

use leptos::prelude::*;
use replimap_types::{CreateReplication, Region, ZoneRedundancy};

use super::fields::{Checkbox, TagsField, ROUTING_LABEL, ROUTING_NOTE};
use crate::components::denied::note;
use crate::model::{cli, tags::parse_tags};
use crate::portal::Portal;

/// `<form id="create-form">`: "Create replica" sends `PUT` and closes the dialog; the marker
/// and the row show the progress.
pub fn form(region: Region, registry: String, portal: Portal) -> impl IntoView {
    let zoned = !region.availability_zones.is_empty();
    let zone = RwSignal::new(false);
    let routing = RwSignal::new(true);
    let tags = RwSignal::new(String::new());
    let parsed = Memo::new(move |_| tags.with(|t| parse_tags(t)));
    let name = region.name.clone();
    let display = region.display_name.clone();
    let cmd = {
        let (registry, location) = (registry.clone(), name.to_string());
        move || cli::create(&registry, &location, zone.get(), routing.get(), &parsed.get().unwrap_or_default())
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(tags) = parsed.get_untracked() else { return };
        let body = CreateReplication {
            location: name.to_string(),
            region_endpoint_enabled: Some(routing.get_untracked()),
            zone_redundancy: zone.get_untracked().then_some(ZoneRedundancy::Enabled),
            tags,
        };
        portal.create(name.clone(), body);
        portal.close();
    };
    let zones_note = if zoned {
        format!(
            "Spreads the replica over {}'s availability zones ({}). Cannot be changed later.",
            display,
            region.availability_zones.join(", ")
        )
    } else {
        format!("{display} has no availability zones.")
    };
    view! {
        <h2 id="dialog-title">{format!("Replicate {registry} to {display}?")}</h2>
        <p>
            {format!("Creates a replica named {} in {display}. Images are copied in the background; the replica shows as Syncing until it is Ready. Each replica is billed as a Premium registry.", region.name)}
        </p>
        <form id="create-form" on:submit=submit novalidate="">
            <fieldset disabled=portal.read_only>
                <Checkbox id="create-zone" name="zone-redundancy" label="Zone redundancy" checked=zone disabled=!zoned note=zones_note/>
                <Checkbox id="create-routing" name="region-endpoint-enabled" label=ROUTING_LABEL checked=routing note=ROUTING_NOTE/>
                <TagsField id="create-tags" tags parsed/>
            </fieldset>
            {super::command(cmd)}
            {note(portal, "dialog-denied", "adding a replica")}
            <div class="dialog-actions">
                <button
                    type="submit"
                    class="primary"
                    data-autofocus=""
                    disabled=portal.read_only
                >
                    "Create replica"
                </button>
                <button type="button" on:click=move |_| portal.close()>"Cancel"</button>
            </div>
        </form>
    }
}
