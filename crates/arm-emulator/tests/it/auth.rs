//! Authentication as ARM plays it: no token, a foreign token and an expired token are
//! refused with ARM's 401s; tokens come from the token endpoint or the in-process
//! credential, live the configured lifetime, and are counted.

use std::time::Duration;

use replimap_arm_emulator::{EmulatorConfig, Seed, DEMO_TENANT_ID};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;

async fn get_as(env: &Env, authorization: Option<&str>) -> Resp {
    env.send_as(authorization, Method::GET, &with_api(&replications_path()), None).await
}

async fn endpoint_token(env: &Env) -> Value {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "app1"),
        ("client_secret", "s"),
        ("scope", "https://management.azure.com/.default"),
    ];
    let url = format!("{}/{DEMO_TENANT_ID}/oauth2/v2.0/token", env.base);
    env.http.post(url).form(&form).send().await.unwrap().json().await.unwrap()
}

fn challenge(r: &Resp) -> &str {
    r.header("www-authenticate").unwrap_or("<no WWW-Authenticate>")
}

#[tokio::test]
async fn requests_without_a_valid_token_are_refused() {
    let env = start().await;
    let none = get_as(&env, None).await;
    assert_eq!((none.status, none.code()), (401, "AuthenticationFailed"));
    assert_eq!(none.message(), "Authentication failed. The 'Authorization' header is missing.");
    assert_eq!(
        challenge(&none),
        format!(
            "Bearer authorization_uri=\"{}/\", error=\"invalid_token\", \
             error_description=\"The authentication failed because of missing 'Authorization' header.\"",
            env.base
        )
    );
    assert!(none.header("x-ms-request-id").is_some(), "still an ARM response");

    let basic = get_as(&env, Some("Basic dXNlcjpwdw==")).await;
    assert_eq!(basic.code(), "AuthenticationFailed");

    for token in ["x", "a.b.c", "static-token"] {
        let r = get_as(&env, Some(&format!("Bearer {token}"))).await;
        assert_eq!((r.status, r.code()), (401, "InvalidAuthenticationToken"), "{token}");
        assert_eq!(r.message(), "The access token is invalid.");
        assert!(challenge(&r).contains("error=\"invalid_token\""));
    }
    // Another emulator's token: well-formed, but not signed with this key.
    let other = start().await;
    let foreign = get_as(&env, Some(&format!("Bearer {}", other.token))).await;
    assert_eq!(foreign.code(), "InvalidAuthenticationToken");

    assert_eq!(get_as(&env, Some(&format!("bearer {}", env.token))).await.status, 200, "scheme is case-insensitive");
    let stats = env.handle.emulator().request_stats();
    assert_eq!(stats.auth_refused, 6);
    assert_eq!(stats.total, 7, "refused requests are ARM requests too");
}

#[tokio::test]
async fn refusal_comes_before_faults_and_throttling() {
    let env = start().await;
    env.handle.emulator().add_fault(replimap_arm_emulator::FaultRule::status(500).times(1));
    assert_eq!(get_as(&env, None).await.status, 401);
    assert_eq!(env.get(&replications_path()).await.status, 500, "the fault was not used up by the refusal");
}

#[tokio::test]
async fn expired_tokens_are_refused_with_both_times() {
    let env = start().await;
    let set = env.admin(Method::POST, "/config", Some(&json!({"tokenLifetimeSecs": 2}))).await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["tokenLifetimeSecs"], 2);
    let token = endpoint_token(&env).await;
    assert_eq!(token["expires_in"], 2, "expires_in follows the lifetime");
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    assert_eq!(get_as(&env, Some(&bearer)).await.status, 200);

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = get_as(&env, Some(&bearer)).await;
    assert_eq!((r.status, r.code()), (401, "ExpiredAuthenticationToken"));
    let m = r.message();
    assert!(m.starts_with("The access token expiry UTC time '"), "{m}");
    assert!(m.contains("' is earlier than current UTC time '") && m.ends_with("'."), "{m}");
    assert!(m.contains(" AM'") || m.contains(" PM'"), ".NET's en-US times: {m}");
    assert!(challenge(&r).contains("error_description=\"The access token has expired.\""), "{}", challenge(&r));
    // The harness's token (issued before the change) still lives its hour.
    assert_eq!(env.get(&replications_path()).await.status, 200);
}

#[tokio::test]
async fn admin_and_identity_endpoints_need_no_token() {
    let env =
        start_with(EmulatorConfig { token_lifetime: Duration::from_secs(600), ..test_config(Seed::docs_example()) })
            .await;
    let config = env.send_as(None, Method::GET, "/_emulator/config", None).await;
    assert_eq!(config.status, 200);
    assert_eq!(config.body["tokenLifetimeSecs"], 600);
    let meta = env.send_as(None, Method::GET, "/metadata/endpoints?api-version=2022-09-01", None).await;
    assert_eq!(meta.status, 200);
    assert_eq!(endpoint_token(&env).await["expires_in"], 600);
    assert_eq!(env.handle.emulator().request_stats().auth_refused, 0);
}

