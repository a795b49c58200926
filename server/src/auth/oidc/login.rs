//! `GET /auth/login`: a sign-in stored in flight and bound to this browser, then off to the
//! provider; and the guard on where it returns to.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use openidconnect::{AuthenticationFlow, CsrfToken, Nonce, PkceCodeChallenge, Scope};
use replimap_store::LoginStateRow;
use serde::Deserialize;
use url::Url;

use super::{pages, LOGIN_TTL_MS};
use crate::state::AppState;

/// `return_to` if it is a path on this portal, else `/`: a single leading `/`, no `//` or `/\`
/// (browsers read both as another host), no backslash or control character anywhere (browsers
/// drop tabs and newlines, turning `/\t/evil` into `//evil`), not a sign-in path (a loop).
pub fn safe_return_to(return_to: Option<&str>) -> String {
    let Some(r) = return_to else { return "/".into() };
    let fine = r.starts_with('/')
        && !r.starts_with("//")
        && r.len() <= 2048
        && !r.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace())
        && !(r == "/auth" || r.starts_with("/auth/") || r.starts_with("/auth?"));
    // Belt and braces: resolved against an origin, it must stay on that origin.
    let base = Url::parse("http://portal.invalid/").ok();
    let same_origin = base.and_then(|b| b.join(r).ok()).is_some_and(|u| u.host_str() == Some("portal.invalid"));
    if fine && same_origin {
        r.to_owned()
    } else {
        "/".into()
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginQuery {
    return_to: Option<String>,
}

/// The cookie that binds a sign-in to the browser that started it.
pub(super) fn login_cookie_name(state: &AppState, login_state: &str) -> String {
    let prefix = if state.auth.secure_cookies { "__Host-replimap_login_" } else { "replimap_login_" };
    format!("{prefix}{}", &crate::auth::tokens::hash(login_state)[..16])
}

pub(super) fn login_cookie(state: &AppState, login_state: &str, max_age_secs: i64) -> Option<HeaderValue> {
    let secure = if state.auth.secure_cookies { "; Secure" } else { "" };
    let value = if max_age_secs > 0 { "1" } else { "" };
    HeaderValue::try_from(format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}",
        login_cookie_name(state, login_state)
    ))
    .ok()
}

pub(super) fn has_cookie(headers: &HeaderMap, name: &str) -> bool {
    crate::auth::session::cookie(headers, name).is_some_and(|v| v == "1")
}

pub(super) fn not_here() -> Response {
    pages::page(
        StatusCode::NOT_FOUND,
        "Sign-in is not done here",
        "<p>This portal does not sign people in itself (auth.mode is not \"oidc\").</p><p><a href=\"/\">Back to replimap</a></p>",
        None,
    )
}

/// `GET /auth/login`.
pub(super) async fn login(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    let Some(oidc) = state.auth.oidc.clone() else { return not_here() };
    let return_to = safe_return_to(q.return_to.as_deref());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let client = oidc.client();
    let mut request = client
        .authorize_url(
            AuthenticationFlow::<openidconnect::core::CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    let mut scopes: Vec<String> = oidc.config.scopes.iter().filter(|s| *s != "openid").cloned().collect();
    if oidc.config.act_as_user && !scopes.contains(&oidc.config.user_scope) {
        scopes.push(oidc.config.user_scope.clone());
    }
    for s in scopes {
        request = request.add_scope(Scope::new(s));
    }
    let (url, csrf, nonce) = request.url();
    let now = replimap_store::clock::now_ms();
    let row = LoginStateRow {
        state: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        return_to,
        created_at_ms: now,
        expires_at_ms: now + LOGIN_TTL_MS,
    };
    if let Err(e) = state.store.login_state_put(&row).await {
        tracing::error!(error = %e, "could not record a sign-in in flight");
        return pages::sign_in_failed(
            StatusCode::SERVICE_UNAVAILABLE,
            "The portal cannot start a sign-in right now (its store is unavailable). Try again in a moment.",
            None,
            &row.return_to,
        );
    }
    let mut resp = Redirect::to(url.as_str()).into_response();
    if let Some(c) = login_cookie(&state, &row.state, LOGIN_TTL_MS / 1000) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_is_a_local_path_or_home() {
        for ok in ["/", "/activity", "/?registry=a&x=%2F%2Fevil", "/admin/tokens#top"] {
            assert_eq!(safe_return_to(Some(ok)), ok, "{ok}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ok\\..\\x",
            "",
            "/auth/login?return_to=/",
            "/auth/logout",
        ] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_return_to(None), "/");
        assert_eq!(safe_return_to(Some(&format!("/{}", "a".repeat(3000)))), "/", "too long");
    }

    #[test]
    fn the_binding_cookie_is_found_by_name_and_value() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=b; replimap_login_0123=1; other=1"));
        assert!(has_cookie(&h, "replimap_login_0123"));
        assert!(!has_cookie(&h, "replimap_login_4567"));
        h.insert(header::COOKIE, HeaderValue::from_static("replimap_login_0123="));
        assert!(!has_cookie(&h, "replimap_login_0123"), "a cleared cookie");
    }
}
