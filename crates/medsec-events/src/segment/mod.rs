//! Immutable segment files: the events of one partition (member and day),
//! sorted by `(@timestamp, id)`, in compressed column blocks, with the
//! indexes that let a search skip blocks.
//!
//! # File layout
//!
//! ```text
//! "MSEG" 0 0 0 1                      magic and format version
//! block 0: ts | shape | aux | raw | field columns …   (each a zstd frame)
//! block 1: …
//! token index chunks                  (zstd frames)
//! field index chunks, field by field  (zstd frames)
//! id table                            (one zstd frame)
//! footer                              (one zstd frame: SegmentMeta)
//! trailer: footer offset u64, footer length u32, footer raw length u32,
//!          footer CRC-32 u32, "MSEGEND1"
//! ```
//!
//! Every frame is listed in the footer with its offset, compressed and
//! raw length and the CRC-32 of its compressed bytes, which is checked on
//! every read. A block holds up to `block_events` events (4,096 by
//! default); its columns are laid out for decoding in tight loops:
//!
//! - **ts**: the first `@timestamp`, the greatest common divisor of the
//!   deltas (a second for syslog times), then the deltas in that unit at a
//!   fixed width (one byte for events seconds apart);
//! - **shape**: the block's distinct field layouts (ordered field ids and
//!   value types), then per event its layout and its source (an index
//!   into the block's source list in the footer), one fixed-width code
//!   each;
//! - **aux**: `event.ingested` as a zigzag varint delta to `@timestamp`,
//!   and the ids that cannot be derived: an event whose id is
//!   `EventId::of(member, source, raw)` (the raw message was stored as
//!   received) stores no id, as the id is recomputed on read;
//! - **raw**: the messages one after another, their lengths at a fixed
//!   width, the total length;
//! - one column per field, over the events that have it: either every
//!   value through a dictionary with fixed-width codes (when values
//!   repeat), or strings through a dictionary and other values inline.
//!
//! The footer also keeps, per block, its event count and time range, its
//! sources, and per field the minimum and maximum of its integer values.
//!
//! # Indexes
//!
//! - **Tokens**: every full-text index term (see [`crate::text`]) with the
//!   blocks it occurs in, sorted and front-coded, in chunks of about
//!   16 KiB; the footer keeps each chunk's first term, so a lookup reads
//!   one chunk.
//! - **Fields**: per field, the text of each value (cut to 128 bytes)
//!   with its blocks, in the same chunks. A field whose (value, block)
//!   pairs exceed half the segment's events (ports, counters) is not
//!   indexed in that segment; queries on it read its columns.
//! - **Ids**: for every event a fingerprint of its id (sixteen bits more
//!   than it takes to number the segment's events; twelve in segments
//!   written before, the table says which) with its block, sorted,
//!   the fingerprints Golomb-Rice-coded and the blocks bit-packed; used to
//!   deduplicate appends and for `_id:` queries.

pub(crate) mod block;
pub(crate) mod write;

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cache::FrameCache;
use crate::codec::{DResult, Dec, DecodeError, Enc};
use crate::error::{Error, Result};
use crate::partition::Day;

pub(crate) const MAGIC: &[u8; 8] = b"MSEG\0\0\0\x01";
pub(crate) const TRAILER_MAGIC: &[u8; 8] = b"MSEGEND1";
pub(crate) const TRAILER_LEN: u64 = 28;

/// Field index keys are cut to this many bytes.
pub(crate) const MAX_KEY_BYTES: usize = 128;

/// The largest frame the reader decompresses (a corrupt length must not
/// allocate without bound).
const MAX_FRAME: u32 = 1 << 30;

/// Where a compressed frame is in the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ColRef {
    pub offset: u64,
    pub len: u32,
    pub raw_len: u32,
    pub crc: u32,
}

/// One field's column in one block.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FieldCol {
    pub field: u32,
    pub col: ColRef,
    /// The smallest and largest integer value of the field in the block.
    pub int_zone: Option<(i64, i64)>,
    /// Whether every value of the field in the block is an integer.
    pub only_int: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BlockMeta {
    pub count: u32,
    pub min_ts: i64,
    pub max_ts: i64,
    pub ts: ColRef,
    pub shape: ColRef,
    pub aux: ColRef,
    pub raw: ColRef,
    /// Sorted by field id.
    pub fields: Vec<FieldCol>,
    pub sources: Vec<String>,
    /// The bytes of the block's raw messages, uncompressed.
    pub raw_bytes: u64,
}

