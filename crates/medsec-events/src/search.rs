//! Search and export: a query over a time range and a member scope,
//! answered from the segments (pruned by their indexes, then evaluated
//! column by column) and the in-memory tail (evaluated event by event).
//!
//! A search makes two passes over one snapshot. The first evaluates every
//! candidate block in the range and counts the matches (exact total and
//! histogram), remembering which blocks matched. The second merges those
//! blocks and the tail's matches newest first, from the cursor on, until
//! the page is full. Pages are ordered by `(@timestamp, id)`, and a
//! cursor is the position of the last event returned, so paging is
//! stable while events are appended, flushed and compacted.

use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use medsec_logs::{Event, EventId, Value};

use crate::error::{Error, Result};
use crate::query::{CmpOp, EventCtx, FieldPred, Node, Query, TextQuery};
use crate::segment::block::{self, Aux, FieldColumn, RawCol, Shapes};
use crate::segment::{BlockMeta, MAX_KEY_BYTES, SegReader, Segment};
use crate::store::{EventStore, Snapshot};
use crate::text::{self, Class, MAX_TERM_BYTES, is_ngram};

/// Whose events a search may see. There is no default: every search
/// states its scope, so a hospital's search cannot forget to limit itself
/// to its own member id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MemberScope {
    /// Every member (ISAC analysts).
    AllMembers,
    /// Only these members (a hospital passes its own id alone). An empty
    /// set matches nothing.
    Members(std::collections::BTreeSet<String>),
}

impl MemberScope {
    /// One member's events.
    pub fn member(id: impl Into<String>) -> MemberScope {
        MemberScope::Members([id.into()].into_iter().collect())
    }

    /// These members' events.
    pub fn members<I: IntoIterator<Item = S>, S: Into<String>>(ids: I) -> MemberScope {
        MemberScope::Members(ids.into_iter().map(Into::into).collect())
    }

    pub fn includes(&self, member: &str) -> bool {
        match self {
            MemberScope::AllMembers => true,
            MemberScope::Members(m) => m.contains(member),
        }
    }
}

/// A half-open time range `[from, to)` in Unix nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeRange {
    pub from: i64,
    pub to: i64,
}

impl TimeRange {
    pub fn new(from: i64, to: i64) -> TimeRange {
        TimeRange { from, to }
    }

    /// Every representable time.
    pub fn all() -> TimeRange {
        TimeRange {
            from: i64::MIN,
            to: i64::MAX,
        }
    }

    pub fn contains(&self, ts: i64) -> bool {
        self.from <= ts && ts < self.to
    }
}

/// The order of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    NewestFirst,
    OldestFirst,
}

