//! Per-source counters the receivers bump on every message, and the
//! flusher that turns them into the store's per-day counts (billing and
//! health) and keeps error samples for the analyst.
//!
//! Counting is a few relaxed atomic adds on the hot path; the store sees
//! deltas every few seconds, so a crash loses at most the last interval's
//! counts, never events.
//!
//! Each flush also samples every source's event count into a small ring
//! of `(time, count)` pairs, off the hot path, from which
//! [`SourceCounters::rate`] gives the events per second over the last
//! minute.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use medsec_core::Timestamp;
use medsec_store::Store;
use medsec_store::watch::{IngestDelta, IngestErrorRow};
use tokio::sync::mpsc;

/// What happened to the messages of one source since the process started.
#[derive(Debug, Default)]
pub struct SourceCounters {
    pub events: AtomicU64,
    pub bytes: AtomicU64,
    /// Messages stored with a payload the decoder could not read.
    pub parse_errors: AtomicU64,
    /// Messages not stored: unreadable framing, oversized, UDP overflow.
    pub dropped: AtomicU64,
    pub connections: AtomicI64,
    /// Milliseconds since the epoch of the newest stored event.
    pub last_event_ms: AtomicI64,
    /// `(milliseconds since the epoch, events)` samples for the rate,
    /// oldest first; written by [`SourceCounters::sample_rate`], never on
    /// the hot path.
    rate_samples: Mutex<VecDeque<(i64, u64)>>,
}

/// The window [`SourceCounters::rate`] averages over.
pub const RATE_WINDOW_MS: i64 = 60_000;

/// Samples closer together than this are not kept (a flush run twice in
/// a row adds nothing to the rate).
const RATE_MIN_SPACING_MS: i64 = 1_000;

/// The most samples a source keeps: with the five-second flush, the
/// window needs thirteen.
const RATE_SAMPLES: usize = 64;

impl SourceCounters {
    pub fn stored(&self, events: u64, bytes: u64, now_ms: i64) {
        self.events.fetch_add(events, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.last_event_ms.fetch_max(now_ms, Ordering::Relaxed);
    }

    /// Records the current event count at `now_ms` for the rate. Keeps
    /// the newest sample at or before the window's start and every later
    /// one, at most [`RATE_SAMPLES`].
    pub fn sample_rate(&self, now_ms: i64) {
        let events = self.events.load(Ordering::Relaxed);
        let mut ring = self.rate_samples.lock().unwrap_or_else(|p| p.into_inner());
        if ring
            .back()
            .is_some_and(|(t, _)| now_ms - t < RATE_MIN_SPACING_MS)
        {
            return;
        }
        ring.push_back((now_ms, events));
        let start = now_ms - RATE_WINDOW_MS;
        while ring.len() > 1 && ring.get(1).is_some_and(|(t, _)| *t <= start) {
            ring.pop_front();
        }
        while ring.len() > RATE_SAMPLES {
            ring.pop_front();
        }
    }

    /// Events per second over the last minute, at `now_ms`: the events
    /// counted since the newest sample at or before the minute's start
    /// (or, for a source sampled for less than a minute, since its oldest
    /// sample). `None` until a sample at least a second old exists.
    pub fn rate(&self, now_ms: i64) -> Option<f64> {
        let events = self.events.load(Ordering::Relaxed);
        let ring = self.rate_samples.lock().unwrap_or_else(|p| p.into_inner());
        let start = now_ms - RATE_WINDOW_MS;
        let base = ring
            .iter()
            .rev()
            .find(|(t, _)| *t <= start)
            .or_else(|| ring.front())
            .copied();
        let (t, then) = base.filter(|(t, _)| now_ms - t >= RATE_MIN_SPACING_MS)?;
        let seconds = (now_ms - t) as f64 / 1000.0;
        Some(events.saturating_sub(then) as f64 / seconds)
    }
}

/// A sample of a message that was rejected or could not be decoded.
#[derive(Clone, Debug)]
pub struct ErrorSample {
    pub source_id: String,
    pub member_id: String,
    pub at_ms: i64,
    pub kind: &'static str,
    pub message: String,
    pub sample: String,
}

/// The longest sample kept, in characters.
pub const SAMPLE_CHARS: usize = 512;

/// The counters of every source, by source id.
#[derive(Clone)]
pub struct Counters {
    inner: Arc<Inner>,
}

struct Inner {
    by_source: Mutex<HashMap<String, (String, Arc<SourceCounters>)>>,
    samples: mpsc::Sender<ErrorSample>,
    samples_rx: Mutex<Option<mpsc::Receiver<ErrorSample>>>,
    /// Samples dropped because the queue to the store was full.
    samples_lost: AtomicU64,
}

impl Default for Counters {
    fn default() -> Counters {
        Counters::new()
    }
}

impl Counters {
    pub fn new() -> Counters {
        let (tx, rx) = mpsc::channel(256);
        Counters {
            inner: Arc::new(Inner {
                by_source: Mutex::new(HashMap::new()),
                samples: tx,
                samples_rx: Mutex::new(Some(rx)),
                samples_lost: AtomicU64::new(0),
            }),
        }
    }

    /// The counters of a source (created on first use).
    pub fn source(&self, source_id: &str, member_id: &str) -> Arc<SourceCounters> {
        let mut map = self
            .inner
            .by_source
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.entry(source_id.to_owned())
            .or_insert_with(|| (member_id.to_owned(), Arc::new(SourceCounters::default())))
            .1
            .clone()
    }

    /// The counters of a source, if it has received or been configured
    /// since the process started (nothing is created).
    pub fn get(&self, source_id: &str) -> Option<Arc<SourceCounters>> {
        self.inner
            .by_source
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(source_id)
            .map(|(_, c)| c.clone())
    }

