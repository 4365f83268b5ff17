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
    Migration {
        version: 9,
        description: "local release components",
        sqlite: include_str!("../migrations/sqlite/0009_local_components.sql"),
        postgres: include_str!("../migrations/postgres/0009_local_components.sql"),
    },
    Migration {
        version: 10,
        description: "watch: log sources, decoders, masking, ingest counts",
        sqlite: include_str!("../migrations/sqlite/0010_watch_sources.sql"),
        postgres: include_str!("../migrations/postgres/0010_watch_sources.sql"),
    },
    Migration {
        version: 11,
        description: "watch: a decoder's version in service apart from its draft",
        sqlite: include_str!("../migrations/sqlite/0011_decoder_versions.sql"),
        postgres: include_str!("../migrations/postgres/0011_decoder_versions.sql"),
    },
    Migration {
        version: 12,
        description: "watch: live detection state, alerts, their hits, activity and suppressions",
        sqlite: include_str!("../migrations/sqlite/0012_alerts.sql"),
        postgres: include_str!("../migrations/postgres/0012_alerts.sql"),
    },
    Migration {
        version: 13,
        description: "watch: sector crisis levels and members' checklists",
        sqlite: include_str!("../migrations/sqlite/0013_crisis_levels.sql"),
        postgres: include_str!("../migrations/postgres/0013_crisis_levels.sql"),
    },
    Migration {
        version: 14,
        description: "feeds: MITRE ATT&CK records (kind attack)",
        sqlite: include_str!("../migrations/sqlite/0014_attack_feed.sql"),
        postgres: include_str!("../migrations/postgres/0014_attack_feed.sql"),
    },
    Migration {
        version: 15,
        description: "watch: incidents (roles, timeline, affected members and devices, evidence, tasks, sharing)",
        sqlite: include_str!("../migrations/sqlite/0015_incidents.sql"),
        postgres: include_str!("../migrations/postgres/0015_incidents.sql"),
    },
    Migration {
        version: 16,
        description: "watch: webshell scans of uploaded web-root files (YARA)",
        sqlite: include_str!("../migrations/sqlite/0016_webshell_scans.sql"),
        postgres: include_str!("../migrations/postgres/0016_webshell_scans.sql"),
    },
    Migration {
        version: 17,
        description: "watch: web page monitoring against a baseline (defacement, injected scripts)",
        sqlite: include_str!("../migrations/sqlite/0017_web_monitors.sql"),
        postgres: include_str!("../migrations/postgres/0017_web_monitors.sql"),
    },
    Migration {
        version: 18,
        description: "watch: threat-intelligence indicators kept in the database",
        sqlite: include_str!("../migrations/sqlite/0018_indicators.sql"),
        postgres: include_str!("../migrations/postgres/0018_indicators.sql"),
    },
    Migration {
        version: 19,
        description: "assure: threat models, risk registers, rubric assessments, scan reports, anomaly justifications",
        sqlite: include_str!("../migrations/sqlite/0019_premarket.sql"),
        postgres: include_str!("../migrations/postgres/0019_premarket.sql"),
    },
    Migration {
        version: 20,
        description: "assure: the submission package of a review round (reviewer mode)",
        sqlite: include_str!("../migrations/sqlite/0020_submission_packages.sql"),
        postgres: include_str!("../migrations/postgres/0020_submission_packages.sql"),
    },
    Migration {
        version: 21,
        description: "assure: the release a device ships as its software (SBOM findings in its premarket documents)",
        sqlite: include_str!("../migrations/sqlite/0021_device_releases.sql"),
        postgres: include_str!("../migrations/postgres/0021_device_releases.sql"),
    },
    Migration {
        version: 22,
        description: "assure: a device's TPLC plan and component support files",
        sqlite: include_str!("../migrations/sqlite/0022_device_lifecycle.sql"),
        postgres: include_str!("../migrations/postgres/0022_device_lifecycle.sql"),
    },
];

/// The schema version this build expects.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

fn checksum(sql: &str) -> String {
    medsec_core::credential::hex(&Sha256::digest(sql.as_bytes()))
}

fn changed(m: &Migration) -> StoreError {
    StoreError::Migration(format!(
        "migration {} ({}) was changed after it was applied",
        m.version, m.description
    ))
}

fn too_new(version: i64) -> StoreError {
    StoreError::Migration(format!(
        "the database has schema version {version}, newer than this medsec ({}); use a newer medsec",
        latest_version()
    ))
}

/// Serialises concurrent starts of several nodes on PostgreSQL (SQLite's
/// `BEGIN IMMEDIATE` does it there).
const LOCK: &str = "SELECT pg_advisory_xact_lock(7261636573)";

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

