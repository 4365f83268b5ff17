//! The write-ahead log: numbered files in `wal/`, each a magic header and
//! records of `length u32 | CRC-32 u32 | payload`, a payload being one
//! appended batch (a varint count and the events, see [`crate::codec`]).
//!
//! The writer thread appends the records of a group of batches and syncs
//! the file once (`fdatasync`) before any batch of the group is
//! acknowledged. When the in-memory tail is frozen for a flush, the log
//! moves on to a new file; once the frozen events are in segments, the
//! `CHECKPOINT` file records the first log file still needed and the
//! older files are removed.
//!
//! While a feed (see [`crate::feed`]) reads the log, the `FEED` file
//! holds the first log file it still needs, and files from there on are
//! kept even after the checkpoint passed them, up to
//! [`crate::Config::feed_max_log_bytes`].
//!
//! On open every file from the checkpoint on is replayed. A record whose
//! length runs past the end of the file or whose checksum does not match
//! is a torn write (the process died before the sync that would have
//! acknowledged it): the file is cut there and the cut is reported.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use medsec_logs::Event;

use crate::codec::{self, Dec, Enc};
use crate::error::{Error, Result};
use crate::segment::write::sync_dir;

pub(crate) const WAL_MAGIC: &[u8; 8] = b"MSWAL\0\0\x01";
const CHECKPOINT: &str = "CHECKPOINT";
const FEED_HOLD: &str = "FEED";

/// The largest record payload (a batch larger than this is refused at
/// append).
pub(crate) const MAX_RECORD: usize = 256 << 20;

/// A record that was cut off the end of a log file on open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornRecord {
    pub file: PathBuf,
    /// Where the cut record started (the file's new length).
    pub offset: u64,
    /// How many bytes were removed.
    pub bytes_cut: u64,
    pub reason: String,
}

pub(crate) fn file_name(seq: u64) -> String {
    format!("{seq:016x}.wal")
}