impl BlockMeta {
    pub fn field(&self, id: u32) -> Option<&FieldCol> {
        self.fields
            .binary_search_by_key(&id, |f| f.field)
            .ok()
            .and_then(|i| self.fields.get(i))
    }
}

/// A sorted term index cut into chunks.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct TermIndex {
    /// Each chunk's first term and frame.
    pub chunks: Vec<(String, ColRef)>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SegmentMeta {
    pub seq: u64,
    pub member: String,
    pub day: Day,
    /// Segments this one replaces (a compaction's inputs).
    pub replaces: Vec<u64>,
    /// The zstd level it was written with.
    pub level: i32,
    pub events: u64,
    pub raw_bytes: u64,
    pub min_ts: i64,
    pub max_ts: i64,
    pub fields: Vec<String>,
    pub blocks: Vec<BlockMeta>,
    pub tokens: TermIndex,
    /// Indexed fields (by id) and their value index.
    pub field_index: Vec<(u32, TermIndex)>,
    pub ids: ColRef,
}

impl SegmentMeta {
    pub fn field_id(&self, name: &str) -> Option<u32> {
        self.fields.iter().position(|f| f == name).map(|i| i as u32)
    }

    pub fn field_terms(&self, id: u32) -> Option<&TermIndex> {
        self.field_index
            .iter()
            .find(|(f, _)| *f == id)
            .map(|(_, t)| t)
    }
}

fn put_col(e: &mut Enc, c: &ColRef) {
    e.var(c.offset);
    e.var(u64::from(c.len));
    e.var(u64::from(c.raw_len));
    e.u32(c.crc);
}

fn get_col(d: &mut Dec<'_>) -> DResult<ColRef> {
    let offset = d.var()?;
    let len = d.var()?;
    let raw_len = d.var()?;
    let crc = d.u32()?;
    match (u32::try_from(len), u32::try_from(raw_len)) {
        (Ok(len), Ok(raw_len)) => Ok(ColRef {
            offset,
            len,
            raw_len,
            crc,
        }),
        _ => d.fail("frame length exceeds 32 bits"),
    }
}

fn put_terms(e: &mut Enc, t: &TermIndex) {
    e.var(t.chunks.len() as u64);
    for (first, col) in &t.chunks {
        e.str(first);
        put_col(e, col);
    }
}

fn get_terms(d: &mut Dec<'_>) -> DResult<TermIndex> {
    let n = d.len(1 << 24)?;
    let mut chunks = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        let first = d.str()?.to_owned();
        chunks.push((first, get_col(d)?));
    }
    Ok(TermIndex { chunks })
}

