//! Sector crisis levels in the store: a change tells every enabled
//! hospital and queues their webhooks with its audit record, repeats are
//! refused, and a member's ticks belong to the change in force.

use medsec_core::audit::Action;
use medsec_core::crisis::Level;
use medsec_core::{OrgKind, Role, Timestamp};
use medsec_store::StoreError;
use medsec_store::crisis::{CrisisTick, NewCrisisLevel};
use medsec_store::testing::TestDb;
use medsec_store::watch::MemberScope;

use crate::{entry, org_with_user, setup};

fn level<'a>(level: Level, reason: &'a str, isac: &'a str) -> NewCrisisLevel<'a> {
    NewCrisisLevel {
        level,
        reason,
        org_id: isac,
        set_by_id: None,
        set_by: "analyst",
    }
}

fn tick<'a>(org: &'a str, change: &'a str, action: &'a str, done: bool) -> CrisisTick<'a> {
    CrisisTick {
        org_id: org,
        change_id: change,
        action_id: action,
        done,
        by_id: None,
        by: "nurse",
    }
}

pub async fn crisis_changes_and_ticks(db: TestDb) {
    let s = &db.store;
    let (isac, _) = setup(s).await;
    let (a, a_user) = org_with_user(s, "Alpha", Role::Editor).await;
    let (b, b_user) = org_with_user(s, "Beta", Role::Editor).await;
    let (gone, _) = org_with_user(s, "Gone", Role::Editor).await;
    s.update_org(
        &gone.id,
        None,
        Some(false),
        Timestamp::now(),
        entry(Action::OrgDisabled),
    )
    .await
    .unwrap();
    let (maker, _) = s
        .create_org(
            "Maker",
            OrgKind::Manufacturer,
            Timestamp::now(),
            entry(Action::OrgCreated),
            None,
        )
        .await
        .unwrap();
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
    assert!(s.crisis_current().await.unwrap().is_none());

    let now = Timestamp::now();
    let first = s
        .set_crisis_level(
            &level(Level::Caution, "피싱 메일 유포", &isac.id),
            now,
            entry(Action::CrisisLevelSet),
        )
        .await
        .unwrap();
    assert_eq!(first.previous, Level::Normal);
    assert_eq!((first.notified, first.deliveries), (2, 1));
    assert_eq!(first.change.seq, 1);
    assert_eq!(first.change.level(), Level::Caution);
    // Told: the enabled hospitals, not the disabled one or the maker.
    for (org, told) in [(&a.id, 1), (&b.id, 1), (&gone.id, 0), (&maker.id, 0)] {
        let n = s
            .notifications(org, "nobody", 10)
            .await
            .unwrap()
            .iter()
            .filter(|n| n.kind == medsec_store::crisis::LEVEL_CHANGED)
            .count();
        assert_eq!(n, told, "{org}");
    }
    let queued = s.deliveries(&a.id, 10).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].event, "crisis.level_changed");

    // The same level with the same reason is refused, with nothing written.
    let audit_before = s.audit_count().await.unwrap();
    let err = s
        .set_crisis_level(
            &level(Level::Caution, "피싱 메일 유포", &isac.id),
            now,
            entry(Action::CrisisLevelSet),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(s.audit_count().await.unwrap(), audit_before);
    assert_eq!(s.crisis_history(10).await.unwrap().len(), 1);

    // Ticks: once each, an untick deletes; each member reads its own.
    let c1 = first.change.id.as_str();
    let t = |org, action, done| tick(org, c1, action, done);
    for (change, expected) in [
        (t(&a.id, "caution-block-indicators", true), true),
        (t(&a.id, "caution-block-indicators", true), false),
        (t(&a.id, "caution-web-check", true), true),
        (t(&a.id, "caution-web-check", false), true),
        (t(&a.id, "caution-web-check", false), false),
        (t(&b.id, "caution-staff-notice", true), true),
    ] {
        let changed = s
            .tick_crisis_action(&change, now, entry(Action::CrisisChecklistUpdated))
            .await
            .unwrap();
        assert_eq!(changed, expected, "{change:?}");
    }
    let mine: Vec<_> = s
        .crisis_ticks(MemberScope::Member(&a.id), c1)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.org_id, t.action_id))
        .collect();
    assert_eq!(
        mine,
        [(a.id.clone(), "caution-block-indicators".to_owned())]
    );
    assert_eq!(s.crisis_ticks(MemberScope::All, c1).await.unwrap().len(), 2);

    // A new change: the old one's ticks are refused, the history grows.
    let second = s
        .set_crisis_level(
            &level(Level::Caution, "피싱 메일 유포 계속, 새 지표", &isac.id),
            now,
            entry(Action::CrisisLevelSet),
        )
        .await
        .unwrap();
    assert_eq!((second.change.seq, second.previous), (2, Level::Caution));
    let err = s
        .tick_crisis_action(
            &t(&a.id, "caution-web-check", true),
            now,
            entry(Action::CrisisChecklistUpdated),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert!(
        s.crisis_ticks(MemberScope::Member(&a.id), &second.change.id)
            .await
            .unwrap()
            .is_empty()
    );
    let history: Vec<_> = s
        .crisis_history(10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(history, [2, 1]);
    assert_eq!(
        s.crisis_current().await.unwrap().unwrap().id,
        second.change.id
    );
    let _ = (a_user, b_user);
    assert!(s.verify_audit(|_| {}).await.unwrap().is_intact());
}

medsec_store::both_backends!(crisis_changes_and_ticks);
