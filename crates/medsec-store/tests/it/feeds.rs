//! Feed records: idempotent writes, changes reported, streaming reads,
//! import log with its audit record.

use medsec_core::Timestamp;
use medsec_core::audit::Action;
use medsec_store::feeds::{FeedImportRow, NewFeedRecord};
use medsec_store::testing::TestDb;

use crate::entry;

fn rec(kind: &str, id: &str, body: &str) -> NewFeedRecord {
    NewFeedRecord {
        kind: kind.into(),
        id: id.into(),
        modified: "2024-01-01".into(),
        sha256: format!("sha-of-{body}"),
        body: body.into(),
        origin: format!("fixture {id}"),
    }
}

async fn feed_writes_are_idempotent_and_report_changes(db: TestDb) {
    let store = &db.store;
    let mut known = store.feed_digests().await.unwrap();
    assert!(known.is_empty());
    let first = [
        rec("osv", "GHSA-1", "a"),
        rec("osv", "GHSA-2", "b"),
        rec("kev", "CVE-2024-1", "k"),
    ];
    let w = store
        .write_feed_records("imp-1", &first, &mut known, Timestamp(10))
        .await
        .unwrap();
    assert_eq!((w.added, w.changed, w.unchanged), (3, 0, 0));
    // The same again changes nothing, even with a fresh digest map.
    let mut known = store.feed_digests().await.unwrap();
    let w = store
        .write_feed_records("imp-2", &first, &mut known, Timestamp(20))
        .await
        .unwrap();
    assert_eq!((w.added, w.changed, w.unchanged), (0, 0, 3));
    assert!(w.touched.is_empty());
    // A delta: one changed, one new; the same id in another kind is another record.
    let delta = [
        rec("osv", "GHSA-2", "b2"),
        rec("osv", "GHSA-3", "c"),
        rec("epss", "CVE-2024-1", "0.1,0.2"),
    ];
    let w = store
        .write_feed_records("imp-3", &delta, &mut known, Timestamp(30))
        .await
        .unwrap();
    assert_eq!((w.added, w.changed, w.unchanged), (2, 1, 0));
    assert_eq!(
        w.touched,
        [
            ("osv".to_owned(), "GHSA-2".to_owned()),
            ("osv".to_owned(), "GHSA-3".to_owned()),
            ("epss".to_owned(), "CVE-2024-1".to_owned())
        ]
    );
    let row = store.feed_record("osv", "GHSA-2").await.unwrap().unwrap();
    assert_eq!((row.body.as_str(), row.updated_at), ("b2", 30));
    let mut seen = Vec::new();
    store
        .each_feed_record(&mut |r| {
            seen.push(format!("{}/{}={}", r.kind, r.id, r.body));
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(
        seen,
        [
            "epss/CVE-2024-1=0.1,0.2",
            "kev/CVE-2024-1=k",
            "osv/GHSA-1=a",
            "osv/GHSA-2=b2",
            "osv/GHSA-3=c"
        ]
    );
    let counts: Vec<(String, i64, i64)> = store
        .feed_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.kind, c.records, c.last_change))
        .collect();
    assert_eq!(
        counts,
        [
            ("epss".to_owned(), 1, 30),
            ("kev".to_owned(), 1, 10),
            ("osv".to_owned(), 3, 30)
        ]
    );
    // An unknown kind is refused by the schema.
    let bad = [rec("nope", "X", "x")];
    assert!(
        store
            .write_feed_records("imp-4", &bad, &mut known, Timestamp(40))
            .await
            .is_err()
    );
    let row = FeedImportRow {
        id: "imp-3".into(),
        path: "/data".into(),
        actor: "cli".into(),
        started_at: 30,
        finished_at: 31,
        added: 2,
        changed: 1,
        unchanged: 0,
        failed: 0,
        summary: "{}".into(),
    };
    store
        .finish_feed_import(&row, entry(Action::FeedImported))
        .await
        .unwrap();
    assert_eq!(store.feed_imports(10).await.unwrap(), [row]);
}

medsec_store::both_backends!(feed_writes_are_idempotent_and_report_changes);
