//! Indicators in the database: an import creates a source, a second import
//! replaces its indicators whole (an analyst's revocation survives), every
//! change moves the generation live detection polls, manual sources take
//! additions and imported ones refuse them, removal takes the indicators
//! along, and each change is audited.

use medsec_core::audit::Action;
use medsec_store::StoreError;
use medsec_store::indicators::{IndicatorFilter, NewIndicator, SourceImport};
use medsec_store::testing::TestDb;

use crate::{entry, setup};

fn ind(stix: &str, kind: &str, value: &str) -> NewIndicator {
    NewIndicator {
        stix_id: stix.into(),
        kind: kind.into(),
        value: value.into(),
        name: Some("이름".into()),
        description: Some("MedLock C2".into()),
        labels: vec!["malicious-activity".into(), "attack.t1071".into()],
        confidence: Some(80),
        valid_from: 0,
        valid_until: None,
        revoked: false,
    }
}

fn source(name: &str, kind: &str) -> SourceImport {
    SourceImport {
        name: name.into(),
        description: "C-TAS 공유".into(),
        kind: kind.into(),
        sha256: Some("ab".repeat(32)),
        skipped: r#"[{"index":3,"id":"indicator--x","reason":"FOLLOWEDBY"}]"#.into(),
        skipped_count: 1,
        other_objects: 2,
        created_by: "analyst".into(),
    }
}

