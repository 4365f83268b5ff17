//! The feed: every stored event once, in the order the store committed
//! it, for a consumer that must see each event exactly once across
//! restarts (live detection).
//!
//! The write-ahead log already holds every acknowledged batch, in commit
//! order, with duplicates left out; the feed reads it back. A
//! [`FeedPosition`] (log file and offset) says where the consumer is; the
//! consumer stores it durably together with what it derived from the
//! events before it (alerts, correlation state) and hands it back to
//! [`EventStore::feed`] after a restart. Meanwhile the feed holds the log:
//! files the consumer has not [released](Feed::release) are kept after the
//! flush that would have removed them, up to
//! [`Config::feed_max_log_bytes`](crate::Config::feed_max_log_bytes); past
//! that the oldest are removed anyway and the feed reports the
//! [gap](FeedItem::Gap), so a stalled consumer never fills the disk
//! silently.
//!
//! Only synced records are read: the writer publishes the log's synced
//! length after each group commit, and the feed never reads past it.

use std::fmt;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use medsec_logs::Event;

use crate::error::{Error, Result};
use crate::store::{EventStore, Inner, lock};
use crate::wal;

/// A place in the store's commit order: a log file and the offset of the
/// next record in it. Written `FILE:OFFSET` (decimal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeedPosition {
    pub file: u64,
    pub offset: u64,
}

impl fmt::Display for FeedPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.offset)
    }
}

impl FromStr for FeedPosition {
    type Err = Error;

    fn from_str(s: &str) -> Result<FeedPosition> {
        let bad = || Error::Request(format!("`{s}` is not a feed position (FILE:OFFSET)"));
        let (file, offset) = s.split_once(':').ok_or_else(bad)?;
        Ok(FeedPosition {
            file: file.parse().map_err(|_| bad())?,
            offset: offset.parse().map_err(|_| bad())?,
        })
    }
}

/// What [`Feed::next`] read.
#[derive(Debug)]
pub enum FeedItem {
    /// A committed batch, and the position after it.
    Batch {
        events: Vec<Event>,
        position: FeedPosition,
    },
    /// The events between `from` and `to` are gone from the log (the
    /// feed's hold was given up because the consumer fell too far behind,
    /// or the position handed to [`EventStore::feed`] is no longer in the
    /// log): they are stored and searchable, but the feed cannot give
    /// them. Reading goes on at `to`.
    Gap {
        from: FeedPosition,
        to: FeedPosition,
    },
}

/// The one reader of a store's commit order (see the module
/// documentation). Dropping it leaves the hold in place, so that the next
/// feed goes on where this one was released.
pub struct Feed {
    inner: Arc<Inner>,
    pos: FeedPosition,
    open: Option<(u64, PathBuf, File, u64)>,
    buf: Vec<u8>,
}

impl EventStore {
    /// Opens the feed at `from` (a position a previous feed reached), or
    /// at the end of the log when `None` (events committed from now on).
    /// The log is held from there until [`Feed::release`] moves on. Only
    /// one feed can be open at a time.
    pub fn feed(&self, from: Option<FeedPosition>) -> Result<Feed> {
        let inner = self.inner().clone();
        if inner.feed_open.swap(true, Ordering::AcqRel) {
            return Err(Error::Request("the event feed is already open".into()));
        }
        let start = match from {
            Some(p) => p,
            None => *lock(&inner.committed),
        };
        let held = {
            let mut hold = lock(&inner.feed_hold);
            let want = start.file.min(hold.unwrap_or(u64::MAX));
            if *hold != Some(want) {
                wal::write_hold(&inner.wal_dir, Some(want)).map(|()| *hold = Some(want))
            } else {
                Ok(())
            }
        };
        if let Err(e) = held {
            inner.feed_open.store(false, Ordering::Release);
            return Err(e);
        }
        Ok(Feed {
            inner,
            pos: FeedPosition {
                file: start.file,
                offset: start.offset.max(wal::WAL_MAGIC.len() as u64),
            },
            open: None,
            buf: Vec::new(),
        })
    }

    /// Gives up the feed's hold on the log (when nothing consumes the
    /// feed any more): log files are again removed once flushed.
    pub fn drop_feed(&self) -> Result<()> {
        let inner = self.inner();
        if inner.feed_open.load(Ordering::Acquire) {
            return Err(Error::Request("the event feed is open".into()));
        }
        let mut hold = lock(&inner.feed_hold);
        wal::write_hold(&inner.wal_dir, None)?;
        *hold = None;
        let checkpoint = wal::read_checkpoint(&inner.wal_dir)?;
        wal::remove_before(&inner.wal_dir, checkpoint)
    }

    /// The position after the last committed batch.
    pub fn feed_end(&self) -> FeedPosition {
        *lock(&self.inner().committed)
    }
}

impl Feed {
    /// Where the next [`Feed::next`] reads.
    pub fn position(&self) -> FeedPosition {
        self.pos
    }

