//! Backup and restore, within and across backends.

use medsec_core::audit::Action;
use medsec_core::{Role, Timestamp};
use medsec_store::testing::{self, TestDb};
use medsec_store::{Backend, Store};

use crate::{entry, org_with_user, raw_sql, setup};

/// Every row of every exported table, as text, for comparing databases.
async fn dump(s: &Store, dir: &std::path::Path, name: &str) -> Vec<String> {
    let path = dir.join(name);
    s.backup(&path, |_, _| {}).await.unwrap();
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('['))
        .map(str::to_owned)
        .collect()
}

async fn populate(s: &Store) {
    setup(s).await;
    org_with_user(s, "Alpha", Role::Editor).await;
    org_with_user(s, "Beta", Role::Viewer).await;
    s.put_setting(
        "security_policy",
        "{\"lockout_threshold\":5}",
        Timestamp::now(),
        entry(Action::SettingsChanged),
    )
    .await
    .unwrap();
    // Watch: a source with counts and a sample, a decoder, a member's own
    // masking rule next to the seeded ones (one of them turned off).
    let (member, _) = org_with_user(s, "Gamma", Role::Editor).await;
    let now = Timestamp::now();
    let src = s
        .create_log_source(
            &medsec_store::watch::NewLogSource {
                member_id: member.id.clone(),
                name: "fw".into(),
                transport: medsec_store::watch::Transport::Tcp,
                port: Some(20514),
                format: "auto".into(),
                credential: None,
                silent_after: 600,
            },
            "admin",
            now,
            entry(Action::LogSourceCreated),
        )
        .await
        .unwrap();
    s.record_ingest(&[medsec_store::watch::IngestDelta {
        source_id: src.id.clone(),
        member_id: member.id.clone(),
        day: "2026-11-26".into(),
        events: 5,
        bytes: 500,
        last_event_at: Some(now.0),
        ..Default::default()
    }])
    .await
    .unwrap();
    // A decoder in service with a newer draft: both versions come back.
    s.save_decoder(
        "secui",
        "name = \"secui\"",
        "admin",
        now,
        entry(Action::DecoderSaved),
    )
    .await
    .unwrap();
    s.activate_decoder(
        "secui",
        "name = \"secui\"",
        now,
        entry(Action::DecoderActivated),
    )
    .await
    .unwrap();
    s.save_decoder(
        "secui",
        "name = \"secui\" # v2",
        "admin",
        now,
        entry(Action::DecoderSaved),
    )
    .await
    .unwrap();
    s.add_masking_rule(
        &medsec_store::watch::NewMaskingRule {
            member_id: Some(&member.id),
            name: "환자번호",
            kind: "pattern",
            pattern: Some(r"P\d{8}"),
        },
        "admin",
        now,
        entry(Action::MaskingRuleChanged),
    )
    .await
    .unwrap();
    s.set_masking_rule_enabled("builtin-phone", false, entry(Action::MaskingRuleChanged))
        .await
        .unwrap();
    s.set_retention_days(&member.id, 90, entry(Action::RetentionChanged))
        .await
        .unwrap();
    // The sector's crisis level, twice, and a member's tick on the second.
    let isac = s.list_orgs().await.unwrap().remove(0);
    for (level, reason) in [
        (medsec_core::crisis::Level::Caution, "피싱 메일 유포"),
        (medsec_core::crisis::Level::Alert, "랜섬웨어 유포 확인"),
    ] {
        s.set_crisis_level(
            &medsec_store::crisis::NewCrisisLevel {
                level,
                reason,
                org_id: &isac.id,
                set_by_id: None,
                set_by: "cli",
            },
            now,
            entry(Action::CrisisLevelSet),
        )
        .await
        .unwrap();
    }
    let change = s.crisis_current().await.unwrap().unwrap();
    s.tick_crisis_action(
        &medsec_store::crisis::CrisisTick {
            org_id: &member.id,
            change_id: &change.id,
            action_id: "alert-backup-check",
            done: true,
            by_id: None,
            by: "gamma",
        },
        now,
        entry(Action::CrisisChecklistUpdated),
    )
    .await
    .unwrap();
    // A web page monitor with its baseline and a check.
    crate::webmon::monitor_with_check(s, &member.id, "https://gamma.example/").await;
}

