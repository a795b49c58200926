//! The error box. Always in the DOM (empty when there is nothing to say), so screen
//! readers announce a message the moment it appears.

use leptos::prelude::*;

use crate::portal::Portal;

/// `<div id="alert" role="alert">` with the last error and a Dismiss button.
#[component]
pub fn Alert(portal: Portal) -> impl IntoView {
    let alert = portal.alert;
    view! {
        <div id="alert" role="alert" class:visible=move || alert.with(Option::is_some)>
            {move || {
                alert
                    .get()
                    .map(|message| {
                        view! {
                            <p class="alert-message">{message}</p>
                            <button type="button" class="alert-dismiss" on:click=move |_| alert.set(None)>
                                "Dismiss"
                            </button>
                        }
                    })
            }}
        </div>
    }
}
