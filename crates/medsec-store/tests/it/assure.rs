//! Devices, checklists with history, evidence and reviews: scoping to the
//! organisation, revisions, sharing through submissions, and backups.

use medsec_core::audit::Action;
use medsec_core::{OrgKind, Timestamp};
use medsec_store::assure::{ChecklistEdit, NewDevice, NewEvidence};
use medsec_store::testing::TestDb;
use medsec_store::{Store, StoreError};

use crate::{entry, setup};

async fn org(store: &Store, name: &str, kind: OrgKind) -> String {
    store
        .create_org(
            name,
            kind,
            Timestamp::now(),
            entry(Action::OrgCreated),
            None,
        )
        .await
        .unwrap()
        .0
        .id
}

fn device(version: &str) -> NewDevice {
    NewDevice {
        product: "유헬스케어 게이트웨이".into(),
        model: "UHG-100".into(),
        software_version: version.into(),
        profile: r#"{"device":{}}"#.into(),
    }
}

fn edit(workspace: &str, item: &str) -> ChecklistEdit {
    ChecklistEdit {
        workspace: workspace.into(),
        changes: vec![(
            item.into(),
            "methods".into(),
            "[]".into(),
            r#"["V&V"]"#.into(),
        )],
        actor_id: None,
        actor: "kim".into(),
        device_overrides: None,
    }
}

async fn devices_and_checklists_are_scoped_and_revisioned(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let maker = org(s, "Maker", OrgKind::Manufacturer).await;
    let other = org(s, "Other maker", OrgKind::Manufacturer).await;
    let now = Timestamp::now();
    let d = s
        .create_device(&maker, &device("1.0"), now, entry(Action::DeviceCreated))
        .await
        .unwrap();
    let dup = s
        .create_device(&maker, &device("1.0"), now, entry(Action::DeviceCreated))
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict { .. }), "{dup}");
    // Another organisation may have the same product name.
    s.create_device(&other, &device("1.0"), now, entry(Action::DeviceCreated))
        .await
        .unwrap();
    assert_eq!(s.list_devices(&maker).await.unwrap().len(), 1);
    assert!(s.get_device(&other, &d.id).await.unwrap().is_none());

    let updated = s
        .update_device(
            &maker,
            &d.id,
            1,
            &device("1.0"),
            r#"{"mfds-2019:1.6":{}}"#,
            now,
            entry(Action::DeviceUpdated),
        )
        .await
        .unwrap();
    assert_eq!(updated.revision, 2);
    let stale = s
        .update_device(
            &maker,
            &d.id,
            1,
            &device("1.0"),
            "{}",
            now,
            entry(Action::DeviceUpdated),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::Conflict { .. }), "{stale}");
    let foreign = s
        .update_device(
            &other,
            &d.id,
            2,
            &device("1.0"),
            "{}",
            now,
            entry(Action::DeviceUpdated),
        )
        .await
        .unwrap_err();
    assert!(matches!(foreign, StoreError::NotFound { .. }), "{foreign}");

    let c = s
        .create_checklist(
            &maker,
            &d.id,
            "mfds-2019",
            "2019-11",
            "{}",
            now,
            entry(Action::ChecklistCreated),
        )
        .await
        .unwrap();
    assert!(
        s.create_checklist(
            &other,
            &d.id,
            "mfds-2019",
            "2019-11",
            "{}",
            now,
            entry(Action::ChecklistCreated)
        )
        .await
        .is_err()
    );
    let c2 = s
        .update_checklist(
            &maker,
            &c.id,
            1,
            &edit("{\"a\":1}", "1.1"),
            now,
            entry(Action::ChecklistUpdated),
        )
        .await
        .unwrap();
    assert_eq!((c2.revision, c2.workspace.as_str()), (2, "{\"a\":1}"));
    let stale = s
        .update_checklist(
            &maker,
            &c.id,
            1,
            &edit("{}", "1.2"),
            now,
            entry(Action::ChecklistUpdated),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::Conflict { .. }), "{stale}");
    s.update_checklist(
        &maker,
        &c.id,
        2,
        &edit("{\"a\":2}", "1.3"),
        now,
        entry(Action::ChecklistUpdated),
    )
    .await
    .unwrap();
    let history = s.checklist_history(&maker, &c.id, None, 100).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| (h.revision, h.item.as_str()))
            .collect::<Vec<_>>(),
        [(3, "1.3"), (2, "1.1")]
    );
    assert_eq!(
        s.checklist_history(&maker, &c.id, Some("1.1"), 100)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        s.checklist_history(&other, &c.id, None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.get_checklist(&other, &c.id).await.unwrap().is_none());
    assert_eq!(
        s.list_checklists(&maker, Some(&d.id)).await.unwrap().len(),
        1
    );
    assert_eq!(s.list_checklists(&maker, None).await.unwrap().len(), 1);
}

