//! Storage: partitions at KST midnight, statistics for billing,
//! retention, compaction and what an interrupted compaction or deletion
//! leaves, the memory bound, async appends and opening errors.

use std::future::Future;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use medsec_events::{Config, Day, Error, EventStore, MemberScope, Query, SearchRequest, TimeRange};
use medsec_logs::Event;

use crate::{DAY, HOUR, MIDNIGHT_KST, ev, open, small_config};

fn search(store: &EventStore, q: &str, range: TimeRange) -> Vec<Event> {
    store
        .search(
            &SearchRequest::new(Query::parse(q).unwrap(), range, MemberScope::AllMembers)
                .page_size(1000),
        )
        .unwrap()
        .events
}

fn partition_dirs(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for m in std::fs::read_dir(root.join("data")).unwrap() {
        let m = m.unwrap();
        for d in std::fs::read_dir(m.path()).unwrap() {
            out.push(format!(
                "{}/{}",
                m.file_name().to_string_lossy(),
                d.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn partitions_split_at_kst_midnight() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    let before = ev("h1", MIDNIGHT_KST - 1, "last event of april 30", &[]);
    let after = ev("h1", MIDNIGHT_KST, "first event of may 1", &[]);
    store.append(vec![before.clone(), after.clone()]).unwrap();
    let check = |store: &EventStore| {
        let may1 = TimeRange::new(MIDNIGHT_KST, MIDNIGHT_KST + DAY);
        assert_eq!(search(store, "", may1), vec![after.clone()]);
        let april30 = TimeRange::new(MIDNIGHT_KST - DAY, MIDNIGHT_KST);
        assert_eq!(search(store, "", april30), vec![before.clone()]);
        let both = TimeRange::new(MIDNIGHT_KST - HOUR, MIDNIGHT_KST + HOUR);
        let r = store
            .search(
                &SearchRequest::new(Query::all(), both, MemberScope::AllMembers).histogram(HOUR),
            )
            .unwrap();
        assert_eq!(r.histogram.unwrap().counts, vec![1, 1]);
        let stats = store.stats(&MemberScope::AllMembers, Day(i32::MIN)..=Day(i32::MAX));
        let days: Vec<(String, u64)> = stats
            .iter()
            .map(|s| (s.day.to_string(), s.events))
            .collect();
        assert_eq!(
            days,
            [("2024-04-30".to_string(), 1), ("2024-05-01".to_string(), 1)]
        );
    };
    check(&store);
    store.flush().unwrap();
    check(&store);
    assert_eq!(
        partition_dirs(dir.path()),
        ["h1/2024-04-30", "h1/2024-05-01"]
    );
    // A store with UTC days puts both on April 30 (UTC), and refuses to
    // open a directory created with another offset.
    assert!(matches!(
        EventStore::open(
            dir.path(),
            Config {
                utc_offset_seconds: 0,
                ..small_config()
            }
        ),
        Err(Error::Locked { .. })
    ));
    store.close();
    assert!(matches!(
        EventStore::open(
            dir.path(),
            Config {
                utc_offset_seconds: 0,
                ..small_config()
            }
        ),
        Err(Error::Incompatible { .. })
    ));
    let utc = tempfile::tempdir().unwrap();
    let store = open(
        utc.path(),
        Config {
            utc_offset_seconds: 0,
            ..small_config()
        },
    );
    store.append(vec![before, after]).unwrap();
    store.flush().unwrap();
    assert_eq!(partition_dirs(utc.path()), ["h1/2024-04-30"]);
}

#[test]
fn stats_count_events_and_bytes_per_member_and_day() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    let day1: Vec<Event> = (0..5)
        .map(|i| ev("h1", MIDNIGHT_KST + i, &format!("day one {i}"), &[]))
        .collect();
    let day2: Vec<Event> = (0..3)
        .map(|i| ev("h1", MIDNIGHT_KST + DAY + i, &format!("day two {i}"), &[]))
        .collect();
    let other: Vec<Event> = (0..2)
        .map(|i| ev("서울대병원", MIDNIGHT_KST + i, &format!("서버 {i}"), &[]))
        .collect();
    store.append(day1.clone()).unwrap();
    store.append(other.clone()).unwrap();
    store.flush().unwrap();
    store.append(day2.clone()).unwrap();
    let bytes = |v: &[Event]| v.iter().map(|e| e.raw.len() as u64).sum::<u64>();
    let all = store.stats(&MemberScope::AllMembers, Day(i32::MIN)..=Day(i32::MAX));
    let got: Vec<(&str, String, u64, u64, bool)> = all
        .iter()
        .map(|s| {
            (
                s.member.as_str(),
                s.day.to_string(),
                s.events,
                s.raw_bytes,
                s.stored_bytes > 0,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("h1", "2024-05-01".into(), 5, bytes(&day1), true),
            ("h1", "2024-05-02".into(), 3, bytes(&day2), false),
            ("서울대병원", "2024-05-01".into(), 2, bytes(&other), true),
        ]
    );
    let may1 = Day::parse("2024-05-01").unwrap();
    let one = store.stats(&MemberScope::member("h1"), may1..=may1);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].events, 5);
}

#[test]
fn retention_deletes_whole_partitions_per_member() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    let mut events = Vec::new();
    for member in ["h1", "h2"] {
        for d in 0..10 {
            events.push(ev(
                member,
                MIDNIGHT_KST + d * DAY + HOUR,
                &format!("{member} day {d}"),
                &[],
            ));
        }
    }
    store.append(events).unwrap();
    store.flush().unwrap();
    // Now is the start of day 10; h1 keeps 3 days, h2 everything.
    let now = MIDNIGHT_KST + 10 * DAY;
    let deleted = store
        .apply_retention(now, |m| {
            (m == "h1").then(|| Duration::from_secs(3 * 86_400))
        })
        .unwrap();
    let days: Vec<String> = deleted
        .iter()
        .map(|d| format!("{} {} {}", d.member, d.day, d.events))
        .collect();
    assert_eq!(
        days,
        [
            "h1 2024-05-01 1",
            "h1 2024-05-02 1",
            "h1 2024-05-03 1",
            "h1 2024-05-04 1",
            "h1 2024-05-05 1",
            "h1 2024-05-06 1",
            "h1 2024-05-07 1"
        ]
    );
    assert!(
        deleted
            .iter()
            .all(|d| d.segments == 1 && d.stored_bytes > 0 && d.raw_bytes > 0)
    );
    let left: Vec<String> = search(&store, "", TimeRange::all())
        .iter()
        .map(|e| e.raw.clone())
        .collect();
    assert_eq!(left.len(), 13);
    assert!(
        left.iter()
            .all(|r| r.starts_with("h2") || r.as_str() >= "h1 day 7")
    );
    assert_eq!(
        partition_dirs(dir.path())
            .iter()
            .filter(|p| p.starts_with("h1"))
            .count(),
        3
    );
    // Nothing comes back on reopen, and a second run deletes nothing.
    store.close();
    let store = open(dir.path(), small_config());
    assert_eq!(search(&store, "", TimeRange::all()).len(), 13);
    // A retention a second longer for everybody: h2's first six days go.
    let deleted = store
        .apply_retention(now, |_| Some(Duration::from_secs(3 * 86_400 + 1)))
        .unwrap();
    assert_eq!(deleted.len(), 6);
    assert!(deleted.iter().all(|d| d.member == "h2"));
}

#[test]
fn an_interrupted_deletion_is_finished_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    store
        .append(vec![
            ev("h1", MIDNIGHT_KST, "old", &[]),
            ev("h1", MIDNIGHT_KST + DAY, "new", &[]),
        ])
        .unwrap();
    store.flush().unwrap();
    store.close();
    // Retention wrote the tombstone and died before removing the files.
    std::fs::write(
        dir.path().join("data/h1/2024-05-01/DELETED"),
        "18446744073709551615\n",
    )
    .unwrap();
    let store = open(dir.path(), small_config());
    assert_eq!(store.open_report().removed.len(), 1);
    let left: Vec<String> = search(&store, "", TimeRange::all())
        .iter()
        .map(|e| e.raw.clone())
        .collect();
    assert_eq!(left, ["new"]);
    assert_eq!(partition_dirs(dir.path()), ["h1/2024-05-02"]);
}

