//! The dialog a region opens: create a replica there, or delete the one that is there.
//!
//! A native `<dialog>` shown with `showModal()`: the browser makes the rest of the page
//! inert, closes it on Escape and keeps Tab inside. Focus goes to the safe default button
//! when it opens and back to whatever opened it when it closes.

use leptos::html::Dialog;
use leptos::prelude::*;
use replimap_types::{RegionName, RegistrySummary};

use crate::model::{Pending, RegionView};
use crate::portal::Portal;

/// `<dialog id="region-dialog" aria-modal="true">`. Buttons: "Create replica", "Delete replica",
/// "Cancel", "Close".
#[component]
pub fn ReplicaDialog(portal: Portal) -> impl IntoView {
    let node = NodeRef::<Dialog>::new();
    #[cfg(feature = "hydrate")]
    browser::sync_open_state(node, portal);

    let close = move || portal.dialog.set(None);
    let content = move || {
        let region = portal.dialog.get()?;
        let (view, registry) = portal.model.with(|m| (m.region_view(&region), m.selected_registry().cloned()));
        let view = view?;
        Some(match registry {
            None => no_registry(&view, close).into_any(),
            Some(registry) => body(&view, &registry, portal).into_any(),
        })
    };
    view! {
        <dialog
            id="region-dialog"
            node_ref=node
            aria-modal="true"
            aria-labelledby="dialog-title"
            on:close=move |_| close()
            on:click=move |ev| {
                // A click on the dialog element itself (not its body) is a click on the backdrop.
                if event_target_is_current(&ev) {
                    close();
                }
            }
        >
            <div class="dialog-body">{content}</div>
        </dialog>
    }
}

fn event_target_is_current(ev: &leptos::ev::MouseEvent) -> bool {
    match (ev.target(), ev.current_target()) {
        (Some(t), Some(c)) => t == c,
        _ => false,
    }
}

fn no_registry(view: &RegionView, close: impl Fn() + Copy + 'static) -> impl IntoView {
    view! {
        <h2 id="dialog-title">{view.region.display_name.clone()}</h2>
        <p>"No registry that supports geo-replication is selected."</p>
        <div class="dialog-actions">
            <button type="button" data-autofocus="" on:click=move |_| close()>"Close"</button>
        </div>
    }
}

fn body(view: &RegionView, registry: &RegistrySummary, portal: Portal) -> impl IntoView {
    let close = move || portal.dialog.set(None);
    let reg = registry.key.name.to_string();
    let region = view.region.display_name.clone();
    let name: RegionName = view.region.name.clone();
    match (&view.replica, view.pending) {
        _ if view.is_home() => view! {
            <h2 id="dialog-title">{format!("{region} — home replica")}</h2>
            <p>
                {format!("{region} is the home region of {reg}: the registry was created there and its home replica cannot be deleted.")}
            </p>
            {status_list(view)}
            <div class="dialog-actions">
                <button type="button" data-autofocus="" on:click=move |_| close()>"Close"</button>
            </div>
        }
        .into_any(),
        (None, Some(Pending::Create)) => view! {
            <h2 id="dialog-title">{format!("Creating a replica of {reg} in {region}")}</h2>
            <p>"ARM accepted the request; the replica appears here as soon as provisioning starts."</p>
            <div class="dialog-actions">
                <button type="button" data-autofocus="" on:click=move |_| close()>"Close"</button>
            </div>
        }
        .into_any(),
        (None, _) => {
            let command = format!("az acr replication create --registry {reg} --location {name}");
            view! {
                <h2 id="dialog-title">{format!("Replicate {reg} to {region}?")}</h2>
                <p>
                    {format!("Creates a replica named {name} in {region}. Images are copied in the background; the replica shows as Syncing until it is Ready. Each replica is billed as a Premium registry.")}
                </p>
                <p class="cli-hint">"Same as:"</p>
                <pre class="cli"><code>{command}</code></pre>
                <div class="dialog-actions">
                    <button
                        type="button"
                        class="primary"
                        data-autofocus=""
                        on:click=move |_| {
                            portal.create(name.clone());
                            close();
                        }
                    >
                        "Create replica"
                    </button>
                    <button type="button" on:click=move |_| close()>"Cancel"</button>
                </div>
            }
            .into_any()
        }
        (Some(replica), pending) => {
            let deleting = pending == Some(Pending::Delete) || view.state == crate::model::RegionState::Deleting;
            let command = format!("az acr replication delete --registry {reg} --name {}", replica.name);
            view! {
                <h2 id="dialog-title">{format!("Delete the replica of {reg} in {region}?")}</h2>
                {status_list(view)}
                <p>
                    {format!("Clients near {region} will be served by another replica. The images stay in the other regions of {reg}.")}
                </p>
                <p class="cli-hint">"Same as:"</p>
                <pre class="cli"><code>{command}</code></pre>
                <div class="dialog-actions">
                    <button
                        type="button"
                        class="danger"
                        disabled=deleting
                        on:click=move |_| {
                            portal.delete(name.clone());
                            close();
                        }
                    >
                        {if deleting { "Deleting…" } else { "Delete replica" }}
                    </button>
                    <button type="button" data-autofocus="" on:click=move |_| close()>"Cancel"</button>
                </div>
            }
            .into_any()
        }
    }
}

fn status_list(view: &RegionView) -> impl IntoView {
    view.replica.as_ref().map(|r| {
        view! {
            <dl class="replica-status">
                <div><dt>"Provisioning state"</dt><dd>{r.provisioning_state.to_string()}</dd></div>
                <div><dt>"Status"</dt><dd>{r.status.display_status.clone().unwrap_or_else(|| "—".to_owned())}</dd></div>
                <div>
                    <dt>"Region endpoint enabled"</dt>
                    <dd>{if r.region_endpoint_enabled { "True" } else { "False" }}</dd>
                </div>
            </dl>
        }
    })
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

    use leptos::html::Dialog;
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::HtmlElement;

    use crate::portal::Portal;

    /// Opens the native dialog when `portal.dialog` is set and closes it when cleared,
    /// moving focus in and back out.
    pub fn sync_open_state(node: NodeRef<Dialog>, portal: Portal) {
        let opener: Rc<RefCell<Option<HtmlElement>>> = Rc::default();
        Effect::new(move |_| {
            let wanted = portal.dialog.with(Option::is_some);
            let Some(dialog) = node.get() else { return };
            if wanted && !dialog.open() {
                *opener.borrow_mut() = active_element();
                if let Err(e) = dialog.show_modal() {
                    leptos::logging::warn!("dialog did not open: {e:?}");
                    return;
                }
                // The body renders in the same tick; focus once it is in the DOM.
                let dialog = dialog.clone();
                request_animation_frame(move || {
                    let target = dialog.query_selector("[data-autofocus]").ok().flatten();
                    if let Some(el) = target.and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
                        let _ = el.focus();
                    }
                });
            } else if !wanted && dialog.open() {
                dialog.close();
            }
            if !wanted {
                if let Some(el) = opener.borrow_mut().take() {
                    if el.is_connected() {
                        let _ = el.focus();
                    }
                }
            }
        });
    }

    fn active_element() -> Option<HtmlElement> {
        web_sys::window()?.document()?.active_element()?.dyn_into::<HtmlElement>().ok()
    }
}
