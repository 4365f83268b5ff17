//! Products, releases and findings: scoping, SBOM dedup, match states,
//! orders of the findings list and "where used".

use medsec_core::audit::Action;
use medsec_core::{OrgKind, Timestamp};
use medsec_store::StoreError;
use medsec_store::inventory::NewInventoryDevice;
use medsec_store::releases::{ComponentRow, FindingOrder, NewFinding, NewRelease, NewSbom};
use medsec_store::testing::TestDb;
use medsec_store::vex::NewVex;

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
        end_of_support: None,
        local: false,
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
        aliases: format!("GHSA-{id}"),
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
    let page = |order| store.open_findings(&maker.id, order, 10, 0, Timestamp(50));
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
            .open_findings(&other.id, FindingOrder::Priority, 10, 0, Timestamp(50))
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

/// 2026-06-01T00:00:00Z
const JUNE: Timestamp = Timestamp(1_780_272_000_000);

fn vex(vuln: &str, component: &str, status: &str, expires: Option<&str>) -> NewVex {
    NewVex {
        vuln_id: vuln.into(),
        component: component.into(),
        component_version: None,
        status: status.into(),
        justification: (status == "not_affected").then(|| "component_not_present".into()),
        impact: None,
        action: None,
        expires_on: expires.map(str::to_owned),
        source: "manual".into(),
    }
}

