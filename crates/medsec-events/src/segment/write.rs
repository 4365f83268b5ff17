//! Writing a segment: events arrive sorted by `(@timestamp, id)`, fill
//! blocks that are compressed and written as they fill, and the indexes
//! grow in memory until [`SegmentWriter::finish`] writes them, the footer
//! and the trailer, syncs the file and renames it into place.

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::hash::BuildHasher as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use medsec_logs::{Event, EventId, Value};

use super::block::{self, Aux, FieldColumnBuilder, RawCol, Shapes};
use super::{
    BlockMeta, ColRef, FieldCol, MAGIC, MAX_KEY_BYTES, Segment, SegmentMeta, TRAILER_MAGIC,
    TermIndex,
};
use crate::cache::FrameCache;
use crate::codec::{self, Enc};
use crate::error::{Error, Result};
use crate::partition::{Day, PartKey};
use crate::text;

/// Index chunks are cut when their encoding reaches this size.
const CHUNK_BYTES: usize = 16 << 10;

/// A field is indexed in a segment while its (value, block) pairs stay
/// at most half the events, or this many.
const MIN_INDEXED_PAIRS: usize = 64;

/// The writer's maps hash strings and small keys once or more per event:
/// foldhash (seeded per process) rather than SipHash.
type HashMap<K, V> = foldhash::HashMap<K, V>;

/// A segment being written. Events are borrowed when the caller keeps
/// them anyway (a flush of the tail, which searches read meanwhile) and
/// owned when they were decoded for it (compaction).
pub(crate) struct SegmentWriter<'a> {
    tmp_path: PathBuf,
    final_path: PathBuf,
    file: BufWriter<File>,
    offset: u64,
    level: i32,
    block_events: usize,
    seq: u64,
    member: String,
    day: Day,
    replaces: Vec<u64>,
    fields: Vec<String>,
    field_ids: HashMap<String, u32>,
    pending: Vec<Cow<'a, Event>>,
    pending_ids_derived: Vec<bool>,
    blocks: Vec<BlockMeta>,
    tokens: TermBlocks,
    /// Per field id: its value index, or `None` once it has too many pairs.
    field_terms: Vec<Option<TermBlocks>>,
    field_pairs: Vec<usize>,
    /// `(first 64 bits of the id, block)`.
    ids: Vec<(u64, u32)>,
    events: u64,
    raw_bytes: u64,
    min_ts: i64,
    max_ts: i64,
    last: Option<(i64, EventId)>,
    cache: Arc<FrameCache>,
    derive_ids: bool,
    /// One compression context for all the segment's frames, and the
    /// buffer they are compressed into (a new context and buffer for
    /// every frame cost 3 % of ingest's CPU).
    compressor: zstd::bulk::Compressor<'static>,
    compressed: Vec<u8>,
}

/// How a segment is written.
pub(crate) struct WriteOptions {
    /// The zstd level.
    pub level: i32,
    pub block_events: usize,
    /// The store's frame cache, which the finished segment reads through.
    pub cache: Arc<FrameCache>,
    /// Whether to leave out the ids that can be derived from the events'
    /// text (`EventId::of`), at the cost of computing SHA-256 for every
    /// event. Compaction does; a flush of the tail keeps every id, as the
    /// events arrive meanwhile and compaction rewrites the segment.
    pub derive_ids: bool,
}

/// The file name of segment `seq`.
pub(crate) fn file_name(seq: u64) -> String {
    format!("{seq:016x}.seg")
}

/// Syncs a directory, so that a rename or a new entry in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync directory", dir, e))
}

