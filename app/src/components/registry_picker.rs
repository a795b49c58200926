//! The registry picker: every registry the portal watches, grouped by subscription and
//! resource group. Registries that cannot be geo-replicated are listed (so nobody wonders
//! where they went) but disabled, with the reason in their text.

use leptos::prelude::*;

use crate::location::use_location;
use crate::portal::Portal;

/// `<select id="registry-picker">`. Choosing navigates to `?registry=<name>`, so the view
/// is a link and Back returns to the previous registry.
#[component]
pub fn RegistryPicker(portal: Portal) -> impl IntoView {
    let groups = Memo::new(move |_| portal.model.with(|m| m.registry_groups()));
    let current = Memo::new(move |_| {
        portal.model.with(|m| m.selected_registry().map(|r| r.key.name.to_string()).unwrap_or_default())
    });
    let location = use_location();
    let on_change = move |ev: leptos::ev::Event| {
        // Keep other parameters; replace the registry.
        let query = location.query().with_untracked(|q| q.with_first("registry", &event_target_value(&ev)));
        location.navigate(query);
    };
    view! {
        <label class="picker">
            <span class="picker-label">"Registry"</span>
            <select id="registry-picker" on:change=on_change prop:value=move || current.get()>
                {move || {
                    let selected = current.get();
                    groups
                        .get()
                        .into_iter()
                        .map(|(label, regs)| {
                            let options = regs
                                .into_iter()
                                .map(|r| {
                                    let name = r.key.name.to_string();
                                    let text = if r.replicable {
                                        name.clone()
                                    } else {
                                        format!("{name} — {} SKU: geo-replication needs Premium", r.sku)
                                    };
                                    let is_selected = name.eq_ignore_ascii_case(&selected);
                                    view! {
                                        <option value=name disabled=!r.replicable selected=is_selected>{text}</option>
                                    }
                                })
                                .collect_view();
                            view! { <optgroup label=label>{options}</optgroup> }
                        })
                        .collect_view()
                }}
            </select>
        </label>
    }
}
