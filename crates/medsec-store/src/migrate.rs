//! Schema migrations: one ordered set of SQL files per backend, embedded
//! in the binary, applied in order inside a transaction each and recorded
//! with a checksum so that an edited migration is noticed.

use sha2::{Digest, Sha256};

use crate::{BeginWrite, Db, Result, Store, StoreError, db, on};

struct Migration {
    version: i64,
    description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// Every migration, oldest first. Both backends always have the same list.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "platform",
        sqlite: include_str!("../migrations/sqlite/0001_platform.sql"),
        postgres: include_str!("../migrations/postgres/0001_platform.sql"),
    },
    Migration {
        version: 2,
        description: "assure",
        sqlite: include_str!("../migrations/sqlite/0002_assure.sql"),
        postgres: include_str!("../migrations/postgres/0002_assure.sql"),
    },
    Migration {
        version: 3,
        description: "feeds",
        sqlite: include_str!("../migrations/sqlite/0003_feeds.sql"),
        postgres: include_str!("../migrations/postgres/0003_feeds.sql"),
    },
    Migration {
        version: 4,
        description: "releases",
        sqlite: include_str!("../migrations/sqlite/0004_releases.sql"),
        postgres: include_str!("../migrations/postgres/0004_releases.sql"),
    },
    Migration {
        version: 5,
        description: "vex and inventory",
        sqlite: include_str!("../migrations/sqlite/0005_vex_inventory.sql"),
        postgres: include_str!("../migrations/postgres/0005_vex_inventory.sql"),
    },
    Migration {
        version: 6,
        description: "portfolio scale",
        sqlite: include_str!("../migrations/sqlite/0006_portfolio.sql"),
        postgres: include_str!("../migrations/postgres/0006_portfolio.sql"),
    },
    Migration {
        version: 7,
        description: "feed lookup keys",
        sqlite: include_str!("../migrations/sqlite/0007_feed_keys.sql"),
        postgres: include_str!("../migrations/postgres/0007_feed_keys.sql"),
    },
    Migration {
        version: 8,
        description: "notification marks per user",
        sqlite: include_str!("../migrations/sqlite/0008_notification_marks.sql"),
        postgres: include_str!("../migrations/postgres/0008_notification_marks.sql"),
    },
];

/// The schema version this build expects.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

fn checksum(sql: &str) -> String {
    medsec_core::credential::hex(&Sha256::digest(sql.as_bytes()))
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

impl Store {
    /// Applies every migration not yet applied. Fails if an applied
    /// migration's text changed or the database is newer than this build.
    pub(crate) async fn migrate(&self) -> Result<()> {
        let backend = self.backend();
        on!(self, pool => {
            sqlx::query(CREATE_TABLE).execute(pool).await.map_err(db("create schema_migrations"))?;
            for m in MIGRATIONS {
                let sql = match backend {
                    crate::Backend::Sqlite => m.sqlite,
                    crate::Backend::Postgres => m.postgres,
                };
                let mut tx = pool.begin_write().await?;
                if matches!(&self.db, Db::Postgres(_)) {
                    // Serialises concurrent starts of several nodes.
                    sqlx::query("SELECT pg_advisory_xact_lock(7261636573)")
                        .execute(&mut *tx)
                        .await
                        .map_err(db("lock migrations"))?;
                }
                let applied: Option<(String,)> =
                    sqlx::query_as("SELECT checksum FROM schema_migrations WHERE version = $1")
                        .bind(m.version)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db("read schema_migrations"))?;
                match applied {
                    Some((sum,)) if sum == checksum(sql) => continue,
                    Some(_) => {
                        return Err(StoreError::Migration(format!(
                            "migration {} ({}) was changed after it was applied",
                            m.version, m.description
                        )));
                    }
                    None => {}
                }
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::Migration(format!("migration {} ({}): {e}", m.version, m.description)))?;
                sqlx::query("INSERT INTO schema_migrations (version, description, checksum, applied_at) VALUES ($1, $2, $3, $4)")
                    .bind(m.version)
                    .bind(m.description)
                    .bind(checksum(sql))
                    .bind(medsec_core::Timestamp::now().0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("record migration"))?;
                tx.commit().await.map_err(db("commit migration"))?;
                tracing::info!(version = m.version, description = m.description, backend = backend.as_str(), "applied migration");
            }
            let (newest,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM schema_migrations")
                .fetch_one(pool)
                .await
                .map_err(db("read schema version"))?;
            if newest.unwrap_or(0) > latest_version() {
                return Err(StoreError::Migration(format!(
                    "the database has schema version {}, newer than this medsec ({}); use a newer medsec",
                    newest.unwrap_or(0),
                    latest_version()
                )));
            }
            Ok(())
        })
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<i64> {
        on!(self, pool => {
            let (v,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM schema_migrations")
                .fetch_one(pool)
                .await
                .map_err(db("read schema version"))?;
            Ok(v.unwrap_or(0))
        })
    }
}
