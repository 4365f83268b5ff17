//! Products, releases and findings: scoping, SBOM dedup, match states,
//! orders of the findings list and "where used".

use medsec_core::audit::Action;
use medsec_core::{OrgKind, Timestamp};
use medsec_store::StoreError;
use medsec_store::releases::{ComponentRow, FindingOrder, NewFinding, NewRelease, NewSbom};
use medsec_store::testing::TestDb;

use crate::entry;

fn component(idx: i64, name: &str, version: &str) -> ComponentRow {
    ComponentRow {
        idx,
        name: name.into(),
        version: Some(version.into()),
        purl: Some(format!("pkg:npm/{name}@{version}")),
        identity: format!("pkg:npm/{name}"),
        cpes: "[]".into(),
        supplier: None,
    }
}

fn finding(
    component: i64,
    id: &str,
    priority10: i64,
    kev: bool,
    epss100k: Option<i64>,
) -> NewFinding {
    NewFinding {
        component,
        vuln_id: id.into(),
        level: 3,
        cvss10: Some(75),
        epss100k,
        kev,
        priority10,
    }
}

async fn releases_are_scoped_and_findings_keep_their_history(db: TestDb) {
    let store = &db.store;
    let (maker, _) = store
        .create_org(
            "메드시큐",
            OrgKind::Manufacturer,
            Timestamp::now(),
            entry(Action::OrgCreated),
            None,
        )
        .await
        .unwrap();
    let (other, _) = store
        .create_org(
            "Other",
            OrgKind::Manufacturer,
            Timestamp::now(),
            entry(Action::OrgCreated),
            None,
        )
        .await
        .unwrap();
    let product = store
        .create_product(
            &maker.id,
            "주입 펌프",
            Timestamp(1),
            entry(Action::ProductCreated),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_product(
                &maker.id,
                "주입 펌프",
                Timestamp(1),
                entry(Action::ProductCreated)
            )
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let sbom = NewSbom {
        sha256: "abc".into(),
        filename: "bom.json".into(),
        format: "CycloneDX JSON 1.6".into(),
        content: b"{}".to_vec(),
        created_by: "maker".into(),
    };
    let new = |version: &str, components: Vec<ComponentRow>| NewRelease {
        product_id: product.id.clone(),
        version: version.into(),
        released_on: Some("2026-01-01".into()),
        support_until: Some("2031-12-31".into()),
        sbom: Some(sbom.clone()),
        components,
    };
    let r1 = store
        .create_release(
            &maker.id,
            &new(
                "2.0",
                vec![
                    component(0, "lodash", "4.17.11"),
                    component(1, "ws", "7.0.0"),
                ],
            ),
            Timestamp(2),
            entry(Action::ReleaseCreated),
        )
        .await
        .unwrap();
    let r2 = store
        .create_release(
            &maker.id,
            &new("2.1", vec![component(0, "lodash", "4.17.21")]),
            Timestamp(3),
            entry(Action::ReleaseCreated),
        )
        .await
        .unwrap();
    // The same SBOM content is stored once.
    assert_eq!(r1.sbom_id, r2.sbom_id);
    // Another organisation cannot add a release to this product, nor see it.
    assert!(matches!(
        store
            .create_release(
                &other.id,
                &new("9.9", Vec::new()),
                Timestamp(3),
                entry(Action::ReleaseCreated)
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        store
            .get_release(&other.id, &r1.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .release_components(&other.id, &r1.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .release_components(&maker.id, &r1.id)
            .await
            .unwrap()
            .len(),
        2
    );

    let m = store
        .store_match(
            &maker.id,
            &r1.id,
            &[
                finding(0, "CVE-1", 500, true, Some(10)),
                finding(1, "CVE-2", 700, false, Some(90_000)),
            ],
            Timestamp(10),
        )
        .await
        .unwrap();
    assert_eq!(m.new, [(0, "CVE-1".to_owned()), (1, "CVE-2".to_owned())]);
    // Again, with CVE-2 gone: it is fixed, CVE-1 stays open and not new.
    let m = store
        .store_match(
            &maker.id,
            &r1.id,
            &[finding(0, "CVE-1", 510, true, Some(10))],
            Timestamp(20),
        )
        .await
        .unwrap();
    assert!(m.new.is_empty());
    assert_eq!(m.fixed, 1);
    let all = store.release_findings(&maker.id, &r1.id).await.unwrap();
    let states: Vec<(&str, &str, i64, i64)> = all
        .iter()
        .map(|f| {
            (
                f.vuln_id.as_str(),
                f.state.as_str(),
                f.first_seen,
                f.last_seen,
            )
        })
        .collect();
    assert_eq!(
        states,
        [("CVE-1", "open", 10, 20), ("CVE-2", "fixed", 10, 10)]
    );
    // It comes back: new again.
    let m = store
        .store_match(
            &maker.id,
            &r1.id,
            &[
                finding(0, "CVE-1", 510, true, Some(10)),
                finding(1, "CVE-2", 700, false, Some(90_000)),
            ],
            Timestamp(30),
        )
        .await
        .unwrap();
    assert_eq!(m.new, [(1, "CVE-2".to_owned())]);
    store
        .store_match(
            &maker.id,
            &r2.id,
            &[finding(0, "CVE-3", 300, false, None)],
            Timestamp(40),
        )
        .await
        .unwrap();
    let ids = |list: Vec<medsec_store::releases::FindingRow>| {
        list.into_iter().map(|f| f.vuln_id).collect::<Vec<_>>()
    };
    let page = |order| store.open_findings(&maker.id, order, 10, 0);
    assert_eq!(
        ids(page(FindingOrder::Priority).await.unwrap()),
        ["CVE-2", "CVE-1", "CVE-3"]
    );
    assert_eq!(
        ids(page(FindingOrder::Kev).await.unwrap()),
        ["CVE-1", "CVE-2", "CVE-3"]
    );
    assert_eq!(ids(page(FindingOrder::Epss).await.unwrap())[0], "CVE-2");
    assert_eq!(ids(page(FindingOrder::Newest).await.unwrap())[0], "CVE-3");
    assert!(
        store
            .open_findings(&other.id, FindingOrder::Priority, 10, 0)
            .await
            .unwrap()
            .is_empty()
    );
    let used = store.where_used(&maker.id, "pkg:npm/lodash").await.unwrap();
    assert_eq!(used.len(), 2);
    assert_eq!(used[0].2.as_deref(), Some("4.17.11"));
    assert!(
        store
            .where_used(&other.id, "pkg:npm/lodash")
            .await
            .unwrap()
            .is_empty()
    );
}

medsec_store::both_backends!(releases_are_scoped_and_findings_keep_their_history);