/// A partition that never reaches `auto_compact_segments` is compacted
/// in the background once its day is over; today's is left alone. The
/// flush keeps every id and compaction derives them again, so the events
/// and their ids come back the same.
#[test]
fn ended_days_are_compacted_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        compact_sweep_every: Duration::from_millis(50),
        ..small_config()
    };
    let store = open(dir.path(), config);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    for round in 0..3 {
        let mut batch: Vec<Event> = (0..7)
            .map(|i| {
                ev(
                    "h1",
                    MIDNIGHT_KST + i * 60_000_000_000 + round,
                    &format!("round {round} n {i}"),
                    &[],
                )
            })
            .collect();
        batch.push(ev("h1", now + round, &format!("today {round}"), &[]));
        store.append(batch).unwrap();
        store.flush().unwrap();
    }
    let before = search(&store, "round OR today", TimeRange::all());
    assert_eq!(before.len(), 24);
    // Three segments of the ended day merged into one, today's three kept.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while store.segment_count() != 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "not compacted: {} segments",
            store.segment_count()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Once more a sweep or two: nothing else changes.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(store.segment_count(), 4);
    assert_eq!(search(&store, "round OR today", TimeRange::all()), before);
    store.close();
    let store = open(dir.path(), small_config());
    assert_eq!(search(&store, "round OR today", TimeRange::all()), before);
}

