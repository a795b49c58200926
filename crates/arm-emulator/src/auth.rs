//! Bearer tokens as ARM checks them. The emulator's token endpoint (`identity.rs`) and its
//! in-process credential (`credential.rs`) issue JWTs signed with HMAC-SHA256 under a key
//! made at start (kept in the state file, so tokens outlive a restart); every ARM request
//! must carry one that is unexpired. Refusals are ARM's 401s: `AuthenticationFailed`
//! (no or malformed header), `InvalidAuthenticationToken` (not a token the emulator
//! issued), `ExpiredAuthenticationToken`, each with a `WWW-Authenticate: Bearer` challenge.
//!
//! A token names its [`Principal`]: the application of a client-credentials token, or the user
//! of one the on-behalf-of exchange issued (`identity.rs`). The handlers write it into
//! `systemData`, as ARM does.

use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::hmac;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::error::ArmError;

/// The key tokens are signed with.
#[derive(Clone)]
pub(crate) struct SigningKey {
    raw: Vec<u8>,
    key: hmac::Key,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

impl SigningKey {
    /// 32 fresh random bytes. Two v4 UUIDs come from the OS generator (getrandom), and
    /// unlike `ring::rand` cannot fail: 244 random bits are plenty for a test emulator.
    pub fn generate() -> Self {
        let mut raw = uuid::Uuid::new_v4().into_bytes().to_vec();
        raw.extend_from_slice(&uuid::Uuid::new_v4().into_bytes());
        Self::from_raw(raw)
    }

    fn from_raw(raw: Vec<u8>) -> Self {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &raw);
        Self { raw, key }
    }

    /// As the state file keeps it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.raw)
    }

    pub fn from_base64(text: &str) -> Option<Self> {
        STANDARD.decode(text).ok().filter(|raw| raw.len() >= 16).map(Self::from_raw)
    }

    /// A compact JWS (`header.claims.signature`) over `claims`.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({ "typ": "JWT", "alg": "HS256", "kid": "replimap-emulator" });
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let tag = hmac::sign(&self.key, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// The claims of a token this key signed; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Value> {
        let (input, sig) = token.rsplit_once('.')?;
        let (_, claims) = input.split_once('.')?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        hmac::verify(&self.key, input.as_bytes(), &sig).ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()
    }
}

/// Who a token is for and how long it lives.
pub(crate) struct TokenRequest<'a> {
    pub audience: &'a str,
    pub issuer: &'a str,
    pub tenant: &'a str,
    pub client_id: &'a str,
    pub lifetime_secs: i64,
    /// The user an application acts for (the on-behalf-of exchange); `None` for the
    /// application itself.
    pub user: Option<&'a TokenUser>,
}

/// The user of a delegated token, as the exchange read them from the assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenUser {
    /// `upn`: what ARM's `systemData.createdBy` shows for a user.
    pub upn: String,
    /// `name`, when the assertion had one.
    pub name: Option<String>,
    /// `oid`: the user's object id, or their `sub` when the assertion had no `oid`.
    pub oid: String,
}

/// A signed access token with the claims Entra ID puts in app tokens (tools peek at
/// `appid`, `oid`, `tid`) or, for a user, in delegated ones (`idtyp: user`, `upn`, `name`,
/// `scp`), and its `exp`.
pub(crate) fn issue(key: &SigningKey, req: &TokenRequest<'_>, now: OffsetDateTime) -> (String, OffsetDateTime) {
    let iat = now.unix_timestamp();
    let exp = iat.saturating_add(req.lifetime_secs);
    let mut claims = json!({
        "aud": req.audience,
        "iss": req.issuer,
        "iat": iat,
        "nbf": iat,
        "exp": exp,
        "appid": req.client_id,
        "azp": req.client_id,
        "idtyp": "app",
        "oid": req.client_id,
        "sub": req.client_id,
        "tid": req.tenant,
        "ver": "1.0",
    });
    if let (Some(user), Some(c)) = (req.user, claims.as_object_mut()) {
        c.insert("idtyp".into(), "user".into());
        c.insert("upn".into(), user.upn.as_str().into());
        c.insert("unique_name".into(), user.upn.as_str().into());
        c.insert("name".into(), user.name.as_deref().unwrap_or(&user.upn).into());
        c.insert("oid".into(), user.oid.as_str().into());
        c.insert("sub".into(), user.oid.as_str().into());
        c.insert("scp".into(), "user_impersonation".into());
    }
    let expires = OffsetDateTime::from_unix_timestamp(exp).unwrap_or(now);
    (key.sign(&claims), expires)
}

