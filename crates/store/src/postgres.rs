//! PostgreSQL, for several portal instances sharing one store.
//!
//! Requests get bounded waits everywhere a dead or busy server could stall them: acquiring a
//! connection (which includes connecting), waiting for a lock, and running a statement. The
//! migrations run on a connection of their own without those limits, since they may have to
//! wait for another instance that is migrating the same database.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::error::DatabaseError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::query::Query;
use sqlx::{Executor, Postgres, Row};

use crate::backend::{Backend, Columns, Rows};
use crate::config::redact_url;
use crate::error::{from_sqlx, migrate_error};
use crate::sql::{Bind, Dialect, Stmt};
use crate::StoreError;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

const POOL_SIZE: u32 = 10;
/// How long a request waits for a connection before the store reports `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// Server-side limits on each request's statements: waiting for a row lock, and running at
/// all (both fail with a SQLSTATE that maps to `Unavailable`).
const SESSION_LIMITS: &str = "SET lock_timeout = '5s'; SET statement_timeout = '30s'";

pub(crate) struct PgBackend {
    pool: PgPool,
    described: String,
}

impl PgBackend {
    pub(crate) async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("invalid postgres URL ({}): {e}", redact_url(url))))?
            .application_name("replimap");
        let described = describe(&options);
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // Set per session rather than as startup `options`, which PgBouncer refuses.
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(SESSION_LIMITS).await?;
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await
            .map_err(|e| unreachable_at(e, &described))?;
        let migrations = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| unreachable_at(e, &described))?;
        let migrated = MIGRATOR.run(&migrations).await.map_err(|e| migrate_error(e, database_error));
        migrations.close().await;
        migrated?;
        Ok(Self { pool, described })
    }
}

fn describe(o: &PgConnectOptions) -> String {
    let db = o.get_database().unwrap_or(o.get_username());
    match o.get_socket() {
        Some(socket) => format!("postgres {}/{db}", socket.display()),
        None => format!("postgres {}:{}/{db}", o.get_host(), o.get_port()),
    }
}

/// Connection errors say where, so a start-up failure names the server it could not reach.
fn unreachable_at(e: sqlx::Error, described: &str) -> StoreError {
    match error(e) {
        StoreError::Unavailable(m) => StoreError::Unavailable(format!("{described}: {m}")),
        other => other,
    }
}

fn error(e: sqlx::Error) -> StoreError {
    from_sqlx(e, database_error)
}

/// By SQLSTATE class (PostgreSQL manual, appendix A).
fn database_error(e: &dyn DatabaseError) -> StoreError {
    let code = e.code().map(|c| c.into_owned()).unwrap_or_default();
    let message = format!("{} (SQLSTATE {code})", e.message());
    match code.get(..2) {
        // Integrity constraint violation: a duplicate id, a CHECK.
        Some("23") => StoreError::Conflict(message),
        // Data exception (a value that does not fit) and data or index corruption.
        Some("22") => StoreError::Corrupt(message),
        Some("XX") if code != "XX000" => StoreError::Corrupt(message),
        // Connection trouble, too many connections, shutdown, lock or statement timeouts,
        // serialization failures, a full disk, a read-only replica: try again later.
        _ => StoreError::Unavailable(message),
    }
}

fn bind<'q>(mut q: Query<'q, Postgres, PgArguments>, binds: &'q [Bind]) -> Query<'q, Postgres, PgArguments> {
    for b in binds {
        q = match b {
            Bind::Int(v) => q.bind(*v),
            Bind::Text(v) => q.bind(v.as_deref()),
            Bind::Bytes(v) => q.bind(v.as_slice()),
        };
    }
    q
}

impl Columns for PgRow {
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
impl Backend for PgBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn describe(&self) -> String {
        self.described.clone()
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