#[test]
fn compaction_merges_segments_and_an_interrupted_one_is_finished_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    for round in 0..5 {
        let batch: Vec<Event> = (0..7)
            .map(|i| {
                ev(
                    "h1",
                    MIDNIGHT_KST + i * 60_000_000_000 + round,
                    &format!("round {round} n {i}"),
                    &[],
                )
            })
            .collect();
        store.append(batch).unwrap();
        store.flush().unwrap();
    }
    assert_eq!(store.segment_count(), 5);
    let before = search(&store, "round", TimeRange::all());
    let seg_dir = dir.path().join("data/h1/2024-05-01");
    let first = std::fs::read_dir(&seg_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let kept = std::fs::read(&first).unwrap();
    let r = store.compact().unwrap();
    assert_eq!((r.merged, r.written), (5, 1));
    assert_eq!(store.segment_count(), 1);
    assert_eq!(search(&store, "round", TimeRange::all()), before);
    store.close();
    // As if the process had died before removing an input: it comes back,
    // and the merged segment, which names it as replaced, removes it.
    std::fs::write(&first, kept).unwrap();
    let store = open(dir.path(), small_config());
    assert_eq!(store.open_report().removed, std::slice::from_ref(&first));
    assert!(!first.exists());
    assert_eq!(search(&store, "round", TimeRange::all()), before);
}

#[test]
fn a_corrupt_segment_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    store
        .append(vec![ev("h1", MIDNIGHT_KST, "a", &[])])
        .unwrap();
    store.flush().unwrap();
    store
        .append(vec![ev("h1", MIDNIGHT_KST + DAY, "b", &[])])
        .unwrap();
    store.flush().unwrap();
    store.close();
    let seg = std::fs::read_dir(dir.path().join("data/h1/2024-05-01"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 0xff;
    std::fs::write(&seg, bytes).unwrap();
    let store = open(dir.path(), small_config());
    assert_eq!(store.open_report().corrupt.len(), 1);
    let left: Vec<String> = search(&store, "", TimeRange::all())
        .iter()
        .map(|e| e.raw.clone())
        .collect();
    assert_eq!(left, ["b"]);
}

#[test]
fn memory_stays_bounded_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        tail_max_events: 200,
        queue_max_events: 100,
        block_events: 32,
        auto_compact_segments: 4,
        ..Config::default()
    };
    let store = open(dir.path(), config.clone());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let store = store.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut worst = medsec_events::MemoryUse::default();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let m = store.memory();
                worst.queued_events = worst.queued_events.max(m.queued_events);
                worst.tail_events = worst.tail_events.max(m.tail_events);
                worst.frozen_events = worst.frozen_events.max(m.frozen_events);
                std::thread::yield_now();
            }
            worst
        })
    };
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for b in 0..50 {
                    let batch: Vec<Event> = (0..10)
                        .map(|k| {
                            ev(
                                "h1",
                                MIDNIGHT_KST + (t * 1000 + b * 10 + k) * 1_000_000,
                                &format!("t{t} b{b} k{k}"),
                                &[],
                            )
                        })
                        .collect();
                    store.append(batch).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let worst = watcher.join().unwrap();
    // The documented bound: the queue, and each of the active and the
    // frozen tail at most the tail bound plus one group (the queue).
    assert!(worst.queued_events <= config.queue_max_events, "{worst:?}");
    assert!(
        worst.tail_events <= config.tail_max_events + config.queue_max_events,
        "{worst:?}"
    );
    assert!(
        worst.frozen_events <= config.tail_max_events + config.queue_max_events,
        "{worst:?}"
    );
    assert_eq!(search(&store, "", TimeRange::all()).len(), 1000);
    assert!(store.segment_count() >= 1);
    let r = store
        .search(&SearchRequest::new(
            Query::all(),
            TimeRange::all(),
            MemberScope::AllMembers,
        ))
        .unwrap();
    assert_eq!(r.total, 2000);
}

