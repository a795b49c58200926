//! Why a write control is disabled: the identity's role on the selected registry is below
//! operator. One view for every place that says so, so the WASM holds it once.

use leptos::prelude::*;

use crate::portal::Portal;

/// What the console's write controls do, for the sentence under the table.
pub const WRITES: &str = "adding, changing or deleting a replica";

/// `<p id={id} class="denied">`: "Your role on acrprod is viewer: {doing} needs operator.",
/// empty (and not shown) while `doing` is allowed.
pub fn note(portal: Portal, id: &'static str, doing: &'static str) -> impl IntoView {
    view! { <p id=id class="denied">{move || portal.why_not(doing)}</p> }
}
