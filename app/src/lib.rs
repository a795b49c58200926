//! The replimap UI (Leptos): the page shell, the app and its one route.
//!
//! Compiled twice: with `ssr` into the server, which renders the page with the hub's data, and with
//! `hydrate` into the WASM front end (`replimap-frontend`), which takes over the page and
//! hydrates it from the data embedded in the page and keeps it live from the status stream. Browser-only code sits behind
//! `#[cfg(feature = "hydrate")]`: `api`, `leaflet` and the effects that use them.

// The page is one deeply nested view type; the default (128) overflows computing its layout.
#![recursion_limit = "256"]

#[cfg(feature = "hydrate")]
mod api;
pub mod components;
#[cfg(feature = "hydrate")]
mod json;
#[cfg(feature = "hydrate")]
mod leaflet;
pub mod location;
pub mod model;
pub mod pages;
pub mod portal;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};

use crate::location::Page;
use crate::pages::activity::ActivityPage;
use crate::pages::map::MapPage;

/// The HTML document the server wraps around `App`.
///
/// Leaflet is a classic script in the head, before the hydration script, so `L` exists when
/// the WASM module starts. The empty data-URL icon stops the browser from asking for
/// `/favicon.ico` (a 404 would show as a console error). The page's data (provided by the
/// server as a `PageData` context) rides along as JSON, so the browser hydrates from the
/// same data the server rendered with, without a round trip.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let data = use_context::<replimap_types::PageData>().map(|d| replimap_types::page_data_json(&d));
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                <link rel="stylesheet" href="/leaflet/leaflet.css"/>
                <script src="/leaflet/leaflet.js"></script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
                {data.map(|json| view! { <script id=replimap_types::PAGE_DATA_ID type="application/json" inner_html=json></script> })}
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: metadata and its pages, the map at `/` and the audit trail at
/// `/activity`. The server renders the app for both and for every unknown path (its 404), so
/// the page needs no router: the path decides between the map, the activity page and "Page
/// not found", the query string does the rest.
#[component]
pub fn App() -> impl IntoView {
    use leptos::either::EitherOf3;
    provide_meta_context();
    let (title, page) = match location::provide().page() {
        Page::Map => ("replimap · ACR geo-replication", EitherOf3::A(view! { <MapPage/> })),
        Page::Activity => ("replimap · Activity", EitherOf3::B(view! { <ActivityPage/> })),
        Page::NotFound => (
            "replimap · ACR geo-replication",
            EitherOf3::C(view! {
                <main class="not-found">
                    <h1>"Page not found."</h1>
                    <p><a href="/">"Open the console"</a></p>
                </main>
            }),
        ),
    };
    view! {
        <Stylesheet id="leptos" href="/pkg/replimap.css"/>
        <Title text=title/>
        {page}
    }
}