/// An opaque position in the results of one search, from
/// [`SearchResult::next`]. It is tied to the query, range and scope it
/// came from and refused with any other.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl Cursor {
    /// A cursor from its text (as a client sent it back).
    pub fn from_text(text: impl Into<String>) -> Cursor {
        Cursor(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn encode(fingerprint: u64, ts: i64, id: &EventId) -> Cursor {
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(&fingerprint.to_le_bytes());
        bytes.extend_from_slice(&ts.to_le_bytes());
        bytes.extend_from_slice(&id.0);
        let mut s = String::from("e1.");
        for b in bytes {
            s.push_str(&format!("{b:02x}"));
        }
        Cursor(s)
    }

    fn decode(&self, fingerprint: u64) -> Result<(i64, EventId)> {
        let bad = || Error::Cursor(format!("`{}` is not a cursor of this store", self.0));
        let hex = self.0.strip_prefix("e1.").ok_or_else(bad)?;
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        for (i, pair) in hex.as_bytes().chunks_exact(2).enumerate() {
            let s = std::str::from_utf8(pair).map_err(|_| bad())?;
            bytes[i] = u8::from_str_radix(s, 16).map_err(|_| bad())?;
        }
        let fp = u64::from_le_bytes(bytes[0..8].try_into().map_err(|_| bad())?);
        if fp != fingerprint {
            return Err(Error::Cursor(
                "the cursor belongs to another search (query, time range or members differ)".into(),
            ));
        }
        let ts = i64::from_le_bytes(bytes[8..16].try_into().map_err(|_| bad())?);
        let mut id = [0u8; 16];
        id.copy_from_slice(&bytes[16..32]);
        Ok((ts, EventId(id)))
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The most buckets a histogram may have.
pub const MAX_BUCKETS: usize = 100_000;
/// The largest page.
pub const MAX_PAGE: usize = 10_000;

/// A search: what, when, whose, and which page.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub query: Query,
    pub range: TimeRange,
    pub scope: MemberScope,
    /// Events per page, 1 to [`MAX_PAGE`]; 100 by default.
    pub page_size: usize,
    /// Where the previous page ended; `None` for the first page.
    pub cursor: Option<Cursor>,
    /// Histogram bucket width in nanoseconds; buckets start at
    /// `range.from`.
    pub histogram: Option<i64>,
}

impl SearchRequest {
    /// A search for the first page of 100 events, without histogram.
    pub fn new(query: Query, range: TimeRange, scope: MemberScope) -> SearchRequest {
        SearchRequest {
            query,
            range,
            scope,
            page_size: 100,
            cursor: None,
            histogram: None,
        }
    }

    pub fn page_size(mut self, n: usize) -> SearchRequest {
        self.page_size = n;
        self
    }

    pub fn cursor(mut self, c: Option<Cursor>) -> SearchRequest {
        self.cursor = c;
        self
    }

    pub fn histogram(mut self, width_ns: i64) -> SearchRequest {
        self.histogram = Some(width_ns);
        self
    }

    fn fingerprint(&self) -> u64 {
        let text = format!(
            "{}|{}|{}|{:?}",
            self.query, self.range.from, self.range.to, self.scope
        );
        // FNV-1a: stable across processes and versions, unlike the
        // standard library's hasher.
        text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}

/// Counts of matching events per bucket of `width` nanoseconds from
/// `from`; they add up to the total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    pub from: i64,
    pub width: i64,
    pub counts: Vec<u64>,
}

/// One page of a search.
#[derive(Clone, Debug)]
pub struct SearchResult {
    /// Newest first.
    pub events: Vec<Event>,
    /// Every match in the range (not only from the cursor on).
    pub total: u64,
    pub histogram: Option<Histogram>,
    /// The cursor of the next page, if there is one.
    pub next: Option<Cursor>,
}

/// The key events are ordered by.
type Key = (i64, EventId);

impl EventStore {
    /// Runs a search: the page from the cursor on, the exact total and
    /// the histogram over the whole range.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResult> {
        let range = req.range;
        if range.from >= range.to {
            return Err(Error::Request(format!(
                "the time range is empty: from {} is not before to {}",
                range.from, range.to
            )));
        }
        if req.page_size == 0 || req.page_size > MAX_PAGE {
            return Err(Error::Request(format!(
                "page size {} is not between 1 and {MAX_PAGE}",
                req.page_size
            )));
        }
        let fingerprint = req.fingerprint();
        let cursor = req
            .cursor
            .as_ref()
            .map(|c| c.decode(fingerprint))
            .transpose()?;
        let mut hist = match req.histogram {
            None => None,
            Some(w) if w <= 0 => {
                return Err(Error::Request(format!(
                    "histogram bucket width {w} is not positive"
                )));
            }
            Some(w) => {
                let span = i128::from(range.to) - i128::from(range.from);
                let n = (span + i128::from(w) - 1) / i128::from(w);
                if n > MAX_BUCKETS as i128 {
                    return Err(Error::Request(format!(
                        "a bucket width of {w} ns makes {n} buckets, more than {MAX_BUCKETS}"
                    )));
                }
                Some(Histogram {
                    from: range.from,
                    width: w,
                    counts: vec![0; n as usize],
                })
            }
        };
        let inner = self.inner();
        let snap = inner.snapshot(&req.scope, range.from, range.to);
        let root = req.query.root();

        // Pass 1: count, and remember the blocks with matches. Segments
        // are counted on several threads.
        let mut segs: Vec<Arc<Segment>> = Vec::new();
        for (key, list) in &snap.segments.parts {
            if inner.partition_wanted(&req.scope, range.from, range.to, key) {
                segs.extend(
                    list.iter()
                        .filter(|s| s.meta.max_ts >= range.from && s.meta.min_ts < range.to)
                        .cloned(),
                );
            }
        }
        let buckets = hist.as_ref().map(|h| (h.from, h.width, h.counts.len()));
        let keep_raw = uses_id(root);
        let threads = inner
            .config
            .search_threads
            .clamp(1, 64)
            .min(segs.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || -> Result<Counted> {
            let mut c = Counted::new(buckets);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(seg) = segs.get(i) else {
                    return Ok(c);
                };
                count_segment(seg, root, range, keep_raw, &mut c)?;
            }
        };
        let parts: Vec<Result<Counted>> = if threads == 1 {
            vec![work()]
        } else {
            std::thread::scope(|sc| {
                let handles: Vec<_> = (0..threads).map(|_| sc.spawn(work)).collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(Error::Internal("a search thread panicked".into()))
                        })
                    })
                    .collect()
            })
        };
        let mut total = 0u64;
        let mut matched: Vec<(SegReader, Vec<u32>)> = Vec::new();
        for part in parts {
            let part = part?;
            total += part.total;
            if let (Some(h), Some(counts)) = (hist.as_mut(), part.hist) {
                for (a, b) in h.counts.iter_mut().zip(counts) {
                    *a += b;
                }
            }
            matched.extend(part.matched);
        }
        let mut add = |ts: i64, n: u64, hist: &mut Option<Histogram>| {
            total += n;
            if let Some(h) = hist {
                let i = ((i128::from(ts) - i128::from(h.from)) / i128::from(h.width)) as usize;
                if let Some(c) = h.counts.get_mut(i) {
                    *c += n;
                }
            }
        };
        let mut tail_hits: Vec<Event> = Vec::new();
        for (_, chunks) in &snap.tail {
            for chunk in chunks {
                for ev in chunk.iter() {
                    if range.contains(ev.timestamp) && root.eval_fast(&EventCtx::new(ev)) {
                        add(ev.timestamp, 1, &mut hist);
                        tail_hits.push(ev.clone());
                    }
                }
            }
        }

        // Pass 2: the page, newest first from the cursor.
        let after = cursor;
        tail_hits.retain(|e| after.is_none_or(|c| (e.timestamp, e.id) < c));
        let mut merger = Merger::new(root.clone(), range, after, true);
        for (rdr, blocks) in matched {
            merger.add_segment(rdr, blocks);
        }
        merger.add_events(tail_hits);
        let mut events = Vec::with_capacity(req.page_size.min(1024));
        let mut more = false;
        for ev in merger.by_ref() {
            let ev = ev?;
            if events.len() == req.page_size {
                more = true;
                break;
            }
            events.push(ev);
        }
        let next = if more {
            events
                .last()
                .map(|e| Cursor::encode(fingerprint, e.timestamp, &e.id))
        } else {
            None
        };
        Ok(SearchResult {
            events,
            total,
            histogram: hist,
            next,
        })
    }

    /// Every matching event in the range, in the order asked, for CSV or
    /// NDJSON export. The iterator holds a snapshot: events appended later
    /// are not in it, and segments it reads stay on disk until it is
    /// dropped.
    pub fn export(
        &self,
        query: &Query,
        range: TimeRange,
        scope: &MemberScope,
        order: Order,
    ) -> Result<Export> {
        let inner = self.inner();
        let snap: Snapshot = inner.snapshot(scope, range.from, range.to);
        let root = query.root().clone();
        let desc = order == Order::NewestFirst;
        let mut merger = Merger::new(root.clone(), range, None, desc);
        for (key, segs) in &snap.segments.parts {
            if !inner.partition_wanted(scope, range.from, range.to, key) {
                continue;
            }
            for seg in segs {
                if seg.meta.max_ts < range.from || seg.meta.min_ts >= range.to {
                    continue;
                }
                let rdr = seg.reader()?;
                let cand = candidates(&root, &rdr)?;
                let blocks: Vec<u32> = seg
                    .meta
                    .blocks
                    .iter()
                    .enumerate()
                    .filter(|(b, bm)| {
                        cand.get(*b).copied().unwrap_or(false)
                            && bm.max_ts >= range.from
                            && bm.min_ts < range.to
                    })
                    .map(|(b, _)| b as u32)
                    .collect();
                if !blocks.is_empty() {
                    // A fresh reader, which opens the file only when the
                    // merge reaches the segment.
                    drop(rdr);
                    merger.add_segment(seg.reader()?, blocks);
                }
            }
        }
        let mut hits = Vec::new();
        for (_, chunks) in &snap.tail {
            for chunk in chunks {
                hits.extend(
                    chunk
                        .iter()
                        .filter(|ev| {
                            range.contains(ev.timestamp) && root.eval_fast(&EventCtx::new(ev))
                        })
                        .cloned(),
                );
            }
        }
        merger.add_events(hits);
        Ok(Export { merger })
    }
}

