//! Where received events go: a durable append that answers only once the
//! events are safely stored. On one node that is the local event store;
//! in multi-node mode, the NATS JetStream ingest stream.

use std::future::Future;
use std::pin::Pin;

use medsec_logs::Event;

/// Why an append failed. Nothing of a failed append is acknowledged to
/// the sender.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The sink is full: the caller waits or (UDP) drops and counts.
    #[error("the event store is busy")]
    Busy,
    #[error("storing events failed: {0}")]
    Failed(String),
}

pub type AppendFuture = Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send>>;

/// A durable destination for events.
pub trait EventSink: Send + Sync + 'static {
    /// Appends a batch; the future resolves once the batch is durable.
    /// It waits when the sink is full (backpressure for TCP, TLS, HTTP).
    fn append(&self, events: Vec<Event>) -> AppendFuture;

    /// Appends a batch without waiting for room: `Busy` when full (UDP,
    /// which cannot slow its senders, counts the batch as dropped).
    fn try_append(&self, events: Vec<Event>) -> Result<AppendFuture, SinkError>;
}

/// The local event store of a single node.
pub struct LocalSink(pub std::sync::Arc<medsec_events::EventStore>);

impl EventSink for LocalSink {
    fn append(&self, events: Vec<Event>) -> AppendFuture {
        let append = self.0.append_async(events);
        Box::pin(async move {
            append
                .await
                .map(|_| ())
                .map_err(|e| SinkError::Failed(e.to_string()))
        })
    }

    fn try_append(&self, events: Vec<Event>) -> Result<AppendFuture, SinkError> {
        match self.0.try_submit(events) {
            Ok(Ok(ticket)) => Ok(Box::pin(async move {
                ticket
                    .await
                    .map(|_| ())
                    .map_err(|e| SinkError::Failed(e.to_string()))
            })),
            Ok(Err(_full)) => Err(SinkError::Busy),
            Err(e) => Err(SinkError::Failed(e.to_string())),
        }
    }
}
