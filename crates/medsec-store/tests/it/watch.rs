//! Watch: log sources, counts, error samples, silence, decoders, masking
//! rules and retention, with members kept apart.

use medsec_core::audit::Action;
use medsec_core::{Role, Timestamp};
use medsec_store::StoreError;
use medsec_store::testing::TestDb;
use medsec_store::watch::{
    IngestDelta, IngestErrorRow, LogSourceChange, MemberScope, NewLogSource, Transport,
};

use crate::{entry, org_with_user, setup};

fn source(member: &str, name: &str, transport: Transport, port: Option<u16>) -> NewLogSource {
    NewLogSource {
        member_id: member.into(),
        name: name.into(),
        transport,
        port,
        format: "auto".into(),
        credential: None,
        silent_after: 600,
    }
}

async fn sources_belong_to_one_member(db: TestDb) {
    let store = &db.store;
    setup(store).await;
    let (a, _) = org_with_user(store, "Alpha", Role::Editor).await;
    let (b, _) = org_with_user(store, "Beta", Role::Editor).await;
    let now = Timestamp(1_700_000_000_000);
    let fw = store
        .create_log_source(
            &source(&a.id, "방화벽", Transport::Tcp, Some(20514)),
            "analyst",
            now,
            entry(Action::LogSourceCreated),
        )
        .await
        .unwrap();
    // The same port on UDP is another listener; on TCP it is taken.
    store
        .create_log_source(
            &source(&b.id, "fw-udp", Transport::Udp, Some(20514)),
            "analyst",
            now,
            entry(Action::LogSourceCreated),
        )
        .await
        .unwrap();
    let taken = store
        .create_log_source(
            &source(&b.id, "fw", Transport::Tcp, Some(20514)),
            "analyst",
            now,
            entry(Action::LogSourceCreated),
        )
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict { .. })),
        "{taken:?}"
    );
    let mut tls = source(&b.id, "ids", Transport::Tls, None);
    tls.credential = Some("ab".repeat(32));
    let ids = store
        .create_log_source(&tls, "analyst", now, entry(Action::LogSourceCreated))
        .await
        .unwrap();
    // Attribution by credential: only for the transport it was issued for.
    let found = store
        .log_source_by_credential(Transport::Tls, &"ab".repeat(32))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.member_id, b.id);
    assert!(
        store
            .log_source_by_credential(Transport::Http, &"ab".repeat(32))
            .await
            .unwrap()
            .is_none()
    );

    // A member sees its own sources; the ISAC all.
    let mine = store.log_sources(MemberScope::Member(&a.id)).await.unwrap();
    assert_eq!(mine.iter().map(|s| &s.name).collect::<Vec<_>>(), ["방화벽"]);
    assert_eq!(store.log_sources(MemberScope::All).await.unwrap().len(), 3);
    assert!(
        store
            .log_source(MemberScope::Member(&a.id), &ids.id)
            .await
            .unwrap()
            .is_none()
    );
    let other = store
        .update_log_source(
            MemberScope::Member(&a.id),
            &ids.id,
            &LogSourceChange {
                enabled: Some(false),
                ..Default::default()
            },
            now,
            entry(Action::LogSourceUpdated),
        )
        .await;
    assert!(matches!(other, Err(StoreError::NotFound { .. })));

    // A disabled source no longer attributes anything.
    store
        .update_log_source(
            MemberScope::All,
            &ids.id,
            &LogSourceChange {
                enabled: Some(false),
                ..Default::default()
            },
            now,
            entry(Action::LogSourceUpdated),
        )
        .await
        .unwrap();
    assert!(
        store
            .log_source_by_credential(Transport::Tls, &"ab".repeat(32))
            .await
            .unwrap()
            .is_none()
    );
    let enabled = store.enabled_log_sources().await.unwrap();
    assert_eq!(enabled.len(), 2);

    // Counts add up per source and day; the last event moves forward only.
    let delta = |day: &str, events: i64, at: i64| IngestDelta {
        source_id: fw.id.clone(),
        member_id: a.id.clone(),
        day: day.into(),
        events,
        bytes: events * 100,
        parse_errors: 1,
        dropped: 0,
        last_event_at: Some(at),
    };
    store
        .record_ingest(&[delta("2026-11-25", 10, 5), delta("2026-11-26", 3, 9)])
        .await
        .unwrap();
    store
        .record_ingest(&[delta("2026-11-26", 4, 7)])
        .await
        .unwrap();
    let days = store
        .ingest_days(MemberScope::Member(&a.id), "2026-11-01", "2026-11-30")
        .await
        .unwrap();
    let got: Vec<(&str, i64, i64, i64)> = days
        .iter()
        .map(|d| (d.day.as_str(), d.events, d.bytes, d.parse_errors))
        .collect();
    assert_eq!(
        got,
        [("2026-11-25", 10, 1000, 1), ("2026-11-26", 7, 700, 2)]
    );
    assert!(
        store
            .ingest_days(MemberScope::Member(&b.id), "2026-11-01", "2026-11-30")
            .await
            .unwrap()
            .is_empty()
    );
    let fw_now = store
        .log_source(MemberScope::All, &fw.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fw_now.last_event_at, Some(9));

    // Error samples: the latest 50 are kept, and only for their member.
    for i in 0..60 {
        store
            .add_ingest_error(&IngestErrorRow {
                id: format!("e{i:03}"),
                source_id: fw.id.clone(),
                member_id: a.id.clone(),
                at: i,
                kind: "parse".into(),
                message: format!("CEF header: expected 7 fields, found {i}"),
                sample: "CEF:0|broken".into(),
            })
            .await
            .unwrap();
    }
    let errors = store
        .ingest_errors(MemberScope::Member(&a.id), &fw.id, 100)
        .await
        .unwrap();
    assert_eq!(errors.len(), 50);
    assert_eq!(errors[0].id, "e059");
    assert!(
        store
            .ingest_errors(MemberScope::Member(&b.id), &fw.id, 100)
            .await
            .unwrap()
            .is_empty()
    );

    // Deleting a source takes its counts and samples with it.
    store
        .delete_log_source(MemberScope::All, &fw.id, entry(Action::LogSourceDeleted))
        .await
        .unwrap();
    assert!(
        store
            .ingest_days(MemberScope::All, "2026-11-01", "2026-11-30")
            .await
            .unwrap()
            .is_empty()
    );
}

