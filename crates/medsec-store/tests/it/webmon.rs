//! Web page monitors: scoped reads and changes, claims that never give a
//! monitor to two checks, the first baseline and an accepted one, the
//! kept checks, on both backends.

use medsec_core::audit::Action;
use medsec_core::{Role, Timestamp};
use medsec_store::testing::TestDb;
use medsec_store::watch::MemberScope;
use medsec_store::webmon::{CHECKS_KEPT, Claim, WebCheckRecord, WebCheckRow, WebMonitorSettings};
use medsec_store::{Store, StoreError};

use crate::{entry, org_with_user, setup};

fn settings(member: &str, url: &str) -> WebMonitorSettings {
    WebMonitorSettings {
        member_id: member.to_owned(),
        name: "홈페이지".into(),
        url: url.to_owned(),
        interval_secs: 300,
        keywords: vec!["긴급 점검".into()],
        ignore_patterns: vec![r"visitors: \d+".into()],
        threshold: 60,
        failure_threshold: 3,
        enabled: true,
    }
}

fn check(monitor: &str, member: &str, at: i64, outcome: &str, hash: &str) -> WebCheckRow {
    WebCheckRow {
        id: medsec_core::new_id(),
        monitor_id: monitor.to_owned(),
        member_id: member.to_owned(),
        at,
        outcome: outcome.to_owned(),
        http_status: Some(200),
        final_url: Some("https://a.example/".into()),
        content_hash: Some(hash.to_owned()),
        similarity: Some(1000),
        bytes: Some(10),
        duration_ms: 5,
        headers: "{}".into(),
        findings: "[]".into(),
        error: None,
    }
}

fn snapshot(hash: &str) -> (String, String) {
    (
        serde_json::json!({"content_hash": hash, "title": "t"}).to_string(),
        hash.to_owned(),
    )
}

/// A monitor of `member` whose first check made its baseline (for the
/// backup test).
pub async fn monitor_with_check(s: &Store, member: &str, url: &str) -> String {
    let m = s
        .add_web_monitor(&settings(member, url), entry(Action::WebMonitorAdded))
        .await
        .unwrap();
    s.record_web_check(&WebCheckRecord {
        check: check(&m.id, member, m.created_at + 1, "baseline", "h1"),
        snapshot: Some(snapshot("h1")),
        failures: 0,
        next_due: m.created_at + 300_001,
        claimed_by: "node".into(),
    })
    .await
    .unwrap();
    m.id
}

