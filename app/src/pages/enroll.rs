//! `/enroll`: a wall screen trades an API token for a device session. A plain HTML form that
//! POSTs to `/auth/enroll` (the server sets an HttpOnly cookie and redirects, to `?return_to=`
//! when given, else to the wall-screen view), so it works without the WASM, and the token goes
//! in the request's body, never into a URL. Server HTML only, like the activity page's
//! skeleton: the browser carries no code for it (`super::server_page`).
//!
//! DOM contract: `form#enroll-form[method=post][action="/auth/enroll"]` with
//! `input#enroll-token[name=token][type=password]` and, when the page was opened with
//! `?return_to=/path`, a hidden `return_to`.

/// The page's HTML.
#[cfg(not(feature = "hydrate"))]
pub(super) fn skeleton() -> String {
    use leptos::prelude::*;

    let query = crate::location::use_location().query().get_untracked();
    // Only a path on this portal (the server checks it again).
    let return_to = query.get("return_to").filter(|r| r.starts_with('/') && !r.starts_with("//"));
    let grants = super::map::page_data().1;
    view! {
        <header id="top">
            <div class="brand">
                <h1>"replimap"<span class="subtitle">" · Enroll a wall screen"</span></h1>
                {crate::components::identity::identity(grants, || None)}
            </div>
            <nav class="registry-box" aria-label="Pages">
                <a id="map-link" href="/">"← Back to the map"</a>
            </nav>
        </header>
        <main id="enroll-page">
            <h2>"Enroll this browser as a wall screen"</h2>
            <p id="enroll-help">
                "Paste a read-only (viewer) API token: the portal trades it for a long-lived device session on this browser, kept in a cookie no script can read, so no secret ever goes into a URL."
            </p>
            <form id="enroll-form" method="post" action="/auth/enroll">
                <label for="enroll-token">"API token"</label>
                <input
                    type="password"
                    id="enroll-token"
                    name="token"
                    required=""
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="rmp_…"
                    aria-describedby="enroll-help"
                />
                {return_to.map(|r| view! { <input type="hidden" name="return_to" value=r/> })}
                <button type="submit" class="primary">"Enroll this browser"</button>
            </form>
            <p class="field-note">"An admin creates the token on the API tokens page; revoking it there ends this browser's session."</p>
        </main>
    }
    .to_html()
}