impl<'a> SegmentWriter<'a> {
    /// Starts segment `seq` of a partition in `dir`; `replaces` names the
    /// segments it replaces (a compaction's inputs).
    pub fn create(
        dir: &Path,
        seq: u64,
        key: &PartKey,
        replaces: Vec<u64>,
        opts: WriteOptions,
    ) -> Result<SegmentWriter<'a>> {
        let WriteOptions {
            level,
            block_events,
            cache,
            derive_ids,
        } = opts;
        if !dir.exists() {
            fs::create_dir_all(dir).map_err(|e| Error::io("create partition directory", dir, e))?;
            // The new directory entries must be durable before the rename
            // of the segment into them is.
            let mut d = dir.parent();
            for _ in 0..2 {
                if let Some(p) = d {
                    sync_dir(p)?;
                    d = p.parent();
                }
            }
        }
        let final_path = dir.join(file_name(seq));
        let tmp_path = dir.join(format!("{}.tmp", file_name(seq)));
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp_path)
            .map_err(|e| Error::io("create segment", &tmp_path, e))?;
        let compressor = zstd::bulk::Compressor::new(level)
            .map_err(|e| Error::io("start compressing a segment", &tmp_path, e))?;
        let mut w = SegmentWriter {
            tmp_path,
            final_path,
            file: BufWriter::with_capacity(1 << 20, file),
            offset: 0,
            level,
            block_events: block_events.max(1),
            seq,
            member: key.member.clone(),
            day: key.day,
            replaces,
            fields: Vec::new(),
            field_ids: HashMap::default(),
            pending: Vec::new(),
            pending_ids_derived: Vec::new(),
            blocks: Vec::new(),
            tokens: TermBlocks::default(),
            field_terms: Vec::new(),
            field_pairs: Vec::new(),
            ids: Vec::new(),
            events: 0,
            raw_bytes: 0,
            min_ts: i64::MAX,
            max_ts: i64::MIN,
            last: None,
            cache,
            derive_ids,
            compressor,
            compressed: Vec::new(),
        };
        w.write(MAGIC)?;
        Ok(w)
    }

    fn write(&mut self, b: &[u8]) -> Result<()> {
        self.file
            .write_all(b)
            .map_err(|e| Error::io("write segment", &self.tmp_path, e))?;
        self.offset += b.len() as u64;
        Ok(())
    }

    fn frame(&mut self, data: &[u8]) -> Result<ColRef> {
        let mut compressed = std::mem::take(&mut self.compressed);
        compressed.clear();
        compressed.reserve(zstd::zstd_safe::compress_bound(data.len()));
        self.compressor
            .compress_to_buffer(data, &mut compressed)
            .map_err(|e| Error::io("compress segment frame", &self.tmp_path, e))?;
        let col = ColRef {
            offset: self.offset,
            len: u32::try_from(compressed.len()).unwrap_or(u32::MAX),
            raw_len: u32::try_from(data.len()).unwrap_or(u32::MAX),
            crc: crc32fast::hash(&compressed),
        };
        let written = self.write(&compressed);
        self.compressed = compressed;
        written?;
        Ok(col)
    }

    /// Adds the next event; events come in `(@timestamp, id)` order, each
    /// id once.
    pub fn push(&mut self, ev: Cow<'a, Event>) -> Result<()> {
        let key = (ev.timestamp, ev.id);
        debug_assert!(
            self.last.is_none_or(|l| l < key),
            "segment events out of order"
        );
        self.last = Some(key);
        let derived =
            self.derive_ids && EventId::of(&ev.member, &ev.source, ev.raw.as_bytes()) == ev.id;
        self.pending_ids_derived.push(derived);
        self.pending.push(ev);
        if self.pending.len() >= self.block_events {
            self.end_block()?;
        }
        Ok(())
    }

    fn field_id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.field_ids.get(name) {
            return *id;
        }
        let id = self.fields.len() as u32;
        self.fields.push(name.to_owned());
        self.field_ids.insert(name.to_owned(), id);
        self.field_terms.push(Some(TermBlocks::default()));
        self.field_pairs.push(0);
        id
    }

    fn end_block(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let events = std::mem::take(&mut self.pending);
        let derived = std::mem::take(&mut self.pending_ids_derived);
        let b = self.blocks.len() as u32;
        let n = events.len();

        let ts: Vec<i64> = events.iter().map(|e| e.timestamp).collect();
        let mut sources: Vec<String> = Vec::new();
        let mut source_codes: HashMap<&str, u32> = HashMap::default();
        let mut layouts: Vec<Vec<(u32, u8)>> = Vec::new();
        let mut layout_codes: HashMap<Vec<(u32, u8)>, u32> = HashMap::default();
        let mut layout: Vec<(u32, u8)> = Vec::new();
        let mut last_code = u32::MAX;
        let mut prev_names: Vec<(&str, u32)> = Vec::new();
        let mut shapes = Shapes::default();
        let mut columns: Vec<FieldColumnBuilder<'_>> = Vec::new();
        let mut aux = Aux::default();
        let mut raws: Vec<&str> = Vec::with_capacity(n);
        let mut raw_bytes = 0u64;

        // The block's distinct full-text terms: a message's tokens are
        // looked up in this small set, and only the block's distinct terms
        // in the segment's large index (far fewer lookups that miss the
        // cache). Terms are borrowed from the messages unless they had to
        // be lower-cased.
        let mut block_terms: hashbrown::HashTable<(u64, Cow<'_, str>)> =
            hashbrown::HashTable::new();

        for (i, ev) in events.iter().enumerate() {
            let s = match shapes.sources.last() {
                Some(&last) if sources.get(last as usize) == Some(&ev.source) => last,
                _ => match source_codes.get(ev.source.as_str()) {
                    Some(s) => *s,
                    None => {
                        let s = sources.len() as u32;
                        sources.push(ev.source.clone());
                        source_codes.insert(&ev.source, s);
                        s
                    }
                },
            };
            shapes.sources.push(s);
            layout.clear();
            for (k, (name, v)) in ev.fields.iter().enumerate() {
                // Events of one source mostly list the same fields in the
                // same order: the previous event's id at this position,
                // if the name is the same, saves hashing the name.
                let f = match prev_names.get(k) {
                    Some((n, f)) if same_name(n, name) => *f,
                    _ => {
                        let f = self.field_id(name);
                        if k < prev_names.len() {
                            prev_names[k] = (name, f);
                        } else {
                            prev_names.push((name, f));
                        }
                        f
                    }
                };
                layout.push((f, codec::tag_of(v)));
                if columns.len() <= f as usize {
                    columns.resize_with(f as usize + 1, FieldColumnBuilder::default);
                }
                columns[f as usize].push(v);
            }
            // Events of a block come from a few shapes, often the same as
            // the previous event's: compared before hashing the layout.
            let code = match layouts.get(last_code as usize) {
                Some(l) if *l == layout => last_code,
                _ => match layout_codes.get(layout.as_slice()) {
                    Some(c) => *c,
                    None => {
                        let c = layouts.len() as u32;
                        layouts.push(layout.clone());
                        layout_codes.insert(layout.clone(), c);
                        c
                    }
                },
            };
            last_code = code;
            shapes.codes.push(code);
            aux.received.push(ev.received);
            if !derived.get(i).copied().unwrap_or(false) {
                aux.explicit.push((i as u32, ev.id));
            }
            raws.push(&ev.raw);
            raw_bytes += ev.raw.len() as u64;
            self.ids.push((block::fingerprint(&ev.id, 64), b));
            let raw: &str = &ev.raw;
            text::tokens(raw, |tok, class| {
                text::index_terms(tok, class, |term| {
                    let h = hash_term(term);
                    if block_terms
                        .find(h, |(eh, t)| *eh == h && same_bytes(t, term))
                        .is_none()
                    {
                        let t = match within(raw, term) {
                            Some(t) => Cow::Borrowed(t),
                            None => Cow::Owned(term.to_owned()),
                        };
                        block_terms.insert_unique(h, (h, t), |(eh, _)| *eh);
                    }
                });
            });
        }
        shapes.layouts = layouts;
        for (h, term) in &block_terms {
            self.tokens.add(*h, term, b);
        }

        let mut field_cols = Vec::new();
        for (f, builder) in columns.iter().enumerate() {
            if builder.is_empty() {
                continue;
            }
            let (zone, only_int) = (builder.int_zone(), builder.only_int());
            let (column, distinct) = builder.finish();
            if let Some(Some(terms)) = self.field_terms.get_mut(f) {
                let mut added = 0;
                let mut buf = String::new();
                // Each distinct value once: the index holds (value text,
                // block) pairs.
                for v in distinct {
                    // The value as text, as `Value::to_text` writes it,
                    // without a new string for every value.
                    let t = match v {
                        Value::Str(s) => s.as_str(),
                        other => {
                            use std::fmt::Write as _;
                            buf.clear();
                            let _ = match other {
                                Value::Int(i) => write!(buf, "{i}"),
                                Value::Float(x) => write!(buf, "{x}"),
                                Value::Bool(x) => write!(buf, "{x}"),
                                Value::Ip(ip) => write!(buf, "{ip}"),
                                Value::Str(_) => Ok(()),
                            };
                            buf.as_str()
                        }
                    };
                    let t = text::cut(t, MAX_KEY_BYTES);
                    added += usize::from(terms.add(hash_term(t), t, b));
                }
                if let Some(p) = self.field_pairs.get_mut(f) {
                    *p += added;
                }
            }
            field_cols.push((f as u32, column, zone, only_int));
        }
        let total_events = self.events as usize + n;
        for (f, pairs) in self.field_pairs.iter().enumerate() {
            if *pairs > (total_events / 2).max(MIN_INDEXED_PAIRS)
                && let Some(slot) = self.field_terms.get_mut(f)
            {
                *slot = None;
            }
        }

        let ts_col = self.frame(&block::encode_ts(&ts))?;
        let shape_col = self.frame(&shapes.encode())?;
        let aux_col = self.frame(&aux.encode(&ts))?;
        let raw_col = self.frame(&RawCol::encode(&raws))?;
        let mut fields = Vec::with_capacity(field_cols.len());
        for (field, data, int_zone, only_int) in field_cols {
            let col = self.frame(&data)?;
            fields.push(FieldCol {
                field,
                col,
                int_zone,
                only_int,
            });
        }
        let min_ts = ts.first().copied().unwrap_or(0);
        let max_ts = ts.last().copied().unwrap_or(0);
        self.min_ts = self.min_ts.min(min_ts);
        self.max_ts = self.max_ts.max(max_ts);
        self.events += n as u64;
        self.raw_bytes += raw_bytes;
        self.blocks.push(BlockMeta {
            count: n as u32,
            min_ts,
            max_ts,
            ts: ts_col,
            shape: shape_col,
            aux: aux_col,
            raw: raw_col,
            fields,
            sources,
            raw_bytes,
        });
        Ok(())
    }

    fn write_terms(&mut self, terms: TermBlocks) -> Result<TermIndex> {
        let mut entries: Vec<(String, Vec<u32>)> = terms.into_entries();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut index = TermIndex::default();
        let mut start = 0;
        let mut size = 0;
        for i in 0..entries.len() {
            size += entries[i].0.len() + 2 + entries[i].1.len() * 2;
            if size >= CHUNK_BYTES || i + 1 == entries.len() {
                let chunk: Vec<(&str, &[u32])> = entries[start..=i]
                    .iter()
                    .map(|(t, b)| (t.as_str(), b.as_slice()))
                    .collect();
                let data = block::encode_chunk(&chunk);
                let col = self.frame(&data)?;
                index.chunks.push((entries[start].0.clone(), col));
                start = i + 1;
                size = 0;
            }
        }
        Ok(index)
    }

    /// Writes the indexes and the footer, syncs, and renames the file into
    /// place. Returns the open segment (`None` if it has no events).
    pub fn finish(mut self) -> Result<Option<Segment>> {
        self.end_block()?;
        if self.events == 0 {
            drop(self.file);
            let _ = fs::remove_file(&self.tmp_path);
            return Ok(None);
        }
        let tokens = std::mem::take(&mut self.tokens);
        let tokens = self.write_terms(tokens)?;
        let mut field_index = Vec::new();
        let field_terms = std::mem::take(&mut self.field_terms);
        for (f, terms) in field_terms.into_iter().enumerate() {
            let pairs = self.field_pairs.get(f).copied().unwrap_or(0);
            if let Some(terms) = terms
                && pairs <= (self.events as usize / 2).max(MIN_INDEXED_PAIRS)
            {
                let index = self.write_terms(terms)?;
                field_index.push((f as u32, index));
            }
        }
        let mut ids = std::mem::take(&mut self.ids);
        let bits = block::fingerprint_bits(ids.len());
        for (fp, _) in ids.iter_mut() {
            *fp >>= 64 - bits;
        }
        ids.sort_unstable();
        let nblocks = self.blocks.len();
        let ids = self.frame(&block::encode_id_table(&ids, bits, nblocks))?;
        let meta = SegmentMeta {
            seq: self.seq,
            member: self.member.clone(),
            day: self.day,
            replaces: std::mem::take(&mut self.replaces),
            level: self.level,
            events: self.events,
            raw_bytes: self.raw_bytes,
            min_ts: self.min_ts,
            max_ts: self.max_ts,
            fields: std::mem::take(&mut self.fields),
            blocks: std::mem::take(&mut self.blocks),
            tokens,
            field_index,
            ids,
        };
        let footer = self.frame(&meta.encode())?;
        let mut t = Enc::new();
        t.u64(footer.offset);
        t.u32(footer.len);
        t.u32(footer.raw_len);
        t.u32(footer.crc);
        t.raw(TRAILER_MAGIC);
        self.write(&t.buf)?;
        let file = self
            .file
            .into_inner()
            .map_err(|e| Error::io("write segment", &self.tmp_path, e.into_error()))?;
        file.sync_all()
            .map_err(|e| Error::io("sync segment", &self.tmp_path, e))?;
        drop(file);
        fs::rename(&self.tmp_path, &self.final_path)
            .map_err(|e| Error::io("rename segment", &self.final_path, e))?;
        if let Some(dir) = self.final_path.parent() {
            sync_dir(dir)?;
        }
        Ok(Some(Segment::open(&self.final_path, self.cache.clone())?))
    }
}

