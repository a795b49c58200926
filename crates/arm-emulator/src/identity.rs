//! What `az` and the Python SDK need besides ARM itself (arm-facts §9):
//! the cloud metadata document `GET /metadata/endpoints` (read by
//! `az cloud register`), and a tiny Microsoft Entra ID (AAD) stand-in:
//! OIDC discovery at `/{tenant}/v2.0/.well-known/openid-configuration` and
//! the token endpoint `POST /{tenant}/oauth2/v2.0/token` that MSAL uses.
//!
//! Any tenant, client id and secret are accepted (see `assumptions.rs`). The
//! token is a JWT with the usual claims, signed with the emulator's key and
//! living `token_lifetime` (`auth.rs`); ARM requests must carry one.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

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

/// Only the client-credentials grant (service principals) is offered: it is
/// all that a non-interactive `az login --service-principal` and the SDK's
/// `ClientSecretCredential` use.
fn token(emu: &Emulator, base: &str, tenant: &str, body: &Bytes) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    if field("grant_type") != "client_credentials" {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!(
                "AADSTS70003: The emulator supports only grant_type 'client_credentials', not '{}'.",
                field("grant_type")
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
    let issued = emu.issue_token(audience, &issuer, tenant, client_id);
    Json(json!({
        "token_type": "Bearer",
        "expires_in": issued.lifetime_secs,
        "ext_expires_in": issued.lifetime_secs,
        "access_token": issued.token,
    }))
    .into_response()
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
        assert_eq!(crate::auth::check(&headers, emu.key(), time::OffsetDateTime::now_utc()), Ok(()));
        assert_eq!(json["expires_in"], 3599);
        assert_eq!(emu.request_stats().tokens_issued, 1);

        let bad = token(&emu, "https://x", "t", &Bytes::from_static(b"grant_type=password"));
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        assert_eq!(emu.request_stats().tokens_issued, 1, "refused requests issue nothing");
    }
}