async fn evidence_is_deduplicated_and_shared_only_by_submission(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let maker = org(s, "Maker", OrgKind::Manufacturer).await;
    let mfds = org(s, "MFDS", OrgKind::Regulator).await;
    let other_reg = org(s, "Other regulator", OrgKind::Regulator).await;
    let hospital = org(s, "Hospital", OrgKind::Hospital).await;
    let now = Timestamp::now();
    let file = NewEvidence {
        sha256: "ab".repeat(32),
        filename: "VVT-SW-001.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.7 test".to_vec(),
        created_by: "kim".into(),
    };
    let (e, created) = s
        .put_evidence(&maker, &file, now, entry(Action::EvidenceUploaded))
        .await
        .unwrap();
    assert!(created);
    let (again, created) = s
        .put_evidence(
            &maker,
            &NewEvidence {
                filename: "copy.pdf".into(),
                ..file.clone()
            },
            now,
            entry(Action::EvidenceUploaded),
        )
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, e.id);
    assert_eq!(s.list_evidence(&maker).await.unwrap().len(), 1);
    let (_, bytes) = s.get_evidence(&maker, &e.id).await.unwrap().unwrap();
    assert_eq!(bytes, b"%PDF-1.7 test");
    assert!(
        s.get_evidence(&mfds, &e.id).await.unwrap().is_none(),
        "not shared yet"
    );

    let d = s
        .create_device(&maker, &device("1.0"), now, entry(Action::DeviceCreated))
        .await
        .unwrap();
    let c = s
        .create_checklist(
            &maker,
            &d.id,
            "mfds-2019",
            "2019-11",
            "{}",
            now,
            entry(Action::ChecklistCreated),
        )
        .await
        .unwrap();
    // Only to a regulator.
    let err = s
        .submit_checklist(
            &maker,
            &c.id,
            &hospital,
            "{}",
            &[],
            "kim",
            now,
            entry(Action::ChecklistSubmitted),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    // Not someone else's evidence.
    let theirs = s
        .put_evidence(
            &hospital,
            &NewEvidence {
                sha256: "cd".repeat(32),
                ..file.clone()
            },
            now,
            entry(Action::EvidenceUploaded),
        )
        .await
        .unwrap()
        .0;
    let err = s
        .submit_checklist(
            &maker,
            &c.id,
            &mfds,
            "{}",
            std::slice::from_ref(&theirs.id),
            "kim",
            now,
            entry(Action::ChecklistSubmitted),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    let sub = s
        .submit_checklist(
            &maker,
            &c.id,
            &mfds,
            "{\"round\":1}",
            std::slice::from_ref(&e.id),
            "kim",
            now,
            entry(Action::ChecklistSubmitted),
        )
        .await
        .unwrap();
    assert_eq!(sub.round, 1);
    assert!(
        s.get_evidence(&mfds, &e.id).await.unwrap().is_some(),
        "shared with the reviewer"
    );
    assert!(s.get_evidence(&other_reg, &e.id).await.unwrap().is_none());
    assert!(s.get_evidence(&mfds, &theirs.id).await.unwrap().is_none());
    // Read-only while under review; not twice.
    assert!(
        s.update_checklist(
            &maker,
            &c.id,
            1,
            &edit("{}", "1.1"),
            now,
            entry(Action::ChecklistUpdated)
        )
        .await
        .is_err()
    );
    assert!(
        s.submit_checklist(
            &maker,
            &c.id,
            &mfds,
            "{}",
            &[],
            "kim",
            now,
            entry(Action::ChecklistSubmitted)
        )
        .await
        .is_err()
    );

    // The reviewer sees it; others do not.
    assert_eq!(s.list_submissions(&mfds).await.unwrap().len(), 1);
    assert!(s.list_submissions(&other_reg).await.unwrap().is_empty());
    assert!(
        s.get_submission(&other_reg, &sub.id)
            .await
            .unwrap()
            .is_none()
    );
    // Findings only from the reviewer.
    let err = s
        .add_review_comment(
            &maker,
            &sub.id,
            "1.1",
            Some("conforming"),
            "x",
            ("u", "kim"),
            now,
            entry(Action::ReviewCommented),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert!(
        s.add_review_comment(
            &other_reg,
            &sub.id,
            "1.1",
            Some("needs-work"),
            "x",
            ("u", "lee"),
            now,
            entry(Action::ReviewCommented)
        )
        .await
        .is_err()
    );
    s.add_review_comment(
        &mfds,
        &sub.id,
        "1.1",
        Some("needs-work"),
        "시험 결과 첨부 필요",
        ("u", "park"),
        now,
        entry(Action::ReviewCommented),
    )
    .await
    .unwrap();
    assert!(
        s.add_review_comment(
            &mfds,
            &sub.id,
            "1.1",
            Some("maybe"),
            "x",
            ("u", "park"),
            now,
            entry(Action::ReviewCommented)
        )
        .await
        .is_err()
    );
    assert!(
        s.decide_submission(
            &maker,
            &sub.id,
            "accepted",
            "kim",
            now,
            entry(Action::ReviewDecided)
        )
        .await
        .is_err()
    );
    s.decide_submission(
        &mfds,
        &sub.id,
        "changes-requested",
        "park",
        now,
        entry(Action::ReviewDecided),
    )
    .await
    .unwrap();
    assert_eq!(
        s.get_checklist(&maker, &c.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "changes-requested"
    );
    // The manufacturer answers, edits and resubmits.
    s.add_review_comment(
        &maker,
        &sub.id,
        "1.1",
        None,
        "시험성적서 첨부함",
        ("u", "kim"),
        now,
        entry(Action::ReviewCommented),
    )
    .await
    .unwrap();
    s.update_checklist(
        &maker,
        &c.id,
        1,
        &edit("{\"fixed\":1}", "1.1"),
        now,
        entry(Action::ChecklistUpdated),
    )
    .await
    .unwrap();
    let sub2 = s
        .submit_checklist(
            &maker,
            &c.id,
            &mfds,
            "{\"round\":2}",
            std::slice::from_ref(&e.id),
            "kim",
            now.plus_secs(1),
            entry(Action::ChecklistSubmitted),
        )
        .await
        .unwrap();
    assert_eq!(sub2.round, 2);
    let rounds = s.checklist_rounds(&mfds, &c.id).await.unwrap();
    assert_eq!(
        rounds.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(),
        ["superseded", "submitted"]
    );
    let thread = s.review_thread(&maker, &c.id).await.unwrap();
    assert_eq!(thread.len(), 2);
    assert!(s.review_thread(&other_reg, &c.id).await.unwrap().is_empty());
    s.decide_submission(
        &mfds,
        &sub2.id,
        "accepted",
        "park",
        now,
        entry(Action::ReviewDecided),
    )
    .await
    .unwrap();
    assert!(
        s.decide_submission(
            &mfds,
            &sub2.id,
            "accepted",
            "park",
            now,
            entry(Action::ReviewDecided)
        )
        .await
        .is_err()
    );
    // A change after acceptance is a new draft that needs a new review.
    assert_eq!(
        s.get_checklist(&maker, &c.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "accepted"
    );
    let rev = s
        .get_checklist(&maker, &c.id)
        .await
        .unwrap()
        .unwrap()
        .revision;
    s.update_checklist(
        &maker,
        &c.id,
        rev,
        &edit("{\"after\":1}", "1.2"),
        now,
        entry(Action::ChecklistUpdated),
    )
    .await
    .unwrap();
    assert_eq!(
        s.get_checklist(&maker, &c.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "draft"
    );
}

async fn assure_records_survive_backup_and_restore(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let maker = org(s, "Maker", OrgKind::Manufacturer).await;
    let now = Timestamp::now();
    let bytes: Vec<u8> = (0..=255u8).collect();
    let (e, _) = s
        .put_evidence(
            &maker,
            &NewEvidence {
                sha256: "ef".repeat(32),
                filename: "bin.dat".into(),
                content_type: "application/octet-stream".into(),
                content: bytes.clone(),
                created_by: "kim".into(),
            },
            now,
            entry(Action::EvidenceUploaded),
        )
        .await
        .unwrap();
    let d = s
        .create_device(&maker, &device("2.0"), now, entry(Action::DeviceCreated))
        .await
        .unwrap();
    let c = s
        .create_checklist(
            &maker,
            &d.id,
            "mfds-2024",
            "안내서-0995-05",
            "{}",
            now,
            entry(Action::ChecklistCreated),
        )
        .await
        .unwrap();
    s.update_checklist(
        &maker,
        &c.id,
        1,
        &edit("{\"x\":\"한글\"}", "IA-01"),
        now,
        entry(Action::ChecklistUpdated),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.jsonl");
    s.backup(&path, |_, _| {}).await.unwrap();
    let target = medsec_store::testing::sqlite().await;
    target.store.restore(&path, |_, _| {}).await.unwrap();
    let t = &target.store;
    assert_eq!(
        t.get_evidence(&maker, &e.id).await.unwrap().unwrap().1,
        bytes
    );
    assert_eq!(
        t.get_device(&maker, &d.id).await.unwrap().unwrap(),
        s.get_device(&maker, &d.id).await.unwrap().unwrap()
    );
    assert_eq!(
        t.get_checklist(&maker, &c.id)
            .await
            .unwrap()
            .unwrap()
            .workspace,
        "{\"x\":\"한글\"}"
    );
    assert_eq!(
        t.checklist_history(&maker, &c.id, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

medsec_store::both_backends!(
    devices_and_checklists_are_scoped_and_revisioned,
    evidence_is_deduplicated_and_shared_only_by_submission,
    assure_records_survive_backup_and_restore,
);