/// Whether two field names are equal: the same pointer for the schema's
/// names (statics), which most events use, else by content.
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
}

/// `part` as a slice of `whole` when it lies inside it (a token the
/// tokenizer handed out without copying), so that it can outlive the
/// tokenizer's buffer.
fn within<'w>(whole: &'w str, part: &str) -> Option<&'w str> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    whole.get(start..start.checked_add(part.len())?)
}

/// Index terms and their blocks. Each term is hashed once for the block's
/// set of distinct terms and the hash kept beside it, so that adding the
/// block's terms here hashes nothing again and compares bytes only when
/// the full hashes are equal.
#[derive(Default)]
struct TermBlocks {
    table: hashbrown::HashTable<(u64, String, Vec<u32>)>,
}

impl TermBlocks {
    /// Adds block `b` to a term's blocks (`hash` is [`hash_term`] of the
    /// term); whether it was new for the term.
    fn add(&mut self, hash: u64, term: &str, b: u32) -> bool {
        match self
            .table
            .find_mut(hash, |(h, t, _)| *h == hash && same_bytes(t, term))
        {
            Some((_, _, v)) if v.last() == Some(&b) => false,
            Some((_, _, v)) => {
                v.push(b);
                true
            }
            None => {
                self.table
                    .insert_unique(hash, (hash, term.to_owned(), vec![b]), |(h, _, _)| *h);
                true
            }
        }
    }

