//! medsec's own event store for the security logs of member hospitals:
//! durable (write-ahead log with group commit), time-partitioned
//! (member × day), compressed (zstd column blocks), indexed (tokens,
//! field values, ids) and searchable with a small query language.
//!
//! # Writing
//!
//! [`EventStore::append`] (blocking), [`EventStore::submit`] (a
//! [`Ticket`] to wait on or await) and [`EventStore::append_async`] (a
//! future for any executor) hand a batch to the writer thread through a
//! bounded queue; a full queue makes the caller wait (backpressure). The
//! writer takes everything queued, drops events whose id its partition
//! already holds, appends one log record per batch, syncs the log once
//! for the whole group (`fdatasync`) and only then answers every batch of
//! the group ([`AppendReceipt`]). After that the events survive a
//! `kill -9` and are visible to searches (they are in the in-memory
//! tail).
//!
//! **Deduplication scope**: an event whose [`EventId`](medsec_logs::EventId)
//! is already stored *in the same partition* (same member, same day of
//! `@timestamp`) is skipped — whether it is in the tail, in a segment, or
//! earlier in the same group. The same id with a `@timestamp` on another
//! day (possible only when a resent message had no time of its own and was
//! stamped on receipt) is stored again in that day's partition.
//!
//! # Storage
//!
//! When the tail reaches its bound ([`Config`]) or on
//! [`EventStore::flush`], the flusher thread writes it as one segment per
//! partition, then trims the log. Compaction ([`EventStore::compact`],
//! and in the background for partitions with many segments) merges a
//! partition's small segments. Layout of the directory:
//!
//! ```text
//! STORE                       format version and the partitions' UTC offset
//! LOCK                        held (flock) while the store is open
//! wal/<n>.wal, CHECKPOINT     the write-ahead log
//! data/<member>/<YYYY-MM-DD>/<n>.seg   segments of one partition
//! ```
//!
//! Days are calendar days at `Config::utc_offset_seconds` (KST by
//! default), so a Korean day is one partition. A segment holds blocks of
//! 4,096 events sorted by `(@timestamp, id)`, each column a zstd frame
//! with a CRC-32 (timestamps as deltas in their common unit, layouts and
//! dictionary codes at fixed widths, raw messages as one frame); an index
//! of full-text terms and one of field values, both mapping to blocks; a
//! Golomb-Rice-coded table of id fingerprints; a footer with per-block
//! time ranges and integer zones. Ids that `EventId::of(member, source,
//! raw)` reproduces (nothing was masked) are not stored but recomputed.
//! Segment and log writes go to a temporary name, are synced and renamed,
//! so a crash leaves either the old or the new state, which opening
//! completes: unfinished segments are removed, a compaction's inputs that
//! its output names as replaced are removed, a partition with a deletion
//! tombstone is removed.
//!
//! Retention ([`EventStore::apply_retention`]) deletes whole partitions
//! older than a member's retention; [`EventStore::stats`] gives events
//! and bytes per member and day for billing.
//!
//! # Memory
//!
//! Bounded by [`Config`]: the append queue (events and bytes); the tail
//! (a tail is frozen for flushing once it reaches its bound in events or
//! bytes, a second one fills meanwhile, and when that one is full too the
//! writer waits, so appenders wait: at most two tails, each at most the
//! bound plus one commit group, which the queue bounds); a segment being
//! written (one block of events and the segment's indexes); the
//! deduplication cache and the frame cache (decompressed index chunks and
//! small columns; raw messages are never cached); and a search's decoded
//! blocks (one per segment it is merging). The integration test
//! `memory_stays_bounded_under_load` checks the queue and tail bounds.
//!
//! # Searching
//!
//! [`EventStore::search`] takes a [`SearchRequest`]: a [`Query`], a
//! [`TimeRange`], a [`MemberScope`] (required: there is no default, so a
//! hospital's search cannot forget to limit itself to its own id), a
//! page size, a [`Cursor`] and an optional histogram bucket width. It
//! answers the page (newest first), the exact total, the histogram and the
//! next cursor. It counts on `Config::search_threads` threads: per
//! segment in range, the indexes pick the blocks that may match, and
//! each of those is evaluated exactly, column by column (field conditions
//! on dictionary codes, full text with a byte matcher on the lower-cased
//! raw messages and the tokenizer for non-ASCII ones). The page is then
//! merged newest first from the blocks that matched and from the tail,
//! decoding only the events it returns. [`EventStore::export`] iterates
//! over every match, oldest or newest first, for [`CsvWriter`] and
//! [`NdjsonWriter`].
//!
//! # Query language
//!
//! Documented with examples in `docs/search.md`. In short:
//!
//! | syntax | meaning |
//! |---|---|
//! | `failed`, `"failed password"` | full text on the raw message (tokens, see below) |
//! | `fail*`, `f?iled` | a full-text token matching the wildcard pattern |
//! | `field:value`, `field:"a b"` | the field's value equals (typed: `destination.port:22` is the number 22) |
//! | `field:pre*`, `field:a?c` | the field's text matches the wildcard pattern |
//! | `field:*`, `_exists_:field` | the event has the field |
//! | `field>=1024`, `>`, `<`, `<=` | numeric, address, time or text comparison |
//! | `field:[a TO b]`, `{a TO b}`, `[a TO *]` | a range, bounds included (`[]`) or not (`{}`) |
//! | `source.ip:10.0.0.0/8` | an address inside the network |
//! | `a AND b`, `a b`, `a OR b`, `NOT a`, `( … )` | boolean logic; `AND` binds tighter than `OR` |
//!
//! Full text: the raw message is cut into tokens of letters and digits,
//! lower-cased; a query word matches a token equal to it, a phrase
//! consecutive tokens. Korean (and Chinese and Japanese) is matched inside
//! words: `서버` finds `서버가`; the index stores Hangul as character
//! bigrams. Details in [`text`](crate::text)'s documentation.
//!
//! Besides the event's fields, queries know `@timestamp` and
//! `event.ingested` (nanoseconds, comparable with RFC 3339 times such as
//! `@timestamp>=2024-05-01T09:00:00+09:00`), `_member`, `_source` and `_id`.

mod cache;
mod codec;
mod error;
mod export;
pub mod feed;
mod partition;
pub mod query;
mod queue;
mod search;
mod segment;
mod store;
mod tail;
pub mod text;
mod ticket;
mod wal;
pub mod wire;

pub use error::{Error, Result};
pub use export::{CsvOptions, CsvWriter, NdjsonWriter, rfc3339};
pub use feed::{Feed, FeedItem, FeedPosition};
pub use partition::{Day, PartKey};
pub use query::{ParseError, Query};
pub use search::{
    Cursor, Export, Histogram, MAX_BUCKETS, MAX_PAGE, MemberScope, Order, SearchRequest,
    SearchResult, TimeRange,
};
pub use store::{
    AppendFuture, AppendReceipt, CompactReport, Config, Counters, DayStats, DeletedPartition,
    EventStore, MAX_RAW_BYTES, MemoryUse, OpenReport, StorageBreakdown,
};
pub use ticket::Ticket;
pub use wal::TornRecord;