impl Store {
    /// Applies every migration not yet applied. Fails if an applied
    /// migration's text changed or the database is newer than this build.
    ///
    /// Most opens find nothing to do (a CLI command, a restart): one read
    /// of `schema_migrations` says so, without the write lock that
    /// applying takes. Only when a migration is pending (or the table is
    /// missing) does each one take the lock and check again under it, so
    /// that concurrent openers apply each migration once.
    pub(crate) async fn migrate(&self) -> Result<()> {
        if self.migrations_applied().await? {
            return Ok(());
        }
        let backend = self.backend();
        let pg = matches!(&self.db, Db::Postgres(_));
        on!(self, pool => {
            // Under the lock, as the migrations below: PostgreSQL fails
            // one of two concurrent `CREATE TABLE IF NOT EXISTS` (a
            // duplicate catalog row) rather than making it wait.
            let mut tx = pool.begin_write().await?;
            if pg {
                sqlx::query(LOCK).execute(&mut *tx).await.map_err(db("lock migrations"))?;
            }
            sqlx::query(CREATE_TABLE).execute(&mut *tx).await.map_err(db("create schema_migrations"))?;
            tx.commit().await.map_err(db("create schema_migrations"))?;
            for m in MIGRATIONS {
                let sql = match backend {
                    crate::Backend::Sqlite => m.sqlite,
                    crate::Backend::Postgres => m.postgres,
                };
                let mut tx = pool.begin_write().await?;
                if pg {
                    sqlx::query(LOCK)
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
                    Some(_) => return Err(changed(m)),
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
                return Err(too_new(newest.unwrap_or(0)));
            }
            Ok(())
        })
    }

    /// Whether every migration is applied, by one read: `false` when one
    /// is pending or `schema_migrations` cannot be read (a new database;
    /// [`Store::migrate`] then creates it or reports the error). Fails as
    /// `migrate` would when the first migration that is not applied as
    /// built was changed, or when the database is newer than this build.
    async fn migrations_applied(&self) -> Result<bool> {
        let backend = self.backend();
        on!(self, pool => {
            let Ok(rows) = sqlx::query_as::<_, (i64, String)>("SELECT version, checksum FROM schema_migrations")
                .fetch_all(pool)
                .await
            else {
                return Ok(false);
            };
            let applied: std::collections::HashMap<i64, String> = rows.into_iter().collect();
            for m in MIGRATIONS {
                let sql = match backend {
                    crate::Backend::Sqlite => m.sqlite,
                    crate::Backend::Postgres => m.postgres,
                };
                match applied.get(&m.version) {
                    None => return Ok(false),
                    Some(sum) if *sum == checksum(sql) => {}
                    Some(_) => return Err(changed(m)),
                }
            }
            let newest = applied.keys().copied().max().unwrap_or(0);
            if newest > latest_version() {
                return Err(too_new(newest));
            }
            Ok(true)
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

#[cfg(test)]
mod tests {
    //! Opening a database on both backends: migrations applied once by
    //! concurrent openers, checked by every later open.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::OpenOptions;
    use crate::testing::TestDb;

    async fn execute(store: &Store, sql: &'static str) {
        on!(store, pool => {
            sqlx::query(sql).execute(pool).await.unwrap();
        });
    }

    async fn applied(store: &Store) -> i64 {
        on!(store, pool => {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM schema_migrations")
                .fetch_one(pool).await.unwrap();
            n
        })
    }

    async fn open_error(url: &str) -> String {
        match Store::open(url, &OpenOptions::default()).await {
            Ok(_) => panic!("{url} opened"),
            Err(e) => e.to_string(),
        }
    }

    async fn opens_apply_once_and_check(db: TestDb) {
        // A new database, opened by four at once: each migration is
        // applied once, and every opener gets a working store.
        let dir = tempfile::tempdir().unwrap();
        let url = match db.backend() {
            crate::Backend::Sqlite => dir.path().join("new.db").display().to_string(),
            crate::Backend::Postgres => crate::testing::postgres_url().await.unwrap(),
        };
        let openers: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { Store::open(&url, &OpenOptions::default()).await })
            })
            .collect();
        for opener in openers {
            let store = opener.await.unwrap().unwrap();
            assert_eq!(store.schema_version().await.unwrap(), latest_version());
            store.close().await;
        }
        let store = Store::open(&url, &OpenOptions::default()).await.unwrap();
        assert_eq!(applied(&store).await, latest_version());
        store.close().await;

        // An applied migration whose text changed, and a database newer
        // than this build, are refused by the open that reads them.
        let store = &db.store;
        execute(
            store,
            "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 2",
        )
        .await;
        assert_eq!(
            open_error(&db.url).await,
            "database schema: migration 2 (assure) was changed after it was applied"
        );
        execute(store, "UPDATE schema_migrations SET checksum = (SELECT checksum FROM schema_migrations WHERE version = 1) WHERE version = 2").await;
        let sum = checksum(match db.backend() {
            crate::Backend::Sqlite => MIGRATIONS[1].sqlite,
            crate::Backend::Postgres => MIGRATIONS[1].postgres,
        });
        on!(store, pool => {
            sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE version = 2")
                .bind(&sum).execute(pool).await.unwrap();
        });
        Store::open(&db.url, &OpenOptions::default())
            .await
            .unwrap()
            .close()
            .await;
        execute(store, "INSERT INTO schema_migrations (version, description, checksum, applied_at) VALUES (100000, 'future', 'x', 0)").await;
        assert_eq!(
            open_error(&db.url).await,
            format!(
                "database schema: the database has schema version 100000, newer than this medsec ({}); use a newer medsec",
                latest_version()
            )
        );
    }

    /// A new database with the migrations up to `version` applied, as a
    /// medsec of that version left it: its URL, and a connection to it
    /// that does not migrate.
    async fn database_at(db: &TestDb, dir: &std::path::Path, version: i64) -> String {
        use sqlx::Connection;
        let (url, sqls): (String, Vec<&str>) = match db.backend() {
            crate::Backend::Sqlite => (
                dir.join("old.db").display().to_string(),
                MIGRATIONS.iter().map(|m| m.sqlite).collect(),
            ),
            crate::Backend::Postgres => (
                crate::testing::postgres_url().await.unwrap(),
                MIGRATIONS.iter().map(|m| m.postgres).collect(),
            ),
        };
        macro_rules! apply {
            ($conn:expr) => {{
                let mut c = $conn;
                sqlx::raw_sql(CREATE_TABLE).execute(&mut c).await.unwrap();
                for (m, sql) in MIGRATIONS.iter().zip(sqls).filter(|(m, _)| m.version <= version) {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await.unwrap();
                    sqlx::query("INSERT INTO schema_migrations (version, description, checksum, applied_at) VALUES ($1, $2, $3, 0)")
                        .bind(m.version).bind(m.description).bind(checksum(sql))
                        .execute(&mut c).await.unwrap();
                }
                c.close().await.unwrap();
            }};
        }
        match db.backend() {
            crate::Backend::Sqlite => apply!(
                sqlx::SqliteConnection::connect(&format!("sqlite://{url}?mode=rwc"))
                    .await
                    .unwrap()
            ),
            crate::Backend::Postgres => apply!(sqlx::PgConnection::connect(&url).await.unwrap()),
        }
        url
    }

    /// Runs `sql` on the database at `url` without opening a store.
    async fn execute_at(backend: crate::Backend, url: &str, sql: &'static str) {
        use sqlx::Connection;
        match backend {
            crate::Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{url}"))
                    .await
                    .unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
                c.close().await.unwrap();
            }
            crate::Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
                c.close().await.unwrap();
            }
        }
    }

