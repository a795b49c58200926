//! Browser only: the few DOM calls of the pages that are server HTML plus a little browser
//! code (the activity and token pages) rather than hydrated views.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

/// The element with this `id`.
pub fn by_id(id: &str) -> Option<Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

/// Sets the text of the element with this `id`.
pub fn set_text(id: &str, text: &str) {
    if let Some(el) = by_id(id) {
        el.set_text_content(Some(text));
    }
}

/// Calls `f` on every `event` of the element with this `id`.
pub fn listen(id: &str, event: &str, f: impl FnMut(web_sys::Event) + 'static) {
    let f = Closure::<dyn FnMut(web_sys::Event)>::new(f);
    if let Some(el) = by_id(id) {
        let _ = el.add_event_listener_with_callback(event, f.as_ref().unchecked_ref());
    }
    // The page's elements live as long as the document: so do their listeners.
    f.forget();
}

/// The `value` of a form control (`input`, `select`), read as its property: what the user
/// entered, not the attribute the page was served with.
pub fn value(el: &Element) -> String {
    js_sys::Reflect::get(el, &JsValue::from_str("value")).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// The `value` of the control named `name` inside `form`.
pub fn field(form: &Element, name: &str) -> String {
    form.query_selector(&format!("[name={name}]")).ok().flatten().map(|el| value(&el)).unwrap_or_default()
}
