//! The audit chain: concurrent appends stay gapless, the log refuses
//! changes, and verification names the first tampered record.

use medsec_core::audit::{Action, Break};
use medsec_store::testing::TestDb;

use crate::{entry, raw_sql, setup};

async fn concurrent_appends_form_one_chain(db: TestDb) {
    let s = db.store.clone();
    let (org, _) = setup(&s).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = s.clone();
        let org = org.id.clone();
        tasks.push(tokio::spawn(async move {
            s.audit(
                entry(Action::SettingsChanged)
                    .org(org)
                    .details(serde_json::json!({"i": i})),
            )
            .await
            .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let v = s.verify_audit(|_| {}).await.unwrap();
    assert!(v.is_intact(), "{:?}", v.first_break);
    assert_eq!(v.checked, 41);
    assert_eq!(v.last_seq, 41);
}

async fn the_log_is_append_only(db: TestDb) {
    setup(&db.store).await;
    assert!(
        raw_sql(&db, "UPDATE audit_log SET actor = 'mallory'")
            .await
            .is_err()
    );
    assert!(raw_sql(&db, "DELETE FROM audit_log").await.is_err());
}

/// Disables the append-only triggers, as an attacker with database
/// access could, so that verification has something to find.
async fn drop_guards(db: &TestDb) {
    let sql = match db.backend() {
        medsec_store::Backend::Sqlite => {
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
        }
        medsec_store::Backend::Postgres => {
            "DROP TRIGGER audit_log_no_update ON audit_log; DROP TRIGGER audit_log_no_truncate ON audit_log;"
        }
    };
    raw_sql(db, sql).await.unwrap();
}

async fn chain_with(db: &TestDb, n: i64) {
    setup(&db.store).await;
    for _ in 1..n {
        db.store
            .audit(entry(Action::SettingsChanged))
            .await
            .unwrap();
    }
}

async fn verify_finds_alteration(db: TestDb) {
    chain_with(&db, 6).await;
    drop_guards(&db).await;
    assert_eq!(
        raw_sql(
            &db,
            "UPDATE audit_log SET outcome = 'failure' WHERE seq = 4"
        )
        .await
        .unwrap(),
        1
    );
    let v = db.store.verify_audit(|_| {}).await.unwrap();
    assert_eq!(v.first_break, Some(Break::Altered { seq: 4 }));
    assert_eq!(v.checked, 6);
}

async fn verify_finds_removal(db: TestDb) {
    chain_with(&db, 6).await;
    drop_guards(&db).await;
    raw_sql(&db, "DELETE FROM audit_log WHERE seq = 3")
        .await
        .unwrap();
    let v = db.store.verify_audit(|_| {}).await.unwrap();
    assert_eq!(
        v.first_break,
        Some(Break::Removed {
            seq: 4,
            expected_seq: 3
        })
    );
}

async fn verify_finds_reordering(db: TestDb) {
    chain_with(&db, 6).await;
    drop_guards(&db).await;
    // Swap the contents (not the sequence numbers) of records 2 and 5.
    raw_sql(&db, "UPDATE audit_log SET seq = -2 WHERE seq = 2")
        .await
        .unwrap();
    raw_sql(&db, "UPDATE audit_log SET seq = 2 WHERE seq = 5")
        .await
        .unwrap();
    raw_sql(&db, "UPDATE audit_log SET seq = 5 WHERE seq = -2")
        .await
        .unwrap();
    let v = db.store.verify_audit(|_| {}).await.unwrap();
    assert_eq!(v.first_break, Some(Break::Altered { seq: 2 }));
}

async fn verify_finds_truncation(db: TestDb) {
    chain_with(&db, 6).await;
    drop_guards(&db).await;
    raw_sql(&db, "DELETE FROM audit_log WHERE seq >= 5")
        .await
        .unwrap();
    let v = db.store.verify_audit(|_| {}).await.unwrap();
    assert_eq!(
        v.first_break,
        Some(Break::Truncated {
            last_seq: 4,
            head_seq: 6
        })
    );
}

medsec_store::both_backends!(
    concurrent_appends_form_one_chain,
    the_log_is_append_only,
    verify_finds_alteration,
    verify_finds_removal,
    verify_finds_reordering,
    verify_finds_truncation,
);
