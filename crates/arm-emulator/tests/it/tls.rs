//! HTTPS with a generated certificate, and the identity endpoints the real
//! `az` CLI and Python SDK need (`/metadata/endpoints`, OIDC, token).

use std::net::SocketAddr;

use replimap_arm_emulator::{spawn_tls_on, EmulatorHandle, Seed, TlsIdentity};
use serde_json::{json, Value};

use crate::support::*;

struct TlsEnv {
    handle: EmulatorHandle,
    http: reqwest::Client,
    token: String,
}

async fn start_tls() -> TlsEnv {
    let identity = TlsIdentity::generate(&[]).unwrap();
    let ca = reqwest::Certificate::from_pem(identity.ca_pem().as_bytes()).unwrap();
    let http = reqwest::Client::builder().add_root_certificate(ca).build().unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let handle = spawn_tls_on(addr, test_config(Seed::docs_example()), identity).await.unwrap();
    let token = token_for(&handle).await;
    TlsEnv { handle, http, token }
}

impl TlsEnv {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.base_url())
    }
}

#[tokio::test]
async fn https_serves_arm_and_emits_https_urls() {
    let env = start_tls().await;
    assert!(env.handle.base_url().starts_with("https://127.0.0.1:"));
    let subs: Value = env
        .http
        .get(env.url("/subscriptions?api-version=2022-12-01"))
        .bearer_auth(&env.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(subs["value"][0]["subscriptionId"], SUB);

    let put = env
        .http
        .put(env.url(&with_api(&replication_path("japaneast"))))
        .bearer_auth(&env.token)
        .json(&json!({"location": "japaneast"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    let op = put.headers()["azure-asyncoperation"].to_str().unwrap();
    assert!(op.starts_with(&env.url("/subscriptions/")), "{op}");

    // The same certificate is valid for `localhost`.
    let port = env.handle.addr().port();
    let local = env
        .http
        .get(format!("https://localhost:{port}/subscriptions?api-version=2022-12-01"))
        .bearer_auth(&env.token)
        .send()
        .await
        .unwrap();
    assert_eq!(local.status(), 200);
    env.handle.shutdown().await;
}

#[tokio::test]
async fn untrusted_clients_fail_the_handshake_without_harming_others() {
    let env = start_tls().await;
    let stranger = reqwest::Client::new();
    assert!(stranger.get(env.url("/subscriptions")).send().await.is_err());
    let ok =
        env.http.get(env.url("/subscriptions?api-version=2022-12-01")).bearer_auth(&env.token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn cloud_metadata_points_at_the_emulator() {
    let env = start_tls().await;
    // `az cloud register` appends the path to an endpoint ending in `/`.
    let meta: Value = env
        .http
        .get(env.url("//metadata/endpoints?api-version=2022-09-01"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let root = env.url("/");
    assert_eq!(meta["resourceManager"], root.as_str());
    assert_eq!(meta["authentication"]["loginEndpoint"], root.as_str());
    assert_eq!(meta["authentication"]["audiences"][0], "https://management.core.windows.net/");
    assert_eq!(meta["suffixes"]["acrLoginServer"], "azurecr.io");
}

#[tokio::test]
async fn oidc_discovery_and_client_credentials_token() {
    let env = start_tls().await;
    let tenant = "72f988bf-0000-4000-8000-00000000e0e0";
    let oidc: Value = env
        .http
        .get(env.url(&format!("/{tenant}/v2.0/.well-known/openid-configuration")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token_url = oidc["token_endpoint"].as_str().unwrap().to_owned();
    assert_eq!(token_url, env.url(&format!("/{tenant}/oauth2/v2.0/token")));
    assert!(oidc["authorization_endpoint"].as_str().unwrap().starts_with(&env.url(&format!("/{tenant}/"))));

    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "app1"),
        ("client_secret", "s"),
        ("scope", "https://management.core.windows.net//.default"),
    ];
    let token: Value = env.http.post(&token_url).form(&form).send().await.unwrap().json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 3599, "the configured lifetime");
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3);
    // ARM accepts it.
    let subs = env.http.get(env.url("/subscriptions?api-version=2022-12-01")).bearer_auth(access).send().await.unwrap();
    assert_eq!(subs.status(), 200);

    let refused =
        env.http.post(&token_url).form(&[("grant_type", "password"), ("client_id", "app1")]).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");

    // Identity calls are not ARM requests: not counted, no ARM headers. Tokens are:
    // the harness's (in process) and this one.
    let stats = env.handle.emulator().request_stats();
    assert_eq!(stats.total, 1, "only the GET above");
    assert_eq!(stats.tokens_issued, 2);
}