/// What one counting thread found.
struct Counted {
    total: u64,
    /// `(from, width)` of the histogram and its counts.
    buckets: Option<(i64, i64)>,
    hist: Option<Vec<u64>>,
    matched: Vec<(SegReader, Vec<u32>)>,
}

impl Counted {
    fn new(buckets: Option<(i64, i64, usize)>) -> Counted {
        Counted {
            total: 0,
            buckets: buckets.map(|(f, w, _)| (f, w)),
            hist: buckets.map(|(_, _, n)| vec![0; n]),
            matched: Vec::new(),
        }
    }

    fn bucket(&self, ts: i64) -> Option<usize> {
        self.buckets
            .map(|(from, width)| ((i128::from(ts) - i128::from(from)) / i128::from(width)) as usize)
    }

    /// Adds the matches of a block (its timestamps ascending) without a
    /// division per event: the bucket moves forward with the time.
    /// Returns the number added.
    fn add_sorted(&mut self, ts: &[i64], hits: &[bool]) -> u64 {
        let mut n = 0u64;
        let Some((from, width)) = self.buckets else {
            n = hits.iter().filter(|h| **h).count() as u64;
            self.total += n;
            return n;
        };
        let mut bucket: Option<(usize, i128)> = None;
        for (t, hit) in ts.iter().zip(hits) {
            if !*hit {
                continue;
            }
            let t128 = i128::from(*t);
            let i = match bucket {
                Some((i, end)) if t128 < end => i,
                _ => {
                    let i = (t128 - i128::from(from)) / i128::from(width);
                    bucket = Some((i as usize, i128::from(from) + (i + 1) * i128::from(width)));
                    i as usize
                }
            };
            if let Some(c) = self.hist.as_mut().and_then(|h| h.get_mut(i)) {
                *c += 1;
            }
            n += 1;
        }
        self.total += n;
        n
    }

    fn add(&mut self, ts: i64, n: u64) {
        self.total += n;
        if let Some(i) = self.bucket(ts)
            && let Some(c) = self.hist.as_mut().and_then(|h| h.get_mut(i))
        {
            *c += n;
        }
    }
}

/// Whether a query looks at ids (which need the raw messages as stored).
fn uses_id(node: &Node) -> bool {
    match node {
        Node::Field { field, .. } => field == "_id",
        Node::And(items) | Node::Or(items) => items.iter().any(uses_id),
        Node::Not(inner) => uses_id(inner),
        Node::All | Node::Text(_) => false,
    }
}

/// Counts the matches of one segment in the range.
fn count_segment(
    seg: &Arc<Segment>,
    root: &Node,
    range: TimeRange,
    keep_raw: bool,
    c: &mut Counted,
) -> Result<()> {
    let in_range = |bm: &BlockMeta| bm.max_ts >= range.from && bm.min_ts < range.to;
    if !seg.meta.blocks.iter().any(in_range) {
        return Ok(());
    }
    let rdr = seg.reader()?;
    let cand = candidates(root, &rdr)?;
    let mut blocks = Vec::new();
    for (b, bm) in seg.meta.blocks.iter().enumerate() {
        if !cand.get(b).copied().unwrap_or(false) || !in_range(bm) {
            continue;
        }
        let inside = range.from <= bm.min_ts && bm.max_ts < range.to;
        if matches!(root, Node::All) && inside && c.bucket(bm.min_ts) == c.bucket(bm.max_ts) {
            c.add(bm.min_ts, u64::from(bm.count));
            blocks.push(b as u32);
            continue;
        }
        let mut be = BlockEval::new(rdr.clone(), b)?;
        be.keep_raw = keep_raw;
        let mask: Vec<bool> = if inside {
            vec![true; be.n]
        } else {
            be.ts.iter().map(|t| range.contains(*t)).collect()
        };
        let m = be.eval(root, &mask)?;
        if c.add_sorted(&be.ts, &m) > 0 {
            blocks.push(b as u32);
        }
    }
    if !blocks.is_empty() {
        // A fresh reader: this one's file closes now, the page pass opens
        // it again only if it reads the segment.
        c.matched.push((seg.reader()?, blocks));
    }
    Ok(())
}

