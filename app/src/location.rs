//! The page's query string (`?registry=…&kiosk&cycle=…`) as a signal, and navigation that
//! keeps it in the browser's history.
//!
//! The console is a few pages, the map (`/`), the activity log (`/activity`), the API tokens
//! (`/admin/tokens`), a wall screen's enrolment (`/enroll`), the fleet (`/fleet`) and the plan
//! that fills a registry's gaps (`/fill`), that link to each other with
//! plain links; within a page, a router would only parse the query and push
//! history entries;
//! leptos_router does that through type-erased route views, which compile every view of the
//! page a second time for asynchronous hydration: about a sixth of the WASM. This module is
//! the part of it the page uses.

use leptos::prelude::*;

/// Query parameters in their order, decoded. A parameter without `=` (`?kiosk`) has an empty
/// value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses `registry=a&kiosk` (with or without the leading `?`).
    pub fn parse(search: &str) -> Self {
        let pairs = search
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Self(pairs)
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// Whether `key` is present, with or without a value.
    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// This query with `key` set to `value` where it was (or last), or without `key` when
    /// `value` is empty.
    pub fn with(&self, key: &str, value: &str) -> Self {
        let mut pairs: Vec<(String, String)> = self.0.iter().filter(|(k, _)| k != key).cloned().collect();
        if !value.is_empty() {
            let at = self.0.iter().position(|(k, _)| k == key).unwrap_or(pairs.len());
            pairs.insert(at.min(pairs.len()), (key.to_owned(), value.to_owned()));
        }
        Self(pairs)
    }

    /// This query with `key` set to `value`, first, and every other parameter kept.
    pub fn with_first(&self, key: &str, value: &str) -> Self {
        let rest = self.0.iter().filter(|(k, _)| k != key).cloned();
        Self(std::iter::once((key.to_owned(), value.to_owned())).chain(rest).collect())
    }

    /// `?a=1&kiosk`, encoded; empty for no parameters.
    pub fn to_search(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| if v.is_empty() { encode(k) } else { format!("{}={}", encode(k), encode(v)) })
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// Which page the path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// `/`: the map and the table.
    Map,
    /// `/activity`: the audit trail.
    Activity,
    /// `/admin/tokens`: API tokens (admins).
    Tokens,
    /// `/enroll`: a wall screen trades an API token for a device session.
    Enroll,
    /// `/fleet`: every registry with its coverage, gaps and cost.
    Fleet,
    /// `/fill?registry=…`: the replicas that would fill a registry's gaps, and their creation.
    Fill,
    /// Any other path: the server's 404.
    NotFound,
}

impl Page {
    /// The page of a path.
    pub fn of(path: &str) -> Self {
        match path {
            "/" => Self::Map,
            "/activity" => Self::Activity,
            "/admin/tokens" => Self::Tokens,
            "/enroll" => Self::Enroll,
            "/fleet" => Self::Fleet,
            "/fill" => Self::Fill,
            _ => Self::NotFound,
        }
    }

    /// The path of the page (`/` for the 404 page, which links to the map).
    pub fn path(self) -> &'static str {
        match self {
            Self::Activity => "/activity",
            Self::Tokens => "/admin/tokens",
            Self::Enroll => "/enroll",
            Self::Fleet => "/fleet",
            Self::Fill => "/fill",
            Self::Map | Self::NotFound => "/",
        }
    }
}

/// The current query, shared by the page through context ([`provide`], [`use_location`]).
#[derive(Clone, Copy)]
pub struct Location {
    query: RwSignal<Query>,
    page: Page,
}

impl Location {
    /// The location of the page being rendered or shown, read once.
    fn from_url() -> Self {
        let (path, search) = current_url();
        Self { query: RwSignal::new(Query::parse(&search)), page: Page::of(&path) }
    }

    /// The page the path names.
    pub fn page(&self) -> Page {
        self.page
    }

    /// The query; Back and Forward update it.
    pub fn query(&self) -> ReadSignal<Query> {
        self.query.read_only()
    }