impl SegmentMeta {
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Enc::new();
        e.var(self.seq);
        e.str(&self.member);
        e.zig(i64::from(self.day.0));
        e.var(self.replaces.len() as u64);
        for r in &self.replaces {
            e.var(*r);
        }
        e.zig(i64::from(self.level));
        e.var(self.events);
        e.var(self.raw_bytes);
        e.zig(self.min_ts);
        e.zig(self.max_ts);
        e.var(self.fields.len() as u64);
        for f in &self.fields {
            e.str(f);
        }
        e.var(self.blocks.len() as u64);
        for b in &self.blocks {
            e.var(u64::from(b.count));
            e.zig(b.min_ts);
            e.zig(b.max_ts);
            e.var(b.raw_bytes);
            for c in [&b.ts, &b.shape, &b.aux, &b.raw] {
                put_col(&mut e, c);
            }
            e.var(b.fields.len() as u64);
            for f in &b.fields {
                e.var(u64::from(f.field));
                put_col(&mut e, &f.col);
                let flags = u8::from(f.only_int) | (u8::from(f.int_zone.is_some()) << 1);
                e.u8(flags);
                if let Some((lo, hi)) = f.int_zone {
                    e.zig(lo);
                    e.zig(hi);
                }
            }
            e.var(b.sources.len() as u64);
            for s in &b.sources {
                e.str(s);
            }
        }
        put_terms(&mut e, &self.tokens);
        e.var(self.field_index.len() as u64);
        for (f, t) in &self.field_index {
            e.var(u64::from(*f));
            put_terms(&mut e, t);
        }
        put_col(&mut e, &self.ids);
        e.buf
    }

    pub fn decode(buf: &[u8]) -> DResult<SegmentMeta> {
        let mut d = Dec::new(buf);
        let seq = d.var()?;
        let member = d.str()?.to_owned();
        let day = d.zig()?;
        let Ok(day) = i32::try_from(day) else {
            return d.fail("day out of range");
        };
        let n = d.len(1 << 20)?;
        let mut replaces = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            replaces.push(d.var()?);
        }
        let level = d.zig()?;
        let Ok(level) = i32::try_from(level) else {
            return d.fail("zstd level out of range");
        };
        let events = d.var()?;
        let raw_bytes = d.var()?;
        let min_ts = d.zig()?;
        let max_ts = d.zig()?;
        let n = d.len(1 << 20)?;
        let mut fields = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            fields.push(d.str()?.to_owned());
        }
        let n = d.len(1 << 24)?;
        let mut blocks = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            let count = d.var()?;
            let Ok(count) = u32::try_from(count) else {
                return d.fail("block count exceeds 32 bits");
            };
            let min_ts = d.zig()?;
            let max_ts = d.zig()?;
            let raw_bytes = d.var()?;
            let ts = get_col(&mut d)?;
            let shape = get_col(&mut d)?;
            let aux = get_col(&mut d)?;
            let raw = get_col(&mut d)?;
            let nf = d.len(1 << 20)?;
            let mut bfields = Vec::with_capacity(nf.min(1024));
            for _ in 0..nf {
                let field = d.var()?;
                let Ok(field) = u32::try_from(field) else {
                    return d.fail("field id exceeds 32 bits");
                };
                if field as usize >= fields.len() {
                    return d.fail(format!("field id {field} of {} fields", fields.len()));
                }
                let col = get_col(&mut d)?;
                let flags = d.u8()?;
                let int_zone = if flags & 2 != 0 {
                    Some((d.zig()?, d.zig()?))
                } else {
                    None
                };
                bfields.push(FieldCol {
                    field,
                    col,
                    int_zone,
                    only_int: flags & 1 != 0,
                });
            }
            if !bfields.windows(2).all(|w| w[0].field < w[1].field) {
                return d.fail("block field columns out of order");
            }
            let ns = d.len(1 << 20)?;
            let mut sources = Vec::with_capacity(ns.min(1024));
            for _ in 0..ns {
                sources.push(d.str()?.to_owned());
            }
            blocks.push(BlockMeta {
                count,
                min_ts,
                max_ts,
                ts,
                shape,
                aux,
                raw,
                fields: bfields,
                sources,
                raw_bytes,
            });
        }
        let tokens = get_terms(&mut d)?;
        let n = d.len(1 << 20)?;
        let mut field_index = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            let f = d.var()?;
            let Ok(f) = u32::try_from(f) else {
                return d.fail("field id exceeds 32 bits");
            };
            field_index.push((f, get_terms(&mut d)?));
        }
        let ids = get_col(&mut d)?;
        Ok(SegmentMeta {
            seq,
            member,
            day: Day(day),
            replaces,
            level,
            events,
            raw_bytes,
            min_ts,
            max_ts,
            fields,
            blocks,
            tokens,
            field_index,
            ids,
        })
    }
}

/// An open segment: its footer in memory, its file read on demand.
///
/// A segment that compaction or retention has replaced is marked
/// obsolete; its file is removed when the last search holding it is done
/// (the last `Arc` is dropped), so readers never see it disappear.
pub(crate) struct Segment {
    pub path: PathBuf,
    pub meta: SegmentMeta,
    pub file_len: u64,
    obsolete: AtomicBool,
    cache: Arc<FrameCache>,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Segment({})", self.path.display())
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        if self.obsolete.load(Ordering::Acquire) {
            self.cache.forget(self.meta.seq);
            match std::fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), error = %e, "could not remove an obsolete segment")
                }
            }
            // The partition directory goes when its last segment does.
            if let Some(dir) = self.path.parent() {
                remove_partition_dir_if_empty(dir);
            }
        }
    }
}