#[tokio::test]
async fn the_credential_caches_and_renews_before_expiry() {
    let env =
        start_with(EmulatorConfig { token_lifetime: Duration::from_secs(2), ..test_config(Seed::docs_example()) })
            .await;
    let issued = || env.handle.emulator().request_stats().tokens_issued;
    let cred = env.handle.credential();
    let scope = ["https://management.azure.com/.default"];
    let first = cred.get_token(&scope, None).await.unwrap();
    let cached = cred.get_token(&scope, None).await.unwrap();
    assert_eq!(first.token.secret(), cached.token.secret(), "cached");
    assert_eq!(issued(), 2, "the harness's and this one");
    assert!(!format!("{cred:?}").contains(first.token.secret()), "Debug shows no token");

    // Past half of its two seconds: a new one, while the old one still works.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let renewed = cred.get_token(&scope, None).await.unwrap();
    assert_ne!(first.token.secret(), renewed.token.secret());
    assert_eq!(issued(), 3);
    assert!(renewed.expires_on > first.expires_on);
    let r = get_as(&env, Some(&format!("Bearer {}", renewed.token.secret()))).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// A user's token for the application "portal", as its OpenID provider signed it (the
/// emulator does not check that signature).
fn user_assertion(user: &str) -> String {
    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    let claims = json!({"aud": "api://portal", "exp": exp, "sub": format!("sub-{user}"), "preferred_username": user});
    format!("{}.{}.c2ln", b64(&json!({"alg": "RS256"})), b64(&claims))
}

#[tokio::test]
async fn writes_record_their_caller_in_system_data() {
    let env = start().await;
    // The application's own token (client credentials): systemData names the application.
    let app = endpoint_token(&env).await;
    let app_auth = format!("Bearer {}", app["access_token"].as_str().unwrap());
    let body = json!({"location": "japaneast"}).to_string();
    let put = env.send_as(Some(&app_auth), Method::PUT, &with_api(&replication_path("japaneast")), Some(&body)).await;
    assert_eq!(put.status, 201, "{}", put.text);
    assert_eq!(put.body["systemData"]["createdBy"], "app1");
    assert_eq!(put.body["systemData"]["createdByType"], "Application");

    // On behalf of alice: the exchange turns her token for the portal into an ARM token of hers.
    let assertion = user_assertion("alice");
    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("client_id", "portal"),
        ("client_secret", "s"),
        ("assertion", assertion.as_str()),
        ("requested_token_use", "on_behalf_of"),
        ("scope", "https://management.azure.com/.default"),
    ];
    let url = format!("{}/{DEMO_TENANT_ID}/oauth2/v2.0/token", env.base);
    let obo: Value = env.http.post(url).form(&form).send().await.unwrap().json().await.unwrap();
    let alice = format!("Bearer {}", obo["access_token"].as_str().expect("an access token"));
    let body = json!({"location": "westeurope"}).to_string();
    let put = env.send_as(Some(&alice), Method::PUT, &with_api(&replication_path("westeurope")), Some(&body)).await;
    assert_eq!(put.status, 201, "{}", put.text);
    let sd = &put.body["systemData"];
    assert_eq!((sd["createdBy"].as_str(), sd["createdByType"].as_str()), (Some("alice"), Some("User")));
    assert_eq!((sd["lastModifiedBy"].as_str(), sd["lastModifiedByType"].as_str()), (Some("alice"), Some("User")));

    // An update by alice of the application's replica: created by one, last modified by the other.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = env.poll_async(put.header("azure-asyncoperation").unwrap()).await;
    let patch = json!({"tags": {"by": "alice"}}).to_string();
    let path = with_api(&replication_path("japaneast"));
    let mut updated = env.send_as(Some(&alice), Method::PATCH, &path, Some(&patch)).await;
    for _ in 0..100 {
        if updated.status != 409 {
            break; // the create may still be running
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        updated = env.send_as(Some(&alice), Method::PATCH, &path, Some(&patch)).await;
    }
    assert_eq!(updated.status, 201, "{}", updated.text);
    let sd = &updated.body["systemData"];
    assert_eq!((sd["createdBy"].as_str(), sd["lastModifiedBy"].as_str()), (Some("app1"), Some("alice")));
    assert_eq!((sd["createdByType"].as_str(), sd["lastModifiedByType"].as_str()), (Some("Application"), Some("User")));
    // The home replica the RP added is still the RP's.
    let home = env.get(&replication_path("eastus")).await;
    assert_eq!(home.body["systemData"]["createdBy"], "ContainerRegistry");
}
