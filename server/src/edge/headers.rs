//! The security headers every response gets, and the page's CSP nonce.
//!
//! Pages get a Content-Security-Policy that allows only the portal's own scripts, styles and
//! connections, plus the one inline script Leptos writes (the hydration loader, a
//! `<script type="module">`), by a nonce made per request: [`layer`] makes it, puts it in the
//! request's extensions and writes it into the header; [`provide_page_nonce`] hands the same
//! nonce to Leptos, whose `HydrationScripts` and streaming chunks put it on their `<script>`s.
//! Everything that is not HTML (the API, assets) gets `default-src 'none'`: nothing in a JSON
//! answer or an image opened on its own may load or run anything.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;

use super::Edge;

/// This request's CSP nonce, in the request's extensions.
#[derive(Debug, Clone)]
pub struct CspNonce(pub Nonce);

/// The CSP of everything that is not a page.
const NOT_A_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The header values, worked out once from the configuration.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    /// The page's CSP up to the nonce, and after it.
    page_csp: (String, String),
    /// `Strict-Transport-Security`, when the public URL is https.
    hsts: Option<HeaderValue>,
}

/// The headers that do not depend on the response.
const FIXED: [(HeaderName, &str); 5] = [
    // Framing is refused twice: CSP `frame-ancestors` for current browsers, this for old ones.
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    // The portal's URLs carry subscription, registry and region names in the query; a tile
    // server (or any other origin) learns none of them from a Referer.
    (header::REFERRER_POLICY, "same-origin"),
    (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    // The console uses none of these; a script injected into it gets none either.
    (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
];

impl SecurityHeaders {
    /// The headers for a portal served at `public_url` whose map tiles come from `tile_url`.
    pub fn new(public_url: Option<&url::Url>, tile_url: Option<&str>) -> Self {
        let tiles = tile_url.and_then(tile_source).map(|s| format!(" {s}")).unwrap_or_default();
        let before = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-".to_owned();
        // `style-src-attr 'unsafe-inline'`: Leptos writes a `style=` attribute with
        // `setAttribute` (the region card's position), which CSP treats as an inline style.
        // A style attribute cannot run script or load anything `img-src` forbids; `<style>`
        // elements and style sheets stay limited to the portal's own files.
        let after = format!(
            "'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:{tiles}; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        );
        let hsts =
            public_url.is_some_and(|u| u.scheme() == "https").then(|| HeaderValue::from_static("max-age=31536000"));
        Self { page_csp: (before, after), hsts }
    }

    /// The page CSP with this nonce.
    fn page_csp(&self, nonce: &str) -> Option<HeaderValue> {
        HeaderValue::try_from(format!("{}{nonce}{}", self.page_csp.0, self.page_csp.1)).ok()
    }

    /// Sets the headers a handler has not set itself.
    fn apply(&self, headers: &mut HeaderMap, nonce: &str) {
        let is_page = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
        let csp = if is_page { self.page_csp(nonce) } else { Some(HeaderValue::from_static(NOT_A_PAGE_CSP)) };
        if let Some(csp) = csp {
            headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(csp);
        }
        for (name, value) in FIXED {
            headers.entry(name).or_insert(HeaderValue::from_static(value));
        }
        if let Some(hsts) = &self.hsts {
            headers.entry(header::STRICT_TRANSPORT_SECURITY).or_insert(hsts.clone());
        }
    }
}

/// The CSP source for a tile URL template's origin: `https://tile.example`, with a leading
/// `{s}.` (Leaflet's subdomains) as `*.`; a template that is a path on the portal needs none.
/// A host the CSP grammar cannot carry falls back to the scheme (`https:`), which is broader
/// but still keeps images to that scheme.
fn tile_source(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let authority = match authority.strip_prefix("{s}.") {
        Some(host) => format!("*.{host}"),
        None => authority.to_owned(),
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || ".-:[]*".contains(c);
    let wildcard_ok = !authority.get(1..).unwrap_or_default().contains('*');
    if authority.is_empty() || !authority.chars().all(plain) || !wildcard_ok {
        return Some(format!("{scheme}:"));
    }
    Some(format!("{scheme}://{authority}"))
}

/// Makes this request's nonce and sets the security headers on its response.
pub async fn layer(State(edge): State<Arc<Edge>>, mut req: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut resp = next.run(req).await;
    edge.headers.apply(resp.headers_mut(), &nonce);
    resp
}

/// For the page's Leptos context: the nonce of the request being rendered, which [`layer`]
/// writes into the CSP header (Leptos would otherwise make one of its own that no header names).
pub fn provide_page_nonce() {
    let nonce = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        leptos::prelude::provide_context(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_sources_are_origins() {
        assert_eq!(tile_source("https://tile.example/{z}/{x}/{y}.png").as_deref(), Some("https://tile.example"));
        assert_eq!(tile_source("http://127.0.0.1:8080/{z}/{x}/{y}.png").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(
            tile_source("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.openstreetmap.org")
        );
        assert_eq!(tile_source("https://tiles-{s}.example/{z}/{x}/{y}.png").as_deref(), Some("https:"));
        assert_eq!(tile_source("https://a.example;script-src */{z}/{x}/{y}").as_deref(), Some("https:"));
        assert_eq!(tile_source("/tiles/{z}/{x}/{y}.png"), None);
    }

    #[test]
    fn pages_get_the_nonce_and_the_rest_none() {
        let h = SecurityHeaders::new(None, Some("https://tile.example/{z}/{x}/{y}.png"));
        let mut page = HeaderMap::new();
        page.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        h.apply(&mut page, "abc");
        let csp = page[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("'nonce-abc'") && csp.contains("img-src 'self' data: https://tile.example;"), "{csp}");
        assert!(!page.contains_key(header::STRICT_TRANSPORT_SECURITY));
        let mut json = HeaderMap::new();
        json.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h.apply(&mut json, "abc");
        assert_eq!(json[header::CONTENT_SECURITY_POLICY], NOT_A_PAGE_CSP);
        assert_eq!(json[header::X_FRAME_OPTIONS], "DENY");
        let https: url::Url = "https://replimap.example.com".parse().unwrap();
        let mut any = HeaderMap::new();
        SecurityHeaders::new(Some(&https), None).apply(&mut any, "n");
        assert_eq!(any[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000");
    }
}
