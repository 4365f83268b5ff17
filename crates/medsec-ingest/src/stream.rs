//! One syslog connection (TCP or TLS): frames are cut out of the stream
//! (RFC 6587 octet counting or newline framing), decoded and appended in
//! batches, one batch per read. While a batch is being stored the next
//! chunk is read and decoded, and it is appended only once the previous
//! batch is durable; nothing more is read until then. A slow store
//! therefore slows the sender through TCP flow control instead of
//! growing memory (at most two batches a connection).
//!
//! Acknowledgement: syslog over TCP has no application acknowledgement,
//! so a sender knows its messages are stored when medsec closes the
//! connection after the sender closed its side: the close comes only
//! after everything received was appended durably. A connection that
//! fails to store its events ends with [`End::StoreFailed`] and no
//! close; its acceptor then resets it (`SO_LINGER` zero), so that the
//! sender sees an error rather than what looks like an acknowledgement.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::Duration;

use medsec_logs::Event;
use medsec_logs::framing::{Framer, FramerConfig, FramerStats};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::counters::{Counters, ErrorSample, sample_text};
use crate::decode::{ConnState, Decoded};
use crate::registry::Source;
use crate::sink::EventSink;

/// Limits that keep one connection from hurting the others.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The longest message kept (longer ones are cut and flagged).
    pub max_frame: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle: Duration,
    /// Events appended at once at most.
    pub max_batch: usize,
    /// Connections of one source at once; more are refused.
    pub max_connections: i64,
    /// The read buffer of a connection.
    pub read_buffer: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_frame: 64 * 1024,
            idle: Duration::from_secs(300),
            max_batch: 4096,
            max_connections: 256,
            read_buffer: 64 * 1024,
        }
    }
}

/// Why a connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// The sender closed its side and everything was stored.
    Closed,
    /// Nothing arrived for [`Limits::idle`].
    Idle,
    /// The store failed: nothing after the last batch is acknowledged.
    StoreFailed,
    /// Reading failed (reset by the peer, TLS error).
    ReadFailed,
}

/// Receives one connection of `source` until it ends.
pub async fn serve<S>(
    mut stream: S,
    source: Arc<Source>,
    sink: Arc<dyn EventSink>,
    counters: Counters,
    limits: Limits,
) -> End
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let c = &source.counters;
    if c.connections.fetch_add(1, Ordering::Relaxed) >= limits.max_connections {
        c.connections.fetch_sub(1, Ordering::Relaxed);
        c.dropped.fetch_add(1, Ordering::Relaxed);
        counters.sample(ErrorSample {
            source_id: source.id.clone(),
            member_id: source.member.clone(),
            at_ms: now_ms(),
            kind: "connections",
            message: format!(
                "more than {} connections at once; refused",
                limits.max_connections
            ),
            sample: String::new(),
        });
        return End::ReadFailed;
    }
    let end = receive(&mut stream, &source, &*sink, &counters, limits).await;
    if end == End::Closed {
        // Everything the sender sent is durable: say so by closing.
        let _ = stream.shutdown().await;
    }
    c.connections.fetch_sub(1, Ordering::Relaxed);
    end
}

async fn receive<S>(
    stream: &mut S,
    source: &Source,
    sink: &dyn EventSink,
    counters: &Counters,
    limits: Limits,
) -> End
where
    S: AsyncRead + Unpin,
{
    let mut framer = Framer::new(FramerConfig {
        max_frame: limits.max_frame,
        ..FramerConfig::default()
    });
    let mut conn = source.decoder.connection();
    let mut buf = vec![0u8; limits.read_buffer];
    let mut seen = FramerStats::default();
    // The previous read's batch while it is being stored: the next chunk
    // is read and decoded meanwhile (the writer's log sync overlaps the
    // decoding), and appended only once that batch is durable, so at most
    // two batches of a connection are in memory and a slow store still
    // slows the sender.
    let mut storing = None;
    loop {
        let read = tokio::time::timeout(limits.idle, stream.read(&mut buf)).await;
        let n = match read {
            Ok(Ok(n)) => n,
            other => {
                // Whatever was received before ends stored or failed.
                if let Some(append) = storing.take()
                    && !append.await
                {
                    return End::StoreFailed;
                }
                return match other {
                    Err(_) => End::Idle,
                    _ => End::ReadFailed,
                };
            }
        };
        let received = now_ns();
        let mut batch = Batch::new(source, counters, received);
        // Room for the events of the chunk (messages are rarely shorter
        // than 64 bytes), so that the batch does not grow event by event.
        batch.events.reserve(n / 64 + 1);
        if n == 0 {
            framer.finish(|f| batch.frame(f.data, f.truncated, &mut conn));
        } else {
            framer.decode(buf.get(..n).unwrap_or_default(), |f| {
                batch.frame(f.data, f.truncated, &mut conn)
            });
        }
        count_framing(source, counters, &framer, &mut seen);
        if let Some(append) = storing.take()
            && !append.await
        {
            return End::StoreFailed;
        }
        let mut append = Box::pin(batch.flush(sink, limits.max_batch));
        if n == 0 {
            return if append.await {
                End::Closed
            } else {
                End::StoreFailed
            };
        }
        // Hand the batch to the store now (the first poll queues it) and
        // read on while it is stored.
        match std::future::poll_fn(|cx| Poll::Ready(append.as_mut().poll(cx))).await {
            Poll::Ready(true) => {}
            Poll::Ready(false) => return End::StoreFailed,
            Poll::Pending => storing = Some(append),
        }
    }
}

