//! The page header: the selected registry and the live-stream indicator.

use leptos::prelude::*;

use crate::portal::Portal;

/// `<header id="top">` with `#registry` (name, resource group, home region, SKU) and
/// `#stream-status` (`data-state="connecting|live|reconnecting"`).
#[component]
pub fn Header(portal: Portal) -> impl IntoView {
    let model = portal.model;
    let registry = move || {
        model.with(|m| {
            if !m.loaded {
                return view! { <p class="registry-placeholder">"Loading registry…"</p> }.into_any();
            }
            let Some(state) = m.selected() else {
                return view! {
                    <p class="registry-placeholder">"No registry that supports geo-replication (Premium SKU) was found."</p>
                }
                .into_any();
            };
            let r = &state.registry;
            let home = m.display_name(&r.location);
            let error = state.error.clone();
            view! {
                <dl id="registry" data-registry=r.key.name.to_string()>
                    <div><dt>"Registry"</dt><dd class="registry-name">{r.key.name.to_string()}</dd></div>
                    <div><dt>"Resource group"</dt><dd>{r.key.resource_group.to_string()}</dd></div>
                    <div><dt>"Home region"</dt><dd>{home}</dd></div>
                    <div><dt>"SKU"</dt><dd>{r.sku.clone()}</dd></div>
                </dl>
                {error.map(|e| view! { <p id="registry-error" role="status">"Status may be stale: " {e}</p> })}
            }
            .into_any()
        })
    };
    let stream = portal.stream;
    let emulated = portal.emulated;
    view! {
        <header id="top">
            <h1>"replimap"<span class="subtitle">" · ACR geo-replication"</span></h1>
            <Show when=move || emulated.get()>
                <p id="arm-mode" class="arm-mode" title="No Azure credentials are configured: changes go to the built-in ARM emulator, not to Azure.">
                    "Emulator"
                </p>
            </Show>
            <div class="registry-box">{registry}</div>
            <p id="stream-status" data-state=move || stream.get().as_str() role="status">
                <span class="stream-dot" aria-hidden="true"></span>
                <span class="stream-text">{move || stream.get().text()}</span>
            </p>
        </header>
    }
}
