//! What `az` and the Python SDK need besides ARM itself (arm-facts §9):
//! the cloud metadata document `GET /metadata/endpoints` (read by
//! `az cloud register`), and a tiny Microsoft Entra ID (AAD) stand-in:
//! OIDC discovery at `/{tenant}/v2.0/.well-known/openid-configuration` and
//! the token endpoint `POST /{tenant}/oauth2/v2.0/token` that MSAL uses.
//!
//! Any tenant, client id and secret are accepted (see `assumptions.rs`). The
//! token is a JWT with the usual claims, signed with the emulator's key and
//! living `token_lifetime` (`auth.rs`); ARM requests must carry one.
//!
//! Two grants: client credentials (a service principal: `az login
//! --service-principal`, the SDK's `ClientSecretCredential`) and on-behalf-of
//! (`urn:ietf:params:oauth:grant-type:jwt-bearer` with
//! `requested_token_use=on_behalf_of`: a web app swaps a signed-in user's token
//! for an ARM token of that user, so ARM records the user as the caller).
//!
//! **A test double, not a verifier:** the on-behalf-of assertion comes from a
//! foreign provider (Entra ID in production, the tests' OpenID provider here)
//! whose keys the emulator does not know, so it decodes the assertion's claims
//! *without checking its signature*. It checks only what tells a misrouted token
//! from a right one: that it is a JWT, unexpired, for the calling application
//! (`aud` is its client id or an `api://{client id}` URI), and names a user.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::auth::TokenUser;
use crate::emulator::Emulator;

/// The audiences the public cloud advertises; the CLI takes the first as its
/// token scope, the SDK asks for the second (arm-facts §9.2 step 7).
pub(crate) const AUDIENCES: [&str; 2] = ["https://management.core.windows.net/", "https://management.azure.com/"];

/// A non-ARM route this module answers, recognised from the path alone.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IdentityRoute {
    Metadata,
    OpenIdConfiguration { tenant: String },
    Token { tenant: String },
}

/// Matches identity paths; `//metadata/endpoints` counts too because the CLI
/// appends the path to an endpoint that usually ends with `/`.
pub(crate) fn route(path: &str) -> Option<IdentityRoute> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let is = |s: &str, lit: &str| s.eq_ignore_ascii_case(lit);
    match segs.as_slice() {
        [m, e] if is(m, "metadata") && is(e, "endpoints") => Some(IdentityRoute::Metadata),
        [t, v, w, o] if is(v, "v2.0") && is(w, ".well-known") && is(o, "openid-configuration") => {
            Some(IdentityRoute::OpenIdConfiguration { tenant: (*t).to_owned() })
        }
        [t, o, v, tok] if is(o, "oauth2") && is(v, "v2.0") && is(tok, "token") => {
            Some(IdentityRoute::Token { tenant: (*t).to_owned() })
        }
        _ => None,
    }
}

/// Answers an identity request. `base` is the emulator's URL as the client
/// addressed it (`https://127.0.0.1:8443`).
pub(crate) fn handle(emu: &Emulator, route: IdentityRoute, method: &Method, base: &str, body: &Bytes) -> Response {
    match (route, method) {
        (IdentityRoute::Metadata, &Method::GET) => Json(metadata(base)).into_response(),
        (IdentityRoute::OpenIdConfiguration { tenant }, &Method::GET) => {
            Json(openid_configuration(base, &tenant)).into_response()
        }
        (IdentityRoute::Token { tenant }, &Method::POST) => token(emu, base, &tenant, body),
        _ => aad_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "AADSTS900561: The endpoint only accepts the documented method.",
        ),
    }
}

/// The shape of `https://management.azure.com/metadata/endpoints?api-version=2022-09-01`
/// with every endpoint the CLI maps pointing at the emulator (resource
/// manager and login) or at public-cloud names (everything else).
fn metadata(base: &str) -> Value {
    let root = format!("{base}/");
    json!({
        "name": "ReplimapEmulator",
        "portal": root,
        "resourceManager": root,
        "authentication": {
            "loginEndpoint": root,
            "audiences": AUDIENCES,
            "tenant": "common",
            "identityProvider": "AAD"
        },
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "batch": "https://batch.core.windows.net/",
        "media": "https://rest.media.azure.net",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "gallery": "https://gallery.azure.com/",
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
        "suffixes": {
            "acrLoginServer": "azurecr.io",
            "keyVaultDns": "vault.azure.net",
            "sqlServerHostname": "database.windows.net",
            "storage": "core.windows.net",
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net"
        }
    })
}

