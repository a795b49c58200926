//! The replimap UI (Leptos): the page shell, the app and its pages.
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
mod dom;
#[cfg(feature = "hydrate")]
mod json;
#[cfg(feature = "hydrate")]
mod leaflet;
pub mod location;
pub mod model;
pub mod pages;
pub mod portal;

use leptos::prelude::*;
use leptos_meta::MetaTags;
#[cfg(not(feature = "hydrate"))]
use leptos_meta::{provide_meta_context, Stylesheet, Title};

use crate::location::Page;
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

/// The application: metadata and its pages, the map at `/`, the audit trail at `/activity`,
/// the API tokens at `/admin/tokens` and a wall screen's enrolment at `/enroll`. The server
/// renders the app for each and for every unknown path (its 404), so the page needs no
/// router: the path decides the page ([`Page`]), the query string does the rest.
///
/// The title and the stylesheet are the server's alone: it puts them into the head
/// (`MetaTags` in [`shell`]), and they never change while a page is open, so the browser has
/// nothing to do with them. Without leptos_meta's client half (which would look them up in the
/// head again and keep the title in sync) the WASM is 3.8 KB (brotli) smaller; they render
/// nothing into the body, so hydration walks the same nodes either way.
#[component]
pub fn App() -> impl IntoView {
    use leptos::either::Either;
    #[cfg(not(feature = "hydrate"))]
    provide_meta_context();
    let page = location::provide().page();
    let title = match page {
        Page::Map | Page::NotFound => "replimap · ACR geo-replication",
        Page::Activity => "replimap · Activity",
        Page::Tokens => "replimap · API tokens",
        Page::Enroll => "replimap · Enroll a wall screen",
        Page::Fleet => "replimap · Fleet",
        Page::Fill => "replimap · Fill the gaps",
    };
    // Either, not `into_any`: a type-erased view is compiled once more for asynchronous
    // hydration, which these pages never use.
    let view = match page {
        Page::Map => Either::Left(view! { <MapPage/> }),
        other => Either::Right(pages::server_page(other)),
    };
    #[cfg(not(feature = "hydrate"))]
    let view = view! {
        <Stylesheet id="leptos" href="/pkg/replimap.css"/>
        <Title text=title/>
        {view}
    };
    #[cfg(feature = "hydrate")]
    let _ = title;
    view
}