/// The events of an export, in order; see [`EventStore::export`].
pub struct Export {
    merger: Merger,
}

impl Iterator for Export {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Result<Event>> {
        self.merger.next()
    }
}

/// Every event of the segments, oldest first (compaction's input).
pub(crate) fn merge_all(segs: &[Arc<Segment>]) -> Result<Merger> {
    let mut m = Merger::new(Node::All, TimeRange::all(), None, false);
    for s in segs {
        let blocks = (0..s.meta.blocks.len() as u32).collect();
        m.add_segment(s.reader()?, blocks);
    }
    Ok(m)
}

/// Which blocks of a segment may hold matches, from the indexes, the
/// block time ranges, the field zones and the field presence. Never
/// excludes a block with a match.
fn candidates(node: &Node, rdr: &SegReader) -> Result<Vec<bool>> {
    let meta = &rdr.seg.meta;
    let n = meta.blocks.len();
    Ok(match node {
        Node::All | Node::Not(_) => vec![true; n],
        Node::And(items) => {
            let mut acc = vec![true; n];
            for item in items {
                if !acc.iter().any(|x| *x) {
                    break;
                }
                let c = candidates(item, rdr)?;
                for (a, c) in acc.iter_mut().zip(c) {
                    *a &= c;
                }
            }
            acc
        }
        Node::Or(items) => {
            let mut acc = vec![false; n];
            for item in items {
                let c = candidates(item, rdr)?;
                for (a, c) in acc.iter_mut().zip(c) {
                    *a |= c;
                }
                if acc.iter().all(|x| *x) {
                    break;
                }
            }
            acc
        }
        Node::Text(t) => text_candidates(t, rdr)?,
        Node::Field { field, pred } => field_candidates(field, pred, rdr)?,
    })
}

fn blocks_to_mask(blocks: Option<Vec<u32>>, n: usize) -> Vec<bool> {
    let mut out = vec![false; n];
    for b in blocks.unwrap_or_default() {
        if let Some(slot) = out.get_mut(b as usize) {
            *slot = true;
        }
    }
    out
}

fn text_candidates(t: &TextQuery, rdr: &SegReader) -> Result<Vec<bool>> {
    let meta = &rdr.seg.meta;
    let n = meta.blocks.len();
    let index = &meta.tokens;
    if let Some(tokens) = t.tokens() {
        let mut acc = vec![true; n];
        for (tok, class) in tokens {
            let c = match class {
                Class::Word => {
                    blocks_to_mask(rdr.lookup(index, text::cut(tok, MAX_TERM_BYTES))?, n)
                }
                Class::Ngram if tok.chars().count() == 1 => rdr.scan(
                    index,
                    "\u{1100}",
                    |_| true,
                    |term| term.contains(tok.as_str()),
                    n,
                )?,
                Class::Ngram => {
                    let mut m = vec![true; n];
                    let mut result = Ok(());
                    text::index_terms(tok, Class::Ngram, |bigram| {
                        if result.is_err() {
                            return;
                        }
                        match rdr.lookup(index, bigram) {
                            Ok(b) => {
                                let bm = blocks_to_mask(b, n);
                                for (a, x) in m.iter_mut().zip(bm) {
                                    *a &= x;
                                }
                            }
                            Err(e) => result = Err(e),
                        }
                    });
                    result?;
                    m
                }
            };
            for (a, c) in acc.iter_mut().zip(c) {
                *a &= c;
            }
        }
        return Ok(acc);
    }
    let Some(glob) = t.glob() else {
        return Ok(vec![true; n]);
    };
    let prefix = glob.literal_prefix();
    let prefix = text::cut(&prefix, 32).to_owned();
    match prefix.chars().next() {
        Some(c) if !is_ngram(c) => rdr.scan(
            index,
            &prefix,
            |term| term.starts_with(prefix.as_str()),
            // A term cut to the length limit may be a longer token that
            // the pattern matches.
            |term| glob.matches(term) || term.len() + 4 > MAX_TERM_BYTES,
            n,
        ),
        _ => Ok(vec![true; n]),
    }
}

/// Whether a block whose values of a field are all integers in
/// `[lo, hi]` may hold a value the predicate accepts. The comparisons
/// are monotone in the value, so the ends of the zone decide.
fn zone_may_match(pred: &FieldPred, lo: i64, hi: i64) -> bool {
    let holds = |p: &FieldPred, v: i64| p.holds(Some(&Value::Int(v)));
    match pred {
        FieldPred::Equals(l) => l.int().is_some_and(|i| lo <= i && i <= hi),
        FieldPred::Compare(CmpOp::Gt | CmpOp::Ge, _) => holds(pred, hi),
        FieldPred::Compare(CmpOp::Lt | CmpOp::Le, _) => holds(pred, lo),
        FieldPred::Range { lower, upper } => {
            let low_ok = lower.as_ref().is_none_or(|l| {
                holds(
                    &FieldPred::Range {
                        lower: Some(l.clone()),
                        upper: None,
                    },
                    hi,
                )
            });
            let high_ok = upper.as_ref().is_none_or(|u| {
                holds(
                    &FieldPred::Range {
                        lower: None,
                        upper: Some(u.clone()),
                    },
                    lo,
                )
            });
            low_ok && high_ok
        }
        FieldPred::Cidr(_) => false,
        FieldPred::Wildcard(_) | FieldPred::Exists => true,
    }
}