async fn monitors_are_scoped_claimed_and_baselined(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let (a, _) = org_with_user(s, "Alpha", Role::Editor).await;
    let (b, _) = org_with_user(s, "Beta", Role::Editor).await;
    let m = s
        .add_web_monitor(
            &settings(&a.id, "https://a.example/"),
            entry(Action::WebMonitorAdded),
        )
        .await
        .unwrap();
    let other = monitor_with_check(s, &b.id, "https://b.example/").await;
    // The same address twice for one member is a conflict; for another
    // member it is fine.
    assert!(matches!(
        s.add_web_monitor(
            &settings(&a.id, "https://a.example/"),
            entry(Action::WebMonitorAdded)
        )
        .await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(s.web_monitors(MemberScope::All).await.unwrap().len(), 2);
    let mine = s.web_monitors(MemberScope::Member(&a.id)).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].keywords, r#"["긴급 점검"]"#);
    assert!(
        s.web_monitor(MemberScope::Member(&a.id), &other)
            .await
            .unwrap()
            .is_none()
    );
    let now = Timestamp(m.created_at);
    // Another member's monitor cannot be claimed, changed, accepted or
    // removed through a member's scope.
    assert!(matches!(
        s.claim_web_monitor(MemberScope::Member(&a.id), &other, now, 1000, "x")
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.update_web_monitor(
            MemberScope::Member(&a.id),
            &other,
            &settings(&a.id, "https://x.example/"),
            entry(Action::WebMonitorUpdated)
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.accept_web_baseline(
            MemberScope::Member(&a.id),
            &other,
            entry(Action::WebBaselineAccepted)
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.remove_web_monitor(
            MemberScope::Member(&a.id),
            &other,
            entry(Action::WebMonitorRemoved)
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        s.web_monitor(MemberScope::All, &other)
            .await
            .unwrap()
            .is_some()
    );
    // Nothing read yet: no baseline to accept.
    assert!(matches!(
        s.accept_web_baseline(
            MemberScope::Member(&a.id),
            &m.id,
            entry(Action::WebBaselineAccepted)
        )
        .await,
        Err(StoreError::Invalid(_))
    ));

    // One claim at a time; the claim lapses.
    let first = s
        .claim_web_monitor(MemberScope::All, &m.id, now, 1000, "n1")
        .await
        .unwrap();
    assert!(matches!(first, Claim::Claimed(ref r) if r.claimed_by.as_deref() == Some("n1")));
    assert_eq!(
        s.claim_web_monitor(MemberScope::All, &m.id, now, 1000, "n2")
            .await
            .unwrap(),
        Claim::Busy
    );
    assert!(
        s.claim_due_web_monitors(now, 1000, "n2", 10)
            .await
            .unwrap()
            .iter()
            .all(|r| r.id != m.id)
    );
    assert!(matches!(
        s.claim_web_monitor(MemberScope::All, &m.id, Timestamp(now.0 + 1000), 1000, "n2")
            .await
            .unwrap(),
        Claim::Claimed(_)
    ));

    // The first page read becomes the baseline and ends the claim.
    s.record_web_check(&WebCheckRecord {
        check: check(&m.id, &a.id, now.0 + 1, "baseline", "h1"),
        snapshot: Some(snapshot("h1")),
        failures: 0,
        next_due: now.0 + 300_001,
        claimed_by: "n2".into(),
    })
    .await
    .unwrap();
    let r = s
        .web_monitor(MemberScope::All, &m.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.baseline_hash.as_deref(), r.baseline_by.as_deref()),
        (Some("h1"), None)
    );
    assert_eq!((r.claimed_until, r.claimed_by), (None, None));
    assert_eq!(r.next_due, now.0 + 300_001);
    // A later page does not replace the baseline by itself …
    s.record_web_check(&WebCheckRecord {
        check: check(&m.id, &a.id, now.0 + 2, "defaced", "h2"),
        snapshot: Some(snapshot("h2")),
        failures: 0,
        next_due: now.0 + 300_002,
        claimed_by: "n3".into(),
    })
    .await
    .unwrap();
    assert_eq!(
        s.web_monitor(MemberScope::All, &m.id)
            .await
            .unwrap()
            .unwrap()
            .baseline_hash
            .as_deref(),
        Some("h1")
    );
    // … until someone accepts it.
    let mut who = entry(Action::WebBaselineAccepted);
    who.actor = "alpha-admin".into();
    assert_eq!(
        s.accept_web_baseline(MemberScope::Member(&a.id), &m.id, who)
            .await
            .unwrap(),
        "h2"
    );
    let r = s
        .web_monitor(MemberScope::All, &m.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.baseline_hash.as_deref(), r.baseline_by.as_deref()),
        (Some("h2"), Some("alpha-admin"))
    );
    // A failed check keeps the latest snapshot.
    let mut failed = check(&m.id, &a.id, now.0 + 3, "unreachable", "");
    failed.content_hash = None;
    failed.error = Some("connect: refused".into());
    s.record_web_check(&WebCheckRecord {
        check: failed,
        snapshot: None,
        failures: 1,
        next_due: now.0 + 300_003,
        claimed_by: "n4".into(),
    })
    .await
    .unwrap();
    let r = s
        .web_monitor(MemberScope::All, &m.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.failures, r.last_outcome.as_deref()),
        (1, Some("unreachable"))
    );
    assert!(r.last_snapshot.unwrap().contains("h2"));

    // A new address drops the baseline and is due at once.
    let mut moved = entry(Action::WebMonitorUpdated);
    moved.at = Timestamp(now.0 + 10);
    s.update_web_monitor(
        MemberScope::Member(&a.id),
        &m.id,
        &settings(&a.id, "https://a.example/new"),
        moved,
    )
    .await
    .unwrap();
    let r = s
        .web_monitor(MemberScope::All, &m.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.baseline, r.baseline_hash, r.failures, r.next_due),
        (None, None, 0, now.0 + 10)
    );

    // Only the latest checks are kept.
    for i in 0..CHECKS_KEPT + 5 {
        s.record_web_check(&WebCheckRecord {
            check: check(&m.id, &a.id, now.0 + 100 + i, "unchanged", "h3"),
            snapshot: None,
            failures: 0,
            next_due: now.0,
            claimed_by: "n".into(),
        })
        .await
        .unwrap();
    }
    let kept = s.web_checks(&m.id, 10_000).await.unwrap();
    assert_eq!(kept.len() as i64, CHECKS_KEPT);
    assert_eq!(kept[0].at, now.0 + 100 + CHECKS_KEPT + 4);

    // Removing takes the checks along.
    s.remove_web_monitor(
        MemberScope::Member(&a.id),
        &m.id,
        entry(Action::WebMonitorRemoved),
    )
    .await
    .unwrap();
    assert!(s.web_checks(&m.id, 10).await.unwrap().is_empty());
    assert_eq!(s.web_checks(&other, 10).await.unwrap().len(), 1);
}

medsec_store::both_backends!(monitors_are_scoped_claimed_and_baselined);
