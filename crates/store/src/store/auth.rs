//! Sign-in state: API tokens, sessions and OpenID Connect sign-ins in flight. The store keeps
//! hashes, never the secrets they hash, and treats identities and delegated tokens as opaque
//! JSON; what a token or session allows is the server's to decide.

use super::{all, first, Store};
use crate::model::{ApiTokenRow, LoginStateRow, SessionRow};
use crate::names::ROLES;
use crate::sql::auth as q;
use crate::{rows, StoreError};

impl Store {
    // ---- API tokens: never deleted, so revoked and expired ones stay listed ----

    /// Stores a new token as given. An id already taken is [`StoreError::Conflict`] (draw
    /// another and try again); a role other than `viewer`, `operator` or `admin` is
    /// [`StoreError::Corrupt`], so the two never read alike.
    pub async fn token_insert(&self, token: &ApiTokenRow) -> Result<(), StoreError> {
        if !ROLES.contains(&token.role.as_str()) {
            return Err(StoreError::Corrupt(format!(
                "api token {}: role '{}' is not one of {}",
                token.id,
                token.role,
                ROLES.join(", ")
            )));
        }
        match self.backend.execute(&q::token_insert(self.backend.dialect(), token)?).await? {
            0 => Err(StoreError::Conflict(format!("api token {} exists already", token.id))),
            _ => Ok(()),
        }
    }

    /// One token, revoked and expired ones included: [`ApiTokenRow::is_active`] says
    /// whether it works.
    pub async fn token_get(&self, id: &str) -> Result<Option<ApiTokenRow>, StoreError> {
        first(self.backend.fetch(&q::token_get(self.backend.dialect(), id)).await?, rows::token)
    }

    /// Every token, newest first, revoked and expired ones included: the caller decides
    /// what to show.
    pub async fn token_list(&self) -> Result<Vec<ApiTokenRow>, StoreError> {
        all(self.backend.fetch(&q::token_list(self.backend.dialect())).await?, rows::token)
    }

    /// Revokes a token; `true` when this call did. A token revoked already keeps its first
    /// revocation (who and when) and gives `false`, as does an unknown id. An expired token
    /// can still be revoked, so the list shows that someone ended it. Its device sessions
    /// stay until [`Store::sessions_delete_for_token`].
    pub async fn token_revoke(&self, id: &str, by: &str, at_ms: i64) -> Result<bool, StoreError> {
        Ok(self.backend.execute(&q::token_revoke(id, by, at_ms)).await? > 0)
    }

    /// Notes that the token was used at `at_ms`. Never moves `last_used_at_ms` backwards, so
    /// requests finishing out of order leave the latest; an unknown id is ignored.
    pub async fn token_touch(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        self.backend.execute(&q::token_touch(id, at_ms)).await.map(drop)
    }

    // ---- sessions ----

    /// Stores a new session. An `id_hash` already taken is [`StoreError::Conflict`], and so
    /// is a `token_id` that names no token.
    pub async fn session_insert(&self, session: &SessionRow) -> Result<(), StoreError> {
        let inserted = self.backend.execute(&q::session_insert(self.backend.dialect(), session)).await;
        match (inserted, &session.token_id) {
            (Ok(0), _) => Err(StoreError::Conflict("a session with this id exists already".to_owned())),
            (Ok(_), _) => Ok(()),
            // The id is covered by `DO NOTHING`; the one constraint left is the token's.
            (Err(StoreError::Conflict(m)), Some(token)) => {
                Err(StoreError::Conflict(format!("api token {token} of the session does not exist: {m}")))
            }
            (Err(e), _) => Err(e),
        }
    }

    /// One session as stored, expired or idle ones included until purged:
    /// [`SessionRow::is_live`] says whether it still holds.
    pub async fn session_get(&self, id_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        first(self.backend.fetch(&q::session_get(self.backend.dialect(), id_hash)).await?, rows::session)
    }

    /// Notes that a request carried the session at `at_ms`. Never moves `last_seen_at_ms`
    /// backwards; an unknown session is ignored. The absolute expiry does not move.
    pub async fn session_touch(&self, id_hash: &str, at_ms: i64) -> Result<(), StoreError> {
        self.backend.execute(&q::session_touch(id_hash, at_ms)).await.map(drop)
    }

    /// Replaces (or with `None` clears) the session's delegated tokens; `false` when the
    /// session is gone (signed out or purged meanwhile).
    pub async fn session_set_delegated(
        &self,
        id_hash: &str,
        delegated: Option<serde_json::Value>,
    ) -> Result<bool, StoreError> {
        let stmt = q::session_set_delegated(self.backend.dialect(), id_hash, delegated.as_ref());
        Ok(self.backend.execute(&stmt).await? > 0)
    }

    /// Ends a session; `true` when it existed.
    pub async fn session_delete(&self, id_hash: &str) -> Result<bool, StoreError> {
        Ok(self.backend.execute(&q::session_delete(id_hash)).await? > 0)
    }

    /// Ends every device session enrolled with the token (after revoking it); returns how
    /// many.
    pub async fn sessions_delete_for_token(&self, token_id: &str) -> Result<u64, StoreError> {
        self.backend.execute(&q::sessions_delete_for_token(token_id)).await
    }

    /// Deletes sessions past their absolute expiry (`expires_at_ms <= now_ms`) or idle for
    /// longer than `idle_ms` (`last_seen_at_ms < now_ms - idle_ms`); returns how many. What it
    /// keeps is exactly what [`SessionRow::is_live`] accepts.
    pub async fn sessions_purge(&self, now_ms: i64, idle_ms: i64) -> Result<u64, StoreError> {
        self.backend.execute(&q::sessions_purge(now_ms, idle_ms)).await
    }

    // ---- OpenID Connect sign-ins in flight ----

    /// Stores a sign-in about to be sent to the provider. A `state` already taken is
    /// [`StoreError::Conflict`].
    pub async fn login_state_put(&self, row: &LoginStateRow) -> Result<(), StoreError> {
        match self.backend.execute(&q::login_state_put(row)).await? {
            0 => Err(StoreError::Conflict("a sign-in with this state is in flight already".to_owned())),
            _ => Ok(()),
        }
    }

    /// Takes the sign-in for `state`, exactly once: the row is deleted in the same statement
    /// that reads it, so a replayed callback (or a second one racing it) gets `None`. A row
    /// expired at `now_ms` is deleted too and gives `None`.
    pub async fn login_state_take(&self, state: &str, now_ms: i64) -> Result<Option<LoginStateRow>, StoreError> {
        let taken = first(self.backend.fetch(&q::login_state_take(state)).await?, rows::login_state)?;
        Ok(taken.filter(|row| now_ms < row.expires_at_ms))
    }

    /// Deletes sign-ins that expired at or before `now_ms` (abandoned at the provider);
    /// returns how many.
    pub async fn login_states_purge(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.backend.execute(&q::login_states_purge(now_ms)).await
    }
}
