//! The store's interface: what the portal records and asks, the same on either engine.

use std::fmt;
use std::sync::Arc;

use replimap_types::{AuditPage, AuditRecord, OperationState};

use crate::backend::{Backend, Columns, Rows};
use crate::model::{AuditChange, AuditFilter, Claim, NewAudit, StoredOperation, StoredResponse};
use crate::postgres::PgBackend;
use crate::sqlite::SqliteBackend;
use crate::{rows, sql, StoreConfig, StoreError};

mod auth;

/// Largest page `audit_list` and `operations_recent` return.
pub const MAX_PAGE: u32 = 1000;

/// The portal's durable store. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("at", &self.backend.describe()).finish()
    }
}

fn first<T>(rows: Rows, decode: impl Fn(&dyn Columns) -> Result<T, StoreError>) -> Result<Option<T>, StoreError> {
    rows.first().map(|r| decode(r.as_ref())).transpose()
}

fn all<T>(rows: Rows, decode: impl Fn(&dyn Columns) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
    rows.iter().map(|r| decode(r.as_ref())).collect()
}

fn page_size(limit: u32) -> u32 {
    limit.clamp(1, MAX_PAGE)
}

impl Store {
    /// Connects and brings the schema up to date. SQLite: creates the file (and its
    /// directory) when missing, in WAL mode with `synchronous = NORMAL`, foreign keys on and
    /// the configured busy timeout.
    pub async fn open(cfg: &StoreConfig) -> Result<Store, StoreError> {
        let backend: Arc<dyn Backend> = match cfg {
            StoreConfig::Sqlite { path, busy_timeout } => Arc::new(SqliteBackend::open(path, *busy_timeout).await?),
            StoreConfig::Postgres { url } => Arc::new(PgBackend::open(url).await?),
        };
        Ok(Store { backend })
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.backend.name()
    }

    /// Where the data is, for the start-up log (`sqlite /path/replimap.db`,
    /// `postgres host:5432/replimap`); never a password.
    pub fn describe(&self) -> String {
        self.backend.describe()
    }

