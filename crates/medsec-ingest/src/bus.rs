//! Multi-node mode: NATS JetStream as the ingest bus.
//!
//! Receiving nodes publish what their listeners decode to one JetStream
//! stream ([`JetStreamSink`]); a sender is acknowledged once JetStream
//! has stored the batch. An indexing node ([`run_indexer`]) consumes the
//! stream through a durable pull consumer, appends to its event store and
//! acknowledges the messages to JetStream only after the append is
//! durable. Nothing is lost when a node dies: unacknowledged senders
//! resend, unacknowledged messages are redelivered, and both are stored
//! once because event ids are deterministic and the event store
//! deduplicates by id (JetStream's duplicate window also drops a batch
//! published twice within it).
//!
//! The stream is the bounded disk buffer between receivers and indexers:
//! interest retention (a message goes once every consumer has
//! acknowledged it), `max_bytes` with new messages refused when full. A
//! full stream slows TCP, TLS and HTTP senders (their appends wait) and
//! drops UDP (counted per source); [`BusMetrics`] counts it.
//!
//! A batch travels as [`medsec_events::wire`] bytes, cut to the server's
//! largest message.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt;
use medsec_events::{EventStore, wire};
use medsec_logs::Event;
use sha2::{Digest, Sha256};

use crate::sink::{AppendFuture, EventSink, SinkError};

/// The stream's default name.
pub const DEFAULT_STREAM: &str = "MEDSEC_EVENTS";
/// The subject events are published to.
pub const DEFAULT_SUBJECT: &str = "medsec.events";
/// The durable consumer of the indexing nodes.
pub const INDEXER: &str = "medsec-indexer";
/// Default bound of the stream: 1 GiB.
pub const DEFAULT_MAX_BYTES: i64 = 1 << 30;

/// How a node reaches the bus.
#[derive(Clone, Debug)]
pub struct BusConfig {
    /// The NATS server(s), e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    pub stream: String,
    pub subject: String,
    /// Bound of the stream in bytes (the disk buffer).
    pub max_bytes: i64,
    /// How long an append keeps retrying while the stream is full or the
    /// server unreachable before it fails (and the sender is not
    /// acknowledged).
    pub append_patience: Duration,
}

