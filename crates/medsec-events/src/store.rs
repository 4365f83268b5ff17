//! The event store: opening (recovery), the writer thread with its group
//! commit, the flusher thread that turns the tail into segments,
//! compaction, retention and statistics.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{
    Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use medsec_logs::{Event, EventId};

use crate::cache::FrameCache;
use crate::error::{Error, Result};
use crate::feed::FeedPosition;
use crate::partition::{Day, PartKey, member_dir, member_of_dir};
use crate::queue::{Queue, Request};
use crate::search::{self, MemberScope};
use crate::segment::block::{self, RawCol, Shapes};
use crate::segment::write::{SegmentWriter, WriteOptions, sync_dir};
use crate::segment::{self as seg, Segment};
use crate::tail::{self, IdSet, Tail};
use crate::ticket::{Completer, Ticket, ticket};
use crate::wal::{self, TornRecord, Wal};

/// The name of the file that marks a partition as being deleted by
/// retention; it holds the highest segment number the deletion covers.
pub(crate) const TOMBSTONE: &str = "DELETED";
const STORE_FILE: &str = "STORE";
const LOCK_FILE: &str = "LOCK";
const FORMAT_LINE: &str = "medsec-events 1";

/// Tuning of an event store. The defaults suit one node of the ISAC.
///
/// # Memory
///
/// The store's memory is bounded by these settings:
///
/// - the append queue: at most `queue_max_events` events and
///   `queue_max_bytes` bytes of queued batches (a single larger batch is
///   let into an empty queue);
/// - the tail: when the active tail reaches `tail_max_events` events or
///   `tail_max_bytes` (estimated) bytes, it is frozen and flushed to
///   segments; a second tail fills while the first is flushed, and the
///   writer waits (so appenders wait) if that one fills too — at most two
///   tails, each at most the bound plus one commit group (bounded by the
///   queue); the flush copies one event at a time into the segment being
///   written;
/// - a segment being written keeps its indexes in memory, at most
///   `segment_max_events` events' worth (about 60 bytes an event);
/// - the deduplication cache keeps id tables of recently written
///   partitions up to `dedup_cache_bytes`, and their id filters (2 to 4
///   bytes an id) up to half as much more, beyond which only the
///   partition being written keeps its filter;
/// - the frame cache keeps decompressed index chunks and small columns
///   (not raw messages) up to `cache_bytes`;
/// - a search holds one decoded block per segment it merges.
#[derive(Clone, Debug)]
pub struct Config {
    /// The offset east of UTC at which partitions' days begin; fixed when
    /// the store is created. Default: 9 hours (KST).
    pub utc_offset_seconds: i32,
    pub queue_max_events: usize,
    pub queue_max_bytes: usize,
    pub tail_max_events: usize,
    pub tail_max_bytes: usize,
    /// Events per block of a segment.
    pub block_events: usize,
    /// Compaction does not grow a segment beyond this many events.
    pub segment_max_events: usize,
    /// zstd level of segments written from the tail: the fastest, as
    /// flushing runs while events arrive; compaction rewrites them at
    /// `compact_level`.
    pub flush_level: i32,
    /// zstd level of segments written by compaction.
    pub compact_level: i32,
    /// After a flush, partitions with at least this many segments are
    /// compacted in the background, by a thread of the lowest CPU priority
    /// (so that a busy core receives first and compacts when it has time
    /// to spare); 0 turns that off.
    pub auto_compact_segments: usize,
    pub dedup_cache_bytes: usize,
    /// Decompressed index chunks and small columns kept for searches.
    pub cache_bytes: usize,
    /// Threads a search counts matches on (segments are shared out).
    pub search_threads: usize,
    /// The most log bytes kept for a feed that has not released them
    /// (see [`crate::feed`]); beyond this the oldest are removed and the
    /// feed reports a gap.
    pub feed_max_log_bytes: u64,
    /// How often the compactor takes up the partitions of ended days that
    /// are not compacted yet (a member that sends little never reaches
    /// `auto_compact_segments` in a day).
    pub compact_sweep_every: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            utc_offset_seconds: 9 * 3600,
            queue_max_events: 65_536,
            queue_max_bytes: 64 << 20,
            tail_max_events: 262_144,
            tail_max_bytes: 128 << 20,
            block_events: 4096,
            segment_max_events: 1_000_000,
            flush_level: 1,
            compact_level: 9,
            auto_compact_segments: 8,
            dedup_cache_bytes: 64 << 20,
            cache_bytes: 256 << 20,
            search_threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            feed_max_log_bytes: 4 << 30,
            compact_sweep_every: Duration::from_secs(60),
        }
    }
}

/// What an acknowledged append stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppendReceipt {
    /// Events stored by this append.
    pub stored: usize,
    /// Events that were already stored (same id in the same partition,
    /// or twice in the batch) and were skipped.
    pub duplicates: usize,
}

/// What opening the store found and repaired.
#[derive(Clone, Debug, Default)]
pub struct OpenReport {
    pub segments: usize,
    pub wal_files: usize,
    pub wal_records: u64,
    /// Events of the log put back into the tail.
    pub replayed_events: u64,
    /// Events of the log that were already in segments or in the log.
    pub replayed_duplicates: u64,
    /// Torn records cut off the end of log files.
    pub torn: Vec<TornRecord>,
    /// Files removed: unfinished segment writes, segments a finished
    /// compaction replaced, partitions whose deletion was interrupted.
    pub removed: Vec<PathBuf>,
    /// Segments that could not be read, renamed to `*.corrupt`.
    pub corrupt: Vec<PathBuf>,
}

/// Events and bytes of one member on one day (for billing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayStats {
    pub member: String,
    pub day: Day,
    pub events: u64,
    /// Bytes of the raw messages as stored.
    pub raw_bytes: u64,
    /// Bytes of the partition's segment files (events still in the tail
    /// count in `events` and `raw_bytes` only).
    pub stored_bytes: u64,
}

/// A partition removed by retention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedPartition {
    pub member: String,
    pub day: Day,
    pub segments: usize,
    pub events: u64,
    pub raw_bytes: u64,
    pub stored_bytes: u64,
}

/// What a compaction did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactReport {
    /// Segments merged away.
    pub merged: usize,
    /// Segments written.
    pub written: usize,
}

/// Counters since the store was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Group commits: each one write and one `fdatasync` of the log.
    pub commits: u64,
    /// Appended batches acknowledged (one commit answers many).
    pub batches: u64,
    pub events_stored: u64,
    pub duplicates: u64,
    /// Tails flushed to segments.
    pub flushes: u64,
    /// Segments written by compaction.
    pub compactions: u64,
}

/// Where the bytes of the segment files go, summed over all segments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageBreakdown {
    pub segments: u64,
    pub events: u64,
    /// The raw messages' bytes before compression.
    pub raw_input: u64,
    pub timestamps: u64,
    pub shapes: u64,
    pub aux: u64,
    pub raw: u64,
    pub fields: u64,
    pub token_index: u64,
    pub field_index: u64,
    pub id_tables: u64,
    /// Footers, trailers and headers.
    pub footers: u64,
    pub files: u64,
}

/// Current memory use of the bounded parts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryUse {
    pub queued_events: usize,
    pub queued_bytes: usize,
    pub tail_events: usize,
    pub tail_bytes: usize,
    pub frozen_events: usize,
    pub frozen_bytes: usize,
}

/// All segments, by partition, each partition's in number order.
#[derive(Clone, Default)]
pub(crate) struct SegmentSet {
    pub parts: BTreeMap<PartKey, Vec<Arc<Segment>>>,
}

