//! The dialog a region opens: create a replica there, or show the replica there with its
//! routing and tags to change, or confirm its deletion.
//!
//! A native `<dialog>` shown with `showModal()`: the browser makes the rest of the page
//! inert, closes it on Escape and keeps Tab inside. Focus goes to the safe default button
//! when it opens and back to whatever opened it when it closes. Every body shows the
//! `az acr replication …` command that does the same.

mod create;
mod delete;
mod fields;
mod replica;

use leptos::either::EitherOf4;
use leptos::html::Dialog;
use leptos::prelude::*;
use replimap_types::{Region, ReplicationName};

use crate::model::{cli, Model, Pending, RegionState, Unavailable};
use crate::portal::{Portal, Step};

/// What the open dialog shows, derived from the model by a `Memo`: the body is rebuilt only
/// when this changes, not on every stream event (an event about another region, or a new
/// status message here, would otherwise replace the form under the user's keyboard). Live
/// details inside a body read the model themselves.
#[derive(Debug, Clone, PartialEq)]
enum Shown {
    /// A region that is not on the map (e.g. opened from a row of a replica in a region
    /// ARM does not list).
    Unlisted { title: String },
    /// No registry is selected.
    NoRegistry { title: String },
    /// No replica can be placed here (`sku`: because the registry is not Premium).
    Unavailable { title: String, registry: String, reason: &'static str, sku: bool },
    /// A free region: the create form.
    Create { region: Region, registry: String },
    /// A create this tab sent that the stream has not shown yet.
    Creating { title: String, registry: String, accepted: bool },
    /// A replica: details, update form, delete button.
    Replica { region: Region, registry: String, name: ReplicationName, home: bool, routing: bool, tags: String },
    /// "Delete the replica …?"
    ConfirmDelete { title: String, registry: String, name: ReplicationName, deleting: bool },
    /// The replica this dialog showed has gone: say so rather than turn into the create
    /// form under the user's cursor.
    Deleted { title: String, registry: String },
}

impl Shown {
    fn derive(portal: Portal, prev: Option<&Shown>) -> Option<Self> {
        let target = portal.dialog.get()?;
        let now = portal.now.get_untracked();
        portal.model.with(|m: &Model| {
            let title = m.display_name(&target.region);
            let Some(view) = m.region_view(&target.region, now) else {
                return Some(Self::Unlisted { title });
            };
            let Some(registry) = m.selected_registry().map(|r| r.key.name.to_string()) else {
                return Some(Self::NoRegistry { title });
            };
            let showed_replica = matches!(prev, Some(Self::Replica { region, .. }) if region.name == target.region)
                || matches!(prev, Some(Self::ConfirmDelete { title: t, .. } | Self::Deleted { title: t, .. }) if *t == title);
            Some(match (&view.replica, &view.pending) {
                (None, Some(Pending::Delete)) | (None, None) if showed_replica => Self::Deleted { title, registry },
                (None, Some(Pending::Create(_))) => Self::Creating { title, registry, accepted: view.accepted },
                (None, _) => match view.unavailable {
                    Some(why) => Self::Unavailable { title, registry, reason: why.reason(), sku: why == Unavailable::Sku },
                    None => Self::Create { region: view.region.clone(), registry },
                },
                (Some(r), _) if target.step == Step::ConfirmDelete && !view.is_home() => Self::ConfirmDelete {
                    title,
                    registry,
                    name: r.name.clone(),
                    deleting: view.state == RegionState::Deleting,
                },
                (Some(r), _) => Self::Replica {
                    region: view.region.clone(),
                    registry,
                    name: r.name.clone(),
                    home: view.is_home(),
                    routing: r.region_endpoint_enabled,
                    tags: crate::model::tags::format_tags(&r.tags),
                },
            })
        })
    }
}

/// `<dialog id="region-dialog" aria-modal="true">`.
#[component]
pub fn ReplicaDialog(portal: Portal) -> impl IntoView {
    let node = NodeRef::<Dialog>::new();
    let shown = Memo::new(move |prev: Option<&Option<Shown>>| Shown::derive(portal, prev.and_then(Option::as_ref)));
    #[cfg(feature = "hydrate")]
    {
        browser::sync_open_state(node, portal);
        browser::keep_focus_inside(node, shown);
    }
    // One `EitherOf4` over the four kinds of body (the message variants share a type).
    let content = move || {
        shown.get().map(|shown| match shown {
            Shown::Unlisted { title } => {
                let text = format!(
                    "{title} is not among the regions ARM lists, so it is not on the map and cannot be managed here."
                );
                EitherOf4::A(message(title, text, None, portal))
            }
            Shown::NoRegistry { title } => EitherOf4::A(message(
                title,
                "No registry that supports geo-replication is selected.".to_owned(),
                None,
                portal,
            )),
            Shown::Unavailable { title, registry, reason, sku } => EitherOf4::A(message(
                format!("{title} — not available"),
                format!("No replica can be placed here: {reason}."),
                // What would make it possible, for a registry that is merely not Premium.
                sku.then(|| cli::upgrade(&registry)),
                portal,
            )),
            Shown::Creating { title, registry, accepted } => {
                let text = if accepted {
                    "ARM accepted the request; the replica appears here as soon as provisioning starts."
                } else {
                    "Sending the request to ARM…"
                };
                let watch = cli::list(&registry);
                EitherOf4::A(message(
                    format!("Creating a replica of {registry} in {title}"),
                    text.to_owned(),
                    Some(watch),
                    portal,
                ))
            }
            Shown::Deleted { title, registry } => EitherOf4::A(message(
                format!("The replica of {registry} in {title} was deleted"),
                format!("{title} no longer holds a replica of {registry}."),
                Some(cli::list(&registry)),
                portal,
            )),
            Shown::Create { region, registry } => EitherOf4::B(create::form(region, registry, portal)),
            Shown::Replica { region, registry, name, home, routing, tags } => {
                EitherOf4::C(replica::details(region, registry, name, home, routing, tags, portal))
            }
            Shown::ConfirmDelete { title, registry, name, deleting } => {
                EitherOf4::D(delete::confirm(title, registry, name, deleting, portal))
            }
        })
    };
    view! {
        <dialog
            id="region-dialog"
            node_ref=node
            aria-modal="true"
            aria-labelledby="dialog-title"
            // Escape: the browser closes the dialog at once but fires `close` later, as a task of
            // its own, after any key press already waiting. `cancel` comes first and at once, so
            // the state follows Escape before the next key (a fresh body if a marker is pressed
            // straight away), and a `close` that arrives after the dialog was opened again is
            // stale and must not shut the new one.
            on:cancel=move |_: leptos::ev::Event| portal.close()
            on:close=move |_| {
                if !is_open(node) {
                    portal.close();
                }
            }
            on:click=move |ev| {
                // A click on the dialog element itself (not its body) is a click on the backdrop.
                if event_target_is_current(&ev) {
                    portal.close();
                }
            }
        >
            <div class="dialog-body">{content}</div>
        </dialog>
    }
}

/// Whether the native dialog is open now.
#[cfg(feature = "hydrate")]
fn is_open(node: NodeRef<Dialog>) -> bool {
    node.get_untracked().is_some_and(|d| d.open())
}

/// On the server no event ever fires; nothing is open.
#[cfg(not(feature = "hydrate"))]
fn is_open(_node: NodeRef<Dialog>) -> bool {
    false
}

fn event_target_is_current(ev: &leptos::ev::MouseEvent) -> bool {
    match (ev.target(), ev.current_target()) {
        (Some(t), Some(c)) => t == c,
        _ => false,
    }
}

/// A heading, a sentence, the related `az` command (if any) and Close.
fn message(title: String, text: String, cmd: Option<String>, portal: Portal) -> impl IntoView {
    view! {
        <h2 id="dialog-title">{title}</h2>
        <p>{text}</p>
        {cmd.map(|c| command(move || c.clone()))}
        <div class="dialog-actions">
            <button type="button" data-autofocus="" on:click=move |_| portal.close()>"Close"</button>
        </div>
    }
}

/// The equivalent CLI command, with a label for screen readers.
fn command(text: impl Fn() -> String + Send + Sync + 'static) -> impl IntoView {
    view! {
        <p class="cli-hint">"Same as:"</p>
        <pre class="cli" aria-label="Equivalent Azure CLI command"><code>{text}</code></pre>
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