/// Who made a request, as ARM's `systemData` names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal {
    /// `createdBy`: a user's UPN, an application's id.
    pub name: String,
    /// `createdByType`: `User` or `Application`.
    pub kind: &'static str,
}

impl Principal {
    /// The resource provider itself (the home replica it adds).
    pub fn resource_provider() -> Self {
        Self { name: crate::assumptions::APPLICATION_PRINCIPAL.to_owned(), kind: "Application" }
    }

    /// The one fixed user of seeds, and of tokens that say neither (issued by an older
    /// emulator before a restart).
    pub fn seed_user() -> Self {
        Self { name: crate::assumptions::USER_PRINCIPAL.to_owned(), kind: "User" }
    }

    /// A seed's `createdByType`: `Application` is the resource provider, anything else the user.
    pub fn from_seed(created_by_type: &str) -> Self {
        if created_by_type == "Application" {
            Self::resource_provider()
        } else {
            Self::seed_user()
        }
    }

    /// The caller a token's claims name: `idtyp: user` tokens their `upn` (or
    /// `unique_name`), application tokens their `appid`, as real ARM records them.
    pub fn from_claims(claims: &Value) -> Self {
        let text = |k: &str| claims.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
        if text("idtyp") == Some("user") {
            if let Some(upn) = text("upn").or_else(|| text("unique_name")) {
                return Self { name: upn.to_owned(), kind: "User" };
            }
        }
        match text("appid").or_else(|| text("azp")) {
            Some(app) => Self { name: app.to_owned(), kind: "Application" },
            None => Self::seed_user(),
        }
    }
}

/// Why a request was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    Missing,
    Malformed,
    Invalid,
    Expired { exp: OffsetDateTime, now: OffsetDateTime },
}

/// Checks the request's `Authorization: Bearer` token; names who it is for.
pub(crate) fn check(headers: &HeaderMap, key: &SigningKey, now: OffsetDateTime) -> Result<Principal, Refusal> {
    let Some(value) = headers.get("authorization") else {
        return Err(Refusal::Missing);
    };
    let value = value.to_str().map_err(|_| Refusal::Malformed)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(Refusal::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Refusal::Malformed);
    }
    let claims = key.verify(token.trim()).ok_or(Refusal::Invalid)?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .and_then(|e| OffsetDateTime::from_unix_timestamp(e).ok())
        .ok_or(Refusal::Invalid)?;
    // No clock-skew allowance: the emulator is its own issuer (assumptions.rs).
    if exp <= now {
        return Err(Refusal::Expired { exp, now });
    }
    Ok(Principal::from_claims(&claims))
}

/// .NET's `G` format in en-US (`6/15/2026 8:22:51 AM`), which ARM's expiry message uses.
fn dotnet_time(t: OffsetDateTime) -> String {
    let (h, pm) = match t.hour() {
        0 => (12, false),
        h @ 1..=11 => (h, false),
        12 => (12, true),
        h => (h - 12, true),
    };
    format!(
        "{}/{}/{} {h}:{:02}:{:02} {}",
        u8::from(t.month()),
        t.day(),
        t.year(),
        t.minute(),
        t.second(),
        if pm { "PM" } else { "AM" }
    )
}

impl Refusal {
    /// ARM's 401 for this refusal. `login` is the cloud's login endpoint (the emulator
    /// itself), which ARM names in the challenge's `authorization_uri`.
    pub fn into_error(self, login: &str) -> ArmError {
        let (code, message, description) = match self {
            Self::Missing => (
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.".to_owned(),
                "The authentication failed because of missing 'Authorization' header.".to_owned(),
            ),
            Self::Malformed => (
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.".to_owned(),
                "The authentication failed because of an invalid 'Authorization' header format.".to_owned(),
            ),
            Self::Invalid => (
                "InvalidAuthenticationToken",
                "The access token is invalid.".to_owned(),
                "The access token is invalid.".to_owned(),
            ),
            Self::Expired { exp, now } => {
                let message = format!(
                    "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                    dotnet_time(exp),
                    dotnet_time(now)
                );
                ("ExpiredAuthenticationToken", message, "The access token has expired.".to_owned())
            }
        };
        let mut err = ArmError::new(StatusCode::UNAUTHORIZED, code, message);
        err.www_authenticate = Some(format!(
            "Bearer authorization_uri=\"{login}\", error=\"invalid_token\", error_description=\"{description}\""
        ));
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("authorization", format!("Bearer {token}").parse().unwrap());
        h
    }

