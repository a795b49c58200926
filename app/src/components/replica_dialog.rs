//! The dialog a region opens: create a replica there, or delete the one that is there.
//!
//! A native `<dialog>` shown with `showModal()`: the browser makes the rest of the page
//! inert, closes it on Escape and keeps Tab inside. Focus goes to the safe default button
//! when it opens and back to whatever opened it when it closes.

use leptos::html::Dialog;
use leptos::prelude::*;
use replimap_types::{RegionName, Replication};

use crate::model::{Pending, RegionState, RegionView};
use crate::portal::Portal;

/// What the open dialog shows, derived from the model by a `Memo`: the body is rebuilt only
/// when this changes, not on every stream event (an event about another region would
/// otherwise replace the focused button under the user's keyboard).
#[derive(Debug, Clone, PartialEq)]
enum Shown {
    /// A region that is not on the map (not among the regions that accept replicas, or the
    /// regions have not loaded yet), e.g. opened from its table row.
    Unlisted {
        title: String,
        regions_loaded: bool,
        replica: Option<Replication>,
    },
    /// No replicable registry is selected.
    NoRegistry { title: String },
    /// A region on the map of the selected registry.
    Region {
        view: Box<RegionView>,
        registry: String,
        /// The replica this dialog showed has gone (deleted here or elsewhere): say so rather
        /// than turn into the Create form under the user's cursor.
        deleted: bool,
    },
}

impl Shown {
    fn derive(portal: Portal, prev: Option<&Shown>) -> Option<Self> {
        let region = portal.dialog.get()?;
        portal.model.with(|m| {
            let Some(view) = m.region_view(&region) else {
                let replica = m.selected().and_then(|s| s.replications.iter().find(|r| r.location == region)).cloned();
                return Some(Self::Unlisted {
                    title: m.display_name(&region),
                    regions_loaded: !m.regions.is_empty(),
                    replica,
                });
            };
            let Some(registry) = m.selected_registry() else {
                return Some(Self::NoRegistry { title: view.region.display_name.clone() });
            };
            let showed_replica = matches!(
                prev,
                Some(Self::Region { view: before, deleted, .. })
                    if before.region.name == region && (before.replica.is_some() || *deleted)
            );
            let deleted = view.replica.is_none()
                && match view.pending {
                    Some(Pending::Delete) => true,
                    Some(Pending::Create) => false,
                    None => showed_replica,
                };
            Some(Self::Region { view: Box::new(view), registry: registry.key.name.to_string(), deleted })
        })
    }
}

/// `<dialog id="region-dialog" aria-modal="true">`. Buttons: "Create replica", "Delete replica",
/// "Cancel", "Close".
#[component]
pub fn ReplicaDialog(portal: Portal) -> impl IntoView {
    let node = NodeRef::<Dialog>::new();
    let shown = Memo::new(move |prev: Option<&Option<Shown>>| Shown::derive(portal, prev.and_then(Option::as_ref)));
    #[cfg(feature = "hydrate")]
    {
        browser::sync_open_state(node, portal);
        browser::keep_focus_inside(node, shown);
    }

    let close = move || portal.dialog.set(None);
    let content = move || {
        shown.get().map(|shown| match shown {
            Shown::Unlisted { title, regions_loaded, replica } => unlisted(title, regions_loaded, replica, close).into_any(),
            Shown::NoRegistry { title } => no_registry(title, close).into_any(),
            Shown::Region { view, registry, deleted } => body(&view, &registry, deleted, portal).into_any(),
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

fn close_button(close: impl Fn() + Copy + Send + 'static) -> impl IntoView {
    view! {
        <div class="dialog-actions">
            <button type="button" data-autofocus="" on:click=move |_| close()>"Close"</button>
        </div>
    }
}

fn no_registry(title: String, close: impl Fn() + Copy + Send + 'static) -> impl IntoView {
    view! {
        <h2 id="dialog-title">{title}</h2>
        <p>"No registry that supports geo-replication is selected."</p>
        {close_button(close)}
    }
}

fn unlisted(
    title: String,
    regions_loaded: bool,
    replica: Option<Replication>,
    close: impl Fn() + Copy + Send + 'static,
) -> impl IntoView {
    let text = if regions_loaded {
        format!("{title} is not among the regions that accept replicas, so it is not on the map and cannot be managed here.")
    } else {
        "The list of regions has not loaded, so this region cannot be managed yet.".to_owned()
    };
    view! {
        <h2 id="dialog-title">{title}</h2>
        {replica.as_ref().map(status_list)}
        <p>{text}</p>
        {close_button(close)}
    }
}

fn body(view: &RegionView, reg: &str, deleted: bool, portal: Portal) -> impl IntoView {
    let close = move || portal.dialog.set(None);
    let reg = reg.to_owned();
    let region = view.region.display_name.clone();
    let name: RegionName = view.region.name.clone();
    match (&view.replica, view.pending) {
        _ if view.is_home() => view! {
            <h2 id="dialog-title">{format!("{region} — home replica")}</h2>
            <p>
                {format!("{region} is the home region of {reg}: the registry was created there and its home replica cannot be deleted.")}
            </p>
            {view.replica.as_ref().map(status_list)}
            {close_button(close)}
        }
        .into_any(),
        (None, _) if deleted => view! {
            <h2 id="dialog-title">{format!("The replica of {reg} in {region} was deleted")}</h2>
            <p>{format!("{region} no longer holds a replica of {reg}.")}</p>
            {close_button(close)}
        }
        .into_any(),
        (None, Some(Pending::Create)) if !view.accepted => view! {
            <h2 id="dialog-title">{format!("Creating a replica of {reg} in {region}")}</h2>
            <p>"Sending the request to ARM…"</p>
            {close_button(close)}
        }
        .into_any(),
        (None, Some(Pending::Create)) => view! {
            <h2 id="dialog-title">{format!("Creating a replica of {reg} in {region}")}</h2>
            <p>"ARM accepted the request; the replica appears here as soon as provisioning starts."</p>
            {close_button(close)}
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
            let deleting = pending == Some(Pending::Delete) || view.state == RegionState::Deleting;
            let command = format!("az acr replication delete --registry {reg} --name {}", replica.name);
            view! {
                <h2 id="dialog-title">{format!("Delete the replica of {reg} in {region}?")}</h2>
                {status_list(replica)}
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

fn status_list(r: &Replication) -> impl IntoView {
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
                request_animation_frame(move || focus_default(&dialog));
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

    /// When the body is rebuilt while the dialog is open (the region's state changed), the
    /// focused button goes with the old body; focus the new body's default button instead of
    /// leaving focus on `<body>`, outside the modal.
    pub fn keep_focus_inside(node: NodeRef<Dialog>, shown: Memo<Option<super::Shown>>) {
        Effect::new(move |_| {
            shown.track();
            let Some(dialog) = node.get_untracked() else { return };
            // After the render effect has replaced the body.
            request_animation_frame(move || {
                if !dialog.open() {
                    return;
                }
                let active = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element());
                if active.is_some_and(|a| dialog.contains(Some(&a))) {
                    return;
                }
                focus_default(&dialog);
            });
        });
    }

    fn focus_default(dialog: &web_sys::HtmlDialogElement) {
        let target = dialog.query_selector("[data-autofocus]").ok().flatten();
        if let Some(el) = target.and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
            let _ = el.focus();
        }
    }

    fn active_element() -> Option<HtmlElement> {
        web_sys::window()?.document()?.active_element()?.dyn_into::<HtmlElement>().ok()
    }
}