impl BusConfig {
    pub fn new(url: impl Into<String>) -> BusConfig {
        BusConfig {
            url: url.into(),
            stream: DEFAULT_STREAM.into(),
            subject: DEFAULT_SUBJECT.into(),
            max_bytes: DEFAULT_MAX_BYTES,
            append_patience: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("connecting to NATS at {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("setting up the JetStream stream {stream}: {detail}")]
    Stream { stream: String, detail: String },
    #[error("the indexing consumer {consumer}: {detail}")]
    Consumer { consumer: String, detail: String },
}

/// What the bus did since the process started (exported in `/metrics`).
#[derive(Debug, Default)]
pub struct BusMetrics {
    /// Messages and events JetStream acknowledged to this node.
    pub published_messages: AtomicU64,
    pub published_events: AtomicU64,
    pub published_bytes: AtomicU64,
    /// Messages JetStream recognised as already stored (resent batches).
    pub duplicate_messages: AtomicU64,
    /// Publishes refused because the stream was full; appends wait and
    /// retry, UDP drops.
    pub full_refusals: AtomicU64,
    /// Publishes that failed otherwise (server unreachable, timeout).
    pub publish_errors: AtomicU64,
    /// Whether the stream was full at the last look.
    pub full: AtomicBool,
    /// Messages an indexing node stored and acknowledged, and the events
    /// they stored.
    pub indexed_messages: AtomicU64,
    pub indexed_events: AtomicU64,
    /// Events of indexed messages the store already had (a batch resent
    /// by its sender or delivered again after a node died).
    pub duplicate_events: AtomicU64,
    /// Messages that were delivered again (after a node died).
    pub redelivered_messages: AtomicU64,
    /// Messages that were not event batches (terminated, not retried).
    pub bad_messages: AtomicU64,
    /// The stream's messages and bytes at the last look.
    pub stream_messages: AtomicU64,
    pub stream_bytes: AtomicU64,
    /// Messages the indexing consumer has not acknowledged yet (waiting
    /// and in flight): the indexing lag.
    pub indexer_pending: AtomicU64,
}

/// A node's connection to the bus.
pub struct Bus {
    js: jetstream::Context,
    config: BusConfig,
    /// The largest encoded batch a message may carry.
    max_message: usize,
    pub metrics: Arc<BusMetrics>,
}

impl Bus {
    /// Connects and makes sure the stream and the indexing consumer exist
    /// (the consumer at once, so that interest retention keeps what is
    /// published before an indexing node first starts).
    pub async fn connect(config: BusConfig) -> Result<Arc<Bus>, BusError> {
        let client = async_nats::ConnectOptions::new()
            .name("medsec")
            .connection_timeout(Duration::from_secs(5))
            .connect(config.url.as_str())
            .await
            .map_err(|e| BusError::Connect {
                url: medsec_store::redact(&config.url),
                detail: e.to_string(),
            })?;
        let max_payload = client.server_info().max_payload;
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(10))
            .build(client);
        let bus = Bus {
            js,
            // Room for the headers and the batch's framing.
            max_message: max_payload.saturating_sub(4096).max(64 * 1024),
            config,
            metrics: Arc::new(BusMetrics::default()),
        };
        let stream = bus.stream().await?;
        bus.consumer(&stream).await?;
        Ok(Arc::new(bus))
    }

    pub fn config(&self) -> &BusConfig {
        &self.config
    }

    async fn stream(&self) -> Result<stream::Stream, BusError> {
        let c = &self.config;
        self.js
            .get_or_create_stream(stream::Config {
                name: c.stream.clone(),
                subjects: vec![c.subject.clone()],
                retention: stream::RetentionPolicy::Interest,
                storage: stream::StorageType::File,
                discard: stream::DiscardPolicy::New,
                max_bytes: c.max_bytes,
                duplicate_window: Duration::from_secs(120),
                description: Some("medsec: events received, waiting to be indexed".into()),
                ..Default::default()
            })
            .await
            .map_err(|e| BusError::Stream {
                stream: c.stream.clone(),
                detail: e.to_string(),
            })
    }

    async fn consumer(
        &self,
        stream: &stream::Stream,
    ) -> Result<consumer::Consumer<consumer::pull::Config>, BusError> {
        stream
            .get_or_create_consumer(
                INDEXER,
                consumer::pull::Config {
                    durable_name: Some(INDEXER.into()),
                    description: Some("medsec indexing nodes".into()),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(30),
                    max_ack_pending: 4096,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| BusError::Consumer {
                consumer: INDEXER.into(),
                detail: e.to_string(),
            })
    }

    /// Publishes a batch (cut to the largest message) and waits until
    /// JetStream has stored all of it. A full stream is retried until
    /// `patience` runs out (`None`: refused at once).
    async fn publish(&self, events: Vec<Event>, patience: Option<Duration>) -> Result<(), Publish> {
        if events.is_empty() {
            return Ok(());
        }
        let deadline = patience.map(|p| tokio::time::Instant::now() + p);
        let mut pending: Vec<Vec<Event>> = cut(events, self.max_message);
        let mut backoff = Duration::from_millis(5);
        loop {
            let mut acks = Vec::with_capacity(pending.len());
            for chunk in &pending {
                let payload = wire::encode(chunk);
                let msg = jetstream::message::PublishMessage::build()
                    .payload(payload.into())
                    .message_id(batch_id(chunk));
                acks.push(self.js.send_publish(self.config.subject.clone(), msg).await);
            }
            let mut retry = Vec::new();
            let mut last = Publish::Error(String::new());
            for (chunk, ack) in pending.into_iter().zip(acks) {
                let result = match ack {
                    Ok(ack) => ack.await,
                    Err(e) => Err(e),
                };
                match result {
                    Ok(ack) => {
                        let m = &self.metrics;
                        if ack.duplicate {
                            m.duplicate_messages.fetch_add(1, Ordering::Relaxed);
                        } else {
                            m.published_messages.fetch_add(1, Ordering::Relaxed);
                            m.published_events
                                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                            m.published_bytes.fetch_add(
                                chunk.iter().map(|e| e.raw.len() as u64).sum(),
                                Ordering::Relaxed,
                            );
                        }
                        m.full.store(false, Ordering::Relaxed);
                    }
                    Err(e) if is_full(&e) => {
                        self.metrics.full_refusals.fetch_add(1, Ordering::Relaxed);
                        self.metrics.full.store(true, Ordering::Relaxed);
                        last = Publish::Full;
                        retry.push(chunk);
                    }
                    Err(e) => {
                        self.metrics.publish_errors.fetch_add(1, Ordering::Relaxed);
                        last = Publish::Error(e.to_string());
                        retry.push(chunk);
                    }
                }
            }
            if retry.is_empty() {
                return Ok(());
            }
            match deadline {
                Some(d) if tokio::time::Instant::now() + backoff < d => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                    pending = retry;
                }
                _ => return Err(last),
            }
        }
    }

    /// Looks at the stream and the indexing consumer: fills the gauges of
    /// [`BusMetrics`] and whether the stream is full.
    pub async fn observe(&self) -> Result<(), BusError> {
        let mut stream = self.stream().await?;
        let info = stream.info().await.map_err(|e| BusError::Stream {
            stream: self.config.stream.clone(),
            detail: e.to_string(),
        })?;
        let m = &self.metrics;
        m.stream_messages
            .store(info.state.messages, Ordering::Relaxed);
        m.stream_bytes.store(info.state.bytes, Ordering::Relaxed);
        let max = u64::try_from(self.config.max_bytes).unwrap_or(u64::MAX);
        // Full when the next typical message would not fit.
        let full = self.config.max_bytes > 0
            && info.state.bytes.saturating_add(self.max_message as u64 / 4) > max;
        m.full.store(full, Ordering::Relaxed);
        let mut consumer = self.consumer(&stream).await?;
        let c = consumer.info().await.map_err(|e| BusError::Consumer {
            consumer: INDEXER.into(),
            detail: e.to_string(),
        })?;
        m.indexer_pending.store(
            c.num_pending.saturating_add(c.num_ack_pending as u64),
            Ordering::Relaxed,
        );
        Ok(())
    }

    /// Observes the bus every `every` until the task is aborted.
    pub async fn observe_every(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.observe().await {
                tracing::warn!(error = %e, "looking at the ingest bus failed");
            }
        }
    }
}

enum Publish {
    Full,
    Error(String),
}

impl From<Publish> for SinkError {
    fn from(p: Publish) -> SinkError {
        match p {
            Publish::Full => SinkError::Busy,
            Publish::Error(e) => SinkError::Failed(format!("the ingest bus: {e}")),
        }
    }
}

/// Whether JetStream refused a message because the stream is at its
/// bound (`maximum bytes exceeded`, `maximum messages exceeded`).
fn is_full(e: &jetstream::context::PublishError) -> bool {
    let mut text = e.to_string();
    if let Some(source) = std::error::Error::source(e) {
        text.push_str(&source.to_string());
    }
    text.contains("maximum") && text.contains("exceeded")
}

/// The batch's id for JetStream's duplicate window: the same events give
/// the same id.
fn batch_id(events: &[Event]) -> String {
    let mut h = Sha256::new();
    for e in events {
        h.update(e.id.0);
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Cuts a batch into pieces whose encoding fits `max` bytes (an event
/// larger than that travels alone; the receivers cap messages far below
/// any server's limit).
fn cut(events: Vec<Event>, max: usize) -> Vec<Vec<Event>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut size = 0usize;
    for ev in events {
        let n = wire::encoded_len(&ev);
        if !cur.is_empty() && size + n > max {
            out.push(std::mem::take(&mut cur));
            size = 0;
        }
        size += n;
        cur.push(ev);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The sink of a receiving node in multi-node mode.
pub struct JetStreamSink(pub Arc<Bus>);

impl EventSink for JetStreamSink {
    fn append(&self, events: Vec<Event>) -> AppendFuture {
        let bus = self.0.clone();
        Box::pin(async move {
            let patience = bus.config.append_patience;
            bus.publish(events, Some(patience))
                .await
                .map_err(SinkError::from)
        })
    }

    fn try_append(&self, events: Vec<Event>) -> Result<AppendFuture, SinkError> {
        if self.0.metrics.full.load(Ordering::Relaxed) {
            self.0.metrics.full_refusals.fetch_add(1, Ordering::Relaxed);
            return Err(SinkError::Busy);
        }
        let bus = self.0.clone();
        Ok(Box::pin(async move {
            bus.publish(events, None).await.map_err(SinkError::from)
        }))
    }
}

/// How many messages an indexing node takes at once.
const INDEX_BATCH: usize = 256;

/// The indexing node's work until the task is aborted: consumes the
/// stream into `store`, acknowledging each message once its events are
/// durable. Reconnects after errors.
pub async fn run_indexer(bus: Arc<Bus>, store: Arc<EventStore>) {
    loop {
        if let Err(e) = index(&bus, &store).await {
            tracing::warn!(error = %e, "indexing from the ingest bus stopped; retrying");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn index(bus: &Bus, store: &Arc<EventStore>) -> Result<(), BusError> {
    let stream = bus.stream().await?;
    let consumer = bus.consumer(&stream).await?;
    let err = |e: &dyn std::fmt::Display| BusError::Consumer {
        consumer: INDEXER.into(),
        detail: e.to_string(),
    };
    let messages = consumer
        .stream()
        .max_messages_per_batch(INDEX_BATCH)
        .heartbeat(Duration::from_secs(5))
        .messages()
        .await
        .map_err(|e| err(&e))?;
    let mut chunks = messages.ready_chunks(INDEX_BATCH);
    tracing::info!(stream = %bus.config.stream, "indexing from the ingest bus");
    let m = &bus.metrics;
    while let Some(chunk) = chunks.next().await {
        let mut events = Vec::new();
        let mut done = Vec::with_capacity(chunk.len());
        for msg in chunk {
            let msg = msg.map_err(|e| err(&e))?;
            if msg.info().is_ok_and(|i| i.delivered > 1) {
                m.redelivered_messages.fetch_add(1, Ordering::Relaxed);
            }
            match wire::decode(&msg.payload) {
                Ok(batch) => {
                    events.extend(batch);
                    done.push(msg);
                }
                Err(e) => {
                    // Never retried: it cannot become readable.
                    m.bad_messages.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(subject = %msg.subject, error = %e, "not an event batch; dropped from the ingest bus");
                    msg.ack_with(jetstream::AckKind::Term)
                        .await
                        .map_err(|e| err(&e))?;
                }
            }
        }
        let count = events.len();
        let stored = if events.is_empty() {
            0
        } else {
            match store.append_async(events).await {
                Ok(receipt) => receipt.stored,
                Err(e) => {
                    // Not acknowledged: JetStream delivers them again.
                    tracing::error!(error = %e, "storing events from the ingest bus failed");
                    for msg in done {
                        let _ = msg
                            .ack_with(jetstream::AckKind::Nak(Some(Duration::from_secs(1))))
                            .await;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            }
        };
        let n = done.len() as u64;
        for msg in done {
            msg.ack().await.map_err(|e| err(&e))?;
        }
        m.indexed_messages.fetch_add(n, Ordering::Relaxed);
        m.indexed_events.fetch_add(stored as u64, Ordering::Relaxed);
        m.duplicate_events
            .fetch_add(count.saturating_sub(stored) as u64, Ordering::Relaxed);
    }
    Err(err(&"the message stream ended"))
}

#[cfg(test)]
mod tests {
    use medsec_logs::{EventId, Fields};

    use super::*;

    fn ev(i: usize, len: usize) -> Event {
        let raw = format!("{i:06}{}", "x".repeat(len));
        Event {
            id: EventId::of("m", "s", raw.as_bytes()),
            member: "m".into(),
            source: "s".into(),
            timestamp: 1,
            received: 2,
            raw,
            fields: Fields::new(),
        }
    }

    #[test]
    fn batches_are_cut_to_the_largest_message_in_order() {
        let events: Vec<Event> = (0..100).map(|i| ev(i, 1000)).collect();
        let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
        let pieces = cut(events, 10_000);
        assert!(pieces.len() >= 10);
        for p in &pieces {
            let size: usize = p.iter().map(wire::encoded_len).sum();
            assert!(size <= 10_000, "{size}");
            assert!(wire::encode(p).len() <= 10_000 + 16);
        }
        let back: Vec<EventId> = pieces.iter().flatten().map(|e| e.id).collect();
        assert_eq!(back, ids);
        // One event larger than the bound travels alone.
        let pieces = cut(vec![ev(1, 10), ev(2, 50_000), ev(3, 10)], 10_000);
        assert_eq!(pieces.iter().map(Vec::len).collect::<Vec<_>>(), [1, 1, 1]);
    }

    #[test]
    fn batch_ids_follow_the_events() {
        let a: Vec<Event> = (0..3).map(|i| ev(i, 5)).collect();
        let b: Vec<Event> = (0..3).map(|i| ev(i, 5)).collect();
        assert_eq!(batch_id(&a), batch_id(&b));
        assert_eq!(batch_id(&a).len(), 32);
        assert_ne!(batch_id(&a), batch_id(&b[..2]));
    }
}
