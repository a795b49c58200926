//! Who is signed in, in the header of every page: the name, the role, what the person should
//! know about their identity, and the ways out (sign out) or in (sign in). Sign-out is a plain
//! form POST, so it works before (or without) the WASM.
//!
//! Only the role changes while the page is open (it is the role on the selected registry);
//! everything else is server HTML, rendered once as `inner_html`, which hydration leaves as it
//! is, so the browser carries no code for it.

use leptos::prelude::*;
use replimap_types::{RegistryKey, Role};

use crate::model::access::{shown_role, Grants};

/// `<div id="me" data-role="admin|operator|viewer|none">`: `.me-name` (the display name, or the
/// actor; "Not signed in"), `.me-role` (the role on the registry `registry` gives, else the
/// strongest), then `.me-acting` ("acting as you in Azure"), `a#tokens-link` for admins,
/// `form#sign-out` when the identity can sign out here, `a#sign-in` when nobody is signed in,
/// and `.me-note`s.
pub fn identity(grants: Grants, registry: impl Fn() -> Option<RegistryKey> + Send + Sync + 'static) -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    let (name, more) = server::parts();
    #[cfg(feature = "hydrate")]
    let (name, more) = (String::new(), String::new());
    let strongest = shown_role(grants.as_deref(), None);
    // "viewer", or "viewer on acrprod" when the role there is not the one held elsewhere.
    let role = Memo::new(move |_| {
        let key = registry().filter(|_| grants.is_some());
        let role = shown_role(grants.as_deref(), key.as_ref());
        let on = key.filter(|_| role != strongest).map(|k| k.name.to_string());
        match (role, on) {
            (Some(role), Some(on)) => Some(format!("{role} on {on}")),
            (Some(role), None) => Some(role.to_string()),
            (None, Some(on)) => Some(format!("no role on {on}")),
            (None, None) => None,
        }
    });
    view! {
        <div id="me" data-role=move || role.with(|r| r.as_deref().and_then(|r| Role::parse(r.split(' ').next()?)).map_or("none", Role::as_str))>
            <span class="me-name" inner_html=name></span>
            <span class="me-role">{move || role.get()}</span>
            <div class="me-more" inner_html=more></div>
        </div>
    }
}

#[cfg(not(feature = "hydrate"))]
mod server {
    use leptos::prelude::*;
    use replimap_types::Role;

    use crate::location::{use_location, Query};

    /// The name, and what follows the role, as HTML, of whoever the page is rendered for.
    pub fn parts() -> (String, String) {
        let me = crate::pages::map::page_data().0.me;
        let Some(me) = me.as_ref() else {
            // Back to this page as it was opened (the sign-in comes back to it).
            let location = use_location();
            let here = format!("{}{}", location.page().path(), location.query().get_untracked().to_search());
            let href = format!("/auth/login{}", Query::default().with("return_to", &here).to_search());
            return ("Not signed in".to_owned(), view! { <a id="sign-in" href=href>"Sign in"</a> }.to_html());
        };
        let name = me.display_name.clone().unwrap_or_else(|| me.actor.clone());
        let name = view! { <span title=me.actor.clone()>{name}</span> }.to_html();
        let notes = me.notes.iter().map(|n| view! { <p class="me-note" role="note">{n.clone()}</p> }).collect_view();
        let more = view! {
            {me.acting_as_user.then(|| view! { <span class="me-acting">"acting as you in Azure"</span> })}
            {(me.role == Some(Role::Admin)).then(|| view! { <a id="tokens-link" href="/admin/tokens">"API tokens"</a> })}
            {me.can_sign_out.then(|| {
                view! {
                    <form id="sign-out" method="post" action="/auth/logout">
                        <button type="submit" class="link">"Sign out"</button>
                    </form>
                }
            })}
            {notes}
        };
        (name, more.to_html())
    }
}
