//! `/admin/tokens`: the API tokens (admins only): the list, a form that creates one and shows
//! its secret once, and revocation.
//!
//! Built as the activity page is, and for the same reason (views would cost the map page's
//! WASM too, since one module serves every page): server HTML for the skeleton, rendered once
//! as the `inner_html` of one element, and a little browser code that loads the list, inserts
//! rows as escaped HTML (`crate::model::tokens::row_html`) and wires the form and the buttons.
//! The server refuses the API to anyone but an admin; the page says so in words: at once when
//! it was rendered for a known non-admin, else from the API's answer.
//!
//! DOM contract: `#tokens-refused[role=alert]` (the refusal, `hidden` otherwise),
//! `#tokens-admin` holding `form#token-form` (`input[name=name]`, `select[name=role]`,
//! `input[name=registries]`, `input[name=days]`, submit "Create token"), `#token-created`
//! (`hidden` until a token is created: `input#token-secret`, `button#copy-secret`, "it will not
//! be shown again"), `#tokens-status[role=status]`, `table#tokens` with `tbody#token-rows`
//! holding `tr#token-{id}[data-token-id][data-state]` and `button[data-revoke]`, `#tokens-empty`.

/// The server's part: everything but the tokens.
#[cfg(not(feature = "hydrate"))]
pub(super) fn skeleton() -> String {
    use leptos::prelude::*;
    use replimap_types::Role;

    let (data, grants) = super::map::page_data();
    let me = data.me;
    // Unknown (no identity in the page): the API's answer decides, in the browser.
    let refused = me.as_ref().filter(|m| m.role != Some(Role::Admin)).map(|m| {
        let role = m.role.map_or("no role".to_owned(), |r| format!("the {r} role"));
        format!("Managing API tokens needs the admin role; you have {role}. Ask an admin for a token instead.")
    });
    let heads = ["Name", "Role", "Registries", "Created by", "Created", "Expires", "Last used", "State", "Actions"];
    let roles = replimap_types::Role::ALL.map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> });
    view! {
        <header id="top">
            <div class="brand">
                <h1>"replimap"<span class="subtitle">" · API tokens"</span></h1>
                {crate::components::identity::identity(grants, || None)}
            </div>
            <nav class="registry-box" aria-label="Pages">
                <a id="map-link" href="/">"← Back to the map"</a>
            </nav>
        </header>
        <main id="tokens-page">
            <h2 id="tokens-title">"API tokens"</h2>
            <p>
                "A token acts with its role on the registries it names until it expires or is revoked: for CI jobs ("
                <code>"Authorization: Bearer …"</code>") and for wall screens ("<a href="/enroll">"enroll"</a>" one with a viewer token)."
            </p>
            <p id="tokens-refused" class="denied" role="alert" hidden=refused.is_none()>{refused.clone()}</p>
            <div id="tokens-admin" hidden=refused.is_some()>
                <form id="token-form" aria-label="Create a token">
                    <label>"Name"<input name="name" required="" maxlength="100" autocomplete="off" placeholder="wall screen 3rd floor"/></label>
                    <label>"Role"<select name="role">{roles}</select></label>
                    <label>"Registries"<input name="registries" value="*" title="Glob patterns on the registry name or its ARM id, separated by commas: * is every registry"/></label>
                    <label>"Expires in (days)"<input type="number" name="days" min="1" max="400" value="90"/></label>
                    <button type="submit" class="primary">"Create token"</button>
                </form>
                <div id="token-created" class="secret-box" hidden="">
                    <p><strong>"Copy the secret now: it will not be shown again."</strong>" The portal keeps only a hash of it."</p>
                    <p>
                        <input id="token-secret" readonly="" aria-label="The new token's secret" spellcheck="false"/>
                        <button type="button" id="copy-secret">"Copy"</button>
                    </p>
                </div>
                <p id="tokens-status" role="status"></p>
                <div class="table-scroll">
                    <table id="tokens" aria-labelledby="tokens-title">
                        <thead>
                            <tr>{heads.map(|h| view! { <th scope="col">{h}</th> }).to_vec()}</tr>
                        </thead>
                        <tbody id="token-rows"></tbody>
                    </table>
                </div>
                <p id="tokens-empty">"Loading…"</p>
            </div>
        </main>
    }
    .to_html()
}

#[cfg(feature = "hydrate")]
pub(super) mod browser {
    use js_sys::Reflect;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::Element;

    use crate::api::{call, API};
    use crate::dom::{by_id, field, listen, set_text};
    use crate::model::tokens::{new_token, row_html};

    /// Calls the method `name` of `el` without arguments (`select`, `reset`), which web-sys would
    /// need a feature (and its glue) for each.
    fn invoke(el: &Element, name: &str) {
        if let Ok(f) = Reflect::get(el, &name.into()).and_then(|f| f.dyn_into::<js_sys::Function>()) {
            let _ = f.call0(el);
        }
    }

    fn show(id: &str, shown: bool) {
        if let Some(el) = by_id(id) {
            let _ = el.toggle_attribute_with_force("hidden", !shown);
        }
    }

    /// A string field of a JS object (an array joined with ", ").
    fn text(v: &JsValue, key: &str) -> Option<String> {
        let value = Reflect::get(v, &key.into()).ok()?;
        match value.dyn_ref::<js_sys::Array>() {
            Some(list) => Some(list.join(", ").into()),
            None => value.as_string(),
        }
    }

