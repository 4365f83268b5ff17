//! The in-memory tail: acknowledged events that are in the write-ahead
//! log but not yet in segments, by partition. Searches read it next to
//! the segments, so an event is searchable as soon as it is acknowledged.
//!
//! Each committed group adds its events as immutable chunks (`Arc`), so a
//! search takes a snapshot by cloning pointers and never holds a lock
//! while it evaluates.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use medsec_logs::{Event, EventId};

use crate::partition::PartKey;

#[derive(Default)]
pub(crate) struct TailPart {
    pub chunks: Vec<Arc<Vec<Event>>>,
    pub events: usize,
    pub raw_bytes: u64,
}

#[derive(Default)]
pub(crate) struct Tail {
    pub parts: BTreeMap<PartKey, TailPart>,
    pub events: usize,
    /// The estimated memory of the events (see [`event_bytes`]).
    pub bytes: usize,
    /// The ids of a frozen tail, for deduplication while it is flushed
    /// (the writer keeps the active tail's ids itself).
    pub ids: HashMap<PartKey, IdSet>,
}

/// A set of event ids. Ids are SHA-256 prefixes, but a sender chooses
/// the messages, so the hasher is still seeded per process (foldhash,
/// several times cheaper than the standard SipHash here).
pub(crate) type IdSet = foldhash::HashSet<EventId>;

impl Tail {
    pub fn add(&mut self, key: PartKey, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let bytes: usize = events.iter().map(event_bytes).sum();
        let raw: u64 = events.iter().map(|e| e.raw.len() as u64).sum();
        let part = self.parts.entry(key).or_default();
        part.events += events.len();
        part.raw_bytes += raw;
        self.events += events.len();
        self.bytes += bytes;
        part.chunks.push(Arc::new(events));
    }
}

/// An estimate of the memory one event takes in the tail: its strings,
/// its fields, the allocations' overhead and its entry in the id set.
pub(crate) fn event_bytes(ev: &Event) -> usize {
    let fields: usize = ev
        .fields
        .entries()
        .iter()
        .map(|(n, v)| {
            // The (name, value) pair; an owned name's and a string
            // value's heap text. Schema names are borrowed statics.
            let name = match n {
                std::borrow::Cow::Borrowed(_) => 0,
                std::borrow::Cow::Owned(n) => 8 + n.len(),
            };
            let value = match v {
                medsec_logs::Value::Str(s) => 8 + s.len(),
                _ => 0,
            };
            size_of::<(medsec_logs::Field, medsec_logs::Value)>() + name + value
        })
        .sum();
    200 + ev.raw.len() + ev.member.len() + ev.source.len() + fields
}