    /// Whether the database answers (for readiness checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.backend.fetch(&sql::ping()).await.map(drop)
    }

    // ---- audit trail: append-only; records change by moving forward, leave by retention ----

    /// Records a write attempt as `pending` and returns it with its id (larger than every
    /// earlier one).
    pub async fn audit_begin(&self, new: NewAudit) -> Result<AuditRecord, StoreError> {
        let stmt = sql::audit_insert(self.backend.dialect(), &new)?;
        first(self.backend.fetch(&stmt).await?, rows::audit)?
            .ok_or_else(|| StoreError::Corrupt("the insert returned no row".to_owned()))
    }

    /// Moves a record forward: sets its outcome (only along a legal move, see
    /// [`crate::outcome_may_move`]) and fills fields not set yet; a field already set keeps
    /// its value. The first final outcome sets `ended_at` to `change.at_ms`. An illegal move,
    /// or a record that does not exist, is [`StoreError::Conflict`] and changes nothing.
    pub async fn audit_update(&self, id: i64, change: AuditChange) -> Result<AuditRecord, StoreError> {
        let stmt = sql::audit_update(self.backend.dialect(), id, &change);
        if let Some(record) = first(self.backend.fetch(&stmt).await?, rows::audit)? {
            return Ok(record);
        }
        // Nothing matched; say why. (The record may have moved since, but this is only the
        // message: the decision was the update's own.)
        let now = first(self.backend.fetch(&sql::audit_outcome(id)).await?, |r| rows::single_text(r, "outcome"))?;
        let to = change.outcome.map_or("(unchanged)", |o| o.as_str());
        Err(StoreError::Conflict(match now {
            None => format!("audit record {id} does not exist"),
            Some(from) => format!("audit record {id} is {from}; it cannot become {to}"),
        }))
    }

    /// One record.
    pub async fn audit_get(&self, id: i64) -> Result<Option<AuditRecord>, StoreError> {
        first(self.backend.fetch(&sql::audit_get(self.backend.dialect(), id)).await?, rows::audit)
    }

    /// Records matching `filter`, newest first, at most `limit` (clamped to 1..=1000).
    /// `next_cursor` is the last id returned when older records match too: pass it back as
    /// `filter.before_id` (parsed) for the next page.
    pub async fn audit_list(&self, filter: &AuditFilter, limit: u32) -> Result<AuditPage, StoreError> {
        let limit = page_size(limit);
        let stmt = sql::audit_list(self.backend.dialect(), filter, i64::from(limit) + 1);
        let mut items = all(self.backend.fetch(&stmt).await?, rows::audit)?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = if more { items.last().map(|r| r.id.to_string()) } else { None };
        Ok(AuditPage { items, next_cursor })
    }

    /// Retention: deletes records whose `at` is before `older_than_ms` and whose outcome is
    /// final; returns how many.
    pub async fn audit_purge(&self, older_than_ms: i64) -> Result<u64, StoreError> {
        self.backend.execute(&sql::audit_purge(older_than_ms)).await
    }

    // ---- operations: durable writes the portal follows ----

    /// Stores a new operation; a duplicate id is [`StoreError::Conflict`]. Its times must be
    /// RFC 3339 ([`StoreError::Corrupt`] otherwise).
    pub async fn operation_insert(&self, op: &StoredOperation) -> Result<(), StoreError> {
        self.backend.execute(&sql::operation_insert(op)?).await.map(drop)
    }

    /// Sets an operation's state, error and end (all three as given). A finished operation
    /// (succeeded or failed) cannot take another state, and an unknown id cannot be updated:
    /// both are [`StoreError::Conflict`].
    pub async fn operation_update(
        &self,
        id: &str,
        state: OperationState,
        error: Option<&str>,
        ended_at_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        if self.backend.execute(&sql::operation_update(id, state, error, ended_at_ms)).await? > 0 {
            return Ok(());
        }
        let now = first(self.backend.fetch(&sql::operation_state(id)).await?, |r| rows::single_text(r, "state"))?;
        Err(StoreError::Conflict(match now {
            None => format!("operation {id} does not exist"),
            Some(from) => format!("operation {id} already ended as {from}"),
        }))
    }

    /// One operation.
    pub async fn operation_get(&self, id: &str) -> Result<Option<StoredOperation>, StoreError> {
        first(self.backend.fetch(&sql::operation_get(id)).await?, rows::operation)
    }

    /// The latest operations, newest first, at most `limit` (clamped to 1..=1000).
    pub async fn operations_recent(&self, limit: u32) -> Result<Vec<StoredOperation>, StoreError> {
        all(self.backend.fetch(&sql::operations_recent(i64::from(page_size(limit)))).await?, rows::operation)
    }

    /// Operations still running or unknown, oldest first: what to resume after a restart.
    pub async fn operations_unfinished(&self) -> Result<Vec<StoredOperation>, StoreError> {
        all(self.backend.fetch(&sql::operations_unfinished()).await?, rows::operation)
    }

    // ---- idempotency keys (IETF httpapi Idempotency-Key draft) ----

    /// Claims `key` for a request with `fingerprint`. Of any number of concurrent claims of a
    /// free (or expired) key exactly one gets [`Claim::New`]; the others learn what holds it.
    pub async fn idempotency_claim(
        &self,
        key: &str,
        fingerprint: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<Claim, StoreError> {
        // The key can be released or purged between the two statements; then it is free
        // again and the next round takes it. Three rounds lose only to a pathological
        // claim-release loop on one key.
        for _ in 0..3 {
            let taken = self.backend.fetch(&sql::claim_take(key, fingerprint, now_ms, expires_at_ms)).await?;
            if !taken.is_empty() {
                return Ok(Claim::New);
            }
            let held = self.backend.fetch(&sql::claim_get(key, now_ms)).await?;
            if let Some(claim) = first(held, |r| rows::claim(r, fingerprint))? {
                return Ok(claim);
            }
        }
        Err(StoreError::Unavailable(format!("idempotency key {key:?} keeps changing hands; retry")))
    }

    /// Keeps the answer of a claimed key for replay. The key must be claimed and in
    /// progress ([`StoreError::Conflict`] otherwise).
    pub async fn idempotency_complete(&self, key: &str, response: &StoredResponse) -> Result<(), StoreError> {
        let headers = serde_json::to_string(&response.headers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let stmt = sql::claim_complete(key, response.status, &headers, &response.body);
        match self.backend.execute(&stmt).await? {
            0 => Err(StoreError::Conflict(format!("idempotency key {key:?} is not claimed and in progress"))),
            _ => Ok(()),
        }
    }

    /// Drops an in-progress claim (the request ended without an answer worth replaying), so
    /// a retry can claim the key again. A completed key is left alone.
    pub async fn idempotency_release(&self, key: &str) -> Result<(), StoreError> {
        self.backend.execute(&sql::claim_release(key)).await.map(drop)
    }

    /// Deletes keys that expired at or before `now_ms`; returns how many.
    pub async fn idempotency_purge(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.backend.execute(&sql::claims_purge(now_ms)).await
    }
}
