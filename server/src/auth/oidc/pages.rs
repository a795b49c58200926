//! The few plain pages of signing in and out: what went wrong, with a way to try again, and
//! "you are signed out". Server-rendered, without script, so they work whatever the console's
//! state (and under the page CSP, which allows no inline script without its nonce).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// `&`, `<`, `>`, `"` and `'` escaped, for text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page: `title` and `body_html` (already escaped where it holds outside text).
/// `refresh_to` makes the browser go there at once (a cross-origin step a form's redirect may
/// not take: CSP `form-action` covers redirects after a form post).
pub fn page(status: StatusCode, title: &str, body_html: &str, refresh_to: Option<&str>) -> Response {
    let refresh = refresh_to
        .map(|to| format!("<meta http-equiv=\"refresh\" content=\"0;url={}\">", escape(to)))
        .unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{refresh}\
         <title>replimap · {title}</title><link rel=\"stylesheet\" href=\"/pkg/replimap.css\"></head>\
         <body><main class=\"not-found auth-page\" id=\"auth-page\"><h1>{title}</h1>{body_html}</main></body></html>",
        title = escape(title),
    );
    let mut resp = (status, Html(html)).into_response();
    // Nothing here is worth caching, and the sign-in pages must never be served from a cache.
    resp.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    resp
}

/// The link that starts a new sign-in, back to `return_to`.
pub fn try_again_link(return_to: &str) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new()).append_pair("return_to", return_to).finish();
    format!("<p><a id=\"try-again\" href=\"/auth/login?{}\">Sign in again</a></p>", escape(&q))
}

/// Sign-in failed: what happened (`what`, for people) and a way to try again. `detail` is the
/// provider's own wording, shown as such.
pub fn sign_in_failed(status: StatusCode, what: &str, detail: Option<&str>, return_to: &str) -> Response {
    let detail = detail
        .filter(|d| !d.trim().is_empty())
        .map(|d| format!("<p>The provider said: <q id=\"provider-said\">{}</q></p>", escape(d)))
        .unwrap_or_default();
    let body = format!("<p id=\"auth-error\">{}</p>{detail}{}", escape(what), try_again_link(return_to));
    page(status, "Sign-in did not complete", &body, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_is_escaped() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(
            try_again_link("/a?b=c&d"),
            "<p><a id=\"try-again\" href=\"/auth/login?return_to=%2Fa%3Fb%3Dc%26d\">Sign in again</a></p>"
        );
    }

    #[tokio::test]
    async fn a_failure_page_shows_the_providers_words_safely() {
        let resp = sign_in_failed(StatusCode::FORBIDDEN, "You declined.", Some("<script>x</script>"), "/");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert_eq!(resp.headers()["cache-control"], "no-store");
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("&lt;script&gt;x&lt;/script&gt;") && !body.contains("<script>"), "{body}");
        assert!(body.contains("id=\"try-again\""));
    }
}
