//! The embedded default: one SQLite file in WAL mode.
//!
//! WAL lets readers go on while one connection writes; `synchronous = NORMAL` syncs at
//! checkpoints rather than every commit, which can lose the last commits on power loss but
//! never corrupts the file, a fair trade for an audit log. Writers queue on SQLite's lock for
//! at most `busy_timeout`, after which the call fails with `Unavailable` instead of hanging.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::error::DatabaseError;
use sqlx::migrate::Migrator;
use sqlx::query::Query;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite};

use crate::backend::{Backend, Columns, Rows};
use crate::error::{from_sqlx, migrate_error};
use crate::sql::{Bind, Dialect, Stmt};
use crate::StoreError;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Connections in the pool: reads run side by side under WAL, writes take turns on the
/// file's one write lock anyway, so a few are enough.
const POOL_SIZE: u32 = 4;

pub(crate) struct SqliteBackend {
    pool: SqlitePool,
    path: PathBuf,
}

impl SqliteBackend {
    pub(crate) async fn open(path: &Path, busy_timeout: Duration) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Once, at start-up, before any request: blocking the runtime briefly is fine.
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Config(format!("cannot create the directory {}: {e}", dir.display())))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(busy_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_SIZE)
            // Waiting for a connection is bounded like waiting for the lock: every connection
            // can be stuck in a busy wait at most `busy_timeout`, so a request behind them
            // gives up soon after instead of queueing without end on a locked file.
            .acquire_timeout(busy_timeout + Duration::from_secs(1))
            .connect_with(options)
            .await
            .map_err(error)?;
        MIGRATOR.run(&pool).await.map_err(|e| migrate_error(e, database_error))?;
        Ok(Self { pool, path: path.to_owned() })
    }
}

fn error(e: sqlx::Error) -> StoreError {
    from_sqlx(e, database_error)
}

/// SQLite's primary result codes (the low byte of the extended code).
fn database_error(e: &dyn DatabaseError) -> StoreError {
    const BUSY: i64 = 5;
    const LOCKED: i64 = 6;
    const CORRUPT: i64 = 11;
    const CONSTRAINT: i64 = 19;
    const NOTADB: i64 = 26;
    let code = e.code().and_then(|c| c.parse::<i64>().ok()).map(|c| c & 0xff);
    let message = e.message().to_owned();
    match code {
        Some(BUSY | LOCKED) => {
            StoreError::Unavailable(format!("the database is locked (waited past the busy timeout): {message}"))
        }
        Some(CONSTRAINT) => StoreError::Conflict(message),
        Some(CORRUPT | NOTADB) => StoreError::Corrupt(message),
        // I/O errors, a full disk, a read-only file: the database cannot be written now.
        _ => StoreError::Unavailable(message),
    }
}

fn bind<'q>(
    mut q: Query<'q, Sqlite, SqliteArguments<'q>>,
    binds: &'q [Bind],
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Int(v) => q.bind(*v),
            Bind::Text(v) => q.bind(v.as_deref()),
            Bind::Bytes(v) => q.bind(v.as_slice()),
        };
    }
    q
}

impl Columns for SqliteRow {
    fn int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.try_get(column).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
    fn text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.try_get(column).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
    fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.try_get(column).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn describe(&self) -> String {
        format!("sqlite {}", self.path.display())
    }

    async fn fetch(&self, stmt: &Stmt) -> Result<Rows, StoreError> {
        let rows = bind(sqlx::query(&stmt.sql), &stmt.binds).fetch_all(&self.pool).await.map_err(error)?;
        Ok(rows.into_iter().map(|r| Box::new(r) as Box<dyn Columns>).collect())
    }

    async fn execute(&self, stmt: &Stmt) -> Result<u64, StoreError> {
        let done = bind(sqlx::query(&stmt.sql), &stmt.binds).execute(&self.pool).await.map_err(error)?;
        Ok(done.rows_affected())
    }
}