    type Answer = Result<JsValue, (String, Option<replimap_types::ErrorCode>)>;

    /// Sends a call and hands its answer to `then`. The page's one future: an `async` block per
    /// action, each with the fetch inside, would be compiled once each.
    fn send(method: &'static str, url: String, body: Option<String>, then: Box<dyn FnOnce(Answer)>) {
        leptos::task::spawn_local(async move { then(call(method, &url, body.as_deref()).await) });
    }

    /// Loads the list into the table, or, when the API refuses it (not an admin, signed out),
    /// shows its refusal in place of the page.
    fn load() {
        send(
            "GET",
            format!("{API}/tokens"),
            None,
            Box::new(|answer| match answer {
                Ok(answer) => {
                    let items =
                        Reflect::get(&answer, &"items".into()).map(|a| js_sys::Array::from(&a)).unwrap_or_default();
                    let html: String = items.iter().map(|t| row_html(&|key| text(&t, key))).collect();
                    if let Some(rows) = by_id("token-rows") {
                        rows.set_inner_html(&html);
                    }
                    set_text("tokens-empty", if html.is_empty() { "No API token yet." } else { "" });
                }
                // An answer with the portal's envelope (401, 403) is its refusal.
                Err((message, Some(_))) => {
                    set_text("tokens-refused", &message);
                    show("tokens-refused", true);
                    show("tokens-admin", false);
                }
                Err((message, None)) => set_text("tokens-empty", &format!("The tokens could not be loaded: {message}")),
            }),
        );
    }

    /// `NewApiToken` as the JSON body, built with the browser's own objects.
    fn body(t: &replimap_types::NewApiToken) -> Option<String> {
        let o = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| Reflect::set(&o, &k.into(), v).ok();
        set("name", &t.name.as_str().into())?;
        set("role", &t.role.as_str().into())?;
        if let Some(patterns) = &t.registries {
            set("registries", &patterns.iter().map(|p| JsValue::from_str(p)).collect::<js_sys::Array>())?;
        }
        if let Some(days) = t.expires_in_days {
            set("expiresInDays", &days.into())?;
        }
        js_sys::JSON::stringify(&o).ok().map(String::from)
    }

    /// Loads the list (or learns that the API refuses it) and wires the form, the copy button
    /// and the revoke buttons.
    pub fn start() {
        if by_id("tokens-admin").is_none_or(|el| el.has_attribute("hidden")) {
            return;
        }
        load();
        listen("token-form", "submit", |ev| {
            ev.prevent_default();
            let Some(form) = by_id("token-form") else { return };
            let token = new_token(
                &field(&form, "name"),
                &field(&form, "role"),
                &field(&form, "registries"),
                &field(&form, "days"),
            );
            let body = body(&token);
            set_text("tokens-status", "Creating…");
            send(
                "POST",
                format!("{API}/tokens"),
                body,
                Box::new(move |answer| {
                    let status = match answer {
                        Ok(created) => {
                            if let Some(input) = by_id("token-secret") {
                                let _ = Reflect::set(
                                    &input,
                                    &"value".into(),
                                    &text(&created, "secret").unwrap_or_default().into(),
                                );
                            }
                            show("token-created", true);
                            invoke(&form, "reset");
                            load();
                            "Token created.".to_owned()
                        }
                        Err((e, _)) => format!("The token was not created: {e}"),
                    };
                    set_text("tokens-status", &status);
                }),
            );
        });
        listen("copy-secret", "click", |_| {
            let Some(input) = by_id("token-secret") else { return };
            invoke(&input, "select");
            let written = clipboard_write(&crate::dom::value(&input));
            leptos::task::spawn_local(async move {
                let copied = match written {
                    Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.is_ok(),
                    Err(_) => false,
                };
                set_text("tokens-status", if copied { "Secret copied." } else { "Selected: press Ctrl+C to copy." });
            });
        });
        // One listener for every row's button, whatever the list holds now.
        listen("token-rows", "click", |ev| {
            let Some(button) = ev.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
            let (Some(id), Some(name)) = (button.get_attribute("data-revoke"), button.get_attribute("data-name"))
            else {
                return;
            };
            let question =
                format!("Revoke the token {name}? Whatever uses it (a CI job, a wall screen) loses access at once.");
            if !web_sys::window().is_some_and(|w| w.confirm_with_message(&question).unwrap_or(false)) {
                return;
            }
            send(
                "DELETE",
                format!("{API}/tokens/{id}"),
                None,
                Box::new(move |answer| {
                    let status = match answer {
                        Ok(_) => format!("Token {name} revoked."),
                        Err((e, _)) => format!("The token was not revoked: {e}"),
                    };
                    set_text("tokens-status", &status);
                    load();
                }),
            );
        });
    }

    #[wasm_bindgen]
    extern "C" {
        /// `navigator.clipboard.writeText`: absent outside a secure context, hence `catch`.
        #[wasm_bindgen(catch, js_namespace = ["navigator", "clipboard"], js_name = writeText)]
        fn clipboard_write(text: &str) -> Result<js_sys::Promise, JsValue>;
    }
}
