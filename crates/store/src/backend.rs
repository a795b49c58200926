//! What an engine must provide: run a statement, hand back its rows. Everything the store
//! means (outcome rules, claims, paging) is written once above this line, in `Store`, over
//! the statements of `sql`; below it each engine only connects, migrates and maps its own
//! error codes.

use async_trait::async_trait;

use crate::sql::{Dialect, Stmt};
use crate::StoreError;

/// A result row, read by column name. Engines implement it for their own row type.
pub(crate) trait Columns: Send {
    fn int(&self, column: &str) -> Result<Option<i64>, StoreError>;
    fn text(&self, column: &str) -> Result<Option<String>, StoreError>;
    fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

pub(crate) type Rows = Vec<Box<dyn Columns>>;

/// One database engine.
#[async_trait]
pub(crate) trait Backend: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;
    fn dialect(&self) -> Dialect;
    /// Where the data is, without secrets.
    fn describe(&self) -> String;
    /// Runs a statement and returns its rows.
    async fn fetch(&self, stmt: &Stmt) -> Result<Rows, StoreError>;
    /// Runs a statement and returns how many rows it changed.
    async fn execute(&self, stmt: &Stmt) -> Result<u64, StoreError>;
}
