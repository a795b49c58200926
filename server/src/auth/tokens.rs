//! API tokens: `rmp_<id>_<secret>`, for pipelines and wall screens.
//!
//! The id is public (lists, the audit trail name it); the secret is 256 random bits, shown
//! once, and only its SHA-256 is stored. A fast hash is right here: the secret is random and
//! long, so there is no dictionary to slow down, and every API call checks one.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use replimap_store::ApiTokenRow;
use replimap_types::{ApiToken, ApiTokenState, ErrorCode, Role};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::state::AppState;

/// What every token's text starts with, so secret scanners (and people) recognise one.
pub const PREFIX: &str = "rmp_";

/// The last-used time is written at most this often per token (ms): one write a minute, not
/// one per request.
const TOUCH_EVERY_MS: i64 = 60_000;

/// A new token's text and the row to store for it.
pub fn mint() -> Result<(String, String, String), AppError> {
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    super::random(&mut id)?;
    super::random(&mut secret)?;
    let id = hex::encode(id);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    let hash = hash(&secret);
    Ok((format!("{PREFIX}{id}_{secret}"), id, hash))
}

/// Hex SHA-256.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The id and secret of a token's text, if it has the shape of one.
pub fn parse(text: &str) -> Option<(&str, &str)> {
    let (id, secret) = text.trim().strip_prefix(PREFIX)?.split_once('_')?;
    let ok = id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) && secret.len() >= 32;
    ok.then_some((id, secret))
}

/// Equal bytes, in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// When each token's last use was last written.
#[derive(Debug, Default)]
pub struct Touches(Mutex<HashMap<String, i64>>);

impl Touches {
    /// Whether to write the last-used time of `id` now.
    fn due(&self, id: &str, now: i64) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(id) {
            Some(at) if now - at < TOUCH_EVERY_MS => false,
            _ => {
                map.insert(id.to_owned(), now);
                true
            }
        }
    }
}

/// Why a presented token does not work, in words that help its owner and tell an attacker
/// nothing they did not know (the id is public).
fn refused(message: &str) -> AppError {
    AppError::new(ErrorCode::Unauthenticated, message.to_owned())
}

/// The active token row for a token's text, or why not.
pub async fn verify(state: &AppState, text: &str) -> Result<ApiTokenRow, AppError> {
    let Some((id, secret)) = parse(text) else {
        return Err(refused("The bearer token is not a replimap API token (rmp_…)."));
    };
    let row = state.store.token_get(id).await.map_err(|e| super::store_error("check API tokens", &e))?;
    let Some(row) = row.filter(|r| same(&r.secret_hash, &hash(secret))) else {
        return Err(refused("The API token is not valid."));
    };
    let now = replimap_store::clock::now_ms();
    if row.revoked_at_ms.is_some() {
        return Err(refused(&format!("The API token '{}' was revoked.", row.name)));
    }
    if now >= row.expires_at_ms {
        return Err(refused(&format!("The API token '{}' expired.", row.name)));
    }
    if state.auth.touches.due(&row.id, now) {
        if let Err(e) = state.store.token_touch(&row.id, now).await {
            tracing::warn!(token = %row.id, error = %e, "could not record an API token's last use");
        }
    }
    Ok(row)
}

/// The role a stored row carries (the store checks it is one).
pub fn role(row: &ApiTokenRow) -> Role {
    Role::parse(&row.role).unwrap_or(Role::Viewer)
}

/// A row as the API lists it.
pub fn view(row: &ApiTokenRow, now_ms: i64) -> ApiToken {
    let at = |ms: i64| replimap_store::clock::format_ms(ms).unwrap_or_default();
    let state = if row.revoked_at_ms.is_some() {
        ApiTokenState::Revoked
    } else if now_ms >= row.expires_at_ms {
        ApiTokenState::Expired
    } else {
        ApiTokenState::Active
    };
    ApiToken {
        id: row.id.clone(),
        name: row.name.clone(),
        role: role(row),
        registries: row.registries.clone(),
        created_by: row.created_by.clone(),
        created_at: at(row.created_at_ms),
        expires_at: at(row.expires_at_ms),
        // Minute precision is all that is kept up to date (see TOUCH_EVERY_MS).
        last_used_at: row.last_used_at_ms.and_then(replimap_store::clock::format_ms),
        revoked_at: row.revoked_at_ms.and_then(replimap_store::clock::format_ms),
        revoked_by: row.revoked_by.clone(),
        state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_parse_back_and_only_their_hash_matches() {
        let (text, id, h) = mint().unwrap();
        let (pid, secret) = parse(&text).unwrap();
        assert_eq!(pid, id);
        assert!(same(&hash(secret), &h));
        assert!(!same(&hash("x"), &h));
        assert!(parse("rmp_short_x").is_none());
        assert!(parse("Bearer abc").is_none());
        let (other, ..) = mint().unwrap();
        assert_ne!(text, other);
    }
}