async fn round_trip_into(source: TestDb, target: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    populate(&source.store).await;
    let file = dir.path().join("medsec.backup");
    let summary = source.store.backup(&file, |_, _| {}).await.unwrap();
    assert_eq!(summary.tables["users"], 4);
    assert_eq!(summary.tables["organizations"], 4);
    assert!(summary.tables["audit_log"] >= 6);

    let mut seen = Vec::new();
    let restored = target
        .store
        .restore(&file, |t, n| seen.push((t.to_owned(), n)))
        .await
        .unwrap();
    assert_eq!(restored.tables, summary.tables);
    assert_eq!(seen.len(), summary.tables.len(), "progress per table");
    assert!(target.store.verify_audit(|_| {}).await.unwrap().is_intact());
    let decoder = target.store.decoder("secui").await.unwrap().unwrap();
    assert_eq!(
        decoder.active_definition.as_deref(),
        Some("name = \"secui\"")
    );
    assert!(decoder.changes_pending() && decoder.activated_at.is_some());
    // The restored database holds exactly the same rows.
    assert_eq!(
        dump(&source.store, dir.path(), "a").await,
        dump(&target.store, dir.path(), "b").await
    );
    // And keeps working: appends continue the chain.
    target
        .store
        .audit(entry(Action::BackupRestored))
        .await
        .unwrap();
    assert!(target.store.verify_audit(|_| {}).await.unwrap().is_intact());
    // Restoring twice is refused: the target is no longer empty.
    let err = target
        .store
        .restore(&file, |_, _| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not empty"), "{err}");
}

async fn same_backend_round_trip(db: TestDb) {
    let target = match db.backend() {
        Backend::Sqlite => testing::sqlite().await,
        Backend::Postgres => testing::postgres().await.unwrap(),
    };
    round_trip_into(db, target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres() {
    let Some(target) = testing::postgres().await else {
        return;
    };
    round_trip_into(testing::sqlite().await, target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_to_sqlite() {
    let Some(source) = testing::postgres().await else {
        return;
    };
    round_trip_into(source, testing::sqlite().await).await;
}

async fn damaged_backups_are_refused(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    populate(&db.store).await;
    let file = dir.path().join("b.jsonl");
    db.store.backup(&file, |_, _| {}).await.unwrap();
    let text = std::fs::read_to_string(&file).unwrap();

    let check = |name: &str, content: String, expect: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        (p, expect.to_owned())
    };
    let cases = [
        check(
            "edited",
            text.replacen("Alpha", "Alphb", 1),
            "checksum mismatch",
        ),
        check(
            "truncated",
            text.lines().take(5).collect::<Vec<_>>().join("\n"),
            "end marker is missing",
        ),
        check(
            "other",
            "{\"format\":\"zip\"}\n".into(),
            "not a medsec backup",
        ),
        check(
            "future",
            text.replacen("\"version\":1", "\"version\":99", 1),
            "version 99 is not supported",
        ),
    ];
    for (path, expect) in cases {
        let target = testing::sqlite().await;
        let err = target
            .store
            .restore(&path, |_, _| {})
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(&expect), "{}: {err}", path.display());
        assert_eq!(
            target.store.user_count().await.unwrap(),
            0,
            "nothing written"
        );
    }
}

async fn backup_is_consistent_while_writes_go_on(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    populate(&db.store).await;
    let writer = {
        let s = db.store.clone();
        tokio::spawn(async move {
            for _ in 0..200 {
                s.audit(entry(Action::SettingsChanged)).await.unwrap();
            }
        })
    };
    let file = dir.path().join("live.jsonl");
    for _ in 0..3 {
        db.store.backup(&file, |_, _| {}).await.unwrap();
        // Restore checks the chain against its head: a torn snapshot fails.
        let target = testing::sqlite().await;
        target.store.restore(&file, |_, _| {}).await.unwrap();
    }
    writer.await.unwrap();
}

async fn every_table_is_exported_or_excluded(db: TestDb) {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let _ = raw_sql(&db, "SELECT 1").await.unwrap();
    let names = medsec_store::backup::table_names(&db.store, sql)
        .await
        .unwrap();
    let known = medsec_store::backup::known_tables();
    for n in &names {
        assert!(
            known.contains(&n.as_str()),
            "table {n} is neither exported nor listed as excluded in backup.rs"
        );
    }
}

/// A backup carries every column of every table it exports, so that a
/// column added by a migration (a decoder's version in service) cannot
/// be lost by a backup and restore.
async fn every_column_is_exported(db: TestDb) {
    for table in medsec_store::backup::known_tables() {
        let Some(exported) = medsec_store::backup::exported_columns(table) else {
            continue;
        };
        let mut columns = medsec_store::backup::column_names(&db.store, table)
            .await
            .unwrap();
        assert!(!columns.is_empty(), "{table} has no columns");
        let mut exported: Vec<String> = exported.into_iter().map(str::to_owned).collect();
        columns.sort();
        exported.sort();
        assert_eq!(columns, exported, "the columns of {table} in backup.rs");
    }
}

medsec_store::both_backends!(
    every_column_is_exported,
    same_backend_round_trip,
    damaged_backups_are_refused,
    backup_is_consistent_while_writes_go_on,
    every_table_is_exported_or_excluded,
);
