//! Which database the store uses, chosen by the prefix of one URL (as atuin does):
//! `sqlite:PATH` for the embedded default, `postgres://…` for a shared server.
//!
//! A Postgres URL may carry a password, and this type ends up in start-up logs and error
//! reports, so neither `Debug` nor `Display` ever shows it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

use crate::StoreError;

/// The SQLite file used when the URL names none (`sqlite:`), inside the data directory.
pub const DEFAULT_SQLITE_FILE: &str = "replimap.db";

/// How long a SQLite write waits for another connection's lock before it gives up with
/// [`StoreError::Unavailable`].
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the store keeps its data.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// An embedded SQLite file, created (with its directory) when missing.
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// How long a write waits for a lock held by someone else.
        busy_timeout: Duration,
    },
    /// A PostgreSQL server.
    Postgres {
        /// A libpq-style URL (`postgres://user:password@host:port/db?sslmode=require`).
        url: String,
    },
}

impl StoreConfig {
    /// Reads a database URL: `postgres://` or `postgresql://` selects Postgres; `sqlite:PATH`
    /// (also `sqlite://PATH`, `sqlite:///abs/path`) selects SQLite, a relative `PATH` being
    /// relative to `data_dir` and an empty one meaning [`DEFAULT_SQLITE_FILE`] there.
    pub fn from_url(url: &str, data_dir: &Path) -> Result<Self, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // Parsed now so a typo fails at start-up with a clear message rather than at the
            // first connection. sqlx's messages name the offending part, never the password.
            PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(format!("invalid postgres URL ({}): {e}", redact_url(url))))?;
            return Ok(Self::Postgres { url: url.to_owned() });
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            return sqlite_path(rest, data_dir).map(|path| Self::Sqlite { path, busy_timeout: DEFAULT_BUSY_TIMEOUT });
        }
        // Not echoed: an unrecognised URL may still hold a password.
        Err(StoreError::Config("the database URL must start with sqlite:, postgres:// or postgresql://".to_owned()))
    }

    /// The backend this configuration selects: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }
}

fn sqlite_path(rest: &str, data_dir: &Path) -> Result<PathBuf, StoreError> {
    // `sqlite://x` and `sqlite:///x` are common spellings of `sqlite:x` and `sqlite:/x`.
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    if rest.contains('?') {
        // sqlx's own options (`mode=`, `cache=`) would fight the ones the store sets.
        return Err(StoreError::Config("sqlite URL options (`?…`) are not supported; give a path only".to_owned()));
    }
    if rest == ":memory:" || rest.starts_with("file::memory:") {
        // Each pooled connection would get its own empty database.
        return Err(StoreError::Config(
            "an in-memory SQLite database cannot be shared by the pool; give a path".to_owned(),
        ));
    }
    let path = if rest.is_empty() { Path::new(DEFAULT_SQLITE_FILE) } else { Path::new(rest) };
    Ok(if path.is_absolute() { path.to_owned() } else { data_dir.join(path) })
}

/// The URL with any password (in the user-info or a `password=` parameter) replaced.
pub(crate) fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "<unparseable URL>".to_owned();
    };
    if parsed.password().is_some() {
        // Only fails for URLs that cannot have credentials, which this one just had.
        let _ = parsed.set_password(Some("REDACTED"));
    }
    if parsed.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" { "REDACTED".to_owned() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite { path, busy_timeout } => {
                f.debug_struct("Sqlite").field("path", path).field("busy_timeout", busy_timeout).finish()
            }
            Self::Postgres { url } => f.debug_struct("Postgres").field("url", &redact_url(url)).finish(),
        }
    }
}

impl fmt::Display for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite { path, .. } => write!(f, "sqlite {}", path.display()),
            Self::Postgres { url } => write!(f, "postgres {}", redact_url(url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        PathBuf::from("/var/lib/replimap")
    }

    #[test]
    fn prefixes_select_the_backend() {
        let pg = StoreConfig::from_url("postgres://u:p@db:5432/replimap", &dir()).unwrap();
        assert_eq!(pg.backend(), "postgres");
        let pg2 = StoreConfig::from_url("postgresql://db/replimap?sslmode=require", &dir()).unwrap();
        assert_eq!(pg2.backend(), "postgres");
        let lite = StoreConfig::from_url("sqlite:data.db", &dir()).unwrap();
        assert_eq!(lite, StoreConfig::Sqlite { path: dir().join("data.db"), busy_timeout: DEFAULT_BUSY_TIMEOUT });
        assert!(matches!(StoreConfig::from_url("mysql://x", &dir()), Err(StoreError::Config(_))));
        assert!(matches!(StoreConfig::from_url("", &dir()), Err(StoreError::Config(_))));
    }

    #[test]
    fn sqlite_paths_resolve_against_the_data_dir() {
        let path = |url: &str| match StoreConfig::from_url(url, &dir()).unwrap() {
            StoreConfig::Sqlite { path, .. } => path,
            other => panic!("not sqlite: {other:?}"),
        };
        assert_eq!(path("sqlite:"), dir().join(DEFAULT_SQLITE_FILE));
        assert_eq!(path("sqlite:/abs/x.db"), PathBuf::from("/abs/x.db"));
        assert_eq!(path("sqlite:///abs/x.db"), PathBuf::from("/abs/x.db"));
        assert_eq!(path("sqlite://rel/x.db"), dir().join("rel/x.db"));
        assert!(StoreConfig::from_url("sqlite::memory:", &dir()).is_err());
        assert!(StoreConfig::from_url("sqlite:x.db?mode=rwc", &dir()).is_err());
    }

    #[test]
    fn passwords_never_show() {
        let secret = "s3cr3t-pw";
        for url in [
            format!("postgres://replimap:{secret}@db.internal:5432/replimap"),
            format!("postgresql://replimap@db.internal/replimap?password={secret}&sslmode=require"),
        ] {
            let cfg = StoreConfig::from_url(&url, &dir()).unwrap();
            let shown = format!("{cfg:?} {cfg}");
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains("db.internal"), "{shown}");
        }
        let bad = StoreConfig::from_url(&format!("postgres://u:{secret}@db/x?sslmode=bogus"), &dir()).unwrap_err();
        assert!(!bad.to_string().contains(secret), "{bad}");
    }
}