    /// Migration 11 keeps the decoders that were active in service: their
    /// definition becomes the version in service, activated when their
    /// samples last passed (or, lacking that, when last saved).
    async fn decoders_in_service_survive_migration_11(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let url = database_at(&db, dir.path(), 10).await;
        execute_at(
            db.backend(),
            &url,
            "INSERT INTO log_decoders (name, definition, active, tested_at, created_by, created_at, updated_at) VALUES
                ('live', 'name = \"live\"', TRUE, 5, 'kim', 1, 4),
                ('untested', 'name = \"untested\"', TRUE, NULL, 'kim', 1, 7),
                ('draft', 'name = \"draft\"', FALSE, 6, 'lee', 2, 3)",
        )
        .await;
        let store = Store::open(&url, &OpenOptions::default()).await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), latest_version());
        let decoders = store.decoders().await.unwrap();
        let summary: Vec<_> = decoders
            .iter()
            .map(|d| {
                (
                    d.name.as_str(),
                    d.active,
                    d.active_definition.as_deref(),
                    d.activated_at,
                    d.tested_at,
                    d.changes_pending(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("draft", false, None, None, Some(6), false),
                (
                    "live",
                    true,
                    Some("name = \"live\""),
                    Some(5),
                    Some(5),
                    false
                ),
                (
                    "untested",
                    true,
                    Some("name = \"untested\""),
                    Some(7),
                    None,
                    false
                ),
            ]
        );
        assert!(
            decoders
                .iter()
                .all(|d| d.definition == format!("name = \"{}\"", d.name))
        );
        store.close().await;
    }

    crate::both_backends!(
        opens_apply_once_and_check,
        decoders_in_service_survive_migration_11
    );
}