fn field_candidates(field: &str, pred: &FieldPred, rdr: &SegReader) -> Result<Vec<bool>> {
    let meta = &rdr.seg.meta;
    let n = meta.blocks.len();
    Ok(match field {
        "_member" => vec![pred.holds(Some(&Value::Str(meta.member.clone()))); n],
        "_source" => meta
            .blocks
            .iter()
            .map(|bm| {
                bm.sources
                    .iter()
                    .any(|s| pred.holds(Some(&Value::Str(s.clone()))))
            })
            .collect(),
        "_id" => match pred {
            FieldPred::Equals(l) => match EventId::parse(l.text()) {
                Some(id) => blocks_to_mask(Some(rdr.id_table()?.blocks_of(&id)), n),
                None => vec![false; n],
            },
            _ => vec![true; n],
        },
        "@timestamp" => meta
            .blocks
            .iter()
            .map(|bm| zone_may_match(pred, bm.min_ts, bm.max_ts))
            .collect(),
        "event.ingested" => vec![true; n],
        name => {
            let Some(fid) = meta.field_id(name) else {
                return Ok(vec![false; n]);
            };
            let mut acc: Vec<bool> = meta
                .blocks
                .iter()
                .map(|bm| match bm.field(fid) {
                    None => false,
                    Some(fc) => match (fc.only_int, fc.int_zone) {
                        (true, Some((lo, hi))) => zone_may_match(pred, lo, hi),
                        _ => true,
                    },
                })
                .collect();
            if let Some(index) = meta.field_terms(fid) {
                let from_index = match pred {
                    FieldPred::Equals(l) => {
                        let mut m = vec![false; n];
                        for k in l.index_keys() {
                            let b =
                                blocks_to_mask(rdr.lookup(index, text::cut(&k, MAX_KEY_BYTES))?, n);
                            for (a, x) in m.iter_mut().zip(b) {
                                *a |= x;
                            }
                        }
                        Some(m)
                    }
                    FieldPred::Wildcard(g) => {
                        let prefix = g.literal_prefix();
                        let prefix = text::cut(&prefix, 64).to_owned();
                        Some(rdr.scan(
                            index,
                            &prefix,
                            |t| t.starts_with(prefix.as_str()),
                            |t| g.matches(t) || t.len() + 4 > MAX_KEY_BYTES,
                            n,
                        )?)
                    }
                    FieldPred::Cidr(c) => Some(rdr.scan(
                        index,
                        "",
                        |_| true,
                        |t| t.parse().is_ok_and(|ip| c.contains(&ip)),
                        n,
                    )?),
                    FieldPred::Exists | FieldPred::Compare(..) | FieldPred::Range { .. } => None,
                };
                if let Some(m) = from_index {
                    for (a, x) in acc.iter_mut().zip(m) {
                        *a &= x;
                    }
                }
            }
            acc
        }
    })
}

/// One block of a segment, its columns decoded on demand.
struct BlockEval {
    rdr: SegReader,
    bm: BlockMeta,
    n: usize,
    ts: Vec<i64>,
    shapes: Option<Shapes>,
    aux: Option<Aux>,
    raw: Option<RawCol>,
    /// The raw messages with ASCII letters lower-cased (offsets as in
    /// `raw`), when `raw` must stay as stored.
    lower: Option<String>,
    /// Whether `raw` itself was lower-cased (when nothing needs the
    /// messages as stored: counting without ids).
    lowered: bool,
    /// Whether the raw messages must stay as stored (to build events or
    /// derive ids).
    keep_raw: bool,
    fields: HashMap<u32, FieldColumn>,
    /// Whether every field column of the block is loaded.
    all_fields: bool,
}

impl BlockEval {
    fn new(rdr: SegReader, b: usize) -> Result<BlockEval> {
        let Some(bm) = rdr.seg.meta.blocks.get(b).cloned() else {
            return Err(Error::corrupt(
                "segment",
                &rdr.seg.path,
                0,
                format!("no block {b}"),
            ));
        };
        let n = bm.count as usize;
        let buf = rdr.frame(&bm.ts, "timestamp column")?;
        let ts =
            block::decode_ts(&buf, n).map_err(|e| rdr.corrupt("timestamp column", &bm.ts, e))?;
        Ok(BlockEval {
            rdr,
            bm,
            n,
            ts,
            shapes: None,
            aux: None,
            raw: None,
            lower: None,
            lowered: false,
            keep_raw: true,
            fields: HashMap::new(),
            all_fields: false,
        })
    }

    fn load_shapes(&mut self) -> Result<()> {
        if self.shapes.is_none() {
            let buf = self.rdr.frame(&self.bm.shape, "shape column")?;
            let s = Shapes::decode(
                &buf,
                self.n,
                self.bm.sources.len(),
                self.rdr.seg.meta.fields.len(),
            )
            .map_err(|e| self.rdr.corrupt("shape column", &self.bm.shape, e))?;
            self.shapes = Some(s);
        }
        Ok(())
    }

    fn load_aux(&mut self) -> Result<()> {
        if self.aux.is_none() {
            let buf = self.rdr.frame(&self.bm.aux, "aux column")?;
            let a = Aux::decode(&buf, &self.ts)
                .map_err(|e| self.rdr.corrupt("aux column", &self.bm.aux, e))?;
            self.aux = Some(a);
        }
        Ok(())
    }

    fn load_raw(&mut self) -> Result<()> {
        if self.raw.is_none() {
            let buf = self.rdr.frame_owned(&self.bm.raw, "raw column")?;
            let r = RawCol::decode(buf, self.n)
                .map_err(|e| self.rdr.corrupt("raw column", &self.bm.raw, e))?;
            self.raw = Some(r);
        }
        Ok(())
    }

