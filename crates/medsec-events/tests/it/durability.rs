//! Durability: acknowledged events survive `kill -9` (a child process
//! appends and is killed at a random point), a torn log record is cut
//! and reported, and replayed or resent events are stored once.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use std::time::Duration;

use medsec_events::{
    Config, EventStore, FeedItem, FeedPosition, MemberScope, Order, Query, SearchRequest, TimeRange,
};
use medsec_logs::{Event, EventId, Value};

use crate::{MIDNIGHT_KST, ev, open, small_config};

const CHILD_DIR: &str = "MEDSEC_EVENTS_TEST_CHILD_DIR";
const CHILD_ROUND: &str = "MEDSEC_EVENTS_TEST_CHILD_ROUND";
const CHILD_FEED: &str = "MEDSEC_EVENTS_TEST_CHILD_FEED";
const THREADS: u64 = 4;

/// The configuration of the child: a small tail, so that flushes and
/// background compactions run (and get killed) too.
fn child_config() -> Config {
    Config {
        tail_max_events: 400,
        block_events: 32,
        auto_compact_segments: 3,
        ..Config::default()
    }
}

/// The events of one batch; a function of its coordinates, so the parent
/// knows exactly what an acknowledged batch held.
fn batch(round: u64, thread: u64, b: u64) -> Vec<Event> {
    let n = 5 + (round * 7 + thread * 3 + b) % 40;
    (0..n)
        .map(|k| {
            // Ten minutes apart: the batches run over several KST days.
            let ts = MIDNIGHT_KST + ((b * 41 + k) as i64) * 600_000_000_000 + (thread as i64);
            ev(
                &format!("h{thread}"),
                ts,
                &format!("round {round} thread {thread} batch {b} event {k} 서버 상태 점검"),
                &[("event.sequence", Value::Int((b * 100 + k) as i64))],
            )
        })
        .collect()
}

