//! The feed: every stored event once, in commit order, resumable from a
//! released position after a restart, with the log held meanwhile and a
//! gap reported when the hold had to be given up.

use std::time::Duration;

use medsec_events::{Config, EventStore, FeedItem, FeedPosition};
use medsec_logs::{Event, EventId, Value};

use crate::{MIDNIGHT_KST, ev, open};

/// A tail of 50 events, so that flushes (and log checkpoints) happen
/// every few batches.
fn config() -> Config {
    Config {
        tail_max_events: 50,
        block_events: 8,
        auto_compact_segments: 0,
        ..Config::default()
    }
}

fn batch(b: usize) -> Vec<Event> {
    (0..7)
        .map(|k| {
            ev(
                if k % 2 == 0 { "h1" } else { "h2" },
                MIDNIGHT_KST + (b * 10 + k) as i64 * 1_000_000_000,
                &format!("batch {b} event {k}"),
                &[("event.sequence", Value::Int(k as i64))],
            )
        })
        .collect()
}

/// Reads the feed until it reaches the store's end; panics on a gap.
fn drain(store: &EventStore, feed: &mut medsec_events::Feed) -> Vec<EventId> {
    let end = store.feed_end();
    let mut out = Vec::new();
    while feed.position() < end {
        match feed.next(Duration::from_secs(5)).unwrap() {
            Some(FeedItem::Batch { events, position }) => {
                assert_eq!(position, feed.position());
                out.extend(events.iter().map(|e| e.id));
            }
            Some(FeedItem::Gap { from, to }) => panic!("unexpected gap {from} → {to}"),
            // Moving past the end of a finished file can reach the end.
            None if feed.position() >= end => break,
            None => panic!("the feed stopped at {}", feed.position()),
        }
    }
    out
}

fn wal_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("wal"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".wal")
        })
        .count()
}

#[test]
fn the_feed_gives_every_stored_event_once_in_commit_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), config());
    // Events stored before the feed opened are not fed.
    store.append(batch(999)).unwrap();
    let mut feed = store.feed(None).unwrap();
    let mut expected = Vec::new();
    for b in 0..40 {
        let r = store.append(batch(b)).unwrap();
        assert_eq!(r.stored, 7);
        expected.extend(batch(b).iter().map(|e| e.id));
        // A resent batch is a duplicate: stored and fed once.
        assert_eq!(store.append(batch(b)).unwrap().stored, 0);
    }
    assert!(store.counters().flushes > 2, "the test should flush");
    // The files the feed has not read are held although flushed.
    assert!(wal_files(dir.path()) > 2);
    assert_eq!(drain(&store, &mut feed), expected);
    // Nothing more: the wait ends empty.
    assert!(feed.next(Duration::from_millis(50)).unwrap().is_none());
    // A second feed is refused while one is open.
    assert!(store.feed(None).is_err());
    // Released, the held files go.
    feed.release(feed.position()).unwrap();
    assert!(
        wal_files(dir.path()) <= 2,
        "{} log files",
        wal_files(dir.path())
    );
    // A batch appended while the feed waits wakes it.
    let s2 = store.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        s2.append(batch(500)).unwrap();
    });
    match feed.next(Duration::from_secs(10)).unwrap() {
        Some(FeedItem::Batch { events, .. }) => assert_eq!(events.len(), 7),
        other => panic!("expected the new batch, got {other:?}"),
    }
    t.join().unwrap();
}

#[test]
fn a_feed_resumes_after_a_restart_where_it_was_released() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), config());
    let mut feed = store.feed(None).unwrap();
    for b in 0..10 {
        store.append(batch(b)).unwrap();
    }
    let first = drain(&store, &mut feed);
    assert_eq!(first.len(), 70);
    let saved = feed.position();
    feed.release(saved).unwrap();
    // More arrive, some read but not released, then the process ends.
    for b in 10..30 {
        store.append(batch(b)).unwrap();
    }
    let read_not_released = drain(&store, &mut feed);
    assert_eq!(read_not_released.len(), 140);
    drop(feed);
    store.close();
    // Events appended while no feed runs (an import) are fed later too.
    let store = open(dir.path(), config());
    for b in 30..35 {
        store.append(batch(b)).unwrap();
    }
    store.close();

    let store = open(dir.path(), config());
    let mut feed = store.feed(Some(saved)).unwrap();
    let rest = drain(&store, &mut feed);
    let expected: Vec<EventId> = (10..35)
        .flat_map(|b| batch(b).into_iter().map(|e| e.id))
        .collect();
    assert_eq!(rest, expected);
    // The position survives as text (it is stored in the database).
    let text = feed.position().to_string();
    assert_eq!(text.parse::<FeedPosition>().unwrap(), feed.position());
    assert!("12".parse::<FeedPosition>().is_err());
    assert!("a:1".parse::<FeedPosition>().is_err());
}

#[test]
fn a_feed_too_far_behind_loses_its_hold_and_reports_the_gap() {
    let dir = tempfile::tempdir().unwrap();
    let small = Config {
        feed_max_log_bytes: 2_000,
        ..config()
    };
    let store = open(dir.path(), small.clone());
    let mut feed = store.feed(None).unwrap();
    for b in 0..40 {
        store.append(batch(b)).unwrap();
    }
    store.flush().unwrap();
    // The log did not grow without bound.
    assert!(
        wal_files(dir.path()) <= 3,
        "{} log files",
        wal_files(dir.path())
    );
    let mut gaps = 0;
    let mut fed = 0;
    let end = store.feed_end();
    while feed.position() < end {
        match feed.next(Duration::from_secs(5)).unwrap() {
            Some(FeedItem::Gap { from, to }) => {
                assert!(to > from);
                gaps += 1;
            }
            Some(FeedItem::Batch { events, .. }) => fed += events.len(),
            None if feed.position() >= end => break,
            None => panic!("stopped"),
        }
    }
    assert!(gaps >= 1, "no gap reported");
    assert!(fed < 280, "every event was fed although the log was cut");
    // Dropping the feed's hold altogether lets every flushed file go.
    drop(feed);
    store.drop_feed().unwrap();
    store.append(batch(100)).unwrap();
    store.flush().unwrap();
    assert!(wal_files(dir.path()) <= 1);
    // A position from a log that no longer exists is a gap, not an error.
    let mut feed = store
        .feed(Some(FeedPosition {
            file: 1_000,
            offset: 8,
        }))
        .unwrap();
    assert!(matches!(
        feed.next(Duration::from_millis(100)).unwrap(),
        Some(FeedItem::Gap { .. })
    ));
}