/// Drops the framer saw since the last look (skipped and malformed
/// frames): counted and sampled.
fn count_framing(source: &Source, counters: &Counters, framer: &Framer, seen: &mut FramerStats) {
    let now = framer.stats();
    let lost = (now.skipped + now.malformed).saturating_sub(seen.skipped + seen.malformed);
    if lost > 0 {
        source.counters.dropped.fetch_add(lost, Ordering::Relaxed);
        counters.sample(ErrorSample {
            source_id: source.id.clone(),
            member_id: source.member.clone(),
            at_ms: now_ms(),
            kind: "framing",
            message: format!("{lost} frame(s) with a malformed octet count or cut short"),
            sample: String::new(),
        });
    }
    *seen = now;
}

/// The events decoded from one read.
pub(crate) struct Batch<'a> {
    source: &'a Source,
    counters: &'a Counters,
    received: i64,
    events: Vec<Event>,
    bytes: u64,
    problems: usize,
}

impl<'a> Batch<'a> {
    pub(crate) fn new(source: &'a Source, counters: &'a Counters, received: i64) -> Batch<'a> {
        Batch {
            source,
            counters,
            received,
            events: Vec::new(),
            bytes: 0,
            problems: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    /// Events of the batch stored with a decoding problem.
    pub(crate) fn problems(&self) -> usize {
        self.problems
    }

    /// Decodes one message into the batch, counting and sampling what
    /// cannot be stored or read.
    pub(crate) fn frame(&mut self, data: &[u8], truncated: bool, conn: &mut ConnState) {
        if data.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let c = &self.source.counters;
        match conn.decode(data, self.received, truncated) {
            Decoded::Event { event, problem } => {
                if let Some(problem) = problem {
                    self.problems += 1;
                    c.parse_errors.fetch_add(1, Ordering::Relaxed);
                    self.counters.sample(ErrorSample {
                        source_id: self.source.id.clone(),
                        member_id: self.source.member.clone(),
                        at_ms: self.received / 1_000_000,
                        kind: "parse",
                        message: problem,
                        // The stored event's raw text is masked; the sample
                        // is taken from it, never from the unmasked input.
                        sample: sample_text(event.raw.as_bytes()),
                    });
                }
                self.bytes += data.len() as u64;
                self.events.push(event);
            }
            Decoded::Skipped => {}
        }
    }

    /// Appends the batch (in slices of `max_batch`); false when the store
    /// failed.
    pub(crate) async fn flush(self, sink: &dyn EventSink, max_batch: usize) -> bool {
        if self.events.is_empty() {
            return true;
        }
        let c = &self.source.counters;
        let count = self.events.len() as u64;
        let mut events = self.events;
        while !events.is_empty() {
            let rest = if events.len() > max_batch {
                events.split_off(max_batch)
            } else {
                Vec::new()
            };
            if let Err(e) = sink.append(events).await {
                tracing::warn!(source = %self.source.id, error = %e, "events not stored; connection closed without acknowledgement");
                return false;
            }
            events = rest;
        }
        c.stored(count, self.bytes, self.received / 1_000_000);
        true
    }

    /// Appends without waiting for room (UDP): a full sink drops the
    /// batch (counted); otherwise the returned future completes the
    /// append and counts the events stored, or dropped if it failed.
    pub(crate) fn try_flush(
        self,
        sink: &dyn EventSink,
    ) -> Option<impl Future<Output = ()> + Send + 'static> {
        if self.events.is_empty() {
            return None;
        }
        let c = self.source.counters.clone();
        let count = self.events.len() as u64;
        let (bytes, at) = (self.bytes, self.received / 1_000_000);
        match sink.try_append(self.events) {
            Ok(append) => Some(async move {
                match append.await {
                    Ok(()) => c.stored(count, bytes, at),
                    Err(_) => {
                        c.dropped.fetch_add(count, Ordering::Relaxed);
                    }
                }
            }),
            Err(_) => {
                c.dropped.fetch_add(count, Ordering::Relaxed);
                None
            }
        }
    }
}

pub(crate) fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

pub(crate) fn now_ms() -> i64 {
    now_ns() / 1_000_000
}