    fn request(lifetime_secs: i64) -> TokenRequest<'static> {
        TokenRequest {
            audience: "https://management.azure.com/",
            issuer: "i",
            tenant: "t",
            client_id: "app",
            lifetime_secs,
            user: None,
        }
    }

    #[test]
    fn only_unexpired_tokens_signed_with_the_key_pass() {
        let key = SigningKey::generate();
        let now = OffsetDateTime::now_utc();
        let (token, exp) = issue(&key, &request(60), now);
        assert_eq!(exp.unix_timestamp(), now.unix_timestamp() + 60);
        assert_eq!(check(&bearer(&token), &key, now), Ok(Principal { name: "app".into(), kind: "Application" }));
        assert_eq!(check(&HeaderMap::new(), &key, now), Err(Refusal::Missing));
        let mut basic = HeaderMap::new();
        basic.insert("authorization", "Basic dXNlcjpwdw==".parse().unwrap());
        assert_eq!(check(&basic, &key, now), Err(Refusal::Malformed));
        assert_eq!(check(&bearer("not-a-jwt"), &key, now), Err(Refusal::Invalid));
        assert_eq!(check(&bearer(&token), &SigningKey::generate(), now), Err(Refusal::Invalid), "other key");
        let later = now + time::Duration::seconds(61);
        assert!(matches!(check(&bearer(&token), &key, later), Err(Refusal::Expired { .. })));
        // A tampered payload breaks the signature.
        let parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"exp":99999999999}"#);
        assert_eq!(check(&bearer(&format!("{}.{forged}.{}", parts[0], parts[2])), &key, now), Err(Refusal::Invalid));
    }

    #[test]
    fn a_delegated_token_names_its_user() {
        let key = SigningKey::generate();
        let now = OffsetDateTime::now_utc();
        let user = TokenUser { upn: "alice@example.com".into(), name: Some("Alice".into()), oid: "u-1".into() };
        let (token, _) = issue(&key, &TokenRequest { user: Some(&user), ..request(60) }, now);
        let claims = key.verify(&token).unwrap();
        assert_eq!(claims["idtyp"], "user");
        assert_eq!(claims["upn"], "alice@example.com");
        assert_eq!(claims["name"], "Alice");
        assert_eq!(claims["oid"], "u-1");
        assert_eq!(claims["appid"], "app", "the application that acts for the user");
        assert_eq!(check(&bearer(&token), &key, now), Ok(Principal { name: "alice@example.com".into(), kind: "User" }));
    }

    #[test]
    fn principals_as_systemdata_names_them() {
        let p = |c: Value| Principal::from_claims(&c);
        assert_eq!(p(json!({"idtyp": "user", "upn": "a@b", "appid": "x"})).kind, "User");
        assert_eq!(p(json!({"idtyp": "user", "unique_name": "a@b"})).name, "a@b");
        assert_eq!(
            p(json!({"idtyp": "app", "appid": "x", "upn": "a@b"})),
            Principal { name: "x".into(), kind: "Application" }
        );
        assert_eq!(p(json!({"exp": 1})), Principal::seed_user(), "a token naming no one");
        assert_eq!(Principal::from_seed("Application"), Principal::resource_provider());
        assert_eq!(Principal::from_seed("User"), Principal::seed_user());
    }

    #[test]
    fn the_key_survives_base64() {
        let key = SigningKey::generate();
        let back = SigningKey::from_base64(&key.to_base64()).unwrap();
        let (token, _) = issue(&key, &request(60), OffsetDateTime::now_utc());
        assert!(back.verify(&token).is_some());
        assert!(SigningKey::from_base64("c2hvcnQ=").is_none(), "too short to be ours");
    }

    #[test]
    fn expiry_message_words_times_as_arm_does() {
        let exp = datetime!(2026-06-15 08:22:51 UTC);
        let now = datetime!(2026-06-15 21:07:05 UTC);
        let err = Refusal::Expired { exp, now }.into_error("https://127.0.0.1:8443/");
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
        assert_eq!(err.code, "ExpiredAuthenticationToken");
        assert_eq!(
            err.message,
            "The access token expiry UTC time '6/15/2026 8:22:51 AM' is earlier than current UTC time '6/15/2026 9:07:05 PM'."
        );
        assert_eq!(dotnet_time(datetime!(2026-01-02 00:05:09 UTC)), "1/2/2026 12:05:09 AM");
        assert_eq!(dotnet_time(datetime!(2026-01-02 12:00:00 UTC)), "1/2/2026 12:00:00 PM");
        let challenge = Refusal::Missing.into_error("https://e/").www_authenticate.unwrap();
        assert!(
            challenge.starts_with("Bearer authorization_uri=\"https://e/\", error=\"invalid_token\""),
            "{challenge}"
        );
    }
}