async fn vex_suppresses_carries_over_and_hospitals_see_only_what_is_shared(db: TestDb) {
    let store = &db.store;
    let org = |name: &'static str, kind| async move {
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
    };
    let maker = org("Maker", OrgKind::Manufacturer).await;
    let other = org("Other", OrgKind::Manufacturer).await;
    let hospital = org("Hospital", OrgKind::Hospital).await;
    let stranger = org("Stranger", OrgKind::Hospital).await;
    let product = store
        .create_product(&maker.id, "Pump", JUNE, entry(Action::ProductCreated))
        .await
        .unwrap();
    let release = |version: &'static str, lodash: &'static str| NewRelease {
        product_id: product.id.clone(),
        version: version.into(),
        released_on: None,
        support_until: None,
        sbom: None,
        components: vec![
            component(0, "lodash", lodash),
            component(1, "left-pad", "1.3.0"),
        ],
    };
    let r1 = store
        .create_release(
            &maker.id,
            &release("1", "4.17.11"),
            JUNE,
            entry(Action::ReleaseCreated),
        )
        .await
        .unwrap();
    let found = [
        finding(0, "CVE-1", 500, true, None),
        finding(1, "CVE-2", 400, false, None),
    ];
    store
        .store_match(&maker.id, &r1.id, &found, JUNE)
        .await
        .unwrap();
    let maker_id = maker.id.clone();
    let open = |id: &str, at: Timestamp| {
        let id = id.to_owned();
        let maker_id = maker_id.clone();
        async move {
            store
                .open_findings(&maker_id, FindingOrder::Priority, 10, 0, at)
                .await
                .unwrap()
                .into_iter()
                .filter(|f| f.release_id == id)
                .map(|f| f.vuln_id)
                .collect::<Vec<_>>()
        }
    };
    // The kept counts agree with the findings list.
    let before = open(&r1.id, JUNE).await.len() as i64;
    assert!(before > 0);
    assert_eq!(
        store.release_counts(&maker.id, JUNE).await.unwrap()[&r1.id].total(),
        before
    );
    // Named by alias, for the component; a release-wide statement with an
    // expiry; statements of another organisation's are refused.
    store
        .record_vex(
            &maker.id,
            &r1.id,
            &[
                vex("GHSA-CVE-1", "pkg:npm/lodash", "not_affected", None),
                vex("CVE-2", "", "fixed", Some("2026-06-30")),
                vex("CVE-9", "", "under_investigation", None),
            ],
            "tester",
            JUNE,
            entry(Action::VexRecorded),
        )
        .await
        .unwrap();
    assert!(open(&r1.id, JUNE).await.is_empty());
    // After the expiry the fixed one is open again.
    assert_eq!(open(&r1.id, JUNE.plus_secs(40 * 86_400)).await, ["CVE-2"]);
    assert!(matches!(
        store
            .record_vex(
                &other.id,
                &r1.id,
                &[vex("CVE-1", "", "fixed", None)],
                "x",
                JUNE,
                entry(Action::VexRecorded)
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let statements = store.release_vex(&maker.id, &r1.id).await.unwrap();
    assert!(
        store
            .release_vex(&other.id, &r1.id)
            .await
            .unwrap()
            .is_empty()
    );
    let findings = store.release_findings(&maker.id, &r1.id).await.unwrap();
    let components = store.release_components(&maker.id, &r1.id).await.unwrap();
    let stale: Vec<&str> = medsec_store::vex::stale(&statements, &findings, &components)
        .into_iter()
        .map(|s| s.vuln_id.as_str())
        .collect();
    assert_eq!(stale, ["CVE-9"]);
    let counts = store.release_counts(&maker.id, JUNE).await.unwrap();
    assert!(!counts.contains_key(&r1.id), "{counts:?}");
    // Once the suppression expired, the finding counts again.
    let later = store
        .release_counts(&maker.id, JUNE.plus_secs(40 * 86_400))
        .await
        .unwrap();
    assert_eq!(later[&r1.id].total(), 1, "{later:?}");

    // The next release: lodash changed, left-pad did not.
    let r2 = store
        .create_release(
            &maker.id,
            &release("2", "4.17.10"),
            JUNE.plus_secs(60),
            entry(Action::ReleaseCreated),
        )
        .await
        .unwrap();
    store
        .store_match(&maker.id, &r2.id, &found, JUNE)
        .await
        .unwrap();
    assert_eq!(
        store.previous_release(&maker.id, &r2.id).await.unwrap(),
        Some(r1.id.clone())
    );
    let carried = store
        .carry_vex(
            &maker.id,
            &r1.id,
            &r2.id,
            "tester",
            JUNE,
            entry(Action::VexRecorded),
        )
        .await
        .unwrap();
    assert_eq!(carried, 1);
    assert_eq!(open(&r2.id, JUNE).await, ["CVE-1"]);

    // Sharing: the hospital reads r1 through the share, the stranger not.
    assert!(matches!(
        store
            .share_release(
                &other.id,
                &r1.id,
                &hospital.id,
                "x",
                JUNE,
                entry(Action::ReleaseShared)
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .share_release(
                &maker.id,
                &r1.id,
                &other.id,
                "x",
                JUNE,
                entry(Action::ReleaseShared)
            )
            .await,
        Err(StoreError::NotFound { what: "hospital" })
    ));
    assert!(
        store
            .share_release(
                &maker.id,
                &r1.id,
                &hospital.id,
                "x",
                JUNE,
                entry(Action::ReleaseShared)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .share_release(
                &maker.id,
                &r1.id,
                &hospital.id,
                "x",
                JUNE,
                entry(Action::ReleaseShared)
            )
            .await
            .unwrap()
    );
    let (f, v) = store.shared_findings(&hospital.id, &r1.id).await.unwrap();
    assert_eq!((f.len(), v.len()), (2, 3));
    assert!(matches!(
        store.shared_findings(&stranger.id, &r1.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.shared_findings(&hospital.id, &r2.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let device = |tag: &str, release: Option<&str>| NewInventoryDevice {
        asset_tag: tag.into(),
        model: "Pump".into(),
        manufacturer: None,
        version: None,
        release_id: release.map(str::to_owned),
        location: None,
        segment: None,
    };
    store
        .add_inventory_device(
            &hospital.id,
            &device("A-1", Some(&r1.id)),
            JUNE,
            entry(Action::InventoryDeviceAdded),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .add_inventory_device(
                &stranger.id,
                &device("A-1", Some(&r1.id)),
                JUNE,
                entry(Action::InventoryDeviceAdded)
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .add_inventory_device(
                &hospital.id,
                &device("A-1", None),
                JUNE,
                entry(Action::InventoryDeviceAdded)
            )
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.inventory(&hospital.id).await.unwrap().len(), 1);
    assert!(store.inventory(&stranger.id).await.unwrap().is_empty());
    // Notifications are read per user: one nurse marking them read leaves
    // them unread for the other.
    let user = |name: &'static str| {
        let org_id = hospital.id.clone();
        let store = &store;
        async move {
            store
                .create_user(
                    &medsec_store::NewUser {
                        org_id: org_id.clone(),
                        username: name.to_owned(),
                        display_name: name.to_owned(),
                        role: medsec_core::Role::Viewer,
                        status: medsec_store::UserStatus::Active,
                        password_hash: Some("$argon2id$x".into()),
                    },
                    JUNE,
                    entry(Action::UserCreated).org(org_id),
                )
                .await
                .unwrap()
                .id
        }
    };
    let (kim, lee) = (user("kim").await, user("lee").await);
    let notes = store.notifications(&hospital.id, &kim, 10).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].kind, "release.shared");
    assert!(notes[0].read_at.is_none());
    assert_eq!(
        store
            .unread_notifications(&hospital.id, &kim)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .read_notifications(&hospital.id, &kim, JUNE)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .unread_notifications(&hospital.id, &kim)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.notifications(&hospital.id, &kim, 10).await.unwrap()[0].read_at,
        Some(JUNE.0)
    );
    assert_eq!(
        store
            .unread_notifications(&hospital.id, &lee)
            .await
            .unwrap(),
        1
    );
    // A later notification is unread again; an earlier mark does not
    // move the mark back.
    store
        .notify(
            &hospital.id,
            "findings.new",
            None,
            &serde_json::json!({}),
            Timestamp(JUNE.0 + 1000),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .unread_notifications(&hospital.id, &kim)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .read_notifications(&hospital.id, &kim, Timestamp(JUNE.0 - 5))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .unread_notifications(&hospital.id, &kim)
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .notifications(&stranger.id, &kim, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The trend of the day.
    let t = store.record_trend(&maker.id, JUNE).await.unwrap();
    assert_eq!(t.high, 1);
    assert_eq!(
        store.trend(&maker.id, 30).await.unwrap()[0].day,
        "2026-06-01"
    );
}

medsec_store::both_backends!(
    releases_are_scoped_and_findings_keep_their_history,
    vex_suppresses_carries_over_and_hospitals_see_only_what_is_shared,
);