    fn load_field(&mut self, fid: u32) -> Result<bool> {
        if self.fields.contains_key(&fid) {
            return Ok(true);
        }
        let Some(col) = self.bm.field(fid).map(|f| f.col) else {
            return Ok(false);
        };
        self.load_shapes()?;
        let tags = self
            .shapes
            .as_ref()
            .map(|s| s.tags_of(fid))
            .unwrap_or_default();
        let buf = self.rdr.frame(&col, "field column")?;
        let c = FieldColumn::decode(&buf, &tags)
            .map_err(|e| self.rdr.corrupt("field column", &col, e))?;
        self.fields.insert(fid, c);
        Ok(true)
    }

    fn id(&mut self, i: usize) -> Result<EventId> {
        self.load_shapes()?;
        self.load_aux()?;
        self.load_raw()?;
        match (&self.shapes, &self.aux, &self.raw) {
            (Some(s), Some(a), Some(r)) => Ok(block::event_id(
                &self.rdr.seg.meta.member,
                &self.bm.sources,
                i,
                s,
                a,
                r,
            )),
            _ => Err(Error::Closed),
        }
    }

    /// Which events of the block match `node`, among those in `mask`.
    fn eval(&mut self, node: &Node, mask: &[bool]) -> Result<Vec<bool>> {
        Ok(match node {
            Node::All => mask.to_vec(),
            Node::Not(inner) => {
                let r = self.eval(inner, mask)?;
                mask.iter().zip(r).map(|(m, r)| *m && !r).collect()
            }
            Node::And(items) => {
                let mut cur = mask.to_vec();
                // Field conditions first: they are cheaper than full text
                // and narrow what the text must check.
                let (text, other): (Vec<&Node>, Vec<&Node>) =
                    items.iter().partition(|n| matches!(n, Node::Text(_)));
                for item in other.into_iter().chain(text) {
                    if !cur.iter().any(|x| *x) {
                        break;
                    }
                    cur = self.eval(item, &cur)?;
                }
                cur
            }
            Node::Or(items) => {
                let mut acc = vec![false; self.n];
                for item in items {
                    let rest: Vec<bool> = mask.iter().zip(&acc).map(|(m, a)| *m && !a).collect();
                    if !rest.iter().any(|x| *x) {
                        break;
                    }
                    let r = self.eval(item, &rest)?;
                    for (a, r) in acc.iter_mut().zip(r) {
                        *a |= r;
                    }
                }
                acc
            }
            Node::Text(t) => self.eval_text(t, mask)?,
            Node::Field { field, pred } => self.eval_field(field, pred, mask)?,
        })
    }