/// The log files in `dir`, by number.
pub(crate) fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    let rd = fs::read_dir(dir).map_err(|e| Error::io("list log directory", dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| Error::io("list log directory", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(hex) = name.strip_suffix(".wal")
            && let Ok(seq) = u64::from_str_radix(hex, 16)
        {
            out.push((seq, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

pub(crate) fn read_checkpoint(dir: &Path) -> Result<u64> {
    let path = dir.join(CHECKPOINT);
    match fs::read_to_string(&path) {
        Ok(s) => s.trim().parse().map_err(|_| {
            Error::corrupt(
                "log checkpoint",
                &path,
                0,
                format!("`{}` is not a number", s.trim()),
            )
        }),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(0),
        Err(e) => Err(Error::io("read log checkpoint", &path, e)),
    }
}

/// Writes a small number file durably (through a temporary file).
fn write_number(dir: &Path, name: &str, n: u64) -> Result<()> {
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    {
        let mut f = File::create(&tmp).map_err(|e| Error::io("write log state", &tmp, e))?;
        f.write_all(format!("{n}\n").as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io("write log state", &tmp, e))?;
    }
    fs::rename(&tmp, &path).map_err(|e| Error::io("rename log state", &path, e))?;
    sync_dir(dir)
}

/// Records that log files before `seq` are no longer needed for replay,
/// durably, then removes those before `keep_from` too (the feed's hold,
/// or `seq`).
pub(crate) fn checkpoint(dir: &Path, seq: u64, keep_from: u64) -> Result<()> {
    write_number(dir, CHECKPOINT, seq)?;
    remove_before(dir, seq.min(keep_from))
}

/// Removes the log files numbered below `seq`.
pub(crate) fn remove_before(dir: &Path, seq: u64) -> Result<()> {
    for (s, p) in list(dir)? {
        if s < seq {
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("remove log file", &p, e)),
            }
        }
    }
    Ok(())
}

/// The first log file the feed still needs, if a feed holds the log.
pub(crate) fn read_hold(dir: &Path) -> Result<Option<u64>> {
    let path = dir.join(FEED_HOLD);
    match fs::read_to_string(&path) {
        Ok(s) => s.trim().parse().map(Some).map_err(|_| {
            Error::corrupt(
                "log feed hold",
                &path,
                0,
                format!("`{}` is not a number", s.trim()),
            )
        }),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read log feed hold", &path, e)),
    }
}

/// Sets (durably) or removes the feed's hold on the log.
pub(crate) fn write_hold(dir: &Path, seq: Option<u64>) -> Result<()> {
    match seq {
        Some(n) => write_number(dir, FEED_HOLD, n),
        None => {
            let path = dir.join(FEED_HOLD);
            match fs::remove_file(&path) {
                Ok(()) => sync_dir(dir),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                Err(e) => Err(Error::io("remove log feed hold", &path, e)),
            }
        }
    }
}

/// The bytes of the log files numbered from `from` up to (not including)
/// `to`.
pub(crate) fn bytes_between(dir: &Path, from: u64, to: u64) -> Result<u64> {
    let mut total = 0;
    for (s, p) in list(dir)? {
        if s >= from && s < to {
            total += fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        }
    }
    Ok(total)
}

/// The log file being appended to.
pub(crate) struct Wal {
    dir: PathBuf,
    path: PathBuf,
    file: File,
    seq: u64,
    /// Bytes written and synced.
    len: u64,
    buf: Vec<u8>,
}

impl Wal {
    /// Creates log file `seq` (durably, with its directory entry).
    pub fn create(dir: &Path, seq: u64) -> Result<Wal> {
        let path = dir.join(file_name(seq));
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io("create log file", &path, e))?;
        file.write_all(WAL_MAGIC)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io("write log file", &path, e))?;
        sync_dir(dir)?;
        Ok(Wal {
            dir: dir.to_owned(),
            path,
            file,
            seq,
            len: WAL_MAGIC.len() as u64,
            buf: Vec::new(),
        })
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The length of the file as synced by the last commit.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Moves on to the next log file; returns its number.
    pub fn rotate(&mut self) -> Result<u64> {
        let next = Wal::create(&self.dir, self.seq + 1)?;
        *self = next;
        Ok(self.seq)
    }

    /// Adds one batch to the pending write, encoded in place behind room
    /// for its length and checksum.
    pub fn add<'a>(&mut self, events: impl ExactSizeIterator<Item = &'a Event>) {
        let start = self.buf.len();
        let mut e = Enc {
            buf: std::mem::take(&mut self.buf),
        };
        e.buf.extend_from_slice(&[0; 8]);
        e.var(events.len() as u64);
        for ev in events {
            codec::put_event(&mut e, ev);
        }
        self.buf = e.buf;
        let payload = start + 8;
        let len = (self.buf.len() - payload) as u32;
        let crc = crc32fast::hash(&self.buf[payload..]);
        self.buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
        self.buf[start + 4..payload].copy_from_slice(&crc.to_le_bytes());
    }

    /// Writes the pending batches and syncs the file: after this returns
    /// they survive a crash.
    pub fn commit(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let r = self
            .file
            .write_all(&self.buf)
            .and_then(|()| self.file.sync_data());
        if r.is_ok() {
            self.len += self.buf.len() as u64;
        }
        self.buf.clear();
        r.map_err(|e| Error::io("write log file", &self.path, e))
    }
}

/// What replaying one log file found.
pub(crate) struct FileReplay {
    pub records: u64,
    pub torn: Option<TornRecord>,
}

/// Replays a log file, calling `f` with each batch; cuts a torn tail.
pub(crate) fn replay(
    path: &Path,
    mut f: impl FnMut(Vec<Event>) -> Result<()>,
) -> Result<FileReplay> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io("open log file", path, e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::io("stat log file", path, e))?
        .len();
    let mut r = BufReader::with_capacity(1 << 20, &file);
    let mut out = FileReplay {
        records: 0,
        torn: None,
    };
    let cut = |at: u64, reason: String| -> Result<Option<TornRecord>> {
        file.set_len(at)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io("cut torn log record", path, e))?;
        Ok(Some(TornRecord {
            file: path.to_owned(),
            offset: at,
            bytes_cut: len - at,
            reason,
        }))
    };
    let mut magic = [0u8; 8];
    match r.read_exact(&mut magic) {
        Ok(()) if &magic == WAL_MAGIC => {}
        Ok(()) => {
            return Err(Error::Incompatible {
                path: path.to_owned(),
                detail: "not a medsec event log file (bad magic or version)".into(),
            });
        }
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
            // The process died while creating the file; it held nothing.
            out.torn = cut(0, "incomplete file header".into())?;
            return Ok(out);
        }
        Err(e) => return Err(Error::io("read log file", path, e)),
    }
    let mut at = 8u64;
    let mut payload = Vec::new();
    loop {
        let mut head = [0u8; 8];
        match read_full(&mut r, &mut head).map_err(|e| Error::io("read log file", path, e))? {
            0 => break,
            8 => {}
            n => {
                out.torn = cut(at, format!("record header of {n} of 8 bytes"))?;
                break;
            }
        }
        let size = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as u64;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if size == 0 || size > MAX_RECORD as u64 || at + 8 + size > len {
            out.torn = cut(
                at,
                format!("record of {size} bytes runs past the end of the file ({len} bytes)"),
            )?;
            break;
        }
        payload.resize(size as usize, 0);
        r.read_exact(&mut payload)
            .map_err(|e| Error::io("read log file", path, e))?;
        if crc32fast::hash(&payload) != crc {
            out.torn = cut(at, "record checksum mismatch".into())?;
            break;
        }
        let batch = decode_record(&payload, path, at)?;
        f(batch)?;
        out.records += 1;
        at += 8 + size;
    }
    Ok(out)
}

/// The events of a record's payload; `at` is where the record starts in
/// `path` (for the error).
pub(crate) fn decode_record(payload: &[u8], path: &Path, at: u64) -> Result<Vec<Event>> {
    let mut d = Dec::new(payload);
    (|| {
        let n = d.len(payload.len())?;
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            events.push(codec::get_event(&mut d)?);
        }
        Ok(events)
    })()
    .map_err(|e: codec::DecodeError| {
        Error::corrupt("log record", path, at + 8 + e.offset as u64, e.detail)
    })
}

/// Reads until `buf` is full or the end of the input; returns the count.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