/// What MSAL reads: `authorization_endpoint` and `token_endpoint`, both
/// https with the tenant as first path segment (arm-facts §9.2 step 5).
fn openid_configuration(base: &str, tenant: &str) -> Value {
    let t = format!("{base}/{tenant}");
    json!({
        "token_endpoint": format!("{t}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{t}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{t}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "authorization_endpoint": format!("{t}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{t}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{t}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "appid"],
        "tenant_region_scope": "WW",
        "cloud_instance_name": "replimap.emulator",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com"
    })
}

/// The on-behalf-of grant (RFC 7523's JWT bearer grant type, as Entra ID uses it).
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The client-credentials grant (service principals: all that a non-interactive
/// `az login --service-principal` and the SDK's `ClientSecretCredential` use) and
/// the on-behalf-of grant (a web app acting for its signed-in user).
fn token(emu: &Emulator, base: &str, tenant: &str, body: &Bytes) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    let grant = field("grant_type");
    if grant != "client_credentials" && grant != JWT_BEARER {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!(
                "AADSTS70003: The emulator supports only grant_type 'client_credentials' and '{JWT_BEARER}' \
                 (on-behalf-of), not '{grant}'."
            ),
        );
    }
    let client_id = field("client_id");
    if client_id.is_empty() {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
        );
    }
    // `https://management.core.windows.net//.default` → audience `https://management.core.windows.net/`.
    let scope = field("scope");
    let audience = scope.split_whitespace().find_map(|s| s.strip_suffix(".default")).unwrap_or(AUDIENCES[0]);
    let issuer = format!("{base}/{tenant}/");
    let user = if grant == JWT_BEARER {
        match on_behalf_of(client_id, field("requested_token_use"), field("assertion"), OffsetDateTime::now_utc()) {
            Ok(user) => Some(user),
            Err((error, description)) => return aad_error(StatusCode::BAD_REQUEST, error, &description),
        }
    } else {
        None
    };
    let issued = emu.issue_token(audience, &issuer, tenant, client_id, user.as_ref());
    Json(json!({
        "token_type": "Bearer",
        "expires_in": issued.lifetime_secs,
        "ext_expires_in": issued.lifetime_secs,
        "access_token": issued.token,
    }))
    .into_response()
}

/// The user an on-behalf-of request acts for, read from its assertion (the user's token
/// for the calling application), or Entra ID's refusal (its `error` and `error_description`,
/// answered 400). The assertion's signature is **not** checked (see the module doc).
fn on_behalf_of(
    client_id: &str,
    use_: &str,
    assertion: &str,
    now: OffsetDateTime,
) -> Result<TokenUser, (&'static str, String)> {
    let bad = |error: &'static str, description: String| Err((error, description));
    if use_ != "on_behalf_of" {
        return bad(
            "invalid_request",
            format!("AADSTS900144: The request body must contain the following parameter: 'requested_token_use' = 'on_behalf_of' (got '{use_}')."),
        );
    }
    if assertion.is_empty() {
        return bad(
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'assertion'.".to_owned(),
        );
    }
    let Some(claims) = unverified_claims(assertion) else {
        return bad("invalid_request", "AADSTS50027: JWT token is invalid or malformed.".to_owned());
    };
    let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty());
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    if exp <= now.unix_timestamp() {
        return bad(
            "invalid_grant",
            format!(
                "AADSTS500133: Assertion is not within its valid time range. Ensure that the access token is not \
                 expired before using it for user assertion, or request a new token. Current time: {}, expiry time \
                 of assertion {}.",
                crate::docs::timestamp(now),
                OffsetDateTime::from_unix_timestamp(exp).map(crate::docs::timestamp).unwrap_or_default()
            ),
        );
    }
    // Entra ID takes an assertion only for the application presenting it: a token for
    // anything else (ARM itself, another app) must not be turned into an ARM token.
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let app_uri = format!("api://{client_id}");
    let for_us = |a: &&str| *a == client_id || *a == app_uri || a.starts_with(&format!("{app_uri}/"));
    if !audiences.iter().any(for_us) {
        return bad(
            "invalid_grant",
            format!(
                "AADSTS500131: Assertion audience does not match the Client app presenting the assertion. The \
                 audience in the assertion was '{}' and the expected audience is '{client_id}' or one of the \
                 Application Id URIs of this application.",
                audiences.join(" ")
            ),
        );
    }
    let Some(upn) =
        text("upn").or_else(|| text("preferred_username")).or_else(|| text("email")).or_else(|| text("sub"))
    else {
        return bad(
            "invalid_grant",
            "AADSTS50013: Assertion names no user (no upn, preferred_username, email or sub).".to_owned(),
        );
    };
    let oid = text("oid").or_else(|| text("sub")).unwrap_or(upn);
    Ok(TokenUser { upn: upn.to_owned(), name: text("name").map(str::to_owned), oid: oid.to_owned() })
}