impl Segment {
    /// Opens a segment file and reads its footer.
    pub fn open(path: &Path, cache: Arc<FrameCache>) -> Result<Segment> {
        let file = File::open(path).map_err(|e| Error::io("open segment", path, e))?;
        let file_len = file
            .metadata()
            .map_err(|e| Error::io("stat segment", path, e))?
            .len();
        let corrupt = |offset: u64, detail: String| Error::corrupt("segment", path, offset, detail);
        if file_len < MAGIC.len() as u64 + TRAILER_LEN {
            return Err(corrupt(
                0,
                format!("{file_len} bytes is too short for a segment"),
            ));
        }
        let mut head = [0u8; 8];
        read_at(&file, path, &mut head, 0)?;
        if &head != MAGIC {
            return Err(corrupt(
                0,
                "not a segment file (bad magic or version)".into(),
            ));
        }
        let mut t = [0u8; TRAILER_LEN as usize];
        let t_at = file_len - TRAILER_LEN;
        read_at(&file, path, &mut t, t_at)?;
        let mut d = Dec::new(&t);
        let (Ok(offset), Ok(len), Ok(raw_len), Ok(crc), Ok(magic)) =
            (d.u64(), d.u32(), d.u32(), d.u32(), d.take(8))
        else {
            return Err(corrupt(t_at, "short trailer".into()));
        };
        if magic != TRAILER_MAGIC {
            return Err(corrupt(
                t_at,
                "bad trailer magic (an incomplete write?)".into(),
            ));
        }
        let col = ColRef {
            offset,
            len,
            raw_len,
            crc,
        };
        let footer = read_frame(&file, path, &col, file_len, "segment footer")?;
        let meta = SegmentMeta::decode(&footer)
            .map_err(|e: DecodeError| corrupt(offset, format!("footer: {}", e.detail)))?;
        Ok(Segment {
            path: path.to_owned(),
            meta,
            file_len,
            obsolete: AtomicBool::new(false),
            cache,
        })
    }

    /// Marks the segment for removal once nobody reads it any more.
    pub fn mark_obsolete(&self) {
        self.obsolete.store(true, Ordering::Release);
    }

    /// A reader of the segment's frames; the file is opened on the first
    /// read that misses the frame cache.
    pub fn reader(self: &Arc<Segment>) -> Result<SegReader> {
        Ok(SegReader {
            seg: self.clone(),
            file: Arc::new(std::sync::Mutex::new(None)),
        })
    }
}

/// Removes a partition directory that holds no segment any more (only,
/// perhaps, the tombstone of its deletion).
pub(crate) fn remove_partition_dir_if_empty(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut only_tombstone = true;
    for entry in rd.flatten() {
        if entry.file_name() != crate::store::TOMBSTONE {
            only_tombstone = false;
        }
    }
    if only_tombstone {
        let _ = std::fs::remove_file(dir.join(crate::store::TOMBSTONE));
        if std::fs::remove_dir(dir).is_ok()
            && let Some(member_dir) = dir.parent()
        {
            // The member directory goes with its last partition.
            let _ = std::fs::remove_dir(member_dir);
        }
    }
}

fn read_at(file: &File, path: &Path, buf: &mut [u8], at: u64) -> Result<()> {
    file.read_exact_at(buf, at)
        .map_err(|e| Error::io("read segment", path, e))
}

thread_local! {
    /// A decompression context per thread, reused across frames.
    static DCTX: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Decompressor::new().ok());
}

fn decompress(buf: &[u8], capacity: usize) -> std::io::Result<Vec<u8>> {
    DCTX.with(|d| match d.try_borrow_mut() {
        Ok(mut guard) => match guard.as_mut() {
            Some(dctx) => dctx.decompress(buf, capacity),
            None => zstd::bulk::decompress(buf, capacity),
        },
        Err(_) => zstd::bulk::decompress(buf, capacity),
    })
}

/// Reads, checks and decompresses one frame.
fn read_frame(
    file: &File,
    path: &Path,
    col: &ColRef,
    file_len: u64,
    what: &'static str,
) -> Result<Vec<u8>> {
    let end = col.offset.checked_add(u64::from(col.len));
    if end.is_none_or(|e| e > file_len) || col.raw_len > MAX_FRAME {
        return Err(Error::corrupt(
            what,
            path,
            col.offset,
            format!("frame of {} bytes past the end of the file", col.len),
        ));
    }
    let mut buf = vec![0u8; col.len as usize];
    read_at(file, path, &mut buf, col.offset)?;
    if crc32fast::hash(&buf) != col.crc {
        return Err(Error::corrupt(what, path, col.offset, "checksum mismatch"));
    }
    let out = decompress(&buf, col.raw_len as usize)
        .map_err(|e| Error::corrupt(what, path, col.offset, format!("zstd: {e}")))?;
    if out.len() != col.raw_len as usize {
        return Err(Error::corrupt(
            what,
            path,
            col.offset,
            format!("{} bytes decompressed, {} expected", out.len(), col.raw_len),
        ));
    }
    Ok(out)
}

