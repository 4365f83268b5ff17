//! Premarket documents: threat models, risk registers with revisions and
//! changes, rubric assessments, scan reports stored with their evidence
//! file, justifications; scoping to the organisation and backups.

use medsec_core::audit::Action;
use medsec_core::{OrgKind, Timestamp};
use medsec_store::assure::{NewDevice, NewEvidence};
use medsec_store::premarket::{NewRubric, NewScan, RegisterSave};
use medsec_store::testing::TestDb;
use medsec_store::{Store, StoreError};

use crate::{entry, setup};

async fn maker(s: &Store, name: &str) -> String {
    s.create_org(
        name,
        OrgKind::Manufacturer,
        Timestamp::now(),
        entry(Action::OrgCreated),
        None,
    )
    .await
    .unwrap()
    .0
    .id
}

async fn device(s: &Store, org: &str) -> String {
    s.create_device(
        org,
        &NewDevice {
            product: "심전도 게이트웨이".into(),
            model: "ECG-1".into(),
            software_version: "1.0".into(),
            profile: "{}".into(),
        },
        Timestamp::now(),
        entry(Action::DeviceCreated),
    )
    .await
    .unwrap()
    .id
}

fn save(register: &str, rubric: Option<NewRubric>) -> RegisterSave {
    RegisterSave {
        register: register.into(),
        action: "edit".into(),
        subject: "R-TM-gateway-S".into(),
        summary: "통제 상태 변경".into(),
        actor_id: None,
        actor: "kim".into(),
        rubric,
    }
}

fn sarif_file(content: &str) -> NewEvidence {
    NewEvidence {
        sha256: medsec_core::credential::hex(&<sha2::Sha256 as sha2::Digest>::digest(
            content.as_bytes(),
        )),
        filename: "fuzz.sarif".into(),
        content_type: "text/plain; charset=utf-8".into(),
        content: content.as_bytes().to_vec(),
        created_by: "kim".into(),
    }
}

fn scan() -> NewScan {
    NewScan {
        test_id: "TC-FUZZ".into(),
        tool: "libFuzzer".into(),
        report: "{\"findings\":[]}".into(),
        findings: 2,
        open_findings: 1,
        created_by: "kim".into(),
    }
}

