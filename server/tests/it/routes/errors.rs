//! One error envelope everywhere: unknown API paths and wrong methods answer JSON; pages keep
//! their HTML 404.

use replimap_server::CSRF_HEADER;
use serde_json::Value;

use crate::support::{TestPortal, REG};

/// Asserts the `{"code", "message", "requestId"}` envelope and returns its message.
async fn envelope(resp: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(resp.status(), status, "{}", resp.url());
    assert_eq!(resp.headers()["content-type"], "application/json");
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["requestId"], request_id.as_str(), "the body names the request");
    body["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn unknown_api_paths_answer_the_json_404_envelope() {
    let t = TestPortal::start().await;
    for path in [
        "/api/v1/nope",
        "/api/nope",
        "/api",
        "/api/",
        "/api/v2/locations",
        "/api/v1/locations/",
        &format!("/api/v1/registries/{REG}"),
        &format!("/api/v1/registries/{REG}/replications/eastus/extra"),
    ] {
        let msg = envelope(t.get(path).await, 404, "not_found").await;
        assert!(msg.contains(path.trim_end_matches('/')) && msg.contains("openapi.json"), "{msg}");
    }
    // Any method: a write to an unknown API path is a 404 too (once it passes the CSRF check).
    let resp = t.http.post(t.url("/api/v1/nope")).header(CSRF_HEADER, "1").send().await.unwrap();
    envelope(resp, 404, "not_found").await;
}

#[tokio::test]
async fn a_wrong_method_answers_405_with_allow_and_the_envelope() {
    let t = TestPortal::start().await;
    let reps = format!("/api/v1/registries/{REG}/replications");
    let cases = [
        (reqwest::Method::POST, "/api/v1/locations".to_owned(), "GET,HEAD"),
        (reqwest::Method::DELETE, "/api/v1/registries".to_owned(), "GET,HEAD"),
        (reqwest::Method::PATCH, reps.clone(), "GET,HEAD,PUT"),
        (reqwest::Method::POST, format!("{reps}/eastus"), "GET,HEAD,PUT,PATCH,DELETE"),
        (reqwest::Method::PUT, "/api/v1/operations/x".to_owned(), "GET,HEAD"),
        (reqwest::Method::POST, "/healthz".to_owned(), "GET,HEAD"),
    ];
    for (method, path, allow) in cases {
        let resp = t.http.request(method.clone(), t.url(&path)).header(CSRF_HEADER, "1").send().await.unwrap();
        let got: Vec<String> =
            resp.headers()["allow"].to_str().unwrap().split(',').map(|m| m.trim().to_owned()).collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        let mut want: Vec<&str> = allow.split(',').collect();
        want.sort();
        assert_eq!(got_sorted, want, "{method} {path}");
        let msg = envelope(resp, 405, "method_not_allowed").await;
        assert!(msg.contains(method.as_str()) && msg.contains(&path), "{msg}");
    }
    // OPTIONS is not served either, and says what is.
    let resp = t.http.request(reqwest::Method::OPTIONS, t.url("/api/v1/locations")).send().await.unwrap();
    assert!(resp.headers().contains_key("allow"));
    envelope(resp, 405, "method_not_allowed").await;
    // The CSRF check still comes first for state-changing methods.
    let resp = t.http.delete(t.url("/api/v1/registries")).send().await.unwrap();
    envelope(resp, 403, "csrf_rejected").await;
}

#[tokio::test]
async fn unknown_pages_keep_the_html_fallback() {
    let t = TestPortal::start().await;
    for path in ["/nope", "/apiary", "/pkg/missing.js", "/favicon-none.png"] {
        let resp = t.get(path).await;
        assert_eq!(resp.status(), 404, "{path}");
        let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ctype.starts_with("text/html"), "{path}: {ctype}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("<html") || html.contains("<!DOCTYPE"), "{path}: {html}");
        assert!(html.contains("Page not found."), "{path}: the 404 page, not the console");
        assert!(!html.contains("id=\"console\""), "{path}: no console on a 404");
    }
}