    fn eval_field(&mut self, field: &str, pred: &FieldPred, mask: &[bool]) -> Result<Vec<bool>> {
        let seg = self.rdr.seg.clone();
        let meta = &seg.meta;
        let all = |v: bool| mask.iter().map(|m| *m && v).collect::<Vec<bool>>();
        match field {
            "_member" => Ok(all(pred.holds(Some(&Value::Str(meta.member.clone()))))),
            "_source" => {
                self.load_shapes()?;
                let per: Vec<bool> = self
                    .bm
                    .sources
                    .iter()
                    .map(|s| pred.holds(Some(&Value::Str(s.clone()))))
                    .collect();
                let shapes = self.shapes.as_ref();
                Ok(mask
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        *m && shapes
                            .and_then(|s| s.sources.get(i))
                            .and_then(|c| per.get(*c as usize))
                            .copied()
                            .unwrap_or(false)
                    })
                    .collect())
            }
            "_id" => {
                let mut out = vec![false; self.n];
                for (i, slot) in out.iter_mut().enumerate() {
                    if mask.get(i).copied().unwrap_or(false) {
                        let id = self.id(i)?;
                        *slot = pred.holds(Some(&Value::Str(id.to_string())));
                    }
                }
                Ok(out)
            }
            "@timestamp" => Ok(mask
                .iter()
                .zip(&self.ts)
                .map(|(m, t)| *m && pred.holds(Some(&Value::Int(*t))))
                .collect()),
            "event.ingested" => {
                self.load_aux()?;
                let received = self
                    .aux
                    .as_ref()
                    .map(|a| a.received.as_slice())
                    .unwrap_or(&[]);
                Ok(mask
                    .iter()
                    .zip(received)
                    .map(|(m, t)| *m && pred.holds(Some(&Value::Int(*t))))
                    .collect())
            }
            name => {
                let Some(fid) = meta.field_id(name) else {
                    return Ok(vec![false; self.n]);
                };
                let r = match self.fields.get(&fid) {
                    Some(col) => col.eval(|v| pred.holds(v)),
                    None => {
                        let Some(col) = self.bm.field(fid).map(|f| f.col) else {
                            return Ok(vec![false; self.n]);
                        };
                        self.load_shapes()?;
                        let buf = self.rdr.frame(&col, "field column")?;
                        let Some(shapes) = &self.shapes else {
                            return Ok(vec![false; self.n]);
                        };
                        FieldColumn::eval_encoded(&buf, shapes, fid, |v| pred.holds(v))
                            .map_err(|e| self.rdr.corrupt("field column", &col, e))?
                    }
                };
                Ok(mask.iter().zip(r).map(|(m, r)| *m && r).collect())
            }
        }
    }

    fn eval_text(&mut self, t: &TextQuery, mask: &[bool]) -> Result<Vec<bool>> {
        self.load_raw()?;
        if self.keep_raw {
            if self.lower.is_none() {
                let mut lower = self
                    .raw
                    .as_ref()
                    .map(|r| r.text().to_owned())
                    .unwrap_or_default();
                lower.make_ascii_lowercase();
                self.lower = Some(lower);
            }
        } else if !self.lowered {
            if let Some(r) = self.raw.as_mut() {
                r.ascii_lowercase();
            }
            self.lowered = true;
        }
        let Some(raw) = &self.raw else {
            return Ok(vec![false; self.n]);
        };
        let lower: &[u8] = match &self.lower {
            Some(l) => l.as_bytes(),
            None => raw.text().as_bytes(),
        };
        let n = self.n;
        let msg = |i: usize| {
            let (s, e) = raw.span(i);
            lower.get(s..e).unwrap_or(&[])
        };
        // ASCII messages are matched on bytes; others (where Unicode
        // lower-casing can even produce ASCII letters) are tokenized.
        let all_ascii = lower.is_ascii();
        let ascii: Vec<bool> = (0..n)
            .map(|i| mask.get(i).copied().unwrap_or(false) && (all_ascii || msg(i).is_ascii()))
            .collect();
        let words: Option<Vec<&[u8]>> = t
            .tokens()
            .filter(|toks| toks.iter().all(|(q, c)| *c == Class::Word && q.is_ascii()))
            .map(|toks| toks.iter().map(|(q, _)| q.as_bytes()).collect());
        let mut out = vec![false; n];
        if let Some(words) = &words
            && let Some(first) = words.first()
        {
            // Every occurrence of the first word in the block, checked as
            // the start of the phrase.
            for at in memchr::memmem::find_iter(lower, first) {
                let i = raw.message_at(at);
                if !ascii.get(i).copied().unwrap_or(false) || out.get(i).copied().unwrap_or(true) {
                    continue;
                }
                let (s, _) = raw.span(i);
                if text::phrase_at(msg(i), at - s, words) {
                    out[i] = true;
                }
            }
        }
        let prefix = t
            .glob()
            .map(|g| g.literal_prefix())
            .filter(|p| !p.is_empty() && p.is_ascii());
        let prefix = prefix
            .as_ref()
            .map(|p| memchr::memmem::Finder::new(p.as_bytes()));
        if words.is_some() && all_ascii {
            // Every message was decided by the byte matcher.
            return Ok(out);
        }
        for (i, slot) in out.iter_mut().enumerate() {
            if !mask.get(i).copied().unwrap_or(false) {
                continue;
            }
            let is_ascii = ascii.get(i).copied().unwrap_or(false);
            if words.is_some() && is_ascii {
                continue;
            }
            if is_ascii && prefix.as_ref().is_some_and(|f| f.find(msg(i)).is_none()) {
                continue;
            }
            *slot = t.matches_tokens(&text::token_list(raw.get(i)));
        }
        Ok(out)
    }

    /// The event at position `i`.
    fn event(&mut self, i: usize) -> Result<Event> {
        self.load_shapes()?;
        self.load_aux()?;
        self.load_raw()?;
        if !self.all_fields {
            let fids: Vec<u32> = self.bm.fields.iter().map(|f| f.field).collect();
            for f in fids {
                self.load_field(f)?;
            }
            self.all_fields = true;
        }
        let meta = &self.rdr.seg.meta;
        let (Some(shapes), Some(aux), Some(raw)) = (&self.shapes, &self.aux, &self.raw) else {
            return Err(Error::Closed);
        };
        let fields = &self.fields;
        Ok(block::build_event(
            &meta.member,
            &self.bm.sources,
            i,
            &self.ts,
            shapes,
            aux,
            raw,
            &|f: u32| fields.get(&f),
            &meta.fields,
        ))
    }
}

/// A heap entry: the timestamp of a source's next event, or the time
/// bound of a segment's next block that is not decoded yet.
struct Item {
    ts: i64,
    src: usize,
    bound: bool,
    desc: bool,
}

impl PartialEq for Item {
    fn eq(&self, other: &Item) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Item) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Item {
    fn cmp(&self, other: &Item) -> std::cmp::Ordering {
        let by_time = if self.desc {
            self.ts.cmp(&other.ts)
        } else {
            other.ts.cmp(&self.ts)
        };
        // At the same time a bound comes first, so that every event of
        // that time is decoded before one of them is returned.
        by_time.then(self.bound.cmp(&other.bound))
    }
}

/// A decoded block of a segment source and its matches still to return.
struct Current {
    be: BlockEval,
    /// Matching positions, in the order they are returned.
    positions: Vec<usize>,
    at: usize,
}

enum Source {
    Seg {
        rdr: SegReader,
        /// Candidate blocks in the order they are read.
        blocks: Vec<u32>,
        next: usize,
        cur: Option<Box<Current>>,
    },
    Events(VecDeque<Event>),
}

/// Merges sources that are each ordered by `(@timestamp, id)` into one
/// ordered stream. It orders by time and looks at ids only when sources
/// tie on time, and it decodes a segment's block only when the merge
/// reaches its time and builds only the events it returns, because an id
/// that is not stored costs reading the raw messages and a SHA-256.
pub(crate) struct Merger {
    node: Node,
    range: TimeRange,
    /// Only events before (newest first) this key.
    after: Option<Key>,
    desc: bool,
    srcs: Vec<Source>,
    heap: BinaryHeap<Item>,
    failed: bool,
}

impl Merger {
    fn new(node: Node, range: TimeRange, after: Option<Key>, desc: bool) -> Merger {
        Merger {
            node,
            range,
            after,
            desc,
            srcs: Vec::new(),
            heap: BinaryHeap::new(),
            failed: false,
        }
    }