async fn all(s: &medsec_store::Store) -> Vec<(String, String, String, bool)> {
    let mut out = Vec::new();
    for r in s
        .search_indicators(&IndicatorFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
    {
        out.push((
            r.stix_id.clone(),
            r.kind.clone(),
            r.value.clone(),
            r.is_revoked(),
        ));
    }
    out.sort();
    out
}

pub async fn indicator_sources_replace_revoke_and_count(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let g0 = s.indicator_generation().await.unwrap();

    // A first import.
    let mut seen = Vec::new();
    let first = vec![
        ind("indicator--a", "ipv4", "203.0.113.5"),
        ind("indicator--a", "domain", "emr-login.example"),
        ind("indicator--b", "sha256", &"c".repeat(64)),
    ];
    let r = s
        .import_indicator_source(
            &source("KISA C-TAS", "stix"),
            &first,
            entry(Action::IndicatorsImported),
            &mut |n| seen.push(n),
        )
        .await
        .unwrap();
    assert_eq!(r.replaced, 0);
    assert_eq!(r.source.indicators, 3);
    assert_eq!(r.source.skipped_count, 1);
    assert_eq!(seen.last(), Some(&3));
    assert!(r.generation > g0);
    assert_eq!(s.indicator_generation().await.unwrap(), r.generation);
    let src = r.source.clone();
    assert_eq!(s.indicator_sources().await.unwrap(), vec![src.clone()]);
    assert_eq!(
        s.indicator_source("KISA C-TAS", true).await.unwrap(),
        Some(src.clone())
    );
    let rows = s
        .search_indicators(&IndicatorFilter {
            text: Some("EMR-LOGIN".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].labels, r#"["malicious-activity","attack.t1071"]"#);
    assert_eq!(rows[0].confidence, Some(80));
    // `%` and `_` in a search are literal.
    assert!(
        s.search_indicators(&IndicatorFilter {
            text: Some("%".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .is_empty()
    );
    let by_id = s
        .search_indicators(&IndicatorFilter {
            text: Some("indicator--a".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_id.len(), 2);

    // An analyst revokes the address; it is no longer among the
    // indicators detection loads.
    let ip = all(s).await;
    assert_eq!(ip.len(), 3);
    let ip_row = s
        .search_indicators(&IndicatorFilter {
            text: Some("203.0.113.5".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0);
    let g1 = s.indicator_generation().await.unwrap();
    s.revoke_indicator(&ip_row.id, entry(Action::IndicatorRevoked))
        .await
        .unwrap();
    assert!(s.indicator_generation().await.unwrap() > g1);
    let err = s
        .revoke_indicator(&ip_row.id, entry(Action::IndicatorRevoked))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    let mut loaded = Vec::new();
    let g = s
        .each_indicator(&mut |r| {
            loaded.push(r.value);
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(g, s.indicator_generation().await.unwrap());
    loaded.sort();
    assert_eq!(loaded, vec!["c".repeat(64), "emr-login.example".into()]);
    let counts = s.indicator_counts(i64::MAX).await.unwrap();
    assert_eq!(counts[&src.id].total, 3);
    assert_eq!(counts[&src.id].revoked, 1);

    // Expiring one: valid until now.
    let dom = s
        .search_indicators(&IndicatorFilter {
            text: Some("emr-login".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0);
    let e = entry(Action::IndicatorExpired);
    let at = e.at.0;
    s.expire_indicator(&dom.id, e).await.unwrap();
    assert_eq!(
        s.indicator(&dom.id).await.unwrap().unwrap().valid_until,
        Some(at)
    );
    assert_eq!(s.indicator_counts(at).await.unwrap()[&src.id].expired, 1);

    // A second import of the source replaces its indicators whole; the
    // analyst's revocation of the address carries over.
    let second = vec![
        ind("indicator--a", "ipv4", "203.0.113.5"),
        ind("indicator--c", "url", "https://pacs.example/x.exe"),
    ];
    let r2 = s
        .import_indicator_source(
            &source("KISA C-TAS", "stix"),
            &second,
            entry(Action::IndicatorsImported),
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(r2.replaced, 3);
    assert_eq!(r2.kept_revocations, 1);
    assert_eq!(r2.source.id, src.id);
    assert_eq!(r2.source.created_at, src.created_at);
    assert_eq!(
        all(s).await,
        vec![
            (
                "indicator--a".into(),
                "ipv4".into(),
                "203.0.113.5".into(),
                true
            ),
            (
                "indicator--c".into(),
                "url".into(),
                "https://pacs.example/x.exe".into(),
                false
            ),
        ]
    );

    // Manual additions go to a manual source, never to an imported one.
    let m = s
        .add_indicator(
            "manual",
            &ind("manual--1", "domain", "phish.example"),
            entry(Action::IndicatorAdded),
        )
        .await
        .unwrap();
    assert_eq!(m.kind, "domain");
    s.add_indicator(
        "manual",
        &ind("manual--2", "md5", &"d".repeat(32)),
        entry(Action::IndicatorAdded),
    )
    .await
    .unwrap();
    let manual = s.indicator_source("manual", true).await.unwrap().unwrap();
    assert_eq!((manual.kind.as_str(), manual.indicators), ("manual", 2));
    let err = s
        .add_indicator(
            "KISA C-TAS",
            &ind("manual--3", "domain", "x.example"),
            entry(Action::IndicatorAdded),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");

    // Removing a source takes its indicators along.
    let g2 = s.indicator_generation().await.unwrap();
    assert_eq!(
        s.remove_indicator_source(&src.id, entry(Action::IndicatorSourceRemoved))
            .await
            .unwrap(),
        2
    );
    assert!(s.indicator_generation().await.unwrap() > g2);
    assert_eq!(all(s).await.len(), 2);
    let err = s
        .remove_indicator_source(&src.id, entry(Action::IndicatorSourceRemoved))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    assert!(s.verify_audit(|_| {}).await.unwrap().is_intact());
}

/// A bulk import: many batches in one transaction, in input order.
/// `MEDSEC_TEST_INDICATORS=1000000` measures a large one (the time is
/// printed; BENCHMARKS.md).
#[allow(clippy::print_stderr)] // The timings are the point of a large run.
pub async fn indicator_bulk_import_keeps_order(db: TestDb) {
    let s = &db.store;
    setup(s).await;
    let n: u32 = std::env::var("MEDSEC_TEST_INDICATORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12_345);
    let list: Vec<NewIndicator> = (0..n)
        .map(|i| {
            ind(
                &format!("csv--{i:032x}"),
                "ipv4",
                &std::net::Ipv4Addr::from(0x0a00_0000_u32 + i).to_string(),
            )
        })
        .collect();
    let mut calls = 0;
    let t = std::time::Instant::now();
    let r = s
        .import_indicator_source(
            &source("bulk", "csv"),
            &list,
            entry(Action::IndicatorsImported),
            &mut |_| calls += 1,
        )
        .await
        .unwrap();
    eprintln!(
        "{:?}: {n} indicators imported in {:.2} s",
        s.backend(),
        t.elapsed().as_secs_f64()
    );
    // A second import replaces them all in one transaction.
    let t = std::time::Instant::now();
    let again = s
        .import_indicator_source(
            &source("bulk", "csv"),
            &list,
            entry(Action::IndicatorsImported),
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(again.replaced, i64::from(n));
    eprintln!(
        "{:?}: {n} indicators replaced in {:.2} s",
        s.backend(),
        t.elapsed().as_secs_f64()
    );
    let t = std::time::Instant::now();
    assert!(calls >= 2, "{calls}");
    assert_eq!(r.source.indicators, i64::from(n));
    let mut values = Vec::new();
    s.each_indicator(&mut |r| {
        values.push(r.value);
        Ok(())
    })
    .await
    .unwrap();
    eprintln!(
        "{:?}: {n} indicators read back in {:.2} s",
        s.backend(),
        t.elapsed().as_secs_f64()
    );
    let expect: Vec<String> = list.iter().map(|i| i.value.clone()).collect();
    assert_eq!(values, expect);
}

medsec_store::both_backends!(
    indicator_sources_replace_revoke_and_count,
    indicator_bulk_import_keeps_order
);