    fn into_entries(self) -> Vec<(String, Vec<u32>)> {
        self.table.into_iter().map(|(_, t, b)| (t, b)).collect()
    }
}

/// The hash of an index term: foldhash with a seed fixed per process (a
/// sender chooses the terms, so the seed is random).
fn hash_term(term: &str) -> u64 {
    static STATE: std::sync::LazyLock<foldhash::fast::RandomState> =
        std::sync::LazyLock::new(foldhash::fast::RandomState::default);
    STATE.hash_one(term)
}

/// Whether two strings are equal, comparing eight bytes at a time without
/// a call to `memcmp` (terms are short, and a call per comparison showed
/// as 5 % of the flusher's CPU).
fn same_bytes(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        let x = u64::from_le_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]);
        let y = u64::from_le_bytes([y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7]]);
        if x != y {
            return false;
        }
    }
    ca.remainder()
        .iter()
        .zip(cb.remainder())
        .all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn same_bytes_is_string_equality(a in "[a-c0-9가]{0,20}", b in "[a-c0-9가]{0,20}") {
            prop_assert_eq!(same_bytes(&a, &b), a == b);
            prop_assert!(same_bytes(&a, &a.clone()));
            prop_assert!(same_name(&a, &a.clone()));
            prop_assert_eq!(same_name(&a, &b), a == b);
        }
    }

    #[test]
    fn term_blocks_list_each_block_once() {
        let mut t = TermBlocks::default();
        for (term, b) in [
            ("sshd", 0),
            ("sshd", 0),
            ("root", 0),
            ("sshd", 2),
            ("sshd", 2),
        ] {
            t.add(hash_term(term), term, b);
        }
        assert!(!t.add(hash_term("root"), "root", 0));
        assert!(t.add(hash_term("root"), "root", 3));
        let mut entries = t.into_entries();
        entries.sort();
        assert_eq!(
            entries,
            vec![
                ("root".to_owned(), vec![0, 3]),
                ("sshd".to_owned(), vec![0, 2])
            ]
        );
    }
}
