//! Test databases for the store's and the server's test suites: a fresh
//! SQLite file in a temporary directory, or a fresh database on the
//! PostgreSQL server named by `MEDSEC_TEST_POSTGRES` (an admin URL such as
//! `postgres://postgres@127.0.0.1:55432/postgres`).
//!
//! Without `MEDSEC_TEST_POSTGRES` the PostgreSQL half of each test says it
//! was skipped, unless `MEDSEC_REQUIRE_POSTGRES=1` (set in CI), which makes
//! the absence a failure.
#![allow(clippy::expect_used, clippy::print_stderr)]

use crate::{Backend, OpenOptions, Store};

/// A store on its own throw-away database.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }
}

/// A new, migrated SQLite store in a temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("create temporary directory");
    let path = dir.path().join("medsec.db");
    let url = path.display().to_string();
    let store = Store::open(&url, &OpenOptions::default())
        .await
        .expect("open SQLite test database");
    TestDb {
        store,
        url,
        _dir: Some(dir),
    }
}

/// The admin URL of the test PostgreSQL server, if configured.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("MEDSEC_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("MEDSEC_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("MEDSEC_REQUIRE_POSTGRES=1 but MEDSEC_TEST_POSTGRES is not set");
            }
            None
        }
    }
}

/// The URL of a new, empty database on the test PostgreSQL server.
pub async fn postgres_url() -> Option<String> {
    use sqlx::Connection;
    let admin = postgres_admin_url()?;
    let name = format!("medsec_test_{}", medsec_core::new_id().replace('-', ""));
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to MEDSEC_TEST_POSTGRES");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

/// A new, migrated store on its own PostgreSQL database, or `None` (with a
/// note on stderr) when no test server is configured.
pub async fn postgres() -> Option<TestDb> {
    let Some(url) = postgres_url().await else {
        eprintln!("skipped: PostgreSQL half of this test (set MEDSEC_TEST_POSTGRES to run it)");
        return None;
    };
    let store = Store::open(&url, &OpenOptions { max_connections: 8 })
        .await
        .expect("open PostgreSQL test database");
    Some(TestDb {
        store,
        url,
        _dir: None,
    })
}

/// Runs an async test body against both backends: `both_backends!(name, body_fn)`
/// defines `name_sqlite` and `name_postgres` tests calling `body_fn(TestDb)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = $crate::testing::postgres().await {
                        super::$name(db).await;
                    }
                }
            )*
        }
    };
}
