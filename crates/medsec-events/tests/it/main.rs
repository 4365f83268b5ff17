//! The event store's integration tests: search against a brute-force
//! oracle (property tests), durability across `kill -9` (a child process),
//! torn log writes, retention, statistics, partitions at midnight and the
//! export formats.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod durability;
mod export;
mod feed;
mod search;
mod storage;

use medsec_events::{Config, EventStore};
use medsec_logs::{Event, EventId, Fields, Value};

/// 2024-05-01T00:00:00+09:00, a KST midnight, in Unix nanoseconds.
pub const MIDNIGHT_KST: i64 = 1_714_489_200_000_000_000;
pub const HOUR: i64 = 3_600_000_000_000;
pub const DAY: i64 = 24 * HOUR;

/// An event with the id a receiver would give it.
pub fn ev(member: &str, ts: i64, raw: &str, fields: &[(&str, Value)]) -> Event {
    Event {
        id: EventId::of(member, "tcp:6514", raw.as_bytes()),
        member: member.into(),
        source: "tcp:6514".into(),
        timestamp: ts,
        received: ts + 1_000_000,
        raw: raw.into(),
        fields: fields
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect::<Fields>(),
    }
}

/// A configuration that makes many small blocks and segments.
pub fn small_config() -> Config {
    Config {
        block_events: 4,
        tail_max_events: 1_000_000,
        auto_compact_segments: 0,
        ..Config::default()
    }
}

pub fn open(dir: &std::path::Path, config: Config) -> EventStore {
    EventStore::open(dir, config).expect("open the event store")
}
