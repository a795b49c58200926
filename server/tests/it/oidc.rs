//! `auth.mode = "oidc"` at the HTTP level, against a stub provider served here (discovery and
//! an empty JWKS: enough to start and to send people to sign in). The whole flow through a real
//! provider, ID tokens included, is in end2end/tests/oidc.test.mjs.

use std::net::SocketAddr;

use axum::routing::get;
use axum::{Json, Router};
use replimap_arm_emulator::Seed;
use replimap_server::config::{AuthConfig, OidcConfig};
use replimap_types::AuthMode;
use serde_json::json;

use crate::support::*;

/// A provider that answers discovery and its JWKS; the authorization endpoint is never called.
async fn stub_provider() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let meta = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
    });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(move || async move { Json(meta.clone()) }))
        .route("/jwks", get(|| async { Json(json!({"keys": []})) }));
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (issuer, task)
}

fn oidc(issuer: &str, act_as_user: bool) -> OidcConfig {
    OidcConfig {
        issuer: issuer.parse().unwrap(),
        client_id: "portal".into(),
        client_secret: azure_core::credentials::Secret::new("s3cret"),
        scopes: vec!["openid".into(), "profile".into(), "email".into()],
        roles_claim: "roles".into(),
        groups_claim: "groups".into(),
        redirect_url: None,
        act_as_user,
        user_scope: "api://portal/user_impersonation".into(),
        obo_token_url: None,
        ca_bundle: None,
    }
}

