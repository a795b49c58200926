//! API tokens and enrolled screens, in local mode (the local user is the admin who creates them).

use replimap_server::CSRF_HEADER;
use serde_json::{json, Value};

use crate::support::{TestPortal, REG};

async fn create(t: &TestPortal, auth: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = t.http.post(t.url("/api/v1/tokens")).header(CSRF_HEADER, "1").json(&body);
    if let Some(a) = auth {
        req = req.bearer_auth(a);
    }
    req.send().await.unwrap()
}

async fn secret(t: &TestPortal, body: Value) -> (String, String) {
    let resp = create(t, None, body).await;
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.unwrap();
    (v["secret"].as_str().unwrap().to_owned(), v["token"]["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn tokens_are_created_shown_once_used_and_revoked() {
    let t = TestPortal::start().await;
    let (viewer, id) = secret(&t, json!({ "name": "wall screen", "role": "viewer", "registries": ["myACR*"] })).await;
    assert!(viewer.starts_with(&format!("rmp_{id}_")));
    // Listed without its secret or hash.
    let list = t.get("/api/v1/tokens").await.text().await.unwrap();
    assert!(list.contains("wall screen") && !list.contains(&viewer[20..]) && !list.contains("secret"), "{list}");

    // The token is its own identity, with its role.
    let me: Value = t.http.get(t.url("/api/v1/me")).bearer_auth(&viewer).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["actor"], format!("token:{id}"));
    assert_eq!(me["source"], "token");
    assert_eq!(me["role"], "viewer");
    let before = t.arm_writes();
    let resp = t
        .http
        .put(t.url(&format!("/api/v1/registries/{REG}/replications/westus")))
        .bearer_auth(&viewer)
        .header(CSRF_HEADER, "1")
        .json(&json!({ "location": "westus" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(t.arm_writes(), before);
    // Its last use is recorded.
    let list: Value = t.get("/api/v1/tokens").await.json().await.unwrap();
    assert!(list["items"][0]["lastUsedAt"].is_string());

    // A viewer token cannot make tokens (and the attempt is audited).
    let resp = create(&t, Some(&viewer), json!({ "name": "x", "role": "admin" })).await;
    assert_eq!(resp.status(), 403);
    let refused = t.audit("action=create_token&outcome=refused").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["actor"], format!("token:{id}"));
    assert_eq!(refused[0]["actorSource"], format!("token:{id}"));
    assert_eq!(refused[0]["actorRole"], "viewer");

    // An operator token writes.
    let (operator, _) = secret(&t, json!({ "name": "ci", "role": "operator", "expiresInDays": 1 })).await;
    let resp = t
        .http
        .put(t.url(&format!("/api/v1/registries/{REG}/replications/westus")))
        .bearer_auth(&operator)
        .header(CSRF_HEADER, "1")
        .json(&json!({ "location": "westus" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);

    // Revoked: refused at once, everywhere (even on a public path).
    let resp = t.http.delete(t.url(&format!("/api/v1/tokens/{id}"))).header(CSRF_HEADER, "1").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["state"], "revoked");
    assert_eq!(v["revokedBy"], "local");
    for path in ["/api/v1/me", "/healthz"] {
        let resp = t.http.get(t.url(path)).bearer_auth(&viewer).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("revoked"), "{body}");
    }
    let created = t.audit("action=create_token&outcome=succeeded").await;
    assert_eq!(created.len(), 2);
    assert_eq!(t.audit("action=revoke_token").await.len(), 1);
    // A made-up token and a malformed one.
    for bad in ["rmp_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "rmp_nope"] {
        let resp = t.http.get(t.url("/api/v1/me")).bearer_auth(bad).send().await.unwrap();
        assert_eq!(resp.status(), 401);
    }
}

#[tokio::test]
async fn expired_tokens_are_refused_and_bad_requests_explained() {
    let t = TestPortal::start().await;
    let (text, id) = secret(&t, json!({ "name": "short", "role": "viewer", "expiresInDays": 1 })).await;
    // Age it in the store: its expiry passes.
    let store = &t.portal.state.store;
    let mut row = store.token_get(&id).await.unwrap().unwrap();
    row.id = "00000000000000aa".into();
    row.expires_at_ms = replimap_store::clock::now_ms() - 1;
    store.token_insert(&row).await.unwrap();
    let expired = text.replacen(&id, "00000000000000aa", 1);
    let resp = t.http.get(t.url("/api/v1/me")).bearer_auth(&expired).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("expired"), "{body}");
    let list: Value = t.get("/api/v1/tokens").await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().iter().any(|i| i["state"] == "expired"));

    for (body, needle) in [
        (json!({ "name": "", "role": "viewer" }), "name"),
        (json!({ "name": "x", "role": "root" }), "root"),
        (json!({ "name": "x", "role": "viewer", "expiresInDays": 0 }), "expiresInDays"),
        (json!({ "name": "x", "role": "viewer", "registries": [] }), "registries"),
        (json!({ "name": "x", "role": "viewer", "registries": ["/tenants/x"] }), "registries"),
        (json!({ "name": "x", "role": "viewer", "extra": 1 }), "extra"),
    ] {
        let resp = create(&t, None, body.clone()).await;
        assert_eq!(resp.status(), 400, "{body}");
        let v: Value = resp.json().await.unwrap();
        assert!(v["message"].as_str().unwrap().contains(needle), "{v}");
    }
    let resp = t.http.delete(t.url("/api/v1/tokens/nope")).header(CSRF_HEADER, "1").send().await.unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn a_wall_screen_enrolls_once_and_loses_access_with_its_token() {
    let t = TestPortal::start().await;
    let (viewer, id) = secret(&t, json!({ "name": "lobby", "role": "viewer" })).await;
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = no_redirect
        .post(t.url("/auth/enroll"))
        .form(&[("token", viewer.as_str()), ("return_to", "/?kiosk=1")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/?kiosk=1");
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Max-Age="), "{cookie}");
    assert!(!cookie.contains("Secure"), "no Secure over http: {cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    assert!(!pair.contains(&viewer[20..]), "the cookie is not the token");
    let me: Value = t.http.get(t.url("/api/v1/me")).header("cookie", &pair).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["source"], "device");
    assert_eq!(me["tokenId"], id);
    assert_eq!(me["role"], "viewer");
    assert_eq!(me["canSignOut"], true);
    // The kiosk page renders for it.
    let page = t.http.get(t.url("/?kiosk=1")).header("cookie", &pair).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(t.audit("action=enroll_device&outcome=succeeded").await.len(), 1);

    // The screen's event stream is open when its token is revoked: the stream ends, the
    // session with it, and the cookie is refused once (and cleared), so the screen shows that
    // it is signed out rather than quietly becoming the local user.
    let mut stream = t.http.get(t.url("/api/v1/events")).header("cookie", &pair).send().await.unwrap().bytes_stream();
    use futures::StreamExt;
    assert!(stream.next().await.is_some(), "the snapshot");
    let resp = t.http.delete(t.url(&format!("/api/v1/tokens/{id}"))).header(CSRF_HEADER, "1").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream of a revoked token ends");
    let resp = t.http.get(t.url("/api/v1/me")).header("cookie", &pair).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let cleared = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let me: Value = t.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["source"], "local", "without the cookie, the local user again");

    // Only viewer tokens enroll, and a bad token gets a readable page.
    let (operator, _) = secret(&t, json!({ "name": "ci", "role": "operator" })).await;
    let resp = no_redirect.post(t.url("/auth/enroll")).form(&[("token", operator.as_str())]).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp.text().await.unwrap().contains("Only viewer tokens"));
    let resp = no_redirect.post(t.url("/auth/enroll")).form(&[("token", "rmp_x")]).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.text().await.unwrap().contains("not a replimap API token"));
    // From another origin, the form post is refused.
    let resp = no_redirect
        .post(t.url("/auth/enroll"))
        .header("origin", "http://evil.example")
        .form(&[("token", viewer.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}
