//! The errors of the event store, each with the operation and the file or
//! position it concerns.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::query::ParseError;

/// Why an operation of the event store failed.
///
/// Errors are `Clone` because one failed group commit answers every
/// appender of the group with the same error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// A read, write, sync, rename or removal failed.
    #[error("{op} `{path}`: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: Arc<io::Error>,
    },
    /// A file of the store does not hold what its format says: a bad
    /// checksum, a truncated segment, an impossible length.
    #[error("corrupt {what} in `{path}` at byte {offset}: {detail}")]
    Corrupt {
        what: &'static str,
        path: PathBuf,
        offset: u64,
        detail: String,
    },
    /// The directory was created by another version of the store or with
    /// another partitioning offset than the configuration asks for.
    #[error("the event store at `{path}` cannot be opened: {detail}")]
    Incompatible { path: PathBuf, detail: String },
    /// Another process (or another handle in this one) has the store open.
    #[error("the event store at `{path}` is already open (lock file held)")]
    Locked { path: PathBuf },
    /// An event of an appended batch cannot be stored; nothing of the
    /// batch was written.
    #[error("event {index} of the batch (id {id}): {reason}")]
    InvalidEvent {
        index: usize,
        id: String,
        reason: String,
    },
    /// The query text does not parse.
    #[error(transparent)]
    Query(#[from] ParseError),
    /// A search or export request is not valid (a reversed time range, a
    /// page size of zero, too many histogram buckets, …).
    #[error("invalid search request: {0}")]
    Request(String),
    /// A paging cursor that is malformed or belongs to another search.
    #[error("invalid cursor: {0}")]
    Cursor(String),
    /// An earlier write or sync of the write-ahead log failed, so the log's
    /// state on disk is unknown; the store refuses further appends until it
    /// is reopened (which replays what the log durably holds).
    #[error("the event store stopped accepting events after a failed write: {0}")]
    Poisoned(String),
    /// The store was closed.
    #[error("the event store is closed")]
    Closed,
    /// A bug: a worker thread of the store panicked.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// An I/O error with what was being done and to which path.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            op,
            path: path.into(),
            source: Arc::new(source),
        }
    }

    /// Corrupt data in a file.
    pub(crate) fn corrupt(
        what: &'static str,
        path: impl Into<PathBuf>,
        offset: u64,
        detail: impl Into<String>,
    ) -> Error {
        Error::Corrupt {
            what,
            path: path.into(),
            offset,
            detail: detail.into(),
        }
    }
}

/// The result of the store's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