impl SegmentSet {
    fn with(&self, add: &[Arc<Segment>], remove: &HashSet<u64>) -> SegmentSet {
        let mut parts = self.parts.clone();
        for list in parts.values_mut() {
            list.retain(|s| !remove.contains(&s.meta.seq));
        }
        for s in add {
            let key = PartKey {
                member: s.meta.member.clone(),
                day: s.meta.day,
            };
            let list = parts.entry(key).or_default();
            list.push(s.clone());
            list.sort_by_key(|s| s.meta.seq);
        }
        parts.retain(|_, v| !v.is_empty());
        SegmentSet { parts }
    }
}

pub(crate) struct State {
    pub segments: Arc<SegmentSet>,
    pub active: Tail,
    pub frozen: Option<Arc<Tail>>,
}

struct FlushJob {
    tail: Arc<Tail>,
    checkpoint: u64,
    waiters: Vec<Completer<Result<()>>>,
}

/// Partitions waiting for the compactor thread.
#[derive(Default)]
struct CompactCtl {
    pending: std::collections::BTreeSet<PartKey>,
    stop: bool,
}

#[derive(Default)]
struct FlushCtl {
    job: Option<FlushJob>,
    /// A frozen tail exists (queued or being flushed).
    busy: bool,
    stop: bool,
}

pub(crate) struct Inner {
    pub root: PathBuf,
    pub data: PathBuf,
    pub wal_dir: PathBuf,
    /// The log's synced end, published after each group commit and log
    /// rotation, for the feed.
    pub committed: Mutex<FeedPosition>,
    pub committed_cv: Condvar,
    /// The first log file the feed still needs (the `FEED` file's value).
    pub feed_hold: Mutex<Option<u64>>,
    pub feed_open: AtomicBool,
    pub closed: AtomicBool,
    pub config: Config,
    queue: Queue,
    state: RwLock<State>,
    flush: Mutex<FlushCtl>,
    flush_cv: Condvar,
    compact: Mutex<CompactCtl>,
    compact_cv: Condvar,
    poisoned: Mutex<Option<String>>,
    next_seq: AtomicU64,
    maintenance: Mutex<()>,
    report: OpenReport,
    counters: CounterCells,
    cache: Arc<FrameCache>,
    _lock: File,
}

#[derive(Default)]
struct CounterCells {
    commits: AtomicU64,
    batches: AtomicU64,
    events_stored: AtomicU64,
    duplicates: AtomicU64,
    flushes: AtomicU64,
    compactions: AtomicU64,
}

fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn poisoned(&self) -> Option<String> {
        lock(&self.poisoned).clone()
    }

    /// Tells the feed how far the log is synced.
    fn publish(&self, file: u64, offset: u64) {
        *lock(&self.committed) = FeedPosition { file, offset };
        self.committed_cv.notify_all();
    }

    fn poison(&self, e: &Error) {
        tracing::error!(error = %e, "event log write failed; the store refuses appends until reopened");
        let mut p = lock(&self.poisoned);
        if p.is_none() {
            *p = Some(e.to_string());
        }
    }

    fn partition_dir(&self, key: &PartKey) -> PathBuf {
        self.data
            .join(member_dir(&key.member))
            .join(key.day.to_string())
    }
}

/// A handle on an open event store. Cloning it is cheap; the store
/// closes when the last handle is dropped (or on [`EventStore::close`]).
#[derive(Clone)]
pub struct EventStore {
    handle: Arc<Handle>,
}

