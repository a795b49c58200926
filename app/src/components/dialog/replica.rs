//! A replica's dialog: its live status, the form that changes routing and tags, and the way
//! to its deletion. The home replica can be updated but not deleted.

use leptos::prelude::*;
use replimap_types::{Region, ReplicationName, UpdateReplication};

use super::fields::{Checkbox, TagsField, ROUTING_LABEL, ROUTING_NOTE};
use crate::components::denied::note;
use crate::components::region_marker::escape_html as esc;
use crate::model::table::{status_detail, Cells};
use crate::model::{cli, duration, tags::parse_tags};
use crate::portal::{DialogTarget, Portal, Step};

/// Details, `<form id="update-form">` and "Delete replica…".
pub fn details(
    region: Region,
    registry: String,
    name: ReplicationName,
    home: bool,
    routing_now: bool,
    tags_now: String,
    portal: Portal,
) -> impl IntoView {
    let routing = RwSignal::new(routing_now);
    let tags = RwSignal::new(tags_now.clone());
    let parsed = Memo::new(move |_| tags.with(|t| parse_tags(t)));
    // Compared as parsed tags: reordering or extra spaces change nothing.
    let original = parse_tags(&tags_now).ok();
    let tags_changed = Memo::new(move |_| parsed.with(|p| p.as_ref().ok() != original.as_ref()));
    let changed = Memo::new(move |_| routing.get() != routing_now || tags_changed.get() || parsed.with(Result::is_err));
    let display = region.display_name.clone();
    let cmd = {
        let (registry, name) = (registry.clone(), name.to_string());
        move || {
            let tags = parsed.get().unwrap_or_default();
            cli::update(&registry, &name, routing.get(), tags_changed.get().then_some(&tags))
        }
    };
    let location = region.name.clone();
    let submit = {
        let location = location.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Ok(tags) = parsed.get_untracked() else { return };
            // Untouched tags are not sent, so a routing change cannot rewrite them.
            let tags = tags_changed.get_untracked().then_some(tags);
            let body = UpdateReplication { region_endpoint_enabled: Some(routing.get_untracked()), tags };
            portal.update(location.clone(), body);
            portal.close();
        }
    };
    let heading = if home {
        format!("{display} — home replica of {registry}")
    } else {
        format!("Replica of {registry} in {display}")
    };
    let guard = home.then(|| {
        view! {
            <p class="home-note">
                {format!("{display} is the home region of {registry}: the registry was created there and its home replica cannot be deleted.")}
            </p>
        }
    });
    let delete = (!home).then(|| {
        view! {
            <button
                type="button"
                class="danger subtle"
                data-action="delete"
                disabled=portal.read_only
                on:click=move |_| portal.dialog.set(Some(DialogTarget { region: location.clone(), step: Step::ConfirmDelete }))
            >
                "Delete replica…"
            </button>
        }
    });
    view! {
        <h2 id="dialog-title">{heading}</h2>
        {guard}
        <Status portal name=name.clone()/>
        <form id="update-form" on:submit=submit novalidate="">
            <h3>"Routing and tags"</h3>
            <fieldset disabled=portal.read_only>
                <Checkbox id="update-routing" name="region-endpoint-enabled" label=ROUTING_LABEL checked=routing note=ROUTING_NOTE/>
                <TagsField id="update-tags" tags parsed/>
            </fieldset>
            {super::command(cmd)}
            {note(portal, "dialog-denied", "changing or deleting a replica")}
            <div class="dialog-actions">
                <button
                    type="submit"
                    class="primary"
                    disabled=move || portal.read_only.get() || !changed.get()
                >
                    "Save changes"
                </button>
                {delete}
                <button type="button" data-autofocus="" on:click=move |_| portal.close()>"Close"</button>
            </div>
        </form>
    }
}

/// The replica's live status: re-rendered on every change without touching the form. HTML
/// text, not views (the WASM budget).
#[component]
fn Status(portal: Portal, name: ReplicationName) -> impl IntoView {
    let html = Memo::new(move |_| {
        let now = portal.now.get();
        portal.model.with(|m| {
            let Some(r) = m.selected().and_then(|s| s.replications.iter().find(|r| r.name == name)) else {
                return String::new();
            };
            let Some(view) = m.region_view(&r.location, now) else { return String::new() };
            let since = view.since_ms.map(|s| duration::short(now - s)).unwrap_or_else(|| "—".to_owned());
            let cells = Cells::of(r);
            let status = status_detail(r).unwrap_or_else(|| "—".to_owned());
            let stuck = if view.stuck { " — possibly stuck" } else { "" };
            let mut out = String::new();
            for (term, text) in [
                ("Provisioning state", cells.provisioning.as_str()),
                ("Status", &status),
                ("In this state for", &format!("{since}{stuck}")),
                ("Region endpoint enabled", cells.endpoint),
                ("Zone redundancy", cells.zone),
            ] {
                out.push_str(&format!("<div><dt>{term}</dt><dd>{}</dd></div>", esc(text)));
            }
            out
        })
    });
    view! { <dl class="replica-status" inner_html=move || html.get()></dl> }
}
