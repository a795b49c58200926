//! The form fields both dialogs use: a checkbox with its note, and the tags input.

use std::collections::BTreeMap;

use leptos::prelude::*;

/// The routing checkbox's label, shared by create and update.
pub const ROUTING_LABEL: &str = "Route requests here (global endpoint routing)";

/// The routing checkbox's explanation, shared by create and update.
pub const ROUTING_NOTE: &str =
    "Off: the replica syncs but the registry's global endpoint sends no pulls to it, e.g. while it is warming up.";

/// A labelled checkbox bound to `checked`, with an explanation under it.
#[component]
pub fn Checkbox(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    checked: RwSignal<bool>,
    #[prop(optional)] disabled: bool,
    #[prop(into)] note: String,
) -> impl IntoView {
    let note_id = format!("{id}-note");
    view! {
        <div class="field check">
            <input
                type="checkbox"
                id=id
                name=name
                disabled=disabled
                prop:checked=move || checked.get()
                on:change=move |ev| checked.set(event_target_checked(&ev))
                aria-describedby=note_id.clone()
            />
            <label for=id>{label}</label>
            <p class="field-note" id=note_id>{note}</p>
        </div>
    }
}

type Parsed = Result<BTreeMap<String, String>, String>;

/// The tags input with its live error (`.field-error`), shared by both forms.
#[component]
pub fn TagsField(id: &'static str, tags: RwSignal<String>, parsed: Memo<Parsed>) -> impl IntoView {
    let error_id = format!("{id}-error");
    let invalid = move || parsed.with(Result::is_err);
    view! {
        <div class="field">
            <label for=id>"Tags"</label>
            <input
                type="text"
                id=id
                name="tags"
                autocomplete="off"
                spellcheck="false"
                placeholder="team=web env=\"prod eu\""
                prop:value=move || tags.get()
                on:input=move |ev| tags.set(event_target_value(&ev))
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=error_id.clone()
            />
            <p class="field-note">"key=value pairs separated by spaces; quote values with spaces. Replaces all tags."</p>
            <p class="field-error" id=error_id aria-live="polite">{move || parsed.get().err()}</p>
        </div>
    }
}
