//! One module per page. The map is hydrated views; the others are server HTML plus, where
//! they need it, a little browser code ([`server_page`]).

pub mod activity;
pub mod enroll;
pub mod fill;
pub mod fleet;
pub mod map;
pub mod tokens;

use leptos::prelude::*;

use crate::location::Page;

/// A page that is server HTML: rendered on the server only, as the `inner_html` of one element,
/// which hydration leaves as it is; in the browser, the page's own code (if any) starts on the
/// document the server sent. One view for all of them, so the WASM holds one, not one each.
pub fn server_page(page: Page) -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    let html = match page {
        Page::Activity => activity::skeleton(),
        Page::Tokens => tokens::skeleton(),
        Page::Enroll => enroll::skeleton(),
        Page::Fleet => fleet::skeleton(),
        Page::Fill => fill::skeleton(),
        Page::Map | Page::NotFound => not_found(),
    };
    #[cfg(feature = "hydrate")]
    let html = {
        match page {
            // The records, the stream and the clock live as long as the page.
            Page::Activity => std::mem::forget(activity::browser::start()),
            Page::Tokens => tokens::browser::start(),
            // The fleet and the fill are forms and links: no code in the browser.
            Page::Enroll | Page::Fleet | Page::Fill | Page::Map | Page::NotFound => {}
        }
        String::new()
    };
    view! { <div id="page-root" inner_html=html></div> }
}

/// The 404 page the server renders for an unknown path (and for a registry the caller may
/// not see, which answers as if it did not exist).
#[cfg(not(feature = "hydrate"))]
fn not_found() -> String {
    view! {
        <main class="not-found">
            <h1>"Page not found."</h1>
            <p><a href="/">"Open the console"</a></p>
        </main>
    }
    .to_html()
}