    /// Moves to this page's path with `query` as a new history entry, without reloading the page.
    pub fn navigate(&self, query: Query) {
        #[cfg(feature = "hydrate")]
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let url = format!("{}{}", self.page.path(), query.to_search());
            if let Err(e) = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url)) {
                leptos::logging::warn!("history.pushState failed: {e:?}");
            }
        }
        self.query.set(query);
    }
}

/// Provides the page's [`Location`]: from the request on the server, from `location.search`
/// in the browser, where `popstate` (Back, Forward) updates it.
pub fn provide() -> Location {
    let location = Location::from_url();
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let query = location.query;
        let on_pop = Closure::<dyn Fn()>::new(move || query.set(Query::parse(&current_url().1)));
        if let Some(w) = web_sys::window() {
            if let Err(e) = w.add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref()) {
                leptos::logging::warn!("popstate listener: {e:?}");
            }
        }
        // The page lives as long as the document: so does its listener.
        on_pop.forget();
    }
    provide_context(location);
    location
}

/// The page's [`Location`], which [`App`](crate::App) provides for every view below it.
pub fn use_location() -> Location {
    use_context::<Location>().unwrap_or_else(|| {
        // A view rendered outside App (a test harness): a location of its own, read once.
        leptos::logging::warn!("no Location in context: App provides it");
        Location::from_url()
    })
}

/// The path and the query string (with its `?`) of the page being rendered or shown.
fn current_url() -> (String, String) {
    #[cfg(feature = "hydrate")]
    {
        let location = web_sys::window().map(|w| w.location());
        let path = location.as_ref().and_then(|l| l.pathname().ok()).unwrap_or_else(|| "/".to_owned());
        (path, location.and_then(|l| l.search().ok()).unwrap_or_default())
    }
    #[cfg(all(feature = "ssr", not(feature = "hydrate")))]
    {
        match use_context::<http::request::Parts>() {
            Some(p) => (p.uri.path().to_owned(), p.uri.query().map(|q| format!("?{q}")).unwrap_or_default()),
            None => ("/".to_owned(), String::new()),
        }
    }
    #[cfg(not(any(feature = "hydrate", feature = "ssr")))]
    {
        ("/".to_owned(), String::new())
    }
}

/// Percent-encodes a query key or value (registry names are alphanumeric, but the list
/// parameter of the wall screen may carry commas and anything a person typed).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Decodes `%XX` and `+` (a space in form encoding); malformed escapes stay as they are.
fn decode(v: &str) -> String {
    let hex = |b: u8| char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = match (b, bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => Some(hi << 4 | lo),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(if b == b'+' { b' ' } else { b });
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_a_query() {
        let q = Query::parse("?registry=myACR0007&kiosk&registries=a%2Cb,c&x=a+b%20c");
        assert_eq!(q.get("registry").as_deref(), Some("myACR0007"));
        assert!(q.has("kiosk"));
        assert_eq!(q.get("kiosk").as_deref(), Some(""));
        assert_eq!(q.get("registries").as_deref(), Some("a,b,c"));
        assert_eq!(q.get("x").as_deref(), Some("a b c"));
        assert_eq!(q.get("nope"), None);
        assert_eq!(q.with_first("registry", "other").to_search(), "?registry=other&kiosk&registries=a,b,c&x=a%20b%20c");
        assert_eq!(Query::parse("").to_search(), "");
        assert_eq!(Query::parse("?kiosk").with_first("registry", "a b").to_search(), "?registry=a%20b&kiosk");
        let q = Query::parse("?a=1&b=2");
        assert_eq!(q.with("a", "3").to_search(), "?a=3&b=2", "in place");
        assert_eq!(q.with("c", "4").to_search(), "?a=1&b=2&c=4", "last");
        assert_eq!(q.with("a", "").to_search(), "?b=2", "empty removes");
    }

    #[test]
    fn the_path_names_the_page() {
        assert_eq!(Page::of("/"), Page::Map);
        assert_eq!(Page::of("/activity"), Page::Activity);
        for page in [Page::Map, Page::Activity, Page::Tokens, Page::Enroll, Page::Fleet, Page::Fill] {
            assert_eq!(Page::of(page.path()), page);
        }
        assert_eq!(Page::of("/nope"), Page::NotFound);
    }

    #[test]
    fn malformed_escapes_stay_as_written() {
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%C3%A9"), "é");
    }
}
