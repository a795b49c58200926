//! WASM entry point: hydrates the page the server rendered with `replimap_app::App`.

/// Called by the generated JS glue once the module is instantiated.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(replimap_app::App);
}
