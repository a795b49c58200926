//! The HTTP edge over real sockets: header timeout and connection cap, body and message
//! limits, security headers and the CSP nonce, the public URL, the metrics token, the
//! event-stream caps.

use std::time::{Duration, Instant};

use azure_core::credentials::Secret;
use replimap_arm_emulator::{FaultRule, Seed};
use replimap_server::{Config, CSRF_HEADER};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestPortal, REG};

async fn portal(tweak: impl FnOnce(&mut Config)) -> TestPortal {
    TestPortal::with_seed_and(Seed::docs_example(), tweak).await
}

/// A client that opens a new connection for every request, so a test controls what is open.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap()
}

/// Whether the server has closed `socket` within `within`: a read sees the end or a reset.
async fn closed_by_server(socket: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // an answer first (hyper's 408 or similar): keep reading
            Err(_) => return false,
        }
    }
}

/// The value of a counter or gauge line of `/metrics`.
async fn metric(t: &TestPortal, line: &str) -> u64 {
    let text = fresh_client().get(t.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let value = text.lines().find_map(|l| l.strip_prefix(line)?.strip_prefix(' ')).unwrap_or_else(|| {
        panic!("/metrics lacks {line}");
    });
    value.trim().parse().unwrap()
}

/// `/healthz` over a new connection, with how long it took.
async fn healthz(t: &TestPortal) -> (reqwest::StatusCode, Duration) {
    let started = Instant::now();
    let resp = fresh_client().get(t.url("/healthz")).timeout(Duration::from_secs(10)).send().await.unwrap();
    (resp.status(), started.elapsed())
}

#[tokio::test]
async fn half_open_sockets_neither_starve_the_portal_nor_outlive_the_header_timeout() {
    const SOCKETS: usize = 1000;
    let t = portal(|c| c.http.header_timeout = Duration::from_secs(2)).await;
    let mut sockets = Vec::with_capacity(SOCKETS);
    for _ in 0..SOCKETS {
        let mut s = TcpStream::connect(t.portal.addr).await.unwrap();
        // Half a request line, and then nothing: a slowloris.
        s.write_all(b"GET /api/v1/regis").await.unwrap();
        sockets.push(s);
    }
    let opened = Instant::now();
    let (status, took) = healthz(&t).await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1), "/healthz took {took:?} beside {SOCKETS} half-open sockets");
    eprintln!("/healthz beside {SOCKETS} half-open sockets: {took:?}");
    for (i, s) in sockets.iter_mut().enumerate() {
        // 2 s after they were opened, and a margin for a loaded machine.
        let left = Duration::from_secs(8).saturating_sub(opened.elapsed());
        assert!(closed_by_server(s, left).await, "socket {i} still open {:?} after opening", opened.elapsed());
    }
    eprintln!("all {SOCKETS} closed by the server {:?} after opening", opened.elapsed());
    assert!(metric(&t, "replimap_http_header_timeouts_total").await >= SOCKETS as u64);
    assert_eq!(healthz(&t).await.0, 200);
}

