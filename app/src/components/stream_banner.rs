//! The banner that says the live data may be old: the stream is down (reconnecting with
//! back-off), has gone quiet (no heartbeat), or the portal no longer knows this browser.
//! Present in the DOM only while it applies.

use leptos::prelude::*;

use crate::model::StreamStatus;
use crate::portal::Portal;

/// `<div id="stream-banner" role="status" data-state="down|stale|signed-out">`.
#[component]
pub fn StreamBanner(portal: Portal) -> impl IntoView {
    let stream = portal.stream;
    move || {
        let (state, text) = match stream.get() {
            StreamStatus::Reconnecting => {
                ("down", "Live updates are interrupted: what you see may be out of date. Reconnecting automatically…")
            }
            StreamStatus::Stale => {
                ("stale", "No word from the server for a while: what you see may be out of date. Reconnecting…")
            }
            StreamStatus::SignedOut => (
                "signed-out",
                "Signed out: the portal no longer knows this browser (its session ended, or its token was revoked or expired). Sign in, or enroll this screen again.",
            ),
            StreamStatus::Connecting | StreamStatus::Live => return None,
        };
        Some(view! {
            <div id="stream-banner" role="status" data-state=state>
                <span class="banner-icon" aria-hidden="true">"!"</span>
                {text}
            </div>
        })
    }
}