/// A minimal executor: polls a future on this thread, parking between
/// polls.
fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[test]
fn async_appends_wait_for_room_and_for_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(
        dir.path(),
        Config {
            queue_max_events: 10,
            ..small_config()
        },
    );
    let futures: Vec<_> = (0..20)
        .map(|i| {
            let batch: Vec<Event> = (0..5)
                .map(|k| {
                    ev(
                        "h1",
                        MIDNIGHT_KST + i * 10 + k,
                        &format!("async {i} {k}"),
                        &[],
                    )
                })
                .collect();
            store.append_async(batch)
        })
        .collect();
    let mut stored = 0;
    for f in futures {
        stored += block_on(f).unwrap().stored;
    }
    assert_eq!(stored, 100);
    assert_eq!(search(&store, "async", TimeRange::all()).len(), 100);
    // A bad batch fails in the future, not by a panic.
    let bad = ev("", MIDNIGHT_KST, "no member", &[]);
    assert!(matches!(
        block_on(store.append_async(vec![bad])),
        Err(Error::InvalidEvent { .. })
    ));
    // A ticket can be awaited too.
    let t = store
        .submit(vec![ev("h1", MIDNIGHT_KST, "ticket", &[])])
        .unwrap();
    assert_eq!(block_on(t).unwrap().stored, 1);
}

#[test]
fn concurrent_batches_share_one_sync() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    // Queue many batches before waiting for any: the writer commits what
    // is queued together, one write and one sync for the group.
    let tickets: Vec<_> = (0..200)
        .map(|i| {
            store
                .submit(vec![ev("h1", MIDNIGHT_KST + i, &format!("batch {i}"), &[])])
                .unwrap()
        })
        .collect();
    for t in tickets {
        assert_eq!(t.wait().unwrap().stored, 1);
    }
    let c = store.counters();
    assert_eq!((c.batches, c.events_stored), (200, 200));
    assert!(c.commits < 100, "{c:?}");
}

fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

#[test]
fn a_search_over_many_partitions_keeps_few_files_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    // 120 partitions (days), one segment each.
    let events: Vec<Event> = (0..120)
        .map(|d| ev("h1", MIDNIGHT_KST + d * DAY, &format!("day {d}"), &[]))
        .collect();
    store.append(events).unwrap();
    store.flush().unwrap();
    assert_eq!(store.segment_count(), 120);
    let before = open_files();
    let mut export = store
        .export(
            &Query::parse("day").unwrap(),
            TimeRange::all(),
            &MemberScope::AllMembers,
            medsec_events::Order::OldestFirst,
        )
        .unwrap();
    for _ in 0..60 {
        export.next().unwrap().unwrap();
    }
    // Other tests run in parallel and open files too; 60 more would mean
    // one per segment read so far.
    assert!(
        open_files() < before + 30,
        "{} files open, {before} before",
        open_files()
    );
    assert_eq!(export.count(), 60);
    let r = store
        .search(&SearchRequest::new(
            Query::parse("day").unwrap(),
            TimeRange::all(),
            MemberScope::AllMembers,
        ))
        .unwrap();
    assert_eq!(r.total, 120);
}