/// A portal in oidc mode against `issuer`, its public URL on a port picked first.
async fn portal(issuer: &str, act_as_user: bool) -> TestPortal {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let issuer = issuer.to_owned();
    TestPortal::with_seed_and(Seed::docs_example(), move |c| {
        c.listen = format!("127.0.0.1:{port}").parse().unwrap();
        c.http.public_url = Some(format!("http://127.0.0.1:{port}").parse().unwrap());
        c.auth = AuthConfig { mode: AuthMode::Oidc, oidc: Some(oidc(&issuer, act_as_user)), ..AuthConfig::default() };
    })
    .await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// `GET /auth/login?return_to=…`: where it sends the browser, and the binding cookie.
async fn start_sign_in(t: &TestPortal, return_to: &str) -> (url::Url, String) {
    let resp =
        no_redirects().get(t.url(&format!("/auth/login?return_to={}", urlencode(return_to)))).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    let to = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    (to, cookie)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn param(u: &url::Url, name: &str) -> String {
    u.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

async fn page(resp: reqwest::Response) -> (u16, String) {
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn sign_in_goes_to_the_provider_with_pkce_state_and_nonce() {
    let (issuer, _op) = stub_provider().await;
    let t = portal(&issuer, true).await;
    let (to, cookie) = start_sign_in(&t, "/activity?outcome=refused").await;
    assert_eq!(format!("{}://{}{}", to.scheme(), to.authority(), to.path()), format!("{issuer}/authorize"));
    assert_eq!(param(&to, "response_type"), "code");
    assert_eq!(param(&to, "client_id"), "portal");
    assert_eq!(param(&to, "redirect_uri"), t.url("/auth/callback"));
    assert_eq!(param(&to, "code_challenge_method"), "S256");
    assert_eq!(param(&to, "code_challenge").len(), 43, "a SHA-256, base64url");
    let scopes: Vec<String> = param(&to, "scope").split(' ').map(str::to_owned).collect();
    for s in ["openid", "profile", "email", "api://portal/user_impersonation"] {
        assert!(scopes.iter().any(|x| x == s), "{s} in {scopes:?}");
    }
    let (state, nonce) = (param(&to, "state"), param(&to, "nonce"));
    assert!(state.len() >= 22 && nonce.len() >= 22 && state != nonce, "{state} {nonce}");
    // The sign-in is bound to this browser by a short, script-proof cookie.
    assert!(cookie.starts_with("replimap_login_"), "{cookie}");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=600"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    // A second sign-in gets its own state and verifier.
    let (again, _) = start_sign_in(&t, "/").await;
    assert_ne!(param(&again, "state"), state);
    assert_ne!(param(&again, "code_challenge"), param(&to, "code_challenge"));
}

#[tokio::test]
async fn pages_send_people_to_sign_in_and_the_api_answers_401() {
    let (issuer, _op) = stub_provider().await;
    let t = portal(&issuer, false).await;
    let page = no_redirects().get(t.url("/activity?x=1")).send().await.unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/auth/login?return_to=%2Factivity%3Fx%3D1");
    let api = t.get("/api/v1/me").await;
    assert_eq!(api.status(), 401);
    let (to, _) = start_sign_in(&t, "/").await;
    assert!(!param(&to, "scope").contains("user_impersonation"), "not acting as the user: no API scope");
}

#[tokio::test]
async fn callbacks_that_cannot_be_trusted_get_readable_pages() {
    let (issuer, _op) = stub_provider().await;
    let t = portal(&issuer, false).await;
    let http = no_redirects();
    let callback = |query: String, cookie: Option<String>| {
        let mut req = http.get(t.url(&format!("/auth/callback?{query}")));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send()
    };
    let cookie_of = |set: &str| set.split(';').next().unwrap().to_owned();

    // Forged: a state the portal never issued.
    let (status, body) = page(callback("code=x&state=forged".into(), None).await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(body.contains("expired or was already used") && body.contains("id=\"try-again\""), "{body}");

    // A real state, but from another browser (no binding cookie): refused, and used up.
    let (to, set) = start_sign_in(&t, "/activity").await;
    let state = param(&to, "state");
    let (status, body) = page(callback(format!("code=x&state={state}"), None).await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(body.contains("not started in this browser"), "{body}");
    assert!(body.contains("return_to=%2Factivity"), "try again goes back where the person was: {body}");
    let (status, body) = page(callback(format!("code=x&state={state}"), Some(cookie_of(&set))).await.unwrap()).await;
    assert_eq!(status, 400, "each state works once");
    assert!(body.contains("already used"), "{body}");

    // The person declined at the provider: its words, escaped, and a way back.
    let (to, set) = start_sign_in(&t, "/").await;
    let q =
        format!("error=access_denied&error_description=%3Cb%3EUser%3C%2Fb%3E+declined&state={}", param(&to, "state"));
    let resp = callback(q, Some(cookie_of(&set))).await.unwrap();
    let cleared = resp.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().contains("Max-Age=0"));
    let (status, body) = page(resp).await;
    assert_eq!(status, 403);
    assert!(body.contains("access_denied: &lt;b&gt;User&lt;/b&gt; declined"), "{body}");
    assert!(cleared, "the binding cookie is cleared");

    // RFC 9207: an answer naming another issuer (a mix-up) is refused before the code is used.
    let (to, set) = start_sign_in(&t, "/").await;
    let q = format!("code=x&iss=http%3A%2F%2Fevil.example&state={}", param(&to, "state"));
    let (status, body) = page(callback(q, Some(cookie_of(&set))).await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(body.contains("another identity provider"), "{body}");

    // No state at all.
    let (status, _) = page(callback("code=x".into(), None).await.unwrap()).await;
    assert_eq!(status, 400);

    // Every refusal is in the audit trail, by an anonymous caller.
    let filter = replimap_store::AuditFilter {
        action: Some(replimap_types::AuditAction::SignIn),
        outcome: Some(replimap_types::AuditOutcome::Refused),
        ..Default::default()
    };
    let refused = t.portal.state.store.audit_list(&filter, 50).await.unwrap().items;
    assert_eq!(refused.len(), 6, "{refused:?}");
    assert!(refused.iter().all(|r| r.actor == "anonymous" && r.actor_source == "session"), "{refused:?}");
    assert!(refused.iter().any(|r| r.message.as_deref().is_some_and(|m| m.contains("login CSRF"))), "{refused:?}");
}

#[tokio::test]
async fn open_redirects_are_not_offered() {
    let (issuer, _op) = stub_provider().await;
    let t = portal(&issuer, false).await;
    for target in ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example"] {
        let (to, set) = start_sign_in(&t, target).await;
        // The stored return_to shows in the refusal page's way back: home, not the target.
        let resp = no_redirects()
            .get(t.url(&format!("/auth/callback?error=access_denied&state={}", param(&to, "state"))))
            .header("cookie", set.split(';').next().unwrap())
            .send()
            .await
            .unwrap();
        let (_, body) = page(resp).await;
        assert!(body.contains("/auth/login?return_to=%2F\""), "{target}: {body}");
    }
}

#[tokio::test]
async fn sign_out_without_a_session_clears_the_cookie_and_lands_on_a_page() {
    let (issuer, _op) = stub_provider().await;
    let t = portal(&issuer, false).await;
    let resp = no_redirects()
        .post(t.url("/auth/logout"))
        .header("origin", t.portal.url())
        .header("cookie", "replimap_session=not-a-session")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/auth/signed-out");
    let set = resp.headers()["set-cookie"].to_str().unwrap();
    assert!(set.starts_with("replimap_session=;") && set.contains("Max-Age=0"), "{set}");
    // From another origin it is refused (a forged sign-out).
    let evil = no_redirects().post(t.url("/auth/logout")).header("origin", "http://evil.example").send().await.unwrap();
    assert_eq!(evil.status(), 403);
    // The page after the provider's own sign-out offers to sign in again.
    let (status, body) = page(t.get("/auth/signed-out").await).await;
    assert_eq!(status, 200);
    assert!(body.contains("You are signed out") && body.contains("/auth/login?return_to=%2F"), "{body}");
    let (_, body) = page(t.get("/auth/signed-out?provider=1").await).await;
    assert!(body.contains(&format!("{issuer}/logout?")) && body.contains("post_logout_redirect_uri"), "{body}");
    assert!(body.contains("http-equiv=\"refresh\""), "goes on to the provider by itself: {body}");
}

#[tokio::test]
async fn an_unreachable_provider_stops_start_up_with_a_clear_message() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let config = replimap_server::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: scratch_dir("oidc-down"),
        http: replimap_server::config::HttpConfig {
            public_url: Some("http://127.0.0.1:3000".parse().unwrap()),
            ..Default::default()
        },
        auth: AuthConfig {
            mode: AuthMode::Oidc,
            oidc: Some(oidc(&format!("http://{closed}"), false)),
            ..AuthConfig::default()
        },
        ..replimap_server::Config::emulator_defaults()
    };
    let options = leptos::config::LeptosOptions::builder().output_name("replimap").build();
    let err = match replimap_server::start(config, options, std::future::pending()).await {
        Ok(_) => panic!("started without its provider"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains(&format!("auth.oidc.issuer http://{closed}")), "{err}");
    assert!(err.contains("could not be discovered"), "{err}");
}

/// A user's access token for the portal's API as a provider would sign it (the emulator's
/// on-behalf-of exchange reads it without checking the signature).
fn user_token(user: &str, aud: &str, exp_in_secs: i64) -> String {
    use base64::Engine;
    let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + exp_in_secs;
    let claims = json!({"aud": aud, "exp": exp, "sub": format!("sub-{user}"), "preferred_username": user});
    format!("{}.{}.c2ln", b64(json!({"alg": "RS256", "kid": "k"})), b64(claims))
}

/// A signed-in operator's session, as a sign-in would have stored it: its cookie.
async fn session_for(t: &TestPortal, user: &str, delegated: Option<serde_json::Value>) -> String {
    use sha2::Digest;
    let cookie = format!("test-session-{}", uuid::Uuid::new_v4());
    let now = replimap_store::clock::now_ms();
    let row = replimap_store::SessionRow {
        id_hash: hex::encode(sha2::Sha256::digest(cookie.as_bytes())),
        subject: json!({"actor": user, "source": {"kind": "session"}, "roles": ["replimap.operator"]}),
        token_id: None,
        created_at_ms: now,
        last_seen_at_ms: now,
        expires_at_ms: now + 3_600_000,
        delegated,
    };
    t.portal.state.store.session_insert(&row).await.unwrap();
    format!("replimap_session={cookie}")
}

fn delegated(token: &str, valid_for_ms: i64) -> serde_json::Value {
    json!({"user": {"token": token, "expires_at_ms": replimap_store::clock::now_ms() + valid_for_ms}})
}

async fn put_as(t: &TestPortal, cookie: &str, region: &str) -> (u16, serde_json::Value) {
    let resp = t
        .http
        .put(t.url(&format!("/api/v1/registries/{REG}/replications/{region}")))
        .header(replimap_server::CSRF_HEADER, "1")
        .header("cookie", cookie)
        .json(&json!({"location": region}))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or_default())
}

#[tokio::test]
async fn acting_as_the_user_writes_as_them_or_not_at_all() {
    let (issuer, _op) = stub_provider().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let t = TestPortal::with_seed_and(Seed::docs_example(), move |c| {
        c.listen = format!("127.0.0.1:{port}").parse().unwrap();
        c.http.public_url = Some(format!("http://127.0.0.1:{port}").parse().unwrap());
        c.auth = AuthConfig {
            mode: AuthMode::Oidc,
            oidc: Some(oidc(&issuer, true)),
            bindings: vec![replimap_server::config::Binding {
                subject: replimap_server::config::Subject::Claim("replimap.operator".into()),
                role: replimap_types::Role::Operator,
                registries: vec!["*".into()],
            }],
            ..AuthConfig::default()
        };
    })
    .await;

    // Alice's token for the portal becomes her ARM token (the embedded emulator plays Entra ID's
    // exchange): ARM records her as the creator.
    let alice = session_for(&t, "alice", Some(delegated(&user_token("alice", "api://portal", 3600), 3_600_000))).await;
    let (status, body) = put_as(&t, &alice, "westus").await;
    assert_eq!(status, 202, "{body}");
    let sd = &t
        .emulator()
        .replications(SUB, "myresourcegroup", "myACR0007")
        .unwrap()
        .into_iter()
        .find(|r| r["name"] == "westus")
        .unwrap()["systemData"];
    assert_eq!((sd["createdBy"].as_str(), sd["createdByType"].as_str()), (Some("alice"), Some("User")), "{sd}");
    // The ARM token is kept in the session for the next write.
    let hash = alice.strip_prefix("replimap_session=").map(|c| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(c.as_bytes()))
    });
    let row = t.portal.state.store.session_get(&hash.unwrap()).await.unwrap().unwrap();
    let held = row.delegated.unwrap();
    assert!(held["arm"]["token"].as_str().is_some_and(|s| s.split('.').count() == 3), "{held}");
    assert_eq!(held["arm_scope"], format!("{}/.default", t.emulator_url().trim_end_matches('/')));

    // Refused exchanges refuse the write, with a 401 that says to sign in again, and nothing
    // goes to ARM with the portal's own identity instead.
    let writes = t.arm_writes();
    for (who, token, valid_ms, expect) in [
        ("bob", user_token("bob", "api://portal", 3600), 10, "expired"),
        ("carol", user_token("carol", "api://portal", -60), 3_600_000, "AADSTS500133"),
        ("dave", user_token("dave", "api://another-app", 3600), 3_600_000, "AADSTS500131"),
    ] {
        let cookie = session_for(&t, who, Some(delegated(&token, valid_ms))).await;
        let (status, body) = put_as(&t, &cookie, "eastus2").await;
        assert_eq!(status, 401, "{who}: {body}");
        assert_eq!(body["code"], "unauthenticated");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("Sign in again") && message.contains(expect), "{who}: {message}");
    }
    // A session without the user's token (the provider granted no API scope): 403, not a fallback.
    let eve = session_for(&t, "eve", None).await;
    let (status, body) = put_as(&t, &eve, "eastus2").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(t.arm_writes(), writes, "no write reached ARM");
    let filter = replimap_store::AuditFilter {
        action: Some(replimap_types::AuditAction::CreateReplication),
        outcome: Some(replimap_types::AuditOutcome::Refused),
        ..Default::default()
    };
    let refused = t.portal.state.store.audit_list(&filter, 50).await.unwrap().items;
    let actors: Vec<&str> = refused.iter().map(|r| r.actor.as_str()).collect();
    for who in ["bob", "carol", "dave", "eve"] {
        assert!(actors.contains(&who), "{who} refused in the audit trail: {actors:?}");
    }
}