async fn silent_sources_are_reported_once(db: TestDb) {
    let store = &db.store;
    setup(store).await;
    let (a, _) = org_with_user(store, "Alpha", Role::Editor).await;
    let t0 = Timestamp(1_700_000_000_000);
    let fw = store
        .create_log_source(
            &source(&a.id, "fw", Transport::Udp, Some(5514)),
            "analyst",
            t0,
            entry(Action::LogSourceCreated),
        )
        .await
        .unwrap();
    // 600 s of silence allowed: not yet at 599 s, then once.
    assert!(
        store
            .mark_silent_sources(Timestamp(t0.0 + 599_000))
            .await
            .unwrap()
            .is_empty()
    );
    let silent = store
        .mark_silent_sources(Timestamp(t0.0 + 601_000))
        .await
        .unwrap();
    assert_eq!(silent.len(), 1);
    assert_eq!(silent[0].id, fw.id);
    assert!(
        store
            .mark_silent_sources(Timestamp(t0.0 + 700_000))
            .await
            .unwrap()
            .is_empty()
    );
    // Events clear the mark; a new silence is reported again.
    store
        .record_ingest(&[IngestDelta {
            source_id: fw.id.clone(),
            member_id: a.id.clone(),
            day: "2023-11-14".into(),
            events: 1,
            bytes: 10,
            last_event_at: Some(t0.0 + 800_000),
            ..Default::default()
        }])
        .await
        .unwrap();
    assert!(
        store
            .mark_silent_sources(Timestamp(t0.0 + 1_000_000))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .mark_silent_sources(Timestamp(t0.0 + 1_401_000))
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn decoders_masking_and_retention(db: TestDb) {
    let store = &db.store;
    setup(store).await;
    let (a, _) = org_with_user(store, "Alpha", Role::Editor).await;
    let (b, _) = org_with_user(store, "Beta", Role::Editor).await;
    let now = Timestamp(1_700_000_000_000);
    store
        .save_decoder(
            "secui",
            "name = \"secui\"",
            "analyst",
            now,
            entry(Action::DecoderSaved),
        )
        .await
        .unwrap();
    assert_eq!(store.decoders().await.unwrap().len(), 1);
    store
        .delete_decoder("secui", entry(Action::DecoderDeleted))
        .await
        .unwrap();
    assert!(store.decoders().await.unwrap().is_empty());

    // The built-in rules apply to everyone; a member's own only to it.
    let builtin = store
        .masking_rules(MemberScope::Member(&a.id))
        .await
        .unwrap();
    let kinds: Vec<&str> = builtin.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["phone", "rrn"]);
    assert!(builtin.iter().all(|r| r.enabled));
    store
        .add_masking_rule(
            &medsec_store::watch::NewMaskingRule {
                member_id: Some(&a.id),
                name: "환자번호",
                kind: "pattern",
                pattern: Some(r"P\d{8}"),
            },
            "analyst",
            now,
            entry(Action::MaskingRuleChanged),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .masking_rules(MemberScope::Member(&a.id))
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        store
            .masking_rules(MemberScope::Member(&b.id))
            .await
            .unwrap()
            .len(),
        2
    );
    store
        .set_masking_rule_enabled("builtin-phone", false, entry(Action::MaskingRuleChanged))
        .await
        .unwrap();
    let b_rules = store
        .masking_rules(MemberScope::Member(&b.id))
        .await
        .unwrap();
    assert!(!b_rules.iter().find(|r| r.kind == "phone").unwrap().enabled);

    assert_eq!(store.retention_days(&a.id).await.unwrap(), 365);
    store
        .set_retention_days(&a.id, 90, entry(Action::RetentionChanged))
        .await
        .unwrap();
    store
        .set_retention_days(&a.id, 180, entry(Action::RetentionChanged))
        .await
        .unwrap();
    assert_eq!(store.retention_days(&a.id).await.unwrap(), 180);
    assert_eq!(
        store.retention_settings().await.unwrap(),
        [(a.id.clone(), 180)]
    );
}

/// Editing a decoder never takes it out of service: a saved definition
/// is a draft, activation swaps it in, and a decoder a source uses can
/// be neither deactivated nor deleted.
async fn decoders_keep_their_version_in_service(db: TestDb) {
    let store = &db.store;
    setup(store).await;
    let (a, _) = org_with_user(store, "Alpha", Role::Editor).await;
    let now = Timestamp(1_700_000_000_000);
    let at = |ms: i64| Timestamp(now.0 + ms);
    let (v1, v2) = ("name = \"secui\"", "name = \"secui\" # v2");

    // A new decoder is a draft, not in service.
    let new = store
        .save_decoder("secui", v1, "analyst", now, entry(Action::DecoderSaved))
        .await
        .unwrap();
    assert!(!new.active && new.active_definition.is_none() && !new.changes_pending());
    assert_eq!(store.decoder("secui").await.unwrap().unwrap(), new);

    // Activation puts the draft the caller tested in service.
    let first = store
        .activate_decoder("secui", v1, at(1), entry(Action::DecoderActivated))
        .await
        .unwrap();
    assert!(!first.replaced);
    assert!(first.decoder.active && !first.decoder.changes_pending());
    assert_eq!(first.decoder.active_definition.as_deref(), Some(v1));
    assert_eq!(first.decoder.activated_at, Some(at(1).0));
    assert_eq!(
        store.decoder("secui").await.unwrap().unwrap(),
        first.decoder
    );
    let fw = store
        .create_log_source(
            &NewLogSource {
                format: "secui".into(),
                ..source(&a.id, "fw", Transport::Tcp, Some(20514))
            },
            "analyst",
            now,
            entry(Action::LogSourceCreated),
        )
        .await
        .unwrap();

    // Saving a changed definition changes only the draft.
    let saved = store
        .save_decoder("secui", v2, "other", at(2), entry(Action::DecoderSaved))
        .await
        .unwrap();
    assert_eq!(saved.definition, v2);
    assert_eq!(saved.active_definition.as_deref(), Some(v1));
    assert!(saved.active && saved.changes_pending());
    assert_eq!(saved.activated_at, Some(at(1).0));
    assert_eq!(saved.tested_at, None, "the new draft is untested");
    assert_eq!(saved.updated_at, at(2).0);
    assert_eq!(saved.created_by, "analyst");
    assert_eq!(store.decoder("secui").await.unwrap().unwrap(), saved);
    assert_eq!(
        store.decoders().await.unwrap(),
        std::slice::from_ref(&saved)
    );

    // A draft other than the one the caller tested is not activated.
    assert!(matches!(
        store
            .activate_decoder("secui", v1, at(3), entry(Action::DecoderActivated))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.decoder("secui").await.unwrap().unwrap(), saved);

    // Activating the draft replaces the version in service.
    let second = store
        .activate_decoder("secui", v2, at(4), entry(Action::DecoderActivated))
        .await
        .unwrap();
    assert!(second.replaced);
    assert_eq!(second.decoder.active_definition.as_deref(), Some(v2));
    assert_eq!(second.decoder.activated_at, Some(at(4).0));
    assert_eq!(second.decoder.tested_at, Some(at(4).0));
    assert!(!second.decoder.changes_pending());
    assert_eq!(
        store.decoder("secui").await.unwrap().unwrap(),
        second.decoder
    );
    // Saving the same text again leaves nothing pending.
    let same = store
        .save_decoder("secui", v2, "analyst", at(5), entry(Action::DecoderSaved))
        .await
        .unwrap();
    assert!(!same.changes_pending() && same.tested_at == Some(at(4).0));

    // While the source uses it, the decoder stays in service and stored;
    // the refusal names the source.
    for refused in [
        store
            .deactivate_decoder("secui", entry(Action::DecoderDeactivated))
            .await,
        store
            .delete_decoder("secui", entry(Action::DecoderDeleted))
            .await,
    ] {
        match refused {
            Err(StoreError::InUse { what, by }) => {
                assert_eq!((what, by), ("decoder", vec![fw.id.clone()]));
            }
            other => panic!("{other:?}"),
        }
    }
    let kept = store.decoder("secui").await.unwrap().unwrap();
    assert!(kept.active && kept.active_definition.as_deref() == Some(v2));

    // Once the source uses another format: out of service (the draft
    // stays), then deleted.
    store
        .update_log_source(
            MemberScope::All,
            &fw.id,
            &LogSourceChange {
                format: Some("auto".into()),
                ..Default::default()
            },
            at(6),
            entry(Action::LogSourceUpdated),
        )
        .await
        .unwrap();
    store
        .deactivate_decoder("secui", entry(Action::DecoderDeactivated))
        .await
        .unwrap();
    let off = store.decoder("secui").await.unwrap().unwrap();
    assert!(!off.active && off.active_definition.is_none() && off.activated_at.is_none());
    assert!(!off.changes_pending());
    assert_eq!(off.definition, v2);
    store
        .delete_decoder("secui", entry(Action::DecoderDeleted))
        .await
        .unwrap();
    assert!(store.decoders().await.unwrap().is_empty());
    for missing in [
        store
            .activate_decoder("secui", v2, at(7), entry(Action::DecoderActivated))
            .await
            .map(|_| ()),
        store
            .deactivate_decoder("secui", entry(Action::DecoderDeactivated))
            .await,
        store
            .delete_decoder("secui", entry(Action::DecoderDeleted))
            .await,
    ] {
        assert!(
            matches!(missing, Err(StoreError::NotFound { .. })),
            "{missing:?}"
        );
    }

    // The audit records say what happened, oldest first; refusals
    // changed nothing and recorded nothing.
    let mut records = store
        .list_audit(
            "",
            true,
            &medsec_store::AuditFilter {
                action_prefix: Some("decoder.".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    records.reverse();
    let said: Vec<(String, serde_json::Value)> = records
        .iter()
        .map(|r| (r.action.clone(), serde_json::from_str(&r.details).unwrap()))
        .collect();
    let actions: Vec<&str> = said.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "decoder.saved",
            "decoder.activated",
            "decoder.saved",
            "decoder.activated",
            "decoder.saved",
            "decoder.deactivated",
            "decoder.deleted",
        ]
    );
    let sha = |text: &str| {
        use sha2::Digest;
        medsec_core::credential::hex(&sha2::Sha256::digest(text.as_bytes()))
    };
    let details: Vec<&serde_json::Value> = said.iter().map(|(_, d)| d).collect();
    assert_eq!(details[0]["draft"], true);
    assert_eq!(details[0]["new"], true);
    assert_eq!(details[0]["in_service"], false);
    assert_eq!(details[1]["replaced"], false);
    assert_eq!(details[1]["sha256"], sha(v1));
    assert_eq!(details[2]["new"], false);
    assert_eq!(details[2]["in_service"], true);
    assert_eq!(details[2]["changes_pending"], true);
    assert_eq!(details[3]["replaced"], true);
    assert_eq!(details[3]["sha256"], sha(v2));
    assert_eq!(details[3]["previous_sha256"], sha(v1));
    assert_eq!(details[3]["previous_activated_at"], at(1).0);
    assert_eq!(details[4]["changes_pending"], false);
    assert_eq!(details[5]["active"], false);
    assert_eq!(details[5]["previous_sha256"], sha(v2));
    assert_eq!(details[6]["was_active"], false);
}

medsec_store::both_backends!(
    sources_belong_to_one_member,
    silent_sources_are_reported_once,
    decoders_masking_and_retention,
    decoders_keep_their_version_in_service,
);