async fn premarket_documents_are_scoped_and_revisioned(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let a = maker(s, "Maker").await;
    let b = maker(s, "Other maker").await;
    let d = device(s, &a).await;
    let now = Timestamp::now();

    // Threat model: imported, replaced (revision 2), dropped.
    assert!(s.threat_model(&a, &d).await.unwrap().is_none());
    let t = s
        .put_threat_model(
            &a,
            &d,
            "m.json",
            "{\"v\":1}",
            "{}",
            "kim",
            now,
            entry(Action::ThreatModelImported),
        )
        .await
        .unwrap();
    assert_eq!((t.revision, t.source.as_str()), (1, "threat-dragon"));
    let t = s
        .put_threat_model(
            &a,
            &d,
            "m2.json",
            "{\"v\":2}",
            "{}",
            "lee",
            now,
            entry(Action::ThreatModelImported),
        )
        .await
        .unwrap();
    assert_eq!((t.revision, t.filename.as_str()), (2, "m2.json"));
    assert!(s.threat_model(&b, &d).await.unwrap().is_none());
    assert!(matches!(
        s.put_threat_model(
            &b,
            &d,
            "x",
            "{}",
            "{}",
            "x",
            now,
            entry(Action::ThreatModelImported)
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        !s.delete_threat_model(&a, "no-such", entry(Action::ThreatModelReset))
            .await
            .is_ok_and(|x| x)
    );
    assert!(
        s.delete_threat_model(&a, &d, entry(Action::ThreatModelReset))
            .await
            .unwrap()
    );
    assert!(s.threat_model(&a, &d).await.unwrap().is_none());

    // Register: created at revision 0 → 1, then 2; a stale revision is a
    // conflict; another organisation finds nothing.
    assert!(s.risk_register(&a, &d).await.unwrap().is_none());
    let r = s
        .save_risk_register(
            &a,
            &d,
            0,
            &save("{\"v\":1}", None),
            now,
            entry(Action::RiskRegisterUpdated),
        )
        .await
        .unwrap();
    assert_eq!(r.revision, 1);
    assert!(matches!(
        s.save_risk_register(
            &a,
            &d,
            0,
            &save("{\"v\":9}", None),
            now,
            entry(Action::RiskRegisterUpdated)
        )
        .await,
        Err(StoreError::Conflict { .. })
    ));
    let rubric = NewRubric {
        risk_id: "R-TM-gateway-S".into(),
        answers: "{\"answers\":{}}".into(),
        vector: "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N".into(),
        base_score: "8.1".into(),
        severity: "high".into(),
        rationale: "[]".into(),
    };
    let r = s
        .save_risk_register(
            &a,
            &d,
            1,
            &save("{\"v\":2}", Some(rubric)),
            now,
            entry(Action::RiskRubricAssessed),
        )
        .await
        .unwrap();
    assert_eq!((r.revision, r.register.as_str()), (2, "{\"v\":2}"));
    assert!(matches!(
        s.save_risk_register(
            &b,
            &d,
            2,
            &save("{\"hijack\":1}", None),
            now,
            entry(Action::RiskRegisterUpdated)
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s.risk_register(&b, &d).await.unwrap().is_none());
    let changes = s.risk_register_changes(&a, &d, 10).await.unwrap();
    assert_eq!(
        changes.iter().map(|c| c.revision).collect::<Vec<_>>(),
        [2, 1]
    );
    assert!(
        s.risk_register_changes(&b, &d, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let assessed = s
        .rubric_assessments(&a, &d, Some("R-TM-gateway-S"))
        .await
        .unwrap();
    assert_eq!(assessed.len(), 1);
    assert_eq!(assessed[0].base_score, "8.1");
    assert!(s.rubric_assessments(&b, &d, None).await.unwrap().is_empty());
    // A failed save stores no rubric assessment.
    assert_eq!(s.rubric_assessments(&a, &d, None).await.unwrap().len(), 1);

    // Scan reports: the file becomes evidence once per content.
    let file = sarif_file("{\"version\":\"2.1.0\",\"runs\":[]}");
    let (s1, e1) = s
        .add_scan_report(
            &a,
            &d,
            &file,
            &scan(),
            now,
            entry(Action::EvidenceUploaded),
            entry(Action::ScanReportUploaded),
        )
        .await
        .unwrap();
    let (s2, e2) = s
        .add_scan_report(
            &a,
            &d,
            &file,
            &scan(),
            now,
            entry(Action::EvidenceUploaded),
            entry(Action::ScanReportUploaded),
        )
        .await
        .unwrap();
    assert_eq!(e1.id, e2.id);
    assert_ne!(s1.id, s2.id);
    assert_eq!(s.list_evidence(&a).await.unwrap().len(), 1);
    assert_eq!(e1.sha256, file.sha256);
    assert_eq!(s.scan_reports(&a, &d).await.unwrap().len(), 2);
    assert!(s.scan_reports(&b, &d).await.unwrap().is_empty());
    assert!(s.scan_report(&b, &d, &s1.id).await.unwrap().is_none());
    assert_eq!(s.scan_report(&a, &d, &s1.id).await.unwrap().unwrap(), s1);
    assert!(matches!(
        s.add_scan_report(
            &b,
            &d,
            &file,
            &scan(),
            now,
            entry(Action::EvidenceUploaded),
            entry(Action::ScanReportUploaded)
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s.list_evidence(&b).await.unwrap().is_empty());

    // Justifications: recorded, then replaced.
    for text in ["{\"why\":1}", "{\"why\":2}"] {
        s.put_justification(
            &a,
            &d,
            "AN-CVE-2021-44906@pkg:npm/minimist@1.2.5",
            text,
            "kim",
            now,
            entry(Action::AnomalyJustified),
        )
        .await
        .unwrap();
    }
    let j = s.justifications(&a, &d).await.unwrap();
    assert_eq!(j.len(), 1);
    assert_eq!(j[0].justification, "{\"why\":2}");
    assert!(s.justifications(&b, &d).await.unwrap().is_empty());
    assert!(matches!(
        s.put_justification(
            &b,
            &d,
            "AN-x",
            "{}",
            "x",
            now,
            entry(Action::AnomalyJustified)
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s.verify_audit(|_| {}).await.unwrap().is_intact());
}

async fn premarket_documents_survive_backup_and_restore(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let a = maker(s, "Maker").await;
    let d = device(s, &a).await;
    let now = Timestamp::now();
    s.put_threat_model(
        &a,
        &d,
        "m.json",
        "{\"한글\":1}",
        "{}",
        "kim",
        now,
        entry(Action::ThreatModelImported),
    )
    .await
    .unwrap();
    s.save_risk_register(
        &a,
        &d,
        0,
        &save(
            "{\"v\":1}",
            Some(NewRubric {
                risk_id: "R-1".into(),
                answers: "{}".into(),
                vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
                base_score: "9.8".into(),
                severity: "critical".into(),
                rationale: "[]".into(),
            }),
        ),
        now,
        entry(Action::RiskRubricAssessed),
    )
    .await
    .unwrap();
    s.add_scan_report(
        &a,
        &d,
        &sarif_file("{}"),
        &scan(),
        now,
        entry(Action::EvidenceUploaded),
        entry(Action::ScanReportUploaded),
    )
    .await
    .unwrap();
    s.put_justification(
        &a,
        &d,
        "AN-1",
        "{}",
        "kim",
        now,
        entry(Action::AnomalyJustified),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.jsonl");
    let summary = s.backup(&path, |_, _| {}).await.unwrap();
    for table in [
        "threat_models",
        "risk_registers",
        "risk_register_changes",
        "rubric_assessments",
        "scan_reports",
        "anomaly_justifications",
    ] {
        assert_eq!(summary.tables[table], 1, "{table}");
    }
    let target = medsec_store::testing::sqlite().await;
    target.store.restore(&path, |_, _| {}).await.unwrap();
    let t = &target.store;
    assert_eq!(
        t.threat_model(&a, &d).await.unwrap(),
        s.threat_model(&a, &d).await.unwrap()
    );
    assert_eq!(
        t.risk_register(&a, &d).await.unwrap(),
        s.risk_register(&a, &d).await.unwrap()
    );
    assert_eq!(
        t.rubric_assessments(&a, &d, None).await.unwrap(),
        s.rubric_assessments(&a, &d, None).await.unwrap()
    );
    assert_eq!(
        t.scan_reports(&a, &d).await.unwrap(),
        s.scan_reports(&a, &d).await.unwrap()
    );
    assert_eq!(
        t.justifications(&a, &d).await.unwrap(),
        s.justifications(&a, &d).await.unwrap()
    );
    assert_eq!(
        t.risk_register_changes(&a, &d, 10).await.unwrap(),
        s.risk_register_changes(&a, &d, 10).await.unwrap()
    );
}

medsec_store::both_backends!(
    premarket_documents_are_scoped_and_revisioned,
    premarket_documents_survive_backup_and_restore,
);