struct Handle {
    inner: Arc<Inner>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Handle {
    fn shutdown(&self) {
        self.inner.queue.close();
        self.inner.closed.store(true, Ordering::Release);
        self.inner.committed_cv.notify_all();
        let threads: Vec<JoinHandle<()>> = lock(&self.threads).drain(..).collect();
        let mut it = threads.into_iter();
        // The writer first: it drains the queue (and may still freeze).
        if let Some(w) = it.next() {
            let _ = w.join();
        }
        {
            let mut ctl = lock(&self.inner.flush);
            ctl.stop = true;
        }
        self.inner.flush_cv.notify_all();
        lock(&self.inner.compact).stop = true;
        self.inner.compact_cv.notify_all();
        for t in it {
            let _ = t.join();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The largest member id, in bytes (it names a directory).
const MAX_MEMBER: usize = 128;
/// The largest raw message an append accepts.
pub const MAX_RAW_BYTES: usize = 16 << 20;

fn validate(events: &[Event]) -> Result<usize> {
    let mut bytes = 0;
    for (index, ev) in events.iter().enumerate() {
        let bad = |reason: String| Error::InvalidEvent {
            index,
            id: ev.id.to_string(),
            reason,
        };
        if ev.member.is_empty() || ev.member.len() > MAX_MEMBER {
            return Err(bad(format!(
                "the member id must have 1 to {MAX_MEMBER} bytes"
            )));
        }
        if ev.source.len() > 1024 {
            return Err(bad("the source name is longer than 1024 bytes".into()));
        }
        if ev.raw.len() > MAX_RAW_BYTES {
            return Err(bad(format!(
                "the raw message has {} bytes, more than {MAX_RAW_BYTES}",
                ev.raw.len()
            )));
        }
        if let Some((name, _)) = ev
            .fields
            .iter()
            .find(|(n, _)| n.is_empty() || n.len() > 256)
        {
            return Err(bad(format!("field name `{name}` must have 1 to 256 bytes")));
        }
        bytes += tail::event_bytes(ev);
    }
    if bytes > wal::MAX_RECORD {
        return Err(Error::InvalidEvent {
            index: 0,
            id: String::new(),
            reason: format!(
                "the batch is larger than {} bytes; split it",
                wal::MAX_RECORD
            ),
        });
    }
    Ok(bytes)
}

impl EventStore {
    /// Opens (or creates) the store in `root`: loads the segments, cleans
    /// up what an interrupted flush, compaction or retention left, and
    /// replays the write-ahead log into the tail.
    pub fn open(root: impl AsRef<Path>, config: Config) -> Result<EventStore> {
        let root = root.as_ref().to_owned();
        let data = root.join("data");
        let wal_dir = root.join("wal");
        for d in [&root, &data, &wal_dir] {
            fs::create_dir_all(d).map_err(|e| Error::io("create directory", d, e))?;
        }
        let lock_path = root.join(LOCK_FILE);
        let lock_file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| Error::io("open lock file", &lock_path, e))?;
        match lock_file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(Error::Locked { path: root }),
            Err(fs::TryLockError::Error(e)) => return Err(Error::io("lock", &lock_path, e)),
        }
        check_store_file(&root, &config)?;

        let mut report = OpenReport::default();
        let cache = Arc::new(FrameCache::new(config.cache_bytes));
        let (set, max_seq) = load_segments(&data, &mut report, &cache)?;
        report.segments = set.parts.values().map(Vec::len).sum();

        let mut dedup = DedupCache::new(config.dedup_cache_bytes);
        let mut active = Tail::default();
        let mut active_ids: HashMap<PartKey, IdSet> = HashMap::new();
        let checkpoint = wal::read_checkpoint(&wal_dir)?;
        let hold = wal::read_hold(&wal_dir)?;
        let files = wal::list(&wal_dir)?;
        let mut last_wal = 0u64;
        for (s, path) in files {
            last_wal = last_wal.max(s);
            if s < checkpoint {
                // Flushed already; kept only while the feed needs it.
                if hold.is_none_or(|h| s < h) {
                    fs::remove_file(&path).map_err(|e| Error::io("remove log file", &path, e))?;
                    report.removed.push(path);
                }
                continue;
            }
            report.wal_files += 1;
            let offset = config.utc_offset_seconds;
            let r = wal::replay(&path, |batch| {
                let mut by_part: BTreeMap<PartKey, Vec<Event>> = BTreeMap::new();
                for ev in batch {
                    let key = PartKey {
                        member: ev.member.clone(),
                        day: Day::of(ev.timestamp, offset),
                    };
                    let ids = active_ids.entry(key.clone()).or_default();
                    let segs = set.parts.get(&key).map(Vec::as_slice).unwrap_or(&[]);
                    if ids.contains(&ev.id) || dedup.contains(segs, &ev.id) {
                        report.replayed_duplicates += 1;
                        continue;
                    }
                    ids.insert(ev.id);
                    report.replayed_events += 1;
                    by_part.entry(key).or_default().push(ev);
                }
                for (k, evs) in by_part {
                    active.add(k, evs);
                }
                Ok(())
            })?;
            report.wal_records += r.records;
            if let Some(t) = r.torn {
                tracing::warn!(file = %t.file.display(), offset = t.offset, bytes = t.bytes_cut, reason = %t.reason, "cut a torn record off the event log");
                report.torn.push(t);
            }
        }
        let wal = Wal::create(&wal_dir, (last_wal + 1).max(checkpoint).max(1))?;
        if active.events == 0 {
            // Nothing waits in the log: the older files can go now rather
            // than at the next flush.
            wal::checkpoint(&wal_dir, wal.seq(), hold.unwrap_or(u64::MAX))?;
        }
        let committed = FeedPosition {
            file: wal.seq(),
            offset: wal.len(),
        };

        let inner = Arc::new(Inner {
            root,
            data,
            wal_dir,
            committed: Mutex::new(committed),
            committed_cv: Condvar::new(),
            feed_hold: Mutex::new(hold),
            feed_open: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            queue: Queue::new(config.queue_max_events, config.queue_max_bytes),
            state: RwLock::new(State {
                segments: Arc::new(set),
                active,
                frozen: None,
            }),
            flush: Mutex::new(FlushCtl::default()),
            flush_cv: Condvar::new(),
            compact: Mutex::new(CompactCtl::default()),
            compact_cv: Condvar::new(),
            poisoned: Mutex::new(None),
            next_seq: AtomicU64::new(max_seq + 1),
            maintenance: Mutex::new(()),
            report,
            counters: CounterCells::default(),
            cache,
            config,
            _lock: lock_file,
        });
        let writer = Writer {
            inner: inner.clone(),
            wal,
            active_ids,
            dedup,
        };
        let w = std::thread::Builder::new()
            .name("medsec-events-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| Error::io("start writer thread", &inner.root, e))?;
        let fi = inner.clone();
        let f = std::thread::Builder::new()
            .name("medsec-events-flusher".into())
            .spawn(move || flusher(fi))
            .map_err(|e| Error::io("start flusher thread", &inner.root, e))?;
        let ci = inner.clone();
        let c = std::thread::Builder::new()
            .name("medsec-events-compactor".into())
            .spawn(move || compactor(ci))
            .map_err(|e| Error::io("start compactor thread", &inner.root, e))?;
        Ok(EventStore {
            handle: Arc::new(Handle {
                inner,
                threads: Mutex::new(vec![w, f, c]),
            }),
        })
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.handle.inner
    }

    /// What opening found and repaired.
    pub fn open_report(&self) -> &OpenReport {
        &self.inner().report
    }

    /// The directory of the store.
    pub fn path(&self) -> &Path {
        &self.inner().root
    }

    pub fn config(&self) -> &Config {
        &self.inner().config
    }

    fn request(&self, events: Vec<Event>) -> Result<(Request, Ticket<Result<AppendReceipt>>)> {
        if let Some(p) = self.inner().poisoned() {
            return Err(Error::Poisoned(p));
        }
        let bytes = validate(&events)?;
        let (t, done) = ticket(Err(Error::Closed));
        Ok((
            Request::Append {
                events,
                bytes,
                done,
            },
            t,
        ))
    }

    /// Queues a batch, blocking while the queue is full (backpressure);
    /// the ticket answers once the batch is durably stored.
    pub fn submit(&self, events: Vec<Event>) -> Result<Ticket<Result<AppendReceipt>>> {
        let (req, t) = self.request(events)?;
        self.inner().queue.push(req)?;
        Ok(t)
    }

    /// Queues a batch if the queue has room now; gives the events back if
    /// it is full.
    pub fn try_submit(
        &self,
        events: Vec<Event>,
    ) -> Result<Result<Ticket<Result<AppendReceipt>>, Vec<Event>>> {
        let (req, t) = self.request(events)?;
        match self.inner().queue.try_push(req)? {
            Ok(()) => Ok(Ok(t)),
            Err(Request::Append { events, .. }) => Ok(Err(events)),
            Err(Request::Flush { .. }) => Ok(Err(Vec::new())),
        }
    }

    /// Appends a batch and returns once it is durably stored (in the
    /// write-ahead log, synced) and visible to searches.
    pub fn append(&self, events: Vec<Event>) -> Result<AppendReceipt> {
        self.submit(events)?.wait()
    }

    /// The async form of [`EventStore::append`]: the future waits for
    /// room in the queue without blocking the executor, then for the
    /// commit. It needs no particular runtime.
    pub fn append_async(&self, events: Vec<Event>) -> AppendFuture {
        match self.request(events) {
            Ok((req, t)) => AppendFuture {
                inner: Some(self.inner().clone()),
                pending: Some(req),
                ticket: Some(t),
                error: None,
            },
            Err(e) => AppendFuture {
                inner: None,
                pending: None,
                ticket: None,
                error: Some(e),
            },
        }
    }

    /// Moves every event acknowledged so far from the tail into segments
    /// and returns when they are there (and the log is trimmed).
    pub fn flush(&self) -> Result<()> {
        self.flush_ticket()?.wait()
    }

    /// [`EventStore::flush`] as a ticket.
    pub fn flush_ticket(&self) -> Result<Ticket<Result<()>>> {
        let (t, done) = ticket(Err(Error::Closed));
        self.inner().queue.push(Request::Flush { done })?;
        Ok(t)
    }

    /// Stops the threads after the queued batches are committed. Events in
    /// the tail stay in the log and are replayed on the next open.
    pub fn close(self) {
        self.handle.shutdown();
    }

    /// Memory use of the bounded parts, now.
    pub fn memory(&self) -> MemoryUse {
        let (queued_events, queued_bytes) = self.inner().queue.usage();
        let st = self.inner().read();
        MemoryUse {
            queued_events,
            queued_bytes,
            tail_events: st.active.events,
            tail_bytes: st.active.bytes,
            frozen_events: st.frozen.as_ref().map_or(0, |f| f.events),
            frozen_bytes: st.frozen.as_ref().map_or(0, |f| f.bytes),
        }
    }

    /// Merges each partition's small segments (up to
    /// `segment_max_events` events a segment) and recompresses segments
    /// written from the tail at `compact_level`, as the flusher does after
    /// a flush for partitions with many segments. Run it when partitions
    /// stop growing (after midnight) for the best compression.
    pub fn compact(&self) -> Result<CompactReport> {
        let mut report = CompactReport::default();
        loop {
            let keys: Vec<PartKey> = self.inner().read().segments.parts.keys().cloned().collect();
            let mut progress = false;
            for key in keys {
                let r = compact_partition(self.inner(), &key)?;
                progress |= r.written > 0;
                report.merged += r.merged;
                report.written += r.written;
            }
            if !progress {
                return Ok(report);
            }
        }
    }

    /// Deletes every partition whose whole day is older than its member's
    /// retention at `now` (Unix nanoseconds); `retention` answers `None`
    /// for members whose events are kept. Events still in the tail are not
    /// touched; they are deleted by a later run once flushed.
    pub fn apply_retention(
        &self,
        now: i64,
        retention: impl Fn(&str) -> Option<Duration>,
    ) -> Result<Vec<DeletedPartition>> {
        let inner = self.inner();
        let _m = lock(&inner.maintenance);
        let offset = inner.config.utc_offset_seconds;
        let set = inner.read().segments.clone();
        let mut out = Vec::new();
        let mut remove = HashSet::new();
        let mut doomed = Vec::new();
        for (key, segs) in &set.parts {
            let Some(keep) = retention(&key.member) else {
                continue;
            };
            let keep = i64::try_from(keep.as_nanos()).unwrap_or(i64::MAX);
            if key.day.end(offset) > now.saturating_sub(keep) {
                continue;
            }
            let dir = inner.partition_dir(key);
            let max = segs.iter().map(|s| s.meta.seq).max().unwrap_or(0);
            write_tombstone(&dir, max)?;
            out.push(DeletedPartition {
                member: key.member.clone(),
                day: key.day,
                segments: segs.len(),
                events: segs.iter().map(|s| s.meta.events).sum(),
                raw_bytes: segs.iter().map(|s| s.meta.raw_bytes).sum(),
                stored_bytes: segs.iter().map(|s| s.file_len).sum(),
            });
            for s in segs {
                remove.insert(s.meta.seq);
                doomed.push(s.clone());
            }
        }
        if !remove.is_empty() {
            let mut st = inner.write();
            st.segments = Arc::new(st.segments.with(&[], &remove));
        }
        for s in doomed {
            s.mark_obsolete();
        }
        Ok(out)
    }

    /// Events and bytes per member and day within `days`, segments and
    /// tail together, sorted by member and day.
    pub fn stats(&self, scope: &MemberScope, days: std::ops::RangeInclusive<Day>) -> Vec<DayStats> {
        let st = self.inner().read();
        let mut out: BTreeMap<PartKey, DayStats> = BTreeMap::new();
        let wanted = |key: &PartKey| scope.includes(&key.member) && days.contains(&key.day);
        fn entry<'a>(out: &'a mut BTreeMap<PartKey, DayStats>, key: &PartKey) -> &'a mut DayStats {
            out.entry(key.clone()).or_insert_with(|| DayStats {
                member: key.member.clone(),
                day: key.day,
                events: 0,
                raw_bytes: 0,
                stored_bytes: 0,
            })
        }
        for (key, segs) in &st.segments.parts {
            if wanted(key) {
                let d = entry(&mut out, key);
                for s in segs {
                    d.events += s.meta.events;
                    d.raw_bytes += s.meta.raw_bytes;
                    d.stored_bytes += s.file_len;
                }
            }
        }
        for tail in std::iter::once(&st.active).chain(st.frozen.as_deref()) {
            for (key, part) in &tail.parts {
                if wanted(key) {
                    let d = entry(&mut out, key);
                    d.events += part.events as u64;
                    d.raw_bytes += part.raw_bytes;
                }
            }
        }
        out.into_values().collect()
    }

    /// The total size of the segment files and of the log.
    pub fn disk_usage(&self) -> Result<u64> {
        let segs: u64 = self
            .inner()
            .read()
            .segments
            .parts
            .values()
            .flatten()
            .map(|s| s.file_len)
            .sum();
        let mut wal_bytes = 0;
        for (_, p) in wal::list(&self.inner().wal_dir)? {
            wal_bytes += fs::metadata(&p)
                .map_err(|e| Error::io("stat log file", &p, e))?
                .len();
        }
        Ok(segs + wal_bytes)
    }

    /// Counters since the store was opened.
    pub fn counters(&self) -> Counters {
        let c = &self.inner().counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Counters {
            commits: get(&c.commits),
            batches: get(&c.batches),
            events_stored: get(&c.events_stored),
            duplicates: get(&c.duplicates),
            flushes: get(&c.flushes),
            compactions: get(&c.compactions),
        }
    }

    /// Where the bytes of the segment files go.
    pub fn storage_breakdown(&self) -> StorageBreakdown {
        let st = self.inner().read();
        let mut b = StorageBreakdown::default();
        for s in st.segments.parts.values().flatten() {
            let m = &s.meta;
            b.segments += 1;
            b.events += m.events;
            b.raw_input += m.raw_bytes;
            b.files += s.file_len;
            let mut counted = 0u64;
            for bm in &m.blocks {
                b.timestamps += u64::from(bm.ts.len);
                b.shapes += u64::from(bm.shape.len);
                b.aux += u64::from(bm.aux.len);
                b.raw += u64::from(bm.raw.len);
                counted += u64::from(bm.ts.len)
                    + u64::from(bm.shape.len)
                    + u64::from(bm.aux.len)
                    + u64::from(bm.raw.len);
                for f in &bm.fields {
                    b.fields += u64::from(f.col.len);
                    counted += u64::from(f.col.len);
                }
            }
            for (_, c) in &m.tokens.chunks {
                b.token_index += u64::from(c.len);
                counted += u64::from(c.len);
            }
            for (_, t) in &m.field_index {
                for (_, c) in &t.chunks {
                    b.field_index += u64::from(c.len);
                    counted += u64::from(c.len);
                }
            }
            b.id_tables += u64::from(m.ids.len);
            counted += u64::from(m.ids.len);
            b.footers += s.file_len.saturating_sub(counted);
        }
        b
    }

    /// The number of segments.
    pub fn segment_count(&self) -> usize {
        self.inner()
            .read()
            .segments
            .parts
            .values()
            .map(Vec::len)
            .sum()
    }
}

/// The future of [`EventStore::append_async`].
#[must_use = "futures do nothing unless awaited"]
pub struct AppendFuture {
    inner: Option<Arc<Inner>>,
    pending: Option<Request>,
    ticket: Option<Ticket<Result<AppendReceipt>>>,
    error: Option<Error>,
}

impl Future for AppendFuture {
    type Output = Result<AppendReceipt>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(e) = this.error.take() {
            return Poll::Ready(Err(e));
        }
        if this.pending.is_some() {
            let Some(inner) = &this.inner else {
                return Poll::Ready(Err(Error::Closed));
            };
            match inner.queue.poll_push(&mut this.pending, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
        }
        match this.ticket.as_mut() {
            Some(t) => Pin::new(t).poll(cx),
            None => Poll::Ready(Err(Error::Closed)),
        }
    }
}

fn check_store_file(root: &Path, config: &Config) -> Result<()> {
    let path = root.join(STORE_FILE);
    let want = format!(
        "{FORMAT_LINE}\nutc_offset_seconds={}\n",
        config.utc_offset_seconds
    );
    match fs::read_to_string(&path) {
        Ok(text) => {
            let mut lines = text.lines();
            if lines.next() != Some(FORMAT_LINE) {
                return Err(Error::Incompatible {
                    path: root.to_owned(),
                    detail: format!("`{}` does not start with `{FORMAT_LINE}`", path.display()),
                });
            }
            let offset = lines
                .find_map(|l| l.strip_prefix("utc_offset_seconds="))
                .and_then(|v| v.trim().parse::<i32>().ok());
            if offset != Some(config.utc_offset_seconds) {
                return Err(Error::Incompatible {
                    path: root.to_owned(),
                    detail: format!(
                        "its partitions use utc_offset_seconds={}, the configuration says {}",
                        offset.map_or("?".into(), |o| o.to_string()),
                        config.utc_offset_seconds
                    ),
                });
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let tmp = root.join("STORE.tmp");
            let mut f = File::create(&tmp).map_err(|e| Error::io("create store file", &tmp, e))?;
            f.write_all(want.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| Error::io("write store file", &tmp, e))?;
            fs::rename(&tmp, &path).map_err(|e| Error::io("rename store file", &path, e))?;
            sync_dir(root)
        }
        Err(e) => Err(Error::io("read store file", &path, e)),
    }
}

fn write_tombstone(dir: &Path, max_seq: u64) -> Result<()> {
    let path = dir.join(TOMBSTONE);
    let mut f =
        File::create(&path).map_err(|e| Error::io("write partition tombstone", &path, e))?;
    f.write_all(format!("{max_seq}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io("write partition tombstone", &path, e))?;
    sync_dir(dir)
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io("list directory", dir, e))? {
        let entry = entry.map_err(|e| Error::io("list directory", dir, e))?;
        if let Some(name) = entry.file_name().to_str() {
            out.push((name.to_owned(), entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Loads every segment; returns the set and the highest segment number
/// seen or referred to.
fn load_segments(
    data: &Path,
    report: &mut OpenReport,
    cache: &Arc<FrameCache>,
) -> Result<(SegmentSet, u64)> {
    let mut set = SegmentSet::default();
    let mut max_seq = 0u64;
    let mut all: Vec<Arc<Segment>> = Vec::new();
    for (mname, mpath) in read_dir_sorted(data)? {
        let Some(member) = member_of_dir(&mname) else {
            continue;
        };
        if !mpath.is_dir() {
            continue;
        }
        for (dname, dpath) in read_dir_sorted(&mpath)? {
            let Some(day) = Day::parse(&dname) else {
                continue;
            };
            if !dpath.is_dir() {
                continue;
            }
            let files = read_dir_sorted(&dpath)?;
            let tombstone = match fs::read_to_string(dpath.join(TOMBSTONE)) {
                Ok(t) => Some(t.trim().parse::<u64>().unwrap_or(u64::MAX)),
                Err(_) => None,
            };
            for (fname, fpath) in files {
                if fname.ends_with(".tmp") {
                    fs::remove_file(&fpath)
                        .map_err(|e| Error::io("remove unfinished segment", &fpath, e))?;
                    report.removed.push(fpath);
                    continue;
                }
                let Some(hex) = fname.strip_suffix(".seg") else {
                    continue;
                };
                let Ok(seq) = u64::from_str_radix(hex, 16) else {
                    continue;
                };
                max_seq = max_seq.max(seq);
                if tombstone.is_some_and(|t| seq <= t) {
                    fs::remove_file(&fpath)
                        .map_err(|e| Error::io("remove deleted segment", &fpath, e))?;
                    report.removed.push(fpath);
                    continue;
                }
                match Segment::open(&fpath, cache.clone()) {
                    Ok(s) if s.meta.member == member && s.meta.day == day && s.meta.seq == seq => {
                        all.push(Arc::new(s));
                    }
                    Ok(_) | Err(Error::Corrupt { .. }) => {
                        let aside = fpath.with_extension("seg.corrupt");
                        tracing::error!(path = %fpath.display(), "unreadable segment set aside; its events are not searchable");
                        fs::rename(&fpath, &aside)
                            .map_err(|e| Error::io("set aside corrupt segment", &fpath, e))?;
                        report.corrupt.push(aside);
                    }
                    Err(e) => return Err(e),
                }
            }
            if tombstone.is_some() {
                seg::remove_partition_dir_if_empty(&dpath);
            }
        }
    }
    // Segments that a finished compaction replaced.
    let mut replaced: HashMap<(String, Day), HashSet<u64>> = HashMap::new();
    for s in &all {
        for r in &s.meta.replaces {
            max_seq = max_seq.max(*r);
            replaced
                .entry((s.meta.member.clone(), s.meta.day))
                .or_default()
                .insert(*r);
        }
    }
    for s in all {
        let gone = replaced
            .get(&(s.meta.member.clone(), s.meta.day))
            .is_some_and(|r| r.contains(&s.meta.seq));
        if gone {
            report.removed.push(s.path.clone());
            s.mark_obsolete();
            continue;
        }
        set = set.with(&[s], &HashSet::new());
    }
    Ok((set, max_seq))
}

/// The writer thread's state.
struct Writer {
    inner: Arc<Inner>,
    wal: Wal,
    active_ids: HashMap<PartKey, IdSet>,
    dedup: DedupCache,
}

impl Writer {
    fn run(mut self) {
        while let Some(reqs) = self.inner.queue.take_all() {
            let mut group = Vec::new();
            for req in reqs {
                match req {
                    Request::Append { events, done, .. } => group.push((events, done)),
                    Request::Flush { done } => {
                        self.commit(std::mem::take(&mut group));
                        self.freeze(Some(done));
                    }
                }
            }
            self.commit(group);
        }
    }

    fn tail_full(&self) -> bool {
        let st = self.inner.read();
        st.active.events >= self.inner.config.tail_max_events
            || st.active.bytes >= self.inner.config.tail_max_bytes
    }

    /// Freezes the active tail for the flusher (waiting while an earlier
    /// frozen tail is still being flushed) and moves the log on.
    fn freeze(&mut self, waiter: Option<Completer<Result<()>>>) {
        let inner = self.inner.clone();
        let mut ctl = lock(&inner.flush);
        while ctl.busy && !ctl.stop {
            ctl = inner
                .flush_cv
                .wait(ctl)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if ctl.stop {
            return;
        }
        if inner.read().active.events == 0 {
            if let Some(w) = waiter {
                w.complete(Ok(()));
            }
            return;
        }
        let checkpoint = match self.wal.rotate() {
            Ok(s) => {
                inner.publish(s, self.wal.len());
                s
            }
            Err(e) => {
                inner.poison(&e);
                if let Some(w) = waiter {
                    w.complete(Err(e));
                }
                return;
            }
        };
        let frozen = {
            let mut st = inner.write();
            let mut t = std::mem::take(&mut st.active);
            t.ids = std::mem::take(&mut self.active_ids);
            let t = Arc::new(t);
            st.frozen = Some(t.clone());
            t
        };
        ctl.busy = true;
        ctl.job = Some(FlushJob {
            tail: frozen,
            checkpoint,
            waiters: waiter.into_iter().collect(),
        });
        drop(ctl);
        inner.flush_cv.notify_all();
    }

    fn commit(&mut self, group: Vec<(Vec<Event>, Completer<Result<AppendReceipt>>)>) {
        if group.is_empty() {
            return;
        }
        if let Some(p) = self.inner.poisoned() {
            for (_, done) in group {
                done.complete(Err(Error::Poisoned(p.clone())));
            }
            return;
        }
        if self.tail_full() {
            self.freeze(None);
        }
        let (segments, frozen) = {
            let st = self.inner.read();
            (st.segments.clone(), st.frozen.clone())
        };
        let offset = self.inner.config.utc_offset_seconds;
        // Deduplicate and group by partition, remembering each request's
        // counts. A group's events mostly share a few partitions, so each
        // partition's id sets are looked up once (`Part`; its active ids
        // are taken out of the map meanwhile and put back after) and
        // events refer to their partition by index.
        struct Part<'a> {
            key: PartKey,
            /// The ids of the active tail, and those taken in this group.
            ids: IdSet,
            frozen: Option<&'a IdSet>,
            segments: &'a [Arc<Segment>],
            /// The segments' id tables, in the same order.
            tables: Vec<Option<IdTable>>,
            /// The filter over those tables.
            filter: block::IdFilter,
            /// The events stored, and how many (to size the vector once:
            /// it becomes a chunk of the tail).
            events: Vec<Event>,
            stored: usize,
        }
        let mut parts: Vec<Part<'_>> = Vec::new();
        let mut receipts = Vec::with_capacity(group.len());
        let mut records: Vec<Vec<(usize, Event)>> = Vec::with_capacity(group.len());
        let mut last = 0;
        for (events, done) in group {
            let mut r = AppendReceipt::default();
            let mut rec = Vec::with_capacity(events.len());
            for ev in events {
                let day = Day::of(ev.timestamp, offset);
                let same = |p: &Part<'_>| p.key.day == day && p.key.member == ev.member;
                let p = match parts.get(last) {
                    Some(p) if same(p) => last,
                    _ => match parts.iter().position(same) {
                        Some(p) => p,
                        None => {
                            let key = PartKey {
                                member: ev.member.clone(),
                                day,
                            };
                            let segments =
                                segments.parts.get(&key).map(Vec::as_slice).unwrap_or(&[]);
                            let tables = self.dedup.tables_of(segments);
                            parts.push(Part {
                                ids: self.active_ids.remove(&key).unwrap_or_default(),
                                frozen: frozen.as_ref().and_then(|f| f.ids.get(&key)),
                                filter: self.dedup.take_filter(&key, segments, &tables),
                                tables,
                                segments,
                                key,
                                events: Vec::new(),
                                stored: 0,
                            });
                            parts.len() - 1
                        }
                    },
                };
                last = p;
                let part = &mut parts[p];
                let seen = part.ids.contains(&ev.id)
                    || part.frozen.is_some_and(|s| s.contains(&ev.id))
                    || self
                        .dedup
                        .contains_in(part.segments, &part.tables, &part.filter, &ev.id);
                if seen {
                    r.duplicates += 1;
                    continue;
                }
                part.ids.insert(ev.id);
                r.stored += 1;
                rec.push((p, ev));
            }
            receipts.push((r, done));
            records.push(rec);
        }
        for rec in &records {
            if !rec.is_empty() {
                self.wal.add(rec.iter().map(|(_, e)| e));
            }
        }
        let committed = self.wal.commit();
        if committed.is_ok() {
            self.inner.publish(self.wal.seq(), self.wal.len());
        }
        if committed.is_err() {
            // Not stored: forget the ids taken.
            for (p, ev) in records.iter().flatten() {
                parts[*p].ids.remove(&ev.id);
            }
        } else {
            for rec in &records {
                for (p, _) in rec {
                    parts[*p].stored += 1;
                }
            }
            for part in &mut parts {
                part.events.reserve_exact(part.stored);
            }
            for (p, ev) in records.into_iter().flatten() {
                parts[p].events.push(ev);
            }
        }
        let mut kept = Vec::with_capacity(parts.len());
        for part in parts {
            kept.push((part.key.clone(), part.events));
            self.dedup.put_filter(part.key.clone(), part.filter);
            self.active_ids.insert(part.key, part.ids);
        }
        if let Err(e) = committed {
            self.inner.poison(&e);
            for (_, done) in receipts {
                done.complete(Err(e.clone()));
            }
            return;
        }
        {
            let mut st = self.inner.write();
            for (key, evs) in kept {
                st.active.add(key, evs);
            }
        }
        let c = &self.inner.counters;
        bump(&c.commits, 1);
        bump(&c.batches, receipts.len() as u64);
        for (r, done) in receipts {
            bump(&c.events_stored, r.stored as u64);
            bump(&c.duplicates, r.duplicates as u64);
            done.complete(Ok(r));
        }
        if self.tail_full() {
            self.freeze(None);
        }
    }
}

/// The id tables of segments, for deduplication, least recently used
/// first out; and the ids of a few recently read blocks.
/// A segment's id table.
type IdTable = Arc<block::IdTable>;

pub(crate) struct DedupCache {
    /// Per segment number: its id table and when it was last used.
    tables: foldhash::HashMap<u64, (IdTable, u64)>,
    bytes: usize,
    max_bytes: usize,
    tick: u64,
    blocks: VecDeque<((u64, u32), IdSet)>,
    /// Per partition: its id filter (see [`block::IdFilter`]) and when it
    /// was last used; taken out while a commit uses it.
    filters: foldhash::HashMap<PartKey, (block::IdFilter, u64)>,
    filter_bytes: usize,
}

impl DedupCache {
    pub fn new(max_bytes: usize) -> DedupCache {
        DedupCache {
            tables: foldhash::HashMap::default(),
            bytes: 0,
            max_bytes,
            tick: 0,
            blocks: VecDeque::new(),
            filters: foldhash::HashMap::default(),
            filter_bytes: 0,
        }
    }

    /// Takes out the id filter of partition `key`, covering all its
    /// segments `segs` whose tables are `tables` (as [`tables_of`] gives
    /// them; a segment without one is left out, as
    /// [`DedupCache::contains_in`] leaves it out): the ids of segments
    /// flushed since the last commit are added, and the filter is rebuilt
    /// larger when they would make it too full. Put it back with
    /// [`DedupCache::put_filter`].
    ///
    /// [`tables_of`]: DedupCache::tables_of
    fn take_filter(
        &mut self,
        key: &PartKey,
        segs: &[Arc<Segment>],
        tables: &[Option<IdTable>],
    ) -> block::IdFilter {
        let old = self.filters.remove(key).map(|(f, _)| f);
        if let Some(f) = &old {
            self.filter_bytes = self.filter_bytes.saturating_sub(f.memory());
        }
        let uncovered = |f: &block::IdFilter| {
            segs.iter()
                .zip(tables)
                .filter(|(s, _)| !f.covers(s.meta.seq))
                .filter_map(|(s, t)| Some((s.meta.seq, t.as_ref()?)))
                .collect::<Vec<_>>()
        };
        if let Some(mut f) = old {
            let new = uncovered(&f);
            if f.fits(new.iter().map(|(_, t)| t.entries.len()).sum()) {
                for (seq, t) in new {
                    f.add_table(seq, t);
                }
                return f;
            }
        }
        let total = tables.iter().flatten().map(|t| t.entries.len()).sum();
        let mut f =
            block::IdFilter::for_entries(total, block::IdFilter::max_bits_for(self.max_bytes / 2));
        for (seq, t) in uncovered(&f) {
            f.add_table(seq, t);
        }
        f
    }

    /// Puts back a filter taken with [`DedupCache::take_filter`]; the
    /// least recently used other filters are dropped while all take more
    /// than half of `dedup_cache_bytes`.
    fn put_filter(&mut self, key: PartKey, filter: block::IdFilter) {
        self.tick += 1;
        self.filter_bytes += filter.memory();
        while self.filter_bytes > self.max_bytes / 2 {
            let Some(oldest) = self
                .filters
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((f, _)) = self.filters.remove(&oldest) {
                self.filter_bytes = self.filter_bytes.saturating_sub(f.memory());
            }
        }
        self.filters.insert(key, (filter, self.tick));
    }

    /// Whether any of the segments holds the id. A segment that cannot be
    /// read counts as not holding it (logged): a duplicate is better than
    /// refusing every append of the partition.
    pub fn contains(&mut self, segs: &[Arc<Segment>], id: &EventId) -> bool {
        segs.iter().any(|s| self.holds(s, id))
    }

    /// The id tables of a partition's segments, for
    /// [`DedupCache::contains_in`]: looked up once for all the events of
    /// a commit instead of once per event and segment. A segment whose
    /// table cannot be read gets none (logged), and counts as not holding
    /// any id, as in [`DedupCache::contains`].
    fn tables_of(&mut self, segs: &[Arc<Segment>]) -> Vec<Option<IdTable>> {
        segs.iter()
            .map(|s| match self.table(s) {
                Ok(_) => self.tables.get(&s.meta.seq).map(|(t, _)| t.clone()),
                Err(e) => {
                    tracing::error!(error = %e, "cannot check a segment for duplicates");
                    None
                }
            })
            .collect()
    }

    /// [`DedupCache::contains`] with the segments' tables looked up
    /// already: a segment's blocks are read only when its table has the
    /// id's fingerprint.
    fn contains_in(
        &mut self,
        segs: &[Arc<Segment>],
        tables: &[Option<IdTable>],
        filter: &block::IdFilter,
        id: &EventId,
    ) -> bool {
        if !filter.may_hold(id) {
            return false;
        }
        segs.iter()
            .zip(tables)
            .any(|(s, t)| t.as_ref().is_some_and(|t| t.may_hold(id)) && self.holds(s, id))
    }

    fn holds(&mut self, seg: &Arc<Segment>, id: &EventId) -> bool {
        match self.contains_one(seg, id) {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "cannot check a segment for duplicates");
                false
            }
        }
    }

    fn contains_one(&mut self, seg: &Arc<Segment>, id: &EventId) -> Result<bool> {
        // Usually empty (no allocation): the id's fingerprint is not in
        // the segment.
        let blocks = self.table(seg)?.blocks_of(id);
        for b in blocks {
            if self.block_ids(seg, b)?.contains(id) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The id table of a segment, loaded on first use. Called for every
    /// appended event and every segment of its partition: one lookup, no
    /// reference counting.
    fn table(&mut self, seg: &Arc<Segment>) -> Result<&block::IdTable> {
        self.tick += 1;
        let tick = self.tick;
        let seq = seg.meta.seq;
        if !self.tables.contains_key(&seq) {
            let t = Arc::new(seg.reader()?.id_table()?);
            self.bytes += t.memory();
            self.tables.insert(seq, (t, tick));
            while self.bytes > self.max_bytes && self.tables.len() > 1 {
                let Some((&oldest, _)) = self.tables.iter().min_by_key(|(_, (_, used))| *used)
                else {
                    break;
                };
                if let Some((t, _)) = self.tables.remove(&oldest) {
                    self.bytes -= t.memory();
                }
            }
        }
        match self.tables.get_mut(&seq) {
            Some((t, used)) => {
                *used = tick;
                Ok(t)
            }
            None => Err(Error::Closed),
        }
    }

    fn block_ids(&mut self, seg: &Arc<Segment>, b: u32) -> Result<&IdSet> {
        let key = (seg.meta.seq, b);
        if let Some(i) = self.blocks.iter().position(|(k, _)| *k == key) {
            if let Some(entry) = self.blocks.remove(i) {
                self.blocks.push_back(entry);
            }
        } else {
            let ids = read_block_ids(seg, b)?;
            if self.blocks.len() >= 16 {
                self.blocks.pop_front();
            }
            self.blocks.push_back((key, ids));
        }
        match self.blocks.back() {
            Some((_, ids)) => Ok(ids),
            None => Err(Error::Closed),
        }
    }
}

fn read_block_ids(seg: &Arc<Segment>, b: u32) -> Result<IdSet> {
    let rdr = seg.reader()?;
    let Some(bm) = seg.meta.blocks.get(b as usize) else {
        return Err(Error::corrupt(
            "id table",
            &seg.path,
            0,
            format!("block {b} does not exist"),
        ));
    };
    let n = bm.count as usize;
    let shape_buf = rdr.frame(&bm.shape, "shape column")?;
    let shapes = Shapes::decode(&shape_buf, n, bm.sources.len(), seg.meta.fields.len())
        .map_err(|e| rdr.corrupt("shape column", &bm.shape, e))?;
    let ts_buf = rdr.frame(&bm.ts, "timestamp column")?;
    let ts =
        block::decode_ts(&ts_buf, n).map_err(|e| rdr.corrupt("timestamp column", &bm.ts, e))?;
    let aux_buf = rdr.frame(&bm.aux, "aux column")?;
    let aux =
        block::Aux::decode(&aux_buf, &ts).map_err(|e| rdr.corrupt("aux column", &bm.aux, e))?;
    let raw_buf = rdr.frame_owned(&bm.raw, "raw column")?;
    let raw = RawCol::decode(raw_buf, n).map_err(|e| rdr.corrupt("raw column", &bm.raw, e))?;
    Ok((0..n)
        .map(|i| block::event_id(&seg.meta.member, &bm.sources, i, &shapes, &aux, &raw))
        .collect())
}

fn flusher(inner: Arc<Inner>) {
    loop {
        let mut job = {
            let mut ctl = lock(&inner.flush);
            loop {
                if ctl.stop {
                    return;
                }
                if let Some(job) = ctl.job.take() {
                    break job;
                }
                ctl = inner
                    .flush_cv
                    .wait(ctl)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let mut done: BTreeMap<PartKey, Vec<Arc<Segment>>> = BTreeMap::new();
        loop {
            match flush_job(&inner, &job, &mut done) {
                Ok(()) => break,
                Err(e) => {
                    tracing::error!(error = %e, "flushing the event tail to segments failed; retrying in a second");
                    for w in job.waiters.drain(..) {
                        w.complete(Err(e.clone()));
                    }
                    std::thread::sleep(Duration::from_secs(1));
                    if lock(&inner.flush).stop {
                        return;
                    }
                }
            }
        }
        bump(&inner.counters.flushes, 1);
        {
            let mut ctl = lock(&inner.flush);
            ctl.busy = false;
        }
        inner.flush_cv.notify_all();
        for w in job.waiters.drain(..) {
            w.complete(Ok(()));
        }
        if inner.config.auto_compact_segments > 0 {
            let many: Vec<PartKey> = {
                let st = inner.read();
                done.keys()
                    .filter(|key| {
                        st.segments
                            .parts
                            .get(*key)
                            .is_some_and(|v| v.len() >= inner.config.auto_compact_segments)
                    })
                    .cloned()
                    .collect()
            };
            if !many.is_empty() {
                lock(&inner.compact).pending.extend(many);
                inner.compact_cv.notify_all();
            }
        }
    }
}

/// The compactor thread: compacts the partitions the flusher hands over,
/// at the lowest CPU priority, so that compaction never delays receiving,
/// the log or flushes on a busy core (it runs in the time they leave).
///
/// Every `compact_sweep_every` it also takes up the partitions of days that
/// have ended and are not compacted yet (more than one segment, or one
/// written from the tail at the flush's lower zstd level): a member that
/// sends little never reaches `auto_compact_segments` in a day, and its
/// day is compacted once it is over.
fn compactor(inner: Arc<Inner>) {
    lower_priority();
    let every = inner.config.compact_sweep_every;
    let mut next_sweep = Instant::now() + every;
    loop {
        let key = {
            let mut ctl = lock(&inner.compact);
            loop {
                if ctl.stop {
                    return;
                }
                if let Some(key) = ctl.pending.pop_first() {
                    break Some(key);
                }
                let now = Instant::now();
                if now >= next_sweep {
                    break None;
                }
                ctl = inner
                    .compact_cv
                    .wait_timeout(ctl, next_sweep - now)
                    .map_or_else(|e| e.into_inner().0, |(g, _)| g);
            }
        };
        match key {
            Some(key) => {
                if let Err(e) = compact_partition(&inner, &key) {
                    tracing::error!(error = %e, member = %key.member, day = %key.day, "background compaction failed");
                }
            }
            None => {
                next_sweep = Instant::now() + every;
                let ended = ended_uncompacted(&inner, now_ns());
                if !ended.is_empty() {
                    lock(&inner.compact).pending.extend(ended);
                }
            }
        }
    }
}

/// The partitions of days ended before `now` (Unix nanoseconds) that
/// compaction would change: more than one segment, or a segment written
/// below `compact_level`.
fn ended_uncompacted(inner: &Inner, now: i64) -> Vec<PartKey> {
    let today = Day::of(now, inner.config.utc_offset_seconds);
    let st = inner.read();
    st.segments
        .parts
        .iter()
        .filter(|(key, segs)| {
            key.day < today
                && (segs.len() > 1
                    || segs
                        .iter()
                        .any(|s| s.meta.level < inner.config.compact_level))
        })
        .map(|(key, _)| key.clone())
        .collect()
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Gives the calling thread the lowest CPU priority (nice 19; on Linux a
/// thread's nice value is its own).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19) {
        tracing::debug!(error = %e, "could not lower the compactor's CPU priority");
    }
}

/// Writes the frozen tail's partitions as segments (those not already
/// written by an earlier attempt), publishes them and trims the log.
fn flush_job(
    inner: &Inner,
    job: &FlushJob,
    done: &mut BTreeMap<PartKey, Vec<Arc<Segment>>>,
) -> Result<()> {
    for (key, part) in &job.tail.parts {
        if done.contains_key(key) {
            continue;
        }
        // Sorted references, so that the events are copied one at a time
        // into the writer's block rather than all at once; sorted with
        // their keys beside them, so that comparisons do not reach into
        // the events (cache misses).
        let mut keyed: Vec<(i64, EventId, &Event)> = part
            .chunks
            .iter()
            .flat_map(|c| c.iter())
            .map(|e| (e.timestamp, e.id, e))
            .collect();
        keyed.sort_unstable_by_key(|(ts, id, _)| (*ts, *id));
        let events: Vec<&Event> = keyed.into_iter().map(|(_, _, e)| e).collect();
        let mut written = Vec::new();
        for chunk in events.chunks(inner.config.segment_max_events.max(1)) {
            let seq = inner.next_seq.fetch_add(1, Ordering::SeqCst);
            let mut w = SegmentWriter::create(
                &inner.partition_dir(key),
                seq,
                key,
                Vec::new(),
                WriteOptions {
                    level: inner.config.flush_level,
                    block_events: inner.config.block_events,
                    cache: inner.cache.clone(),
                    derive_ids: false,
                },
            )?;
            for ev in chunk {
                w.push(Cow::Borrowed(*ev))?;
            }
            if let Some(s) = w.finish()? {
                written.push(Arc::new(s));
            }
        }
        done.insert(key.clone(), written);
    }
    let all: Vec<Arc<Segment>> = done.values().flatten().cloned().collect();
    {
        let mut st = inner.write();
        st.segments = Arc::new(st.segments.with(&all, &HashSet::new()));
        st.frozen = None;
    }
    let mut hold = lock(&inner.feed_hold);
    let keep_from = match *hold {
        Some(h) if h < job.checkpoint => {
            let held = wal::bytes_between(&inner.wal_dir, h, job.checkpoint)?;
            if held > inner.config.feed_max_log_bytes {
                tracing::warn!(
                    held_bytes = held,
                    limit = inner.config.feed_max_log_bytes,
                    "the event feed fell too far behind; log files it had not read are removed and it will report a gap"
                );
                wal::write_hold(&inner.wal_dir, Some(job.checkpoint))?;
                *hold = Some(job.checkpoint);
                job.checkpoint
            } else {
                h
            }
        }
        _ => u64::MAX,
    };
    wal::checkpoint(&inner.wal_dir, job.checkpoint, keep_from)
}

/// Merges the small segments of one partition into one, if there are at
/// least two that fit together under `segment_max_events`, or rewrites a
/// lone segment written at a lower zstd level than compaction's.
fn compact_partition(inner: &Inner, key: &PartKey) -> Result<CompactReport> {
    let _m = lock(&inner.maintenance);
    let segs: Vec<Arc<Segment>> = inner
        .read()
        .segments
        .parts
        .get(key)
        .cloned()
        .unwrap_or_default();
    let cap = inner.config.segment_max_events.max(1) as u64;
    let mut inputs = Vec::new();
    let mut total = 0u64;
    for s in &segs {
        if s.meta.events < cap / 2 + 1 && total + s.meta.events <= cap {
            total += s.meta.events;
            inputs.push(s.clone());
        }
    }
    // One segment alone is rewritten only to compress it harder (a
    // flushed segment, once its partition stops growing).
    let recompress = inputs.len() == 1
        && inputs
            .iter()
            .all(|s| s.meta.level < inner.config.compact_level);
    if inputs.len() < 2 && !recompress {
        return Ok(CompactReport::default());
    }
    let seq = inner.next_seq.fetch_add(1, Ordering::SeqCst);
    let mut w = SegmentWriter::create(
        &inner.partition_dir(key),
        seq,
        key,
        inputs.iter().map(|s| s.meta.seq).collect(),
        WriteOptions {
            level: inner.config.compact_level,
            block_events: inner.config.block_events,
            cache: inner.cache.clone(),
            derive_ids: true,
        },
    )?;
    let mut last: Option<(i64, EventId)> = None;
    for ev in search::merge_all(&inputs)? {
        let ev = ev?;
        let k = (ev.timestamp, ev.id);
        if last == Some(k) {
            continue;
        }
        last = Some(k);
        w.push(Cow::Owned(ev))?;
    }
    let Some(out) = w.finish()? else {
        return Ok(CompactReport::default());
    };
    let out = Arc::new(out);
    let remove: HashSet<u64> = inputs.iter().map(|s| s.meta.seq).collect();
    let published = {
        let mut st = inner.write();
        let present = st
            .segments
            .parts
            .get(key)
            .is_some_and(|v| remove.iter().all(|r| v.iter().any(|s| s.meta.seq == *r)));
        if present {
            st.segments = Arc::new(st.segments.with(std::slice::from_ref(&out), &remove));
        }
        present
    };
    if !published {
        out.mark_obsolete();
        return Ok(CompactReport::default());
    }
    for s in &inputs {
        s.mark_obsolete();
    }
    bump(&inner.counters.compactions, 1);
    Ok(CompactReport {
        merged: inputs.len(),
        written: 1,
    })
}

/// A consistent view for one search: the segments and the tail chunks.
pub(crate) struct Snapshot {
    pub segments: Arc<SegmentSet>,
    pub tail: Vec<(PartKey, Vec<Arc<Vec<Event>>>)>,
}

impl Inner {
    /// The segments and tail chunks of the partitions in scope whose days
    /// overlap `[from, to)`.
    pub(crate) fn snapshot(&self, scope: &MemberScope, from: i64, to: i64) -> Snapshot {
        let offset = self.config.utc_offset_seconds;
        let first = Day::of(from, offset);
        let last = Day::of(to.saturating_sub(1), offset);
        let wanted = |k: &PartKey| scope.includes(&k.member) && k.day >= first && k.day <= last;
        let st = self.read();
        let mut tail = Vec::new();
        for t in std::iter::once(&st.active).chain(st.frozen.as_deref()) {
            for (k, part) in &t.parts {
                if wanted(k) {
                    tail.push((k.clone(), part.chunks.clone()));
                }
            }
        }
        Snapshot {
            segments: st.segments.clone(),
            tail,
        }
    }

    pub(crate) fn partition_wanted(
        &self,
        scope: &MemberScope,
        from: i64,
        to: i64,
        k: &PartKey,
    ) -> bool {
        let offset = self.config.utc_offset_seconds;
        scope.includes(&k.member)
            && k.day >= Day::of(from, offset)
            && k.day <= Day::of(to.saturating_sub(1), offset)
    }
}
