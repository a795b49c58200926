//! The page header: the registry picker, the selected registry, who is signed in, its
//! coverage figure and the live-stream indicator.

use leptos::prelude::*;

use crate::components::html::{html, Part};
use crate::components::identity::identity;
use crate::components::region_marker::escape_html as esc;
use crate::components::registry_picker::RegistryPicker;
use crate::model::Model;
use crate::portal::Portal;

/// `<header id="top">` with `#registry-picker`, `#registry[data-registry]` (resource group,
/// home region, SKU, login server), `a#activity-link` (the registry's activity page),
/// `#coverage` (`#coverage-figure`, `a#fill-gaps`, `a#fleet-link`: `model::coverage::header_html`),
/// `#stream-status[data-state]` and `#me` (`crate::components::identity`).
#[component]
pub fn Header(portal: Portal) -> impl IntoView {
    let model = portal.model;
    let registry = html(portal, Part::Registry);
    let stream = portal.stream;
    let emulated = portal.emulated;
    let coverage = html(portal, Part::Header);
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
            // The coverage figure goes under the registry's facts, where the line has room.
            <div class="registry-box">
                <div class="registry-facts" inner_html=move || registry.get()></div>
                <div id="coverage" inner_html=move || coverage.get()></div>
            </div>
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

/// The selected registry's facts (`#registry`), with why it cannot be replicated and why its
/// status may be stale; or why there is none. HTML text (`components::html`).
pub fn registry_html(m: &Model) -> String {
    let placeholder = |id: &str, text: &str| format!(r#"<p{id} class="registry-placeholder">{}</p>"#, esc(text));
    if let Some(name) = m.missing() {
        let text = format!(
            "No registry named \"{name}\" is among the {} this portal watches. Pick one from the list.",
            m.registries.len()
        );
        return placeholder(r#" id="registry-missing""#, &text);
    }
    if !m.loaded {
        return placeholder("", "Loading registries…");
    }
    let Some(state) = m.selected() else {
        return placeholder("", "No registry that supports geo-replication (Premium SKU) was found.");
    };
    let r = &state.registry;
    let mut out = format!(
        r#"<dl id="registry" data-registry="{name}"><div><dt>Resource group</dt><dd>{rg}</dd></div><div><dt>Home region</dt><dd>{home}</dd></div><div><dt>SKU</dt><dd>{sku}</dd></div><div><dt>Replicas</dt><dd>{n}</dd></div></dl>"#,
        name = r.key.name,
        rg = r.key.resource_group,
        home = esc(&m.display_name(&r.location)),
        sku = esc(&r.sku),
        n = state.replications.len()
    );
    if !r.replicable {
        let note = r
            .not_replicable_reason
            .clone()
            .unwrap_or_else(|| format!("{} is {}: geo-replication needs the Premium SKU.", r.key.name, r.sku));
        out.push_str(&format!(r#"<p id="registry-note" role="note">{}</p>"#, esc(&note)));
    }
    if let Some(e) = &state.error {
        out.push_str(&format!(r#"<p id="registry-error" role="status">Status may be stale: {}</p>"#, esc(e)));
    }
    out
}