/// Not a test on its own: the child process of
/// `acknowledged_events_survive_kill_9`, which runs this test binary
/// again with only this test selected and the store's directory in the
/// environment. It appends from four threads and prints a line for each
/// acknowledged batch until it is killed.
#[test]
fn child_appender() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let round: u64 = std::env::var(CHILD_ROUND).unwrap().parse().unwrap();
    let store = EventStore::open(&dir, child_config()).unwrap();
    if round == 0 && std::env::var(CHILD_FEED).is_ok() {
        // The feed starts before the first event; its hold on the log
        // stays when it is dropped.
        let feed = store.feed(None).unwrap();
        println!("feed {}", feed.position());
    }
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            let out = out.clone();
            std::thread::spawn(move || {
                for b in 0..100_000u64 {
                    let r = store.append(batch(round, t, b)).unwrap();
                    let mut o = out.lock().unwrap();
                    writeln!(o, "ack {round} {t} {b} {}", r.stored + r.duplicates).unwrap();
                    o.flush().unwrap();
                    drop(o);
                    // Now and then a resend of the batch just acknowledged.
                    if b % 7 == 3 {
                        let again = store.append(batch(round, t, b)).unwrap();
                        assert_eq!(again.stored, 0, "a resent batch was stored again");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// A small seeded generator for the kill points (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Runs the child appender four times in `dir`, killing it at random
/// points; returns the acknowledged batches and, with `feed`, the
/// position the feed started at.
fn kill_rounds(dir: &Path, feed: bool) -> (Vec<(u64, u64, u64)>, Option<FeedPosition>) {
    let exe = std::env::current_exe().unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("kill points seeded with {seed}");
    let mut rng = Rng(seed);
    let mut acked: Vec<(u64, u64, u64)> = Vec::new();
    let mut start = None;
    for round in 0..4u64 {
        let mut cmd = Command::new(&exe);
        cmd.args([
            "--exact",
            "durability::child_appender",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir)
        .env(CHILD_ROUND, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        if feed {
            cmd.env(CHILD_FEED, "1");
        }
        let mut child = cmd.spawn().unwrap();
        let kill_after = 20 + rng.next() % 300;
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut n = 0;
        for line in lines.by_ref() {
            let line = line.unwrap();
            // libtest may print the test's name on the same line first.
            if let Some(p) = line.split("feed ").nth(1) {
                start = Some(p.trim().parse::<FeedPosition>().unwrap());
            }
            if let Some(rest) = line.strip_prefix("ack ") {
                let v: Vec<u64> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
                acked.push((v[0], v[1], v[2]));
                n += 1;
                if n >= kill_after {
                    child.kill().unwrap(); // SIGKILL
                    break;
                }
            }
        }
        // Lines printed before the kill are acknowledged batches too.
        for line in lines {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("ack ") {
                let v: Vec<u64> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
                acked.push((v[0], v[1], v[2]));
            }
        }
        let status = child.wait().unwrap();
        assert!(!status.success(), "the child ended on its own: {status}");
        println!("round {round}: killed after {n} acknowledgements");
    }
    (acked, start)
}

#[test]
fn acknowledged_events_survive_kill_9() {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (acked, _) = kill_rounds(dir.path(), false);

    let store = open(dir.path(), child_config());
    println!("reopened: {:?}", store.open_report());
    // Every stored event exactly once, each intact.
    let mut count: HashMap<EventId, usize> = HashMap::new();
    for e in store
        .export(
            &Query::all(),
            TimeRange::all(),
            &MemberScope::AllMembers,
            Order::OldestFirst,
        )
        .unwrap()
    {
        let e = e.unwrap();
        assert_eq!(
            e.id,
            EventId::of(&e.member, &e.source, e.raw.as_bytes()),
            "event corrupted"
        );
        *count.entry(e.id).or_default() += 1;
    }
    assert!(count.values().all(|c| *c == 1), "an event is stored twice");
    let mut expected = 0;
    for (round, t, b) in &acked {
        for e in batch(*round, *t, *b) {
            expected += 1;
            assert_eq!(
                count.get(&e.id),
                Some(&1),
                "acknowledged event lost: {}",
                e.raw
            );
        }
    }
    println!(
        "{} acknowledged batches, {expected} events, {} stored",
        acked.len(),
        count.len()
    );
    // The store still works after the crashes: a flush and a search.
    store.flush().unwrap();
    let r = store
        .search(&SearchRequest::new(
            Query::parse("서버").unwrap(),
            TimeRange::all(),
            MemberScope::AllMembers,
        ))
        .unwrap();
    assert_eq!(r.total as usize, count.len());
}

/// The feed after crashes: read from where it started before the first
/// event, it gives every acknowledged event exactly once, though the
/// appender was killed four times while flushing and compacting.
#[test]
fn the_feed_gives_every_acknowledged_event_once_after_kill_9() {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (acked, start) = kill_rounds(dir.path(), true);
    let start = start.expect("the child printed the feed's position");
    let store = open(dir.path(), child_config());
    let mut feed = store.feed(Some(start)).unwrap();
    let mut seen: HashMap<EventId, usize> = HashMap::new();
    let end = store.feed_end();
    while feed.position() < end {
        match feed.next(Duration::from_secs(5)).unwrap() {
            Some(FeedItem::Batch { events, .. }) => {
                for e in events {
                    *seen.entry(e.id).or_default() += 1;
                }
            }
            Some(FeedItem::Gap { from, to }) => panic!("gap from {from} to {to}"),
            None if feed.position() >= end => break,
            None => panic!("the feed stopped at {} before {end}", feed.position()),
        }
    }
    assert!(
        seen.values().all(|c| *c == 1),
        "the feed gave an event twice"
    );
    let mut expected = 0;
    for (round, t, b) in &acked {
        for e in batch(*round, *t, *b) {
            expected += 1;
            assert_eq!(
                seen.get(&e.id),
                Some(&1),
                "acknowledged event not fed: {}",
                e.raw
            );
        }
    }
    assert_eq!(
        seen.len(),
        total(&store) as usize,
        "the feed and the store disagree"
    );
    println!("{expected} acknowledged events, {} fed", seen.len());
}

fn only_wal_file(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("wal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wal"))
        .collect();
    files.sort();
    files
        .into_iter()
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap()
}

fn total(store: &EventStore) -> u64 {
    store
        .search(&SearchRequest::new(
            Query::all(),
            TimeRange::all(),
            MemberScope::AllMembers,
        ))
        .unwrap()
        .total
}

#[test]
fn a_torn_log_record_is_cut_and_reported() {
    for (damage, reason) in [
        ("truncate", "runs past the end"),
        ("flip", "checksum"),
        ("header", "record header"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), small_config());
        let a: Vec<Event> = (0..3)
            .map(|i| ev("h1", MIDNIGHT_KST + i, &format!("first {i}"), &[]))
            .collect();
        let b: Vec<Event> = (0..2)
            .map(|i| ev("h1", MIDNIGHT_KST + 10 + i, &format!("second {i}"), &[]))
            .collect();
        store.append(a).unwrap();
        store.append(b.clone()).unwrap();
        store.close();
        let wal = only_wal_file(dir.path());
        let len = std::fs::metadata(&wal).unwrap().len();
        let mut bytes = std::fs::read(&wal).unwrap();
        match damage {
            "truncate" => bytes.truncate(len as usize - 5),
            "flip" => {
                let last = bytes.len() - 3;
                bytes[last] ^= 0x55;
            }
            _ => bytes.extend_from_slice(&[7, 0, 0]),
        }
        std::fs::write(&wal, &bytes).unwrap();

        let store = open(dir.path(), small_config());
        let report = store.open_report().clone();
        assert_eq!(report.torn.len(), 1, "{damage}: {report:?}");
        assert!(
            report.torn[0].reason.contains(reason),
            "{damage}: {:?}",
            report.torn[0]
        );
        let expect = if damage == "header" { 5 } else { 3 };
        assert_eq!(total(&store), expect, "{damage}");
        // The store goes on: the lost batch can be sent again.
        let again = store.append(b).unwrap();
        assert_eq!(again.stored + again.duplicates, 2);
        store.close();
        let store = open(dir.path(), small_config());
        assert!(store.open_report().torn.is_empty());
        assert_eq!(total(&store), 5, "{damage}");
    }
}

#[test]
fn replayed_and_resent_batches_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    let mut x: Vec<Event> = (0..10)
        .map(|i| {
            ev(
                "h1",
                MIDNIGHT_KST + i * 1000,
                &format!("login failed for user{i}"),
                &[],
            )
        })
        .collect();
    // One event whose id cannot be derived from the stored raw (masked).
    x[3].id = EventId::of("h1", "tcp:6514", b"login failed for 900101-1234567");
    let r = store.append(x.clone()).unwrap();
    assert_eq!((r.stored, r.duplicates), (10, 0));
    // Resent while in the tail.
    let r = store.append(x.clone()).unwrap();
    assert_eq!((r.stored, r.duplicates), (0, 10));
    // Twice in one batch.
    let y = ev("h1", MIDNIGHT_KST + 5, "twice", &[]);
    let r = store.append(vec![y.clone(), y.clone()]).unwrap();
    assert_eq!((r.stored, r.duplicates), (1, 1));
    // Keep a copy of the log as it is before the flush trims it.
    let wal = only_wal_file(dir.path());
    let saved = std::fs::read(&wal).unwrap();
    store.flush().unwrap();
    // Resent once in segments.
    let r = store.append(x.clone()).unwrap();
    assert_eq!((r.stored, r.duplicates), (0, 10));
    assert_eq!(total(&store), 11);
    store.close();
    // As if the process had died after writing the segments but before
    // trimming the log (the checkpoint not yet written): the log is
    // replayed over the segments.
    std::fs::write(&wal, &saved).unwrap();
    std::fs::remove_file(dir.path().join("wal/CHECKPOINT")).unwrap();
    let store = open(dir.path(), small_config());
    let report = store.open_report();
    assert_eq!(report.replayed_events, 0, "{report:?}");
    assert_eq!(report.replayed_duplicates, 11, "{report:?}");
    assert_eq!(total(&store), 11);
    let r = store.append(x).unwrap();
    assert_eq!((r.stored, r.duplicates), (0, 10));
    // The same raw on another day is another partition: stored.
    let other_day = ev("h1", MIDNIGHT_KST + 2 * crate::DAY, "twice", &[]);
    assert_eq!(store.append(vec![other_day]).unwrap().stored, 1);
}

/// The writer checks appended ids against a filter per partition before
/// the segments' id tables: it must hold the ids of every segment,
/// including those flushed after it was built, compacted ones, and those
/// of a partition that outgrew it (rebuilt larger).
#[test]
fn resent_events_are_found_in_every_segment_of_a_partition() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        block_events: 64,
        ..small_config()
    };
    let store = open(dir.path(), config.clone());
    let batch = |round: i64| -> Vec<Event> {
        (0..400)
            .map(|i| {
                ev(
                    "h1",
                    MIDNIGHT_KST + round * 1_000_000_000 + i,
                    &format!("round {round} message {i}"),
                    &[],
                )
            })
            .collect()
    };
    // 30 segments of 400 events: 12,000 ids, past what the first filter
    // (built for an empty partition) holds.
    for round in 0..30 {
        assert_eq!(store.append(batch(round)).unwrap().stored, 400);
        store.flush().unwrap();
        // A resend of the first batch and of the one just flushed.
        for again in [0, round] {
            let r = store.append(batch(again)).unwrap();
            assert_eq!((r.stored, r.duplicates), (0, 400), "round {round}");
        }
    }
    assert_eq!(store.segment_count(), 30);
    store.compact().unwrap();
    for round in [0, 17, 29] {
        let r = store.append(batch(round)).unwrap();
        assert_eq!((r.stored, r.duplicates), (0, 400), "after compaction");
    }
    // New events still pass.
    assert_eq!(store.append(batch(30)).unwrap().stored, 400);
    assert_eq!(total(&store), 31 * 400);
    store.close();
    // And after a restart, with the filter built from the tables on disk.
    let store = open(dir.path(), config);
    for round in [3, 30] {
        let r = store.append(batch(round)).unwrap();
        assert_eq!((r.stored, r.duplicates), (0, 400), "after restart");
    }
}