    fn add_segment(&mut self, rdr: SegReader, mut blocks: Vec<u32>) {
        if self.desc {
            if let Some((ts, _)) = self.after {
                blocks.retain(|b| {
                    rdr.seg
                        .meta
                        .blocks
                        .get(*b as usize)
                        .is_some_and(|bm| bm.min_ts <= ts)
                });
            }
            blocks.reverse();
        }
        if blocks.is_empty() {
            return;
        }
        let src = self.srcs.len();
        self.srcs.push(Source::Seg {
            rdr,
            blocks,
            next: 0,
            cur: None,
        });
        self.push_next(src);
    }

    fn add_events(&mut self, mut events: Vec<Event>) {
        events.sort_unstable_by_key(|e| (e.timestamp, e.id));
        if self.desc {
            events.reverse();
        }
        let src = self.srcs.len();
        self.srcs.push(Source::Events(events.into()));
        self.push_next(src);
    }

    /// Pushes the source's next entry: its next event's time, or the bound
    /// of its next block.
    fn push_next(&mut self, src: usize) {
        let desc = self.desc;
        let entry = match self.srcs.get(src) {
            Some(Source::Events(q)) => q.front().map(|e| (e.timestamp, false)),
            Some(Source::Seg {
                rdr,
                blocks,
                next,
                cur,
            }) => {
                match cur
                    .as_ref()
                    .and_then(|c| c.positions.get(c.at).and_then(|p| c.be.ts.get(*p)))
                {
                    Some(ts) => Some((*ts, false)),
                    None => blocks
                        .get(*next)
                        .and_then(|b| rdr.seg.meta.blocks.get(*b as usize))
                        .map(|bm| (if desc { bm.max_ts } else { bm.min_ts }, true)),
                }
            }
            None => None,
        };
        match entry {
            Some((ts, bound)) => self.heap.push(Item {
                ts,
                src,
                bound,
                desc,
            }),
            // An exhausted source lets go of its segment (and its file).
            None => {
                if let Some(slot) = self.srcs.get_mut(src) {
                    *slot = Source::Events(VecDeque::new());
                }
            }
        }
    }

    /// Decodes a segment source's next block and finds its matches.
    fn expand(&mut self, src: usize) -> Result<()> {
        let (range, after, desc) = (self.range, self.after, self.desc);
        let node = &self.node;
        let Some(Source::Seg {
            rdr,
            blocks,
            next,
            cur,
        }) = self.srcs.get_mut(src)
        else {
            return Ok(());
        };
        *cur = None;
        let Some(&b) = blocks.get(*next) else {
            return Ok(());
        };
        *next += 1;
        let mut be = BlockEval::new(rdr.clone(), b as usize)?;
        let mut mask: Vec<bool> = be.ts.iter().map(|t| range.contains(*t)).collect();
        if let Some((cts, cid)) = after {
            for (i, slot) in mask.iter_mut().enumerate() {
                let t = be.ts.get(i).copied().unwrap_or(i64::MAX);
                if t > cts {
                    *slot = false;
                } else if t == cts && *slot {
                    *slot = be.id(i)? < cid;
                }
            }
        }
        let m = be.eval(node, &mask)?;
        let mut positions: Vec<usize> = (0..be.n)
            .filter(|i| m.get(*i).copied().unwrap_or(false))
            .collect();
        if desc {
            positions.reverse();
        }
        if !positions.is_empty() {
            *cur = Some(Box::new(Current {
                be,
                positions,
                at: 0,
            }));
        }
        Ok(())
    }

    /// The id of a source's next event.
    fn head_id(&mut self, src: usize) -> Result<Option<EventId>> {
        Ok(match self.srcs.get_mut(src) {
            Some(Source::Events(q)) => q.front().map(|e| e.id),
            Some(Source::Seg { cur: Some(c), .. }) => match c.positions.get(c.at) {
                Some(&p) => Some(c.be.id(p)?),
                None => None,
            },
            _ => None,
        })
    }

    /// Takes a source's next event.
    fn take(&mut self, src: usize) -> Result<Option<Event>> {
        Ok(match self.srcs.get_mut(src) {
            Some(Source::Events(q)) => q.pop_front(),
            Some(Source::Seg { cur: Some(c), .. }) => match c.positions.get(c.at) {
                Some(&p) => {
                    c.at += 1;
                    Some(c.be.event(p)?)
                }
                None => None,
            },
            _ => None,
        })
    }

    fn step(&mut self) -> Result<Option<Event>> {
        loop {
            let Some(top) = self.heap.pop() else {
                return Ok(None);
            };
            if top.bound {
                self.expand(top.src)?;
                self.push_next(top.src);
                continue;
            }
            let mut group = vec![top.src];
            while self.heap.peek().is_some_and(|p| !p.bound && p.ts == top.ts) {
                if let Some(p) = self.heap.pop() {
                    group.push(p.src);
                }
            }
            let chosen = if group.len() == 1 {
                top.src
            } else {
                let mut best: Option<(EventId, usize)> = None;
                for &src in &group {
                    if let Some(id) = self.head_id(src)? {
                        let better =
                            best.is_none_or(|(b, _)| if self.desc { id > b } else { id < b });
                        if better {
                            best = Some((id, src));
                        }
                    }
                }
                best.map_or(top.src, |(_, src)| src)
            };
            for &src in &group {
                if src != chosen {
                    self.heap.push(Item {
                        ts: top.ts,
                        src,
                        bound: false,
                        desc: self.desc,
                    });
                }
            }
            let ev = self.take(chosen)?;
            self.push_next(chosen);
            if let Some(ev) = ev {
                return Ok(Some(ev));
            }
        }
    }
}

impl Iterator for Merger {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Result<Event>> {
        if self.failed {
            return None;
        }
        match self.step() {
            Ok(Some(ev)) => Some(Ok(ev)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
