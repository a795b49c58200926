//! The page header: the registry picker, the selected registry, who is signed in and the
//! live-stream indicator.

use leptos::either::Either;
use leptos::prelude::*;

use crate::components::identity::identity;
use crate::components::registry_picker::RegistryPicker;
use crate::portal::Portal;

/// `<header id="top">` with `#registry-picker`, `#registry[data-registry]` (resource group,
/// home region, SKU, login server), `a#activity-link` (the registry's activity page),
/// `#stream-status[data-state]` and `#me` (`crate::components::identity`).
#[component]
pub fn Header(portal: Portal) -> impl IntoView {
    let model = portal.model;
    let registry = move || {
        model.with(|m| {
            let placeholder = |id: Option<&'static str>, text: String| {
                Either::Left(view! { <p id=id class="registry-placeholder">{text}</p> })
            };
            if let Some(name) = m.missing() {
                let text = format!(
                    "No registry named \"{name}\" is among the {} this portal watches. Pick one from the list.",
                    m.registries.len()
                );
                return placeholder(Some("registry-missing"), text);
            }
            if !m.loaded {
                return placeholder(None, "Loading registries…".to_owned());
            }
            let Some(state) = m.selected() else {
                return placeholder(
                    None,
                    "No registry that supports geo-replication (Premium SKU) was found.".to_owned(),
                );
            };
            let r = &state.registry;
            let home = m.display_name(&r.location);
            let error = state.error.clone();
            let note = (!r.replicable).then(|| {
                r.not_replicable_reason
                    .clone()
                    .unwrap_or_else(|| format!("{} is {}: geo-replication needs the Premium SKU.", r.key.name, r.sku))
            });
            Either::Right(view! {
                <dl id="registry" data-registry=r.key.name.to_string()>
                    <div><dt>"Resource group"</dt><dd>{r.key.resource_group.to_string()}</dd></div>
                    <div><dt>"Home region"</dt><dd>{home}</dd></div>
                    <div><dt>"SKU"</dt><dd>{r.sku.clone()}</dd></div>
                    <div><dt>"Replicas"</dt><dd>{state.replications.len()}</dd></div>
                </dl>
                {note.map(|n| view! { <p id="registry-note" role="note">{n}</p> })}
                {error.map(|e| view! { <p id="registry-error" role="status">"Status may be stale: " {e}</p> })}
            })
        })
    };
    let stream = portal.stream;
    let emulated = portal.emulated;
    view! {
        <header id="top">
            // The map holds ~60 focusable markers; keyboard users can jump past them.
            <a class="skip-link" href="#replica-filter">"Skip to the replications table"</a>
            // Who is signed in goes under the title, where the line has room to spare.
            <div class="brand">
                <h1>"replimap"<span class="subtitle">" · ACR geo-replication"</span></h1>
                {identity(portal.grants.get_value(), move || model.with(|m| m.selected_registry().map(|r| r.key.clone())))}
            </div>
            <RegistryPicker portal/>
            <div class="registry-box">{registry}</div>
            <a
                id="activity-link"
                href=move || {
                    let name = model.with(|m| m.selected_registry().map(|r| r.key.name.to_string()));
                    format!("/activity{}", crate::location::Query::default().with("registry", &name.unwrap_or_default()).to_search())
                }
            >
                "Activity"
            </a>
            <Show when=move || emulated.get()>
                <p id="arm-mode" class="arm-mode" title="No Azure credentials are configured: changes go to the built-in ARM emulator, not to Azure.">
                    "Emulator"
                </p>
            </Show>
            <p id="stream-status" data-state=move || stream.get().as_str() role="status">
                <span class="stream-dot" aria-hidden="true"></span>
                <span class="stream-text">{move || stream.get().text()}</span>
            </p>
        </header>
    }
}
