//! The registry picker: every registry the portal watches, grouped by subscription and
//! resource group. Registries that cannot be geo-replicated are listed (so nobody wonders
//! where they went) but disabled, with the reason in their text.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::portal::Portal;

/// `<select id="registry-picker">`. Choosing navigates to `?registry=<name>`, so the view
/// is a link and Back returns to the previous registry.
#[component]
pub fn RegistryPicker(portal: Portal) -> impl IntoView {
    let groups = Memo::new(move |_| portal.model.with(|m| m.registry_groups()));
    let current = Memo::new(move |_| {
        portal.model.with(|m| m.selected_registry().map(|r| r.key.name.to_string()).unwrap_or_default())
    });
    let navigate = use_navigate();
    let query = use_query_map();
    let on_change = move |ev: leptos::ev::Event| {
        let name = event_target_value(&ev);
        // Keep other parameters; replace the registry.
        let mut params: Vec<(String, String)> = query.with_untracked(|q| {
            q.clone().into_iter().filter(|(k, _)| k != "registry").map(|(k, v)| (k.to_string(), v)).collect()
        });
        params.insert(0, ("registry".to_owned(), name));
        let search = params
            .iter()
            .map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={}", encode(v)) })
            .collect::<Vec<_>>()
            .join("&");
        navigate(&format!("/?{search}"), NavigateOptions { scroll: false, ..NavigateOptions::default() });
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

/// Percent-encodes a query value (registry names are alphanumeric, but the list parameter
/// of the wall screen may carry commas and anything a person typed).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
