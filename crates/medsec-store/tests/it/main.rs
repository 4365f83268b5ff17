//! The store's test suite, run against SQLite and (when
//! `MEDSEC_TEST_POSTGRES` is set) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod assure;
mod audit;
mod backup;
mod crisis;
mod feeds;
mod incidents;
mod indicators;
mod premarket;
mod releases;
mod tenancy;
mod watch;
mod webmon;

use medsec_core::audit::{Action, Outcome};
use medsec_core::{OrgKind, Role, Timestamp};
use medsec_store::testing::TestDb;
use medsec_store::{AuditEntry, NewUser, Organization, Setup, Store, User, UserStatus};

/// An audit entry as the CLI would write it.
pub fn entry(action: Action) -> AuditEntry {
    AuditEntry {
        at: Timestamp::now(),
        org_id: None,
        actor_id: None,
        actor: "test".into(),
        source: "127.0.0.1".into(),
        action,
        outcome: Outcome::Success,
        target_kind: "test",
        target_id: None,
        details: serde_json::json!({}),
    }
}

/// Sets up the instance: the operator organisation and its administrator.
pub async fn setup(store: &Store) -> (Organization, User) {
    let setup = Setup {
        org_name: "Operator".into(),
        org_kind: OrgKind::Isac,
        username: "admin".into(),
        display_name: "Admin".into(),
        password_hash: "$argon2id$test".into(),
    };
    store
        .complete_setup(
            &setup,
            None,
            Timestamp::now(),
            entry(Action::SetupCompleted),
        )
        .await
        .unwrap()
}

/// A further organisation with one user of `role`.
pub async fn org_with_user(store: &Store, name: &str, role: Role) -> (Organization, User) {
    let org = store
        .create_org(
            name,
            OrgKind::Hospital,
            Timestamp::now(),
            entry(Action::OrgCreated),
            None,
        )
        .await
        .unwrap()
        .0;
    let user = store
        .create_user(
            &NewUser {
                org_id: org.id.clone(),
                username: format!("{}-user", name.to_lowercase()),
                display_name: format!("{name} user"),
                role,
                status: UserStatus::Active,
                password_hash: Some("$argon2id$x".into()),
            },
            Timestamp::now(),
            entry(Action::UserCreated).org(org.id.clone()),
        )
        .await
        .unwrap();
    (org, user)
}

/// Runs raw SQL on the test database through a separate connection, as an
/// attacker with database access would.
pub async fn raw_sql(db: &TestDb, sql: &str) -> Result<u64, sqlx::Error> {
    use sqlx::Connection;
    match db.backend() {
        medsec_store::Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.url)).await?;
            Ok(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await?
                .rows_affected())
        }
        medsec_store::Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await?;
            Ok(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await?
                .rows_affected())
        }
    }
}