/// A segment with its file, opened when first needed and closed when the
/// last clone of the reader goes (so that a search over many partitions
/// holds few files open).
#[derive(Clone)]
pub(crate) struct SegReader {
    pub seg: Arc<Segment>,
    file: Arc<std::sync::Mutex<Option<Arc<File>>>>,
}

/// A set of block numbers of one segment.
pub(crate) type Blocks = Vec<u32>;

impl SegReader {
    fn file(&self) -> Result<Arc<File>> {
        let mut slot = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(f) = slot.as_ref() {
            return Ok(f.clone());
        }
        let f = Arc::new(
            File::open(&self.seg.path).map_err(|e| Error::io("open segment", &self.seg.path, e))?,
        );
        *slot = Some(f.clone());
        Ok(f)
    }

    /// A frame, decompressed, through the store's frame cache.
    pub fn frame(&self, col: &ColRef, what: &'static str) -> Result<Arc<Vec<u8>>> {
        let load = || read_frame(&*self.file()?, &self.seg.path, col, self.seg.file_len, what);
        self.seg
            .cache
            .get_or_load(self.seg.meta.seq, col.offset, load)
    }

    /// A frame, decompressed, not cached: raw messages, which are most of
    /// the bytes and which a search reads few of.
    pub fn frame_owned(&self, col: &ColRef, what: &'static str) -> Result<Vec<u8>> {
        read_frame(&*self.file()?, &self.seg.path, col, self.seg.file_len, what)
    }

    pub fn corrupt(&self, what: &'static str, col: &ColRef, e: DecodeError) -> Error {
        Error::corrupt(
            what,
            &self.seg.path,
            col.offset,
            format!("at byte {} of the frame: {}", e.offset, e.detail),
        )
    }

    /// The blocks of one term, or `None` if the term is not in the index.
    pub fn lookup(&self, index: &TermIndex, term: &str) -> Result<Option<Blocks>> {
        let at = index
            .chunks
            .partition_point(|(first, _)| first.as_str() <= term);
        let Some((_, col)) = at.checked_sub(1).and_then(|i| index.chunks.get(i)) else {
            return Ok(None);
        };
        let buf = self.frame(col, "index chunk")?;
        let mut found = None;
        block::walk_chunk(&buf, |t, blocks| match t.cmp(term) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Equal => {
                found = Some(blocks.to_vec());
                false
            }
            std::cmp::Ordering::Greater => false,
        })
        .map_err(|e| self.corrupt("index chunk", col, e))?;
        Ok(found)
    }

    /// The union of the blocks of every term from `lo` on that passes
    /// `keep`, stopping at the first term for which `in_range` is false
    /// (terms are sorted, so a prefix scan stops after the prefix).
    pub fn scan(
        &self,
        index: &TermIndex,
        lo: &str,
        in_range: impl Fn(&str) -> bool,
        mut keep: impl FnMut(&str) -> bool,
        nblocks: usize,
    ) -> Result<Vec<bool>> {
        let mut out = vec![false; nblocks];
        let start = index
            .chunks
            .partition_point(|(first, _)| first.as_str() <= lo)
            .saturating_sub(1);
        'chunks: for (first, col) in index.chunks.iter().skip(start) {
            if first.as_str() > lo && !in_range(first) {
                break;
            }
            let buf = self.frame(col, "index chunk")?;
            let mut past = false;
            block::walk_chunk(&buf, |term, blocks| {
                if term < lo {
                    return true;
                }
                if !in_range(term) {
                    past = true;
                    return false;
                }
                if keep(term) {
                    for b in blocks {
                        if let Some(slot) = out.get_mut(*b as usize) {
                            *slot = true;
                        }
                    }
                }
                true
            })
            .map_err(|e| self.corrupt("index chunk", col, e))?;
            if past {
                break 'chunks;
            }
        }
        Ok(out)
    }

    /// The id table: which blocks may hold an id.
    pub fn id_table(&self) -> Result<block::IdTable> {
        let col = self.seg.meta.ids;
        let buf = self.frame(&col, "id table")?;
        block::decode_id_table(&buf).map_err(|e| self.corrupt("id table", &col, e))
    }
}