#[tokio::test]
async fn a_connection_over_the_cap_is_closed_at_once_and_a_freed_slot_serves_again() {
    let t = portal(|c| c.http.max_connections = 4).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(t.portal.addr).await.unwrap());
    }
    // Let the accept loop take all four before the fifth arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let mut over = TcpStream::connect(t.portal.addr).await.unwrap();
    let _ = over.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await;
    assert!(closed_by_server(&mut over, Duration::from_secs(2)).await, "the fifth connection was kept waiting");
    assert!(started.elapsed() < Duration::from_secs(1), "closed only after {:?}", started.elapsed());
    assert!(fresh_client().get(t.url("/healthz")).send().await.is_err(), "over the cap, nothing is served");
    drop(held.pop());
    let mut served = false;
    for _ in 0..50 {
        if fresh_client().get(t.url("/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served, "/healthz answers once a connection is freed");
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(metric(&t, "replimap_http_connections_refused_total").await >= 2);
}

#[tokio::test]
async fn a_two_megabyte_body_gets_a_small_413() {
    let t = TestPortal::start().await;
    let big = json!({"location": "westus2", "tags": {"pad": "x".repeat(2 << 20)}}).to_string();
    let url = t.url(&format!("/api/v1/registries/{REG}/replications/westus2"));
    let writes = t.arm_writes();
    let resp = t.http.put(&url).header(CSRF_HEADER, "1").header("content-type", "application/json").body(big.clone());
    let resp = resp.send().await.unwrap();
    assert_eq!(resp.status(), 413);
    let body = resp.bytes().await.unwrap();
    assert!(body.len() < 1024, "{} bytes", body.len());
    let env: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(env["code"], "payload_too_large", "{env}");
    assert!(env["message"].as_str().unwrap().contains("http.max_body_bytes"), "{env}");

    // Without a Content-Length (chunked), the limit holds as the body is read.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.into_bytes().chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let resp = t
        .http
        .put(&url)
        .header(CSRF_HEADER, "1")
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert!(resp.bytes().await.unwrap().len() < 1024);
    assert_eq!(t.arm_writes(), writes, "nothing reached ARM");
    assert_eq!(metric(&t, "replimap_http_bodies_too_large_total").await, 2);
}

#[tokio::test]
async fn a_huge_path_segment_gets_a_small_error() {
    let t = TestPortal::start().await;
    let huge = "a".repeat(60_000);
    for path in [format!("/api/v1/{huge}"), format!("/api/v1/registries/{REG}/replications/{huge}")] {
        let resp = t.get(&path).await;
        assert!(resp.status().is_client_error(), "{}", resp.status());
        let body = resp.bytes().await.unwrap();
        assert!(body.len() < 2048, "{} bytes echoed for a {}-byte path", body.len(), path.len());
        let env: Value = serde_json::from_slice(&body).unwrap();
        assert!(env["message"].as_str().unwrap().ends_with('…'), "{env}");
    }
}

/// Headers every response carries, whatever answered.
fn assert_security_headers(resp: &reqwest::Response, what: &str) {
    let h = resp.headers();
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "same-origin", "{what}");
    assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{what}");
    assert!(h["permissions-policy"].to_str().unwrap().contains("camera=()"), "{what}");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(!h.contains_key("strict-transport-security"), "{what}: no HSTS without an https public URL");
}

#[tokio::test]
async fn security_headers_are_on_pages_api_answers_and_errors() {
    let t = TestPortal::start().await;
    let page = t.get("/").await;
    assert_security_headers(&page, "page");
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    for part in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data:;",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(part), "page CSP lacks {part}: {csp}");
    }
    assert!(!csp.contains("'unsafe-eval'") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    let api = t.get("/api/v1/locations").await;
    assert_eq!(api.status(), 200);
    assert_security_headers(&api, "API answer");
    assert!(api.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    let missing = t.get("/api/v1/nope").await;
    assert_eq!(missing.status(), 404);
    assert_security_headers(&missing, "API error");
    let refused = t.http.get(t.url("/")).header("host", "evil.example").send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_security_headers(&refused, "Host refused");
    let page_404 = t.get("/no/such/page").await;
    assert_eq!(page_404.status(), 404);
    assert_security_headers(&page_404, "page 404");
    let stream = t.http.get(t.url("/api/v1/events")).send().await.unwrap();
    assert_security_headers(&stream, "event stream");
}

/// The nonce the CSP header names, and the nonces of the page's inline scripts.
async fn nonces(t: &TestPortal, path: &str) -> (String, Vec<String>) {
    let resp = t.get(path).await;
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let html = resp.text().await.unwrap();
    let header = regex::Regex::new(r"'nonce-([A-Za-z0-9_-]+)'").unwrap().captures(&csp).unwrap()[1].to_owned();
    let script = regex::Regex::new(r"<script([^>]*)>").unwrap();
    let nonce = regex::Regex::new(r#"\snonce="([^"]*)""#).unwrap();
    let inline: Vec<String> = script
        .captures_iter(&html)
        .map(|c| c[1].to_owned())
        // External scripts are allowed by 'self'; JSON data blocks are never run.
        .filter(|attrs| !attrs.contains("src=") && !attrs.contains("application/json"))
        .map(|attrs| nonce.captures(&attrs).map(|n| n[1].to_owned()).unwrap_or_default())
        .collect();
    assert!(!inline.is_empty(), "{path}: no inline script (the hydration loader) found");
    (header, inline)
}

#[tokio::test]
async fn the_page_nonce_is_the_headers_and_new_for_every_request() {
    let t = TestPortal::start().await;
    let mut seen = Vec::new();
    for path in ["/", "/", "/activity", "/no/such/page"] {
        let (header, inline) = nonces(&t, path).await;
        assert!(header.len() >= 16, "{header}");
        assert!(inline.iter().all(|n| *n == header), "{path}: scripts {inline:?}, header {header}");
        seen.push(header);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "a nonce is never reused");
}

#[tokio::test]
async fn tiles_are_allowed_from_their_own_origin_only() {
    let t = portal(|c| c.ui.tile_url = Some("https://tiles.example:8443/{z}/{x}/{y}.png".into())).await;
    let csp = t.get("/").await.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("img-src 'self' data: https://tiles.example:8443;"), "{csp}");
}

#[tokio::test]
async fn hsts_only_with_an_https_public_url() {
    let https = portal(|c| c.http.public_url = Some("https://replimap.example.com".parse().unwrap())).await;
    for path in ["/", "/api/v1/locations", "/api/v1/nope"] {
        let resp = https.get(path).await;
        assert_eq!(resp.headers()["strict-transport-security"], "max-age=31536000", "{path}");
    }
    let http = portal(|c| c.http.public_url = Some("http://replimap.internal:8080".parse().unwrap())).await;
    assert!(!http.get("/").await.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn probes_answer_any_host_and_everything_else_keeps_the_host_check() {
    let t = TestPortal::start().await;
    let pod = "10.1.2.3:3000";
    let resp = t.http.get(t.url("/healthz")).header("host", pod).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let resp = t.http.get(t.url("/readyz")).header("host", pod).send().await.unwrap();
    assert_ne!(resp.status(), 403);
    for path in ["/", "/metrics", "/api/v1/locations", "/healthz/x"] {
        let resp = t.http.get(t.url(path)).header("host", pod).send().await.unwrap();
        assert_eq!(resp.status(), 403, "{path}");
    }
}

#[tokio::test]
async fn with_a_public_url_writes_must_come_from_it() {
    let t = portal(|c| c.http.public_url = Some("https://replimap.example.com".parse().unwrap())).await;
    let url = t.url(&format!("/api/v1/registries/{REG}/replications"));
    let write = |origin: &str, host: Option<&str>| {
        // An empty body: past the guard it is a 400, so nothing reaches ARM.
        let mut req = t.http.put(&url).header(CSRF_HEADER, "1").header("origin", origin).json(&json!({}));
        if let Some(host) = host {
            req = req.header("host", host);
        }
        req.send()
    };
    let ours = write("https://replimap.example.com", Some("replimap.example.com")).await.unwrap();
    assert_eq!(ours.status(), 400, "the public origin passes");
    let behind_proxy = write("https://replimap.example.com", None).await.unwrap();
    assert_eq!(behind_proxy.status(), 400, "whatever Host the proxy forwards");
    let own_host = format!("http://{}", t.portal.addr);
    let resp = write(&own_host, None).await.unwrap();
    assert_eq!(resp.status(), 403, "an Origin matching Host is not enough any more");
    let resp = write("http://replimap.example.com", Some("replimap.example.com")).await.unwrap();
    assert_eq!(resp.status(), 403, "the scheme counts");
    let read = t.http.get(t.url("/api/v1/locations")).header("host", "replimap.example.com").send().await.unwrap();
    assert_eq!(read.status(), 200, "the public host is served");
    let read = t.http.get(t.url("/api/v1/locations")).header("host", "other.example.com").send().await.unwrap();
    assert_eq!(read.status(), 403);
    assert_eq!(t.arm_writes(), 0);
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_configured() {
    let open = TestPortal::start().await;
    assert_eq!(open.get("/metrics").await.status(), 200, "no token file: open as before");

    let t = portal(|c| c.http.metrics_token = Some(Secret::new("s3cret-token"))).await;
    let get = |auth: Option<&str>| {
        let mut req = t.http.get(t.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    for auth in
        [None, Some("Bearer wrong"), Some("Bearer s3cret-toke"), Some("Basic s3cret-token"), Some("s3cret-token")]
    {
        let resp = get(auth).await.unwrap();
        assert_eq!(resp.status(), 401, "{auth:?}");
        assert_eq!(resp.headers()["www-authenticate"], "Bearer realm=\"metrics\"");
        let env: Value = resp.json().await.unwrap();
        assert_eq!(env["code"], "unauthenticated", "{env}");
        assert!(!env.to_string().contains("s3cret"), "the token is never echoed");
    }
    for auth in ["Bearer s3cret-token", "bearer  s3cret-token "] {
        let resp = get(Some(auth)).await.unwrap();
        assert_eq!(resp.status(), 200, "{auth}");
        assert!(resp.text().await.unwrap().contains("replimap_http_connections_open"));
    }
}

#[tokio::test]
async fn event_streams_are_capped_and_a_closed_one_frees_its_slot() {
    let t = portal(|c| {
        c.http.max_streams = 3;
        // The local user is not held to the per-identity cap.
        c.http.max_streams_per_identity = 1;
    })
    .await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(t.sse(None).await);
    }
    let refused = t.http.get(t.url("/api/v1/events")).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    let env: Value = refused.json().await.unwrap();
    assert_eq!(env["code"], "limit_reached", "{env}");
    assert!(env["message"].as_str().unwrap().contains("http.max_streams"), "{env}");
    assert_eq!(metric(&t, "replimap_sse_refused_total{cap=\"total\"}").await, 1);
    drop(open.pop());
    let mut again = None;
    for _ in 0..50 {
        let resp = t.http.get(t.url("/api/v1/events")).send().await.unwrap();
        if resp.status() == 200 {
            again = Some(resp);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again.is_some(), "the closed stream's slot was never freed");
    // Pages and the API are not streams: they are served at the cap.
    assert_eq!(t.get("/api/v1/locations").await.status(), 200);
}

#[tokio::test]
async fn the_request_timeout_answers_503_but_spares_the_event_stream() {
    let t = portal(|c| c.http.request_timeout = Duration::from_secs(1)).await;
    // Slow ARM: a refresh waits for the emulator, which is held longer than the timeout.
    t.emulator().add_fault(FaultRule::delay(Duration::from_secs(3)).method("GET").path_contains("/replications"));
    let started = Instant::now();
    let resp = t.get(&format!("/api/v1/registries/{REG}/replications?refresh=true")).await;
    assert_eq!(resp.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(3), "answered after {:?}", started.elapsed());
    let env: Value = resp.json().await.unwrap();
    assert_eq!(env["code"], "unavailable", "{env}");
    assert!(env["message"].as_str().unwrap().contains("http.request_timeout_secs"), "{env}");
    assert_eq!(metric(&t, "replimap_http_request_timeouts_total").await, 1);
    // The stream outlives the timeout.
    let mut sse = t.sse(None).await;
    sse.next().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!sse.ended().await, "the event stream was cut by the request timeout");
    t.emulator().set_faults(Vec::new());

    // A write that outlives the timeout is answered 503 but not dropped: ARM gets it and the
    // replica appears.
    t.emulator().add_fault(FaultRule::delay(Duration::from_secs(2)).method("PUT").times(1));
    let resp = t.put(&format!("/api/v1/registries/{REG}/replications"), json!({"location": "japaneast"})).await;
    assert_eq!(resp.status(), 503);
    t.wait_for_list(|l| l.iter().any(|r| r["name"] == "japaneast")).await;
}

#[tokio::test]
async fn a_signed_in_identity_is_held_to_its_own_stream_cap() {
    // Identities from a trusted proxy (the tests' loopback client), every one a viewer.
    let env = [
        ("REPLIMAP_AUTH_MODE", "proxy"),
        ("REPLIMAP_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("REPLIMAP_PROXY_PRESET", "oauth2-proxy"),
        ("REPLIMAP_RBAC_DEFAULT", "viewer"),
    ];
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let (loaded, _) = Config::load(&env, &[]).unwrap();
    let t = portal(|c| {
        c.auth = loaded.auth;
        c.http.max_streams = 10;
        c.http.max_streams_per_identity = 2;
    })
    .await;
    let open_as = |user: &str| t.http.get(t.url("/api/v1/events")).header("x-forwarded-user", user).send();
    let alice: Vec<_> = [open_as("alice").await.unwrap(), open_as("alice").await.unwrap()].into();
    assert!(alice.iter().all(|r| r.status() == 200), "{:?}", alice.iter().map(|r| r.status()).collect::<Vec<_>>());
    let third = open_as("alice").await.unwrap();
    assert_eq!(third.status(), 429);
    let env: Value = third.json().await.unwrap();
    assert_eq!(env["code"], "limit_reached", "{env}");
    assert!(env["message"].as_str().unwrap().contains("http.max_streams_per_identity"), "{env}");
    assert_eq!(open_as("bob").await.unwrap().status(), 200, "another identity has slots of its own");
    assert_eq!(metric(&t, "replimap_sse_refused_total{cap=\"identity\"}").await, 1);
    drop(alice);
    let mut again = false;
    for _ in 0..50 {
        if open_as("alice").await.unwrap().status() == 200 {
            again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again, "alice's closed streams never freed their slots");
}

#[tokio::test]
async fn shutdown_stops_accepting_and_lets_the_request_in_flight_finish() {
    let mut t = TestPortal::start().await;
    t.emulator().add_fault(FaultRule::delay(Duration::from_millis(1500)).method("PUT").times(1));
    let (client, url) = (t.http.clone(), t.url(&format!("/api/v1/registries/{REG}/replications")));
    let write = tokio::spawn(async move {
        client.put(url).header(CSRF_HEADER, "1").json(&json!({"location": "japaneast"})).send().await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let addr = t.portal.addr;
    tokio::time::timeout(Duration::from_secs(5), t.shutdown()).await.expect("the listener closed");
    assert!(TcpStream::connect(addr).await.is_err(), "no new connection is accepted");
    let resp = write.await.unwrap().expect("the request in flight was answered");
    assert_eq!(resp.status(), 202);
}
