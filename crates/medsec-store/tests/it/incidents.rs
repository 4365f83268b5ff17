//! Incidents in the store: who sees which incident (owner, reported to
//! the ISAC, shared with a member), the timeline written with every
//! change, notifications and webhook deliveries on sharing, tasks,
//! evidence and issued reports.

use medsec_core::audit::Action;
use medsec_core::{Role, Timestamp};
use medsec_store::StoreError;
use medsec_store::incidents::{
    IncidentChanges, IncidentFilter, NewIncident, NewIncidentEvidence, NewIncidentRole,
    NewIncidentTask, Viewer,
};
use medsec_store::testing::TestDb;

use crate::{entry, org_with_user, setup};

fn by(org: &str, action: Action) -> medsec_store::AuditEntry {
    entry(action).org(org.to_owned())
}

pub async fn incidents_visibility_timeline_and_sharing(db: TestDb) {
    let s = &db.store;
    let (isac, _) = setup(s).await;
    let (a, _) = org_with_user(s, "Alpha", Role::Editor).await;
    let (b, _) = org_with_user(s, "Beta", Role::Editor).await;
    s.add_webhook(
        &a.id,
        "https://hooks.alpha.example/x",
        "secret",
        "nurse",
        Timestamp::now(),
        entry(Action::WebhookCreated),
    )
    .await
    .unwrap();
    let isac_v = Viewer {
        org_id: &isac.id,
        isac: true,
    };
    let a_v = Viewer {
        org_id: &a.id,
        isac: false,
    };
    let b_v = Viewer {
        org_id: &b.id,
        isac: false,
    };

    // The ISAC opens an incident affecting Alpha, not shared yet.
    let inc = s
        .create_incident(
            &NewIncident {
                owner_org_id: isac.id.clone(),
                title: "PACS 랜섬웨어 감염".into(),
                category: "ransomware".into(),
                severity: "high".into(),
                summary: "영상 서버 암호화".into(),
                detected_at: 1_000,
                members: vec![a.id.clone()],
                ..NewIncident::default()
            },
            by(&isac.id, Action::IncidentOpened),
        )
        .await
        .unwrap();
    assert_eq!(inc.status, "reported");
    assert!(s.incident(isac_v, &inc.id).await.unwrap().is_some());
    assert!(
        s.incident(a_v, &inc.id).await.unwrap().is_none(),
        "not shared yet"
    );
    assert!(s.incident(b_v, &inc.id).await.unwrap().is_none());

    // Sharing: Alpha sees it, is notified once, its webhook gets a delivery.
    assert!(
        s.share_incident(&inc.id, &a.id, by(&isac.id, Action::IncidentShared))
            .await
            .unwrap()
    );
    assert!(
        !s.share_incident(&inc.id, &a.id, by(&isac.id, Action::IncidentShared))
            .await
            .unwrap()
    );
    assert!(matches!(
        s.share_incident(&inc.id, &b.id, by(&isac.id, Action::IncidentShared))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s.incident(a_v, &inc.id).await.unwrap().is_some());
    assert!(s.incident(b_v, &inc.id).await.unwrap().is_none());
    let notes = s.notifications(&a.id, "nobody", 10).await.unwrap();
    assert_eq!(
        notes.iter().filter(|n| n.kind == "incident.shared").count(),
        1
    );
    let queued = s.deliveries(&a.id, 10).await.unwrap();
    assert_eq!(
        queued
            .iter()
            .filter(|d| d.event == "incident.shared")
            .count(),
        1
    );
    let (list, total) = s.incidents(a_v, &IncidentFilter::default()).await.unwrap();
    assert_eq!((list.len(), total), (1, 1));
    let (list, total) = s.incidents(b_v, &IncidentFilter::default()).await.unwrap();
    assert_eq!((list.len(), total), (0, 0));

    // A hospital's own incident: invisible to the ISAC until reported.
    let own = s
        .create_incident(
            &NewIncident {
                owner_org_id: b.id.clone(),
                title: "웹 서버 웹셸".into(),
                category: "webshell".into(),
                severity: "medium".into(),
                summary: "업로드 폴더에서 발견".into(),
                detected_at: 2_000,
                members: vec![b.id.clone()],
                share_members: true,
                ..NewIncident::default()
            },
            by(&b.id, Action::IncidentOpened),
        )
        .await
        .unwrap();
    assert!(s.incident(isac_v, &own.id).await.unwrap().is_none());
    assert!(s.incident(a_v, &own.id).await.unwrap().is_none());
    assert!(
        s.report_incident(&own.id, by(&b.id, Action::IncidentReported))
            .await
            .unwrap()
    );
    assert!(
        !s.report_incident(&own.id, by(&b.id, Action::IncidentReported))
            .await
            .unwrap()
    );
    assert!(s.incident(isac_v, &own.id).await.unwrap().is_some());
    assert!(
        s.incident(a_v, &own.id).await.unwrap().is_none(),
        "another hospital never sees it"
    );
    let notes = s.notifications(&isac.id, "nobody", 10).await.unwrap();
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.kind == "incident.reported")
            .count(),
        1
    );

    // Changes write the timeline in order, status closes and reopens.
    let changed = s
        .update_incident(
            &inc.id,
            &IncidentChanges {
                status: Some("responding".into()),
                severity: Some("critical".into()),
                cause: Some("VPN 장비 취약점(CVE-2024-3400)".into()),
                ..IncidentChanges::default()
            },
            by(&isac.id, Action::IncidentUpdated),
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.status.as_str(), changed.severity.as_str()),
        ("responding", "critical")
    );
    assert_eq!(changed.closed_at, None);
    let unchanged = s
        .update_incident(
            &inc.id,
            &IncidentChanges {
                status: Some("responding".into()),
                ..IncidentChanges::default()
            },
            by(&isac.id, Action::IncidentUpdated),
        )
        .await
        .unwrap();
    assert_eq!(
        unchanged.updated_at, changed.updated_at,
        "nothing changed, nothing written"
    );
    let task = s
        .add_incident_task(
            &inc.id,
            &NewIncidentTask {
                title: "감염 PC 격리".into(),
                org_id: a.id.clone(),
                ..NewIncidentTask::default()
            },
            by(&isac.id, Action::IncidentTaskAdded),
        )
        .await
        .unwrap();
    let task2 = s
        .add_incident_task(
            &inc.id,
            &NewIncidentTask {
                title: "백업 복구".into(),
                org_id: a.id.clone(),
                ..NewIncidentTask::default()
            },
            by(&isac.id, Action::IncidentTaskAdded),
        )
        .await
        .unwrap();
    assert_eq!((task.seq, task2.seq), (1, 2));
    assert!(
        s.set_incident_task_done(
            &inc.id,
            &task.id,
            true,
            by(&a.id, Action::IncidentTaskUpdated)
        )
        .await
        .unwrap()
    );
    assert!(
        !s.set_incident_task_done(
            &inc.id,
            &task.id,
            true,
            by(&a.id, Action::IncidentTaskUpdated)
        )
        .await
        .unwrap()
    );
    assert!(
        matches!(
            s.set_incident_task_done(
                &own.id,
                &task.id,
                true,
                by(&b.id, Action::IncidentTaskUpdated)
            )
            .await,
            Err(StoreError::NotFound { .. })
        ),
        "a task answers only under its own incident"
    );
    s.add_incident_role(
        &inc.id,
        &NewIncidentRole {
            role: "manager".into(),
            name: "김보안".into(),
            ..NewIncidentRole::default()
        },
        by(&isac.id, Action::IncidentRoleAssigned),
    )
    .await
    .unwrap();
    let ev = s
        .add_incident_evidence(
            &inc.id,
            &NewIncidentEvidence {
                filename: "ransom-note.txt".into(),
                content_type: "text/plain".into(),
                sha256: "ab".repeat(32),
                description: "감염 PC 바탕화면".into(),
                content: b"YOUR FILES ARE ENCRYPTED".to_vec(),
            },
            by(&a.id, Action::IncidentEvidenceAdded),
        )
        .await
        .unwrap();
    assert_eq!(ev.org_id, a.id);
    let (_, bytes) = s.incident_evidence(&inc.id, &ev.id).await.unwrap().unwrap();
    assert_eq!(bytes, b"YOUR FILES ARE ENCRYPTED");
    assert!(
        s.incident_evidence(&own.id, &ev.id)
            .await
            .unwrap()
            .is_none()
    );
    s.add_incident_note(
        &inc.id,
        500,
        "최초 이상 징후(야간 대량 파일 변경)",
        by(&a.id, Action::IncidentNoted),
    )
    .await
    .unwrap();
    let r1 = s
        .add_incident_report(
            &inc.id,
            "ko",
            b"%PDF-1 one",
            "11",
            by(&isac.id, Action::IncidentReportIssued),
        )
        .await
        .unwrap();
    let r2 = s
        .add_incident_report(
            &inc.id,
            "en",
            b"%PDF-1 two",
            "22",
            by(&isac.id, Action::IncidentReportIssued),
        )
        .await
        .unwrap();
    assert_eq!(
        (r1.version, r2.version, r2.status.as_str()),
        (1, 2, "responding")
    );
    let (_, pdf) = s.incident_report(&inc.id, &r1.id).await.unwrap().unwrap();
    assert_eq!(pdf, b"%PDF-1 one");

    let row = s.incident(isac_v, &inc.id).await.unwrap().unwrap();
    let d = s.incident_detail(row).await.unwrap();
    let kinds: Vec<&str> = d.timeline.iter().map(|t| t.kind.as_str()).collect();
    // Ordered by when it happened: the back-dated note first.
    assert_eq!(kinds.first(), Some(&"note"));
    assert!(kinds.contains(&"detected") && kinds.contains(&"opened") && kinds.contains(&"shared"));
    assert!(kinds.contains(&"status") && kinds.contains(&"severity") && kinds.contains(&"edited"));
    assert!(
        kinds.contains(&"task_done")
            && kinds.contains(&"evidence_added")
            && kinds.contains(&"report_issued")
    );
    let mut seqs: Vec<i64> = d.timeline.iter().map(|t| t.seq).collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "numbers without gaps or repeats"
    );
    let note = d.timeline.iter().find(|t| t.kind == "note").unwrap();
    assert_eq!(
        (note.org_id.as_deref(), note.at),
        (Some(a.id.as_str()), 500)
    );
    assert_eq!(d.tasks.len(), 2);
    assert_eq!(d.members.len(), 1);
    assert!(d.members[0].shared_at.is_some());

    // Filters: open, severity, member.
    let f = |status: Option<&str>, sev: Option<&str>| IncidentFilter {
        status: status.map(str::to_owned),
        severity: sev.map(str::to_owned),
        ..IncidentFilter::default()
    };
    assert_eq!(
        s.incidents(isac_v, &f(Some("open"), None)).await.unwrap().1,
        2
    );
    assert_eq!(
        s.incidents(isac_v, &f(None, Some("critical")))
            .await
            .unwrap()
            .1,
        1
    );
    let closed = s
        .update_incident(
            &inc.id,
            &IncidentChanges {
                status: Some("closed".into()),
                ..IncidentChanges::default()
            },
            by(&isac.id, Action::IncidentUpdated),
        )
        .await
        .unwrap();
    assert!(closed.closed_at.is_some());
    assert_eq!(
        s.incidents(isac_v, &f(Some("open"), None)).await.unwrap().1,
        1
    );
    let only_b = IncidentFilter {
        member_id: Some(b.id.clone()),
        ..IncidentFilter::default()
    };
    assert_eq!(s.incidents(isac_v, &only_b).await.unwrap().1, 1);

    // Every change was audited.
    assert!(s.verify_audit(|_| {}).await.unwrap().is_intact());
}

medsec_store::both_backends!(incidents_visibility_timeline_and_sharing);
