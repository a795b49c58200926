//! The store's one error type, and how database errors map onto it.
//!
//! The variants are what a caller does about an error, not where it came from: the server
//! answers `Unavailable` with 503 (try again later), `Conflict` with 409, and the rest are
//! bugs or broken deployments (500, or a failed start-up).

/// Why a store call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached, locked or written right now (down, busy past the
    /// timeout, disk full). Retrying later may succeed.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The write contradicts what is stored: an illegal outcome move, a duplicate id, a
    /// record that does not exist.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored row (or a value given to be stored) does not decode into its type.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// Applying the schema migrations failed at open.
    #[error("migrating the database failed: {0}")]
    Migrate(String),
    /// The store's configuration is unusable (bad URL, path that cannot be created).
    #[error("store configuration: {0}")]
    Config(String),
}

/// Maps a sqlx error; `database` classifies the engine's own error codes, which differ
/// between SQLite and Postgres.
pub(crate) fn from_sqlx(e: sqlx::Error, database: fn(&dyn sqlx::error::DatabaseError) -> StoreError) -> StoreError {
    use sqlx::Error as E;
    match e {
        E::Database(db) => database(db.as_ref()),
        E::Configuration(e) => StoreError::Config(e.to_string()),
        // A value that does not fit its column type, in either direction.
        e @ (E::ColumnDecode { .. }
        | E::Decode(_)
        | E::Encode(_)
        | E::ColumnNotFound(_)
        | E::ColumnIndexOutOfBounds { .. }
        | E::TypeNotFound { .. }
        | E::RowNotFound) => StoreError::Corrupt(e.to_string()),
        E::Migrate(e) => StoreError::Migrate(e.to_string()),
        // Pool timeouts, closed pools, I/O, TLS, protocol trouble and a crashed SQLite worker
        // all mean the same to a caller: the database is not there right now.
        e => StoreError::Unavailable(e.to_string()),
    }
}

/// Maps a migration failure. One that is really the database being away (locked, down)
/// stays `Unavailable`, so a start-up that raced a lock can tell "retry" from "broken schema".
pub(crate) fn migrate_error(
    e: sqlx::migrate::MigrateError,
    database: fn(&dyn sqlx::error::DatabaseError) -> StoreError,
) -> StoreError {
    use sqlx::migrate::MigrateError as M;
    match e {
        M::Execute(inner) => match from_sqlx(inner, database) {
            u @ StoreError::Unavailable(_) => u,
            other => StoreError::Migrate(other.to_string()),
        },
        M::ExecuteMigration(inner, version) => match from_sqlx(inner, database) {
            StoreError::Unavailable(m) => StoreError::Unavailable(format!("while applying migration {version}: {m}")),
            other => StoreError::Migrate(format!("migration {version}: {other}")),
        },
        other => StoreError::Migrate(other.to_string()),
    }
}