    /// The next committed batch (or gap), waiting up to `timeout` for one
    /// to be committed; `None` when none came.
    pub fn next(&mut self, timeout: Duration) -> Result<Option<FeedItem>> {
        let deadline = Instant::now() + timeout;
        loop {
            let committed = {
                let mut c = lock(&self.inner.committed);
                loop {
                    if self.pos.file != c.file || self.pos.offset < c.offset {
                        break *c;
                    }
                    let now = Instant::now();
                    if now >= deadline || self.inner.closed.load(Ordering::Acquire) {
                        return Ok(None);
                    }
                    c = self
                        .inner
                        .committed_cv
                        .wait_timeout(c, deadline - now)
                        .map(|(g, _)| g)
                        .unwrap_or_else(|p| p.into_inner().0);
                }
            };
            if self.pos.file > committed.file {
                // A position from a log that no longer exists (the store
                // was recreated): what it names cannot be read.
                let from = self.pos;
                self.pos = committed;
                self.open = None;
                return Ok(Some(FeedItem::Gap {
                    from,
                    to: committed,
                }));
            }
            let limit = if self.pos.file == committed.file {
                Some(committed.offset)
            } else {
                None
            };
            if !self.ensure_open()? {
                // The file is gone: go on at the next one there is.
                let from = self.pos;
                let next = wal::list(&self.inner.wal_dir)?
                    .into_iter()
                    .map(|(s, _)| s)
                    .find(|&s| s > from.file)
                    .unwrap_or(committed.file);
                self.pos = FeedPosition {
                    file: next,
                    offset: wal::WAL_MAGIC.len() as u64,
                };
                return Ok(Some(FeedItem::Gap { from, to: self.pos }));
            }
            match self.read_record(limit)? {
                Some(events) => {
                    return Ok(Some(FeedItem::Batch {
                        events,
                        position: self.pos,
                    }));
                }
                None if limit.is_none() => {
                    // The end of a finished file: the next one follows
                    // (a missing one is reported as a gap above).
                    self.open = None;
                    self.pos = FeedPosition {
                        file: self.pos.file + 1,
                        offset: wal::WAL_MAGIC.len() as u64,
                    };
                }
                None => {}
            }
        }
    }

    /// Opens the current file; `false` if it does not exist.
    fn ensure_open(&mut self) -> Result<bool> {
        if self
            .open
            .as_ref()
            .is_some_and(|(s, ..)| *s == self.pos.file)
        {
            return Ok(true);
        }
        let path = self.inner.wal_dir.join(wal::file_name(self.pos.file));
        match File::open(&path) {
            Ok(f) => {
                let len = f
                    .metadata()
                    .map_err(|e| Error::io("stat log file", &path, e))?
                    .len();
                self.open = Some((self.pos.file, path, f, len));
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("open log file", &path, e)),
        }
    }

    /// Reads the record at the current position, if it ends within
    /// `limit` (the synced length of the file being written) or, for a
    /// finished file, within the file.
    fn read_record(&mut self, limit: Option<u64>) -> Result<Option<Vec<Event>>> {
        let Some((_, path, file, len)) = self.open.as_mut() else {
            return Ok(None);
        };
        let at = self.pos.offset;
        // The file grows while it is written: its length is read again
        // when it is the file being written, or when a finished file
        // seems to end (it may have been opened while it was written).
        if limit.is_some() || at + 8 > *len {
            *len = file
                .metadata()
                .map_err(|e| Error::io("stat log file", &*path, e))?
                .len();
        }
        let end = limit.unwrap_or(*len).min(*len);
        if at + 8 > end {
            return Ok(None);
        }
        let mut head = [0u8; 8];
        file.read_exact_at(&mut head, at)
            .map_err(|e| Error::io("read log file", &*path, e))?;
        let size = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if size == 0 || size > wal::MAX_RECORD as u64 {
            return Err(Error::corrupt(
                "log record",
                &*path,
                at,
                format!("impossible record length {size}"),
            ));
        }
        if at + 8 + size > end {
            if limit.is_some() {
                return Ok(None);
            }
            return Err(Error::corrupt(
                "log record",
                &*path,
                at,
                format!("record of {size} bytes runs past the end of the file"),
            ));
        }
        self.buf.resize(size as usize, 0);
        file.read_exact_at(&mut self.buf, at + 8)
            .map_err(|e| Error::io("read log file", &*path, e))?;
        if crc32fast::hash(&self.buf) != crc {
            return Err(Error::corrupt(
                "log record",
                &*path,
                at,
                "record checksum mismatch",
            ));
        }
        let events = wal::decode_record(&self.buf, path, at)?;
        self.pos.offset = at + 8 + size;
        Ok(Some(events))
    }

    /// Lets the store remove the log files before `upto`'s file: call it
    /// once the consumer has durably recorded `upto` (a position this
    /// feed returned), so that a restart finds the log from there.
    pub fn release(&self, upto: FeedPosition) -> Result<()> {
        let inner = &self.inner;
        let mut hold = lock(&inner.feed_hold);
        if hold.is_some_and(|h| upto.file <= h) {
            return Ok(());
        }
        wal::write_hold(&inner.wal_dir, Some(upto.file))?;
        *hold = Some(upto.file);
        let checkpoint = wal::read_checkpoint(&inner.wal_dir)?;
        wal::remove_before(&inner.wal_dir, checkpoint.min(upto.file))
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.inner.feed_open.store(false, Ordering::Release);
    }
}