/// The claims of a compact JWS, **unverified**.
fn unverified_claims(jwt: &str) -> Option<serde_json::Map<String, Value>> {
    let mut parts = jwt.trim().split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None; // five parts: an encrypted token (JWE), which the emulator cannot read
    }
    match serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// AAD's OAuth error shape (not ARM's envelope): MSAL reads these fields.
fn aad_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({
        "error": error,
        "error_description": description,
        "error_codes": [],
        "timestamp": crate::docs::now(),
    });
    (status, Json(body)).into_response()
}

/// The `appid` claim of a bearer token issued above (or any JWT), so error
/// messages can name the caller like ARM does. `None` for anything else.
pub(crate) fn caller(headers: &HeaderMap) -> Option<String> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    let token = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer "))?;
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("oid").or_else(|| claims.get("appid")).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("//metadata/endpoints"), Some(IdentityRoute::Metadata));
        assert_eq!(
            route("/t1/v2.0/.well-known/openid-configuration"),
            Some(IdentityRoute::OpenIdConfiguration { tenant: "t1".into() })
        );
        assert_eq!(route("/t1/oauth2/v2.0/token"), Some(IdentityRoute::Token { tenant: "t1".into() }));
        assert_eq!(route("/subscriptions/x/locations"), None);
    }

    #[tokio::test]
    async fn issued_token_names_its_caller() {
        let body = Bytes::from_static(
            b"grant_type=client_credentials&client_id=app1&client_secret=s&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
        );
        let emu = Emulator::new(crate::EmulatorConfig::default());
        let resp = token(&emu, "https://127.0.0.1:1", "t1", &body);
        assert_eq!(resp.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        let json: Value = serde_json::from_slice(&bytes).unwrap();
        let access = json["access_token"].as_str().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("authorization", format!("Bearer {access}").parse().unwrap());
        assert_eq!(caller(&headers).as_deref(), Some("app1"));
        // Signed with the emulator's key, living the configured lifetime.
        assert!(crate::auth::check(&headers, emu.key(), time::OffsetDateTime::now_utc()).is_ok());
        assert_eq!(json["expires_in"], 3599);
        assert_eq!(emu.request_stats().tokens_issued, 1);

        let bad = token(&emu, "https://x", "t", &Bytes::from_static(b"grant_type=password"));
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        assert_eq!(emu.request_stats().tokens_issued, 1, "refused requests issue nothing");
    }

    /// A JWT as a foreign provider would sign it: the emulator never checks the signature.
    fn assertion(claims: &Value) -> String {
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.{}", part(&json!({"alg": "RS256", "kid": "k1"})), part(claims), URL_SAFE_NO_PAD.encode(b"sig"))
    }

    fn obo_body(assertion: &str) -> Bytes {
        let form: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", JWT_BEARER)
            .append_pair("client_id", "portal")
            .append_pair("client_secret", "s")
            .append_pair("assertion", assertion)
            .append_pair("requested_token_use", "on_behalf_of")
            .append_pair("scope", "https://management.azure.com/.default")
            .finish();
        Bytes::from(form)
    }

    async fn answer(resp: Response) -> (StatusCode, Value) {
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    fn in_an_hour() -> i64 {
        OffsetDateTime::now_utc().unix_timestamp() + 3600
    }

    #[tokio::test]
    async fn on_behalf_of_issues_an_arm_token_for_the_user() {
        let emu = Emulator::new(crate::EmulatorConfig::default());
        let user = json!({"aud": "api://portal", "exp": in_an_hour(), "sub": "s-1", "preferred_username": "alice", "name": "Alice"});
        let (status, json) = answer(token(&emu, "https://e", "t1", &obo_body(&assertion(&user)))).await;
        assert_eq!(status, StatusCode::OK, "{json}");
        let claims = emu.key().verify(json["access_token"].as_str().unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://management.azure.com/");
        assert_eq!(claims["idtyp"], "user");
        assert_eq!(claims["upn"], "alice");
        assert_eq!(claims["name"], "Alice");
        assert_eq!(claims["oid"], "s-1");
        assert_eq!(claims["appid"], "portal");
        assert_eq!(crate::auth::Principal::from_claims(&claims).kind, "User");

        // `upn` wins over the other names, as Entra ID's work accounts carry it.
        let upn = json!({"aud": "portal", "exp": in_an_hour(), "upn": "a@corp", "email": "x@y", "sub": "s"});
        let (_, json) = answer(token(&emu, "https://e", "t1", &obo_body(&assertion(&upn)))).await;
        assert_eq!(emu.key().verify(json["access_token"].as_str().unwrap()).unwrap()["upn"], "a@corp");
        assert_eq!(emu.request_stats().tokens_issued, 2);
    }

    #[tokio::test]
    async fn on_behalf_of_refuses_what_entra_id_refuses() {
        let emu = Emulator::new(crate::EmulatorConfig::default());
        let refused = |claims: Value| {
            let emu = emu.clone();
            async move { answer(token(&emu, "https://e", "t", &obo_body(&assertion(&claims)))).await }
        };
        let (status, json) = refused(json!({"aud": "api://portal", "exp": 1, "sub": "alice"})).await;
        assert_eq!((status, json["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
        assert!(json["error_description"].as_str().unwrap().starts_with("AADSTS500133"), "expired: {json}");

        let (_, json) = refused(json!({"aud": "https://management.azure.com/", "exp": in_an_hour(), "sub": "a"})).await;
        assert!(json["error_description"].as_str().unwrap().starts_with("AADSTS500131"), "another audience: {json}");
        let (_, json) = refused(json!({"aud": "api://portal-other", "exp": in_an_hour(), "sub": "a"})).await;
        assert!(
            json["error_description"].as_str().unwrap().starts_with("AADSTS500131"),
            "a prefix is not the app: {json}"
        );

        let (_, json) =
            refused(json!({"aud": ["other", "api://portal/user_impersonation"], "exp": in_an_hour()})).await;
        assert!(json["error_description"].as_str().unwrap().starts_with("AADSTS50013"), "no user: {json}");

        let (_, json) = answer(token(&emu, "https://e", "t", &obo_body("not-a-jwt"))).await;
        assert!(json["error_description"].as_str().unwrap().starts_with("AADSTS50027"), "{json}");
        let (_, json) = answer(token(&emu, "https://e", "t", &obo_body(""))).await;
        assert_eq!(json["error"], "invalid_request");

        let no_use =
            Bytes::from(format!("grant_type={}&client_id=portal&assertion=a.b.c", JWT_BEARER.replace(':', "%3A")));
        let (_, json) = answer(token(&emu, "https://e", "t", &no_use)).await;
        assert!(json["error_description"].as_str().unwrap().contains("requested_token_use"), "{json}");
        assert_eq!(emu.request_stats().tokens_issued, 0, "refused requests issue nothing");
    }
}
