//! Proxy mode behind a real nginx (Debian's), configured as the deployment guide shows:
//! `auth_request` to an oauth2-proxy-shaped endpoint, whose `X-Auth-Request-*` answer nginx
//! copies into the request it passes on. The endpoint is a small server in the test (oauth2-proxy
//! itself is not packaged here); everything from nginx on is real.
//!
//! Roles: group `ops` is operator on `myACR*`, group `readers` viewer on `myACR*`; no default
//! role, so `acrOther` is outside everyone's scope.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use replimap_arm_emulator::{Seed, SeedRegistry, DEMO_SUBSCRIPTION_ID};
use replimap_server::config::{AuthConfig, Binding, ProxyConfig, ProxyPreset, Subject};
use replimap_server::CSRF_HEADER;
use replimap_types::{AuthMode, Role};
use serde_json::{json, Value};

use crate::support::{scratch_dir, TestPortal, REG};

const OTHER: &str = "00000000-0000-0000-0000-000000000000/otherrg/acrOther";

fn seed() -> Seed {
    Seed::docs_example().with_registry(SeedRegistry::premium(DEMO_SUBSCRIPTION_ID, "otherrg", "acrOther", "westeurope"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn nginx_binary() -> Option<std::path::PathBuf> {
    let candidates = ["/usr/sbin/nginx", "/usr/bin/nginx"];
    let found = candidates.iter().map(std::path::PathBuf::from).find(|p| p.exists());
    if found.is_none() && std::env::var("REPLIMAP_REQUIRE_NGINX").is_ok_and(|v| v == "1") {
        panic!("nginx is not installed (REPLIMAP_REQUIRE_NGINX=1): scripts/setup --test installs it");
    }
    found
}

/// The oauth2-proxy stand-in: `Authorization: Basic user:password` → 202 with the user's
/// headers, as `oauth2-proxy --set-xauthrequest` answers `/oauth2/auth`; 401 otherwise.
async fn auth_endpoint() -> SocketAddr {
    async fn check(headers: HeaderMap) -> axum::response::Response {
        use axum::response::IntoResponse;
        use base64::Engine;
        let users = [("alice", "ops"), ("bob", "readers"), ("mallory", "nobody")];
        let basic = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Basic "));
        let decoded = basic.and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
        let user = decoded.and_then(|d| String::from_utf8(d).ok()).and_then(|s| {
            let (u, p) = s.split_once(':')?;
            (p == "pw").then(|| u.to_owned())
        });
        match user.and_then(|u| users.iter().find(|(n, _)| *n == u)) {
            Some((name, group)) => (
                StatusCode::ACCEPTED,
                [
                    ("x-auth-request-user", name.to_string()),
                    ("x-auth-request-email", format!("{name}@example.com")),
                    ("x-auth-request-groups", format!("{group},everyone")),
                ],
            )
                .into_response(),
            None => StatusCode::UNAUTHORIZED.into_response(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/oauth2/auth", axum::routing::get(check));
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// nginx in front of `portal`, on `port`; killed on drop.
struct Nginx {
    child: std::process::Child,
    dir: std::path::PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn nginx(bin: &std::path::Path, port: u16, portal: SocketAddr, auth: SocketAddr) -> Nginx {
    let dir = scratch_dir("nginx");
    let d = dir.display();
    let conf = format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location = /oauth2/auth {{
      internal;
      proxy_pass http://{auth};
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
    }}
    location / {{
      auth_request /oauth2/auth;
      auth_request_set $user   $upstream_http_x_auth_request_user;
      auth_request_set $email  $upstream_http_x_auth_request_email;
      auth_request_set $groups $upstream_http_x_auth_request_groups;
      # Set, not appended: whatever the client sent in these headers is replaced.
      proxy_set_header X-Auth-Request-User   $user;
      proxy_set_header X-Auth-Request-Email  $email;
      proxy_set_header X-Auth-Request-Groups $groups;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_http_version 1.1;
      proxy_buffering off;
      proxy_pass http://{portal};
    }}
  }}
}}
"#
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = std::process::Command::new(bin)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nginx starts");
    // Owned at once, so every path out of here (the panic included) kills and reaps it.
    let nginx = Nginx { child, dir };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return nginx;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nginx did not listen: {}", std::fs::read_to_string(nginx.dir.join("error.log")).unwrap_or_default());
}

fn bind(group: &str, role: Role, pattern: &str) -> Binding {
    Binding { subject: Subject::Group(group.into()), role, registries: vec![pattern.into()] }
}

struct Setup {
    portal: TestPortal,
    _nginx: Nginx,
    front: String,
}

async fn setup() -> Option<Setup> {
    let bin = nginx_binary()?;
    let port = free_port();
    let auth = auth_endpoint().await;
    let portal = TestPortal::with_seed_and(seed(), |c| {
        c.allowed_hosts = vec![format!("127.0.0.1:{port}")];
        c.auth = AuthConfig {
            mode: AuthMode::Proxy,
            proxy: Some(ProxyConfig {
                trusted: vec!["127.0.0.1/32".parse().unwrap()],
                preset: ProxyPreset::AuthRequest,
                user_header: None,
                email_header: None,
                groups_header: None,
                roles_header: None,
            }),
            bindings: vec![bind("ops", Role::Operator, "myACR*"), bind("readers", Role::Viewer, "myACR*")],
            trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
            ..AuthConfig::default()
        };
    })
    .await;
    let nginx = nginx(&bin, port, portal.portal.addr, auth).await;
    Some(Setup { portal, _nginx: nginx, front: format!("http://127.0.0.1:{port}") })
}

impl Setup {
    fn req(&self, method: reqwest::Method, user: &str, path: &str) -> reqwest::RequestBuilder {
        self.portal
            .http
            .request(method, format!("{}{path}", self.front))
            .basic_auth(user, Some("pw"))
            .header(CSRF_HEADER, "1")
            // A client trying to name itself through the proxy: nginx replaces the header.
            .header("x-auth-request-user", "admin")
    }
}

#[tokio::test]
async fn identity_comes_only_from_the_trusted_proxy() {
    let Some(s) = setup().await else { return eprintln!("skipped: nginx not installed") };
    // Through nginx: who nginx's auth said, not what the client wrote.
    let me: Value = s.req(reqwest::Method::GET, "alice", "/api/v1/me").send().await.unwrap().json().await.unwrap();
    assert_eq!(me["actor"], "alice");
    assert_eq!(me["source"], "proxy");
    assert_eq!(me["mode"], "proxy");
    assert_eq!(me["role"], "operator");
    assert_eq!(me["groups"], json!(["ops", "everyone"]));
    // Without credentials nginx itself refuses.
    let resp = s.portal.http.get(format!("{}/api/v1/me", s.front)).send().await.unwrap();
    assert_eq!(resp.status(), 401);

    // Straight to the portal from another loopback address (another peer): the headers are
    // ignored, logged and counted; there is no identity.
    let spoofer =
        reqwest::Client::builder().local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    let before = s.portal.arm_writes();
    for path in ["/api/v1/me", "/api/v1/registries"] {
        let resp = spoofer
            .get(s.portal.url(path))
            .header("x-auth-request-user", "alice")
            .header("x-auth-request-groups", "ops")
            .header("x-forwarded-user", "alice")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "unauthenticated");
    }
    let resp = spoofer
        .put(s.portal.url(&format!("/api/v1/registries/{REG}/replications/westus")))
        .header(CSRF_HEADER, "1")
        .header("x-auth-request-user", "alice")
        .header("x-auth-request-groups", "ops")
        .json(&json!({ "location": "westus" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(s.portal.arm_writes(), before, "no ARM write for a spoofed identity");
    // The page, too, is refused without an identity.
    let page = spoofer.get(s.portal.url("/")).header("x-auth-request-user", "alice").send().await.unwrap();
    assert_eq!(page.status(), 401);
    let metrics = s.portal.get("/metrics").await.text().await.unwrap();
    let spoofed = metrics
        .lines()
        .find(|l| l.starts_with("replimap_auth_untrusted_identity_headers_total"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .expect("the spoofed-header counter is in /metrics");
    assert!(spoofed >= 4, "{spoofed}");
}

#[tokio::test]
async fn viewers_cannot_write_and_operators_only_in_scope() {
    let Some(s) = setup().await else { return eprintln!("skipped: nginx not installed") };
    let before = s.portal.arm_writes();
    let path = format!("/api/v1/registries/{REG}/replications/westus");
    let put = s.req(reqwest::Method::PUT, "bob", &path).json(&json!({ "location": "westus" })).send().await.unwrap();
    let patch = s
        .req(reqwest::Method::PATCH, "bob", &format!("/api/v1/registries/{REG}/replications/eastus"))
        .json(&json!({ "regionEndpointEnabled": false }))
        .send()
        .await
        .unwrap();
    let delete = s
        .req(reqwest::Method::DELETE, "bob", &format!("/api/v1/registries/{REG}/replications/eastus"))
        .send()
        .await
        .unwrap();
    for resp in [put, patch, delete] {
        assert_eq!(resp.status(), 403);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "forbidden");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("needs the operator role") && message.contains("bob"), "{message}");
    }
    assert_eq!(s.portal.arm_writes(), before, "a viewer's writes never reach ARM");

    // alice is operator on myACR*: the write goes through, and the audit trail names her,
    // her source and the role that decided.
    let resp = s.req(reqwest::Method::PUT, "alice", &path).json(&json!({ "location": "westus" })).send().await.unwrap();
    assert_eq!(resp.status(), 202, "{}", resp.text().await.unwrap());
    assert!(s.portal.arm_writes() > before);
    // acrOther is outside her scope: refused as if it did not exist, and no ARM write.
    let writes = s.portal.arm_writes();
    let other = format!("/api/v1/registries/{OTHER}/replications/westus");
    let resp =
        s.req(reqwest::Method::PUT, "alice", &other).json(&json!({ "location": "westus" })).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(s.portal.arm_writes(), writes);

    // Every decision is in the audit trail with identity, source and role (read as the local
    // admin would: through the store, since no one here is a global admin).
    let page = s.portal.portal.state.store.audit_list(&replimap_store::AuditFilter::default(), 50).await.unwrap();
    let refused: Vec<_> = page.items.iter().filter(|r| r.actor == "bob").collect();
    assert_eq!(refused.len(), 3);
    assert!(refused.iter().all(|r| r.outcome.as_str() == "refused"
        && r.code.as_deref() == Some("forbidden")
        && r.actor_source == "proxy"
        && r.actor_role.as_deref() == Some("viewer")));
    let alice: Vec<_> = page.items.iter().filter(|r| r.actor == "alice").collect();
    assert_eq!(alice.len(), 2);
    assert!(alice.iter().any(|r| r.actor_role.as_deref() == Some("operator") && r.outcome.as_str() != "refused"));
    assert!(alice.iter().any(|r| r.code.as_deref() == Some("registry_not_found") && r.actor_role.is_none()));
    // The client address is the caller's, not nginx's hop (X-Forwarded-For from a trusted peer).
    assert!(alice.iter().all(|r| r.client_ip == "127.0.0.1"));
}

#[tokio::test]
async fn a_registry_outside_the_scope_is_in_no_list_stream_or_log() {
    let Some(s) = setup().await else { return eprintln!("skipped: nginx not installed") };
    // bob (viewer on myACR*) lists one registry of the two; acrOther answers as if absent.
    let regs: Value =
        s.req(reqwest::Method::GET, "bob", "/api/v1/registries").send().await.unwrap().json().await.unwrap();
    let names: Vec<_> =
        regs.as_array().unwrap().iter().map(|r| r["key"]["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["myACR0007"]);
    let resp =
        s.req(reqwest::Method::GET, "bob", &format!("/api/v1/registries/{OTHER}/replications")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    // mallory has no role at all: she sees nothing.
    let regs: Value =
        s.req(reqwest::Method::GET, "mallory", "/api/v1/registries").send().await.unwrap().json().await.unwrap();
    assert_eq!(regs, json!([]));

    // The stream through nginx: bob's snapshot holds only myACR0007, and an event of acrOther
    // never reaches him while one of myACR0007 does.
    let mut sse = s.req(reqwest::Method::GET, "bob", "/api/v1/events").send().await.unwrap().bytes_stream();
    use futures::StreamExt;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains("\n\n") && tokio::time::Instant::now() < deadline {
        if let Ok(Some(Ok(chunk))) = tokio::time::timeout(Duration::from_secs(5), sse.next()).await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(seen.contains("snapshot") && seen.contains("myACR0007"), "{seen}");
    assert!(!seen.contains("acrOther"), "{seen}");
    // alice (operator on myACR*) writes to both; only the first is allowed, and bob's stream
    // carries myACR0007's change but nothing of acrOther.
    let other = format!("/api/v1/registries/{OTHER}/replications/westus");
    let _ = s.req(reqwest::Method::PUT, "alice", &other).json(&json!({ "location": "westus" })).send().await.unwrap();
    let mine = format!("/api/v1/registries/{REG}/replications/westus");
    let resp = s.req(reqwest::Method::PUT, "alice", &mine).json(&json!({ "location": "westus" })).send().await.unwrap();
    assert_eq!(resp.status(), 202);
    let mut live = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !live.contains("replicationUpserted") && tokio::time::Instant::now() < deadline {
        if let Ok(Some(Ok(chunk))) = tokio::time::timeout(Duration::from_secs(5), sse.next()).await {
            live.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(live.contains("westus"), "{live}");
    assert!(!live.contains("acrOther") && !live.contains("otherrg"), "{live}");

    // The activity log: bob sees alice's write on myACR0007, not her refused try on acrOther.
    let audit: Value = s.req(reqwest::Method::GET, "bob", "/api/v1/audit").send().await.unwrap().json().await.unwrap();
    let items = audit["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|r| r["registry"]["name"] == "myACR0007"), "{items:?}");
    let export = s
        .req(reqwest::Method::GET, "bob", "/api/v1/audit/export?format=jsonl")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!export.contains("acrOther"));
    // Operations likewise.
    let ops: Value =
        s.req(reqwest::Method::GET, "bob", "/api/v1/operations").send().await.unwrap().json().await.unwrap();
    assert!(ops.as_array().unwrap().iter().all(|o| o["registry"]["name"] == "myACR0007"));
    // The page is rendered with bob's registries only.
    let html = s.req(reqwest::Method::GET, "bob", "/").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("myACR0007") && !html.contains("acrOther"));
}
