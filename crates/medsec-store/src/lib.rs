//! medsec's storage: one [`Store`] with two backends, embedded SQLite (the
//! default, a WAL-mode file in the data directory) and PostgreSQL (for
//! several nodes or more data than one machine holds).
//!
//! Architecture invariant: every method that reads or writes an
//! organisation's records takes that organisation's id and puts it in the
//! query's `WHERE` clause; no method returns another organisation's row.
//! Changes of security-relevant records append their audit record in the
//! same transaction, so a change is never stored without its record.
//!
//! API boundary: the SQL text is the same for both backends wherever the
//! dialects agree (`$1` placeholders work in both); the [`on!`] macro
//! expands one method body once per backend, so each is type-checked
//! against its own driver.

pub mod alerts;
pub mod assure;
mod audit;
pub mod backup;
pub mod crisis;
pub mod feeds;
pub mod incidents;
pub mod indicators;
pub mod inventory;
mod migrate;
mod model;
mod orgs;
pub mod premarket;
pub mod releases;
pub mod review_package;
mod sessions;
mod settings;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod tokens;
mod users;
pub mod vex;
pub mod watch;
pub mod webmon;
pub mod webshell;

pub use audit::{AuditEntry, AuditFilter};
pub use model::*;
pub use orgs::Setup;
pub use sessions::{Client, OneTimePurpose, OtherSessions, session_ref};
pub use tokens::parse_scopes;
pub use users::{FailureState, NewUser, UserUpdate};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The handle to medsec's database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
}

/// A storage error, with the operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The cause is the `source`; the message names only the operation,
    /// so that printing the error chain says each thing once.
    #[error("{op}")]
    Database {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// A unique value (user id, organisation name…) is already taken.
    #[error("{what} already exists")]
    Conflict { what: &'static str },
    /// The object does not exist in the caller's organisation.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The object is still used (a decoder by log sources) and may not be
    /// turned off or removed; `by` holds the users' ids.
    #[error("{what} is in use by {}", .by.join(", "))]
    InUse { what: &'static str, by: Vec<String> },
    #[error("database schema: {0}")]
    Migration(String),
    #[error("invalid database location `{url}`: {reason}")]
    Location { url: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Wraps a driver error with the operation that failed, turning unique
/// violations into [`StoreError::Conflict`].
fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Database { op, source }
}

fn conflict_or(op: &'static str, what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| match &source {
        sqlx::Error::Database(e) if e.is_unique_violation() => StoreError::Conflict { what },
        _ => StoreError::Database { op, source },
    }
}

/// Runs `$body` with `$pool` bound to the backend's pool; the body is
/// compiled once per backend.
macro_rules! on {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on;

/// Implements a trait for both backends' transaction type with one body.
macro_rules! for_both_backends {
    (impl $trait:ident for Tx { $($body:tt)* }) => {
        impl $trait for sqlx::Transaction<'_, sqlx::Sqlite> { $($body)* }
        impl $trait for sqlx::Transaction<'_, sqlx::Postgres> { $($body)* }
    };
}
pub(crate) use for_both_backends;

/// Opening a write transaction, which differs by backend: SQLite must take
/// its write lock up front (`BEGIN IMMEDIATE`) or concurrent writers fail
/// with "database is locked" when they upgrade.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("begin transaction"))
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.begin().await.map_err(db("begin transaction"))
    }
}

/// Options for opening a store.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// Largest number of pooled connections.
    pub max_connections: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            max_connections: 16,
        }
    }
}

impl Store {
    /// Opens (creating if needed) the database at `location`: a
    /// `postgres://` or `postgresql://` URL, a `sqlite://` URL, or a path
    /// to an SQLite file. Applies pending migrations.
    pub async fn open(location: &str, options: &OpenOptions) -> Result<Store> {
        let store = if location.starts_with("postgres://") || location.starts_with("postgresql://")
        {
            let connect =
                PgConnectOptions::from_str(location).map_err(|e| StoreError::Location {
                    url: redact(location),
                    reason: e.to_string(),
                })?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(connect)
                .await
                .map_err(db("connect to PostgreSQL"))?;
            Store {
                db: Db::Postgres(pool),
            }
        } else {
            let path = location.strip_prefix("sqlite://").unwrap_or(location);
            Store::open_sqlite(Path::new(path), options).await?
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn open_sqlite(path: &Path, options: &OpenOptions) -> Result<Store> {
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only
            // an OS crash or power loss can lose the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(connect)
            .await
            .map_err(db("open SQLite database"))?;
        Ok(Store {
            db: Db::Sqlite(pool),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Checks that the database answers; used by `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        on!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()).map_err(db("ping")))
    }

    /// Closes every pooled connection, waiting for those in use.
    pub async fn close(&self) {
        on!(self, pool => pool.close().await)
    }
}

/// A database URL with its password replaced, for messages and logs.
pub fn redact(location: &str) -> String {
    match (location.find("://"), location.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = location.get(scheme_end + 3..at).unwrap_or("");
            let user = userinfo.split(':').next().unwrap_or("");
            format!(
                "{}{}:***{}",
                location.get(..scheme_end + 3).unwrap_or(""),
                user,
                location.get(at..).unwrap_or("")
            )
        }
        _ => location.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://medsec:s3cret@db:5432/medsec"),
            "postgres://medsec:***@db:5432/medsec"
        );
        assert_eq!(
            super::redact("/var/lib/medsec/medsec.db"),
            "/var/lib/medsec/medsec.db"
        );
    }
}
