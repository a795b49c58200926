//! The portal's durable store: the audit trail, the operations it follows, idempotency keys,
//! and what sign-in keeps (API tokens, sessions, sign-ins in flight). Embedded SQLite by
//! default, PostgreSQL when several instances share one store; one interface ([`Store`]) over
//! both, chosen by the database URL ([`StoreConfig`]).
//!
//! The flow, top to bottom: [`Store`] (the meaning: outcome rules, claims, paging) builds
//! statements (`sql`, one text for both engines), hands them to a backend (`sqlite`,
//! `postgres`: connect, migrate, map error codes) and reads the rows back (`rows`). Each
//! engine has its own versioned migrations (`migrations/sqlite`, `migrations/postgres`) for
//! one schema, applied at [`Store::open`].
//!
//! Times are integer milliseconds since the epoch in the database and RFC 3339 (UTC,
//! milliseconds, `Z`) in the records returned ([`clock`]).
#![warn(missing_docs)]

mod backend;
pub mod clock;
mod config;
mod error;
mod model;
mod names;
mod outcome;
mod postgres;
mod rows;
mod sql;
mod sqlite;
mod store;

pub use config::{StoreConfig, DEFAULT_BUSY_TIMEOUT, DEFAULT_SQLITE_FILE};
pub use error::StoreError;
pub use model::{
    ApiTokenRow, AuditChange, AuditFilter, AuditScope, Claim, LoginStateRow, Monitor, MonitorKind, NewAudit,
    SessionRow, StoredOperation, StoredResponse,
};
pub use outcome::outcome_may_move;
pub use store::{Store, MAX_PAGE};