    /// Samples every source's event count at `now_ms` for the rates (the
    /// flusher does, every few seconds).
    pub fn sample_rates(&self, now_ms: i64) {
        for (_, _, c) in self.all() {
            c.sample_rate(now_ms);
        }
    }

    /// Every source's counters: `(source id, member id, counters)`.
    pub fn all(&self) -> Vec<(String, String, Arc<SourceCounters>)> {
        let map = self
            .inner
            .by_source
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<_> = map
            .iter()
            .map(|(s, (m, c))| (s.clone(), m.clone(), c.clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Queues a sample for the store; never blocks a receiver (a full
    /// queue drops the sample and counts it).
    pub fn sample(&self, sample: ErrorSample) {
        if self.inner.samples.try_send(sample).is_err() {
            self.inner.samples_lost.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn samples_lost(&self) -> u64 {
        self.inner.samples_lost.load(Ordering::Relaxed)
    }

    /// The flusher: the first caller gets the samples queue.
    pub fn flusher(&self) -> Flusher {
        let rx = self
            .inner
            .samples_rx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        Flusher {
            counters: self.clone(),
            last: HashMap::new(),
            samples: rx,
        }
    }
}

/// A message cut to [`SAMPLE_CHARS`] characters, invalid UTF-8 replaced.
pub fn sample_text(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    match text.char_indices().nth(SAMPLE_CHARS) {
        Some((at, _)) => text.get(..at).unwrap_or_default().to_owned() + "…",
        None => text.into_owned(),
    }
}

/// Turns counters into per-day deltas in the store.
pub struct Flusher {
    counters: Counters,
    /// The values written so far, per source: events, bytes, parse errors,
    /// drops.
    last: HashMap<String, [u64; 4]>,
    samples: Option<mpsc::Receiver<ErrorSample>>,
}

/// The Korean calendar day (UTC+9) of a time, as the event store's
/// partitions and the billing count days.
pub fn day(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000) + KST_SECONDS)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| "1970-01-01".to_owned())
}

/// Korea Standard Time, seconds east of UTC.
pub const KST_SECONDS: i64 = 9 * 3600;

impl Flusher {
    /// Writes what changed since the last flush (counted on `now`'s
    /// Korean day) and the queued error samples.
    pub async fn flush(&mut self, store: &Store, now: Timestamp) -> medsec_store::Result<()> {
        self.counters.sample_rates(now.0);
        let mut deltas = Vec::new();
        for (source, member, c) in self.counters.all() {
            let current = [
                c.events.load(Ordering::Relaxed),
                c.bytes.load(Ordering::Relaxed),
                c.parse_errors.load(Ordering::Relaxed),
                c.dropped.load(Ordering::Relaxed),
            ];
            let last = self.last.get(&source).copied().unwrap_or_default();
            if current == last {
                continue;
            }
            let d =
                |i: usize| i64::try_from(current[i].saturating_sub(last[i])).unwrap_or(i64::MAX);
            let last_ms = c.last_event_ms.load(Ordering::Relaxed);
            deltas.push((
                source.clone(),
                current,
                IngestDelta {
                    source_id: source,
                    member_id: member,
                    day: day(now.0),
                    events: d(0),
                    bytes: d(1),
                    parse_errors: d(2),
                    dropped: d(3),
                    last_event_at: (last_ms > 0).then_some(last_ms),
                },
            ));
        }
        if !deltas.is_empty() {
            let rows: Vec<IngestDelta> = deltas.iter().map(|(_, _, d)| d.clone()).collect();
            store.record_ingest(&rows).await?;
            for (source, current, _) in deltas {
                self.last.insert(source, current);
            }
        }
        if let Some(rx) = &mut self.samples {
            while let Ok(s) = rx.try_recv() {
                store
                    .add_ingest_error(&IngestErrorRow {
                        id: medsec_core::new_id(),
                        source_id: s.source_id,
                        member_id: s.member_id,
                        at: s.at_ms,
                        kind: s.kind.to_owned(),
                        message: s.message,
                        sample: s.sample,
                    })
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_over_the_last_minute() {
        let c = SourceCounters::default();
        assert_eq!(c.rate(0), None);
        c.sample_rate(0);
        // Less than a second of history says nothing yet.
        assert_eq!(c.rate(500), None);
        c.stored(30, 3000, 10_000);
        // A source sampled for less than a minute: since its first sample.
        assert_eq!(c.rate(10_000), Some(3.0));
        // One sample every five seconds for three minutes, 5 events each.
        for i in 1..=36 {
            c.stored(5, 50, i * 5_000);
            c.sample_rate(i * 5_000);
        }
        // 180 s: the sample at 120 s is the base; 12 × 5 events since.
        assert_eq!(c.rate(180_000), Some(1.0));
        // The ring keeps only what the window needs.
        let kept = c.rate_samples.lock().unwrap().len();
        assert!(kept <= 14, "{kept}");
        // A flush run twice in a row adds no sample.
        c.sample_rate(180_100);
        assert_eq!(c.rate_samples.lock().unwrap().len(), kept);
        // Silence: the rate falls to zero once the window has passed.
        c.sample_rate(250_000);
        assert_eq!(c.rate(250_000), Some(0.0));
    }

    #[test]
    fn counters_are_found_without_being_created() {
        let all = Counters::new();
        assert!(all.get("src").is_none());
        let c = all.source("src", "member");
        c.stored(2, 20, 1_000);
        all.sample_rates(1_000);
        assert_eq!(
            all.get("src").map(|c| c.events.load(Ordering::Relaxed)),
            Some(2)
        );
        assert!(all.get("other").is_none());
    }
}
