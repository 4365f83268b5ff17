//! The encodings of a block's columns, of index chunks and of the id
//! table, and the decoded forms searches work on.

use medsec_logs::{Event, EventId, Fields, Value};

use crate::codec::{self, DResult, Dec, DecodeError, Enc, MAX_LEN};

/// `@timestamp`s: the first, the greatest common divisor of the deltas
/// (a second for syslog times, which makes the deltas small numbers), then
/// the ascending deltas in that unit at a fixed width (1, 2, 4 or 8
/// bytes, the least that holds the largest), so that reading them is a
/// tight loop.
pub(crate) fn encode_ts(ts: &[i64]) -> Vec<u8> {
    fn gcd(mut a: u64, mut b: u64) -> u64 {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    }
    let deltas: Vec<u64> = ts
        .windows(2)
        .map(|w| w[1].wrapping_sub(w[0]) as u64)
        .collect();
    let unit = deltas.iter().fold(0, |g, d| gcd(g, *d)).max(1);
    let max = deltas.iter().map(|d| d / unit).max().unwrap_or(0);
    let width: u8 = if max <= u64::from(u8::MAX) {
        1
    } else if max <= u64::from(u16::MAX) {
        2
    } else if max <= u64::from(u32::MAX) {
        4
    } else {
        8
    };
    let mut e = Enc::new();
    e.zig(ts.first().copied().unwrap_or(0));
    e.var(unit);
    e.u8(width);
    for d in deltas {
        let v = d / unit;
        e.raw(&v.to_le_bytes()[..usize::from(width)]);
    }
    e.buf
}

pub(crate) fn decode_ts(buf: &[u8], count: usize) -> DResult<Vec<i64>> {
    let mut d = Dec::new(buf);
    let mut out = Vec::with_capacity(count);
    if count == 0 {
        return Ok(out);
    }
    let mut prev = d.zig()?;
    let unit = d.var()?;
    let width = usize::from(d.u8()?);
    if !matches!(width, 1 | 2 | 4 | 8) {
        return d.fail(format!("timestamp width {width}"));
    }
    let bytes = d.take((count - 1).saturating_mul(width))?;
    out.push(prev);
    // One loop per width, so that each is a tight loop without a copy
    // per element.
    let mut add = |delta: u64| {
        prev = prev.wrapping_add(delta.wrapping_mul(unit) as i64);
        out.push(prev);
    };
    match width {
        1 => bytes.iter().for_each(|b| add(u64::from(*b))),
        2 => bytes
            .chunks_exact(2)
            .for_each(|c| add(u64::from(u16::from_le_bytes([c[0], c[1]])))),
        4 => bytes
            .chunks_exact(4)
            .for_each(|c| add(u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))),
        _ => bytes.chunks_exact(8).for_each(|c| {
            add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]))
        }),
    }
    Ok(out)
}

/// The bytes of a fixed-width code that can number `n` things.
fn code_width(n: usize) -> u8 {
    if n <= 1 << 8 {
        1
    } else if n <= 1 << 16 {
        2
    } else {
        4
    }
}

/// Writes codes at a fixed width (so that reading them is a copy, not a
/// varint decode per event).
fn put_codes(e: &mut Enc, codes: &[u32], width: u8) {
    e.u8(width);
    for c in codes {
        match width {
            1 => e.u8(*c as u8),
            2 => e.raw(&(*c as u16).to_le_bytes()),
            _ => e.u32(*c),
        }
    }
}

/// Reads `count` fixed-width codes, each below `n`.
fn get_codes(d: &mut Dec<'_>, count: usize, n: usize) -> DResult<Vec<u32>> {
    let width = d.u8()?;
    let bytes = d.take(count.saturating_mul(usize::from(width.max(1))))?;
    let codes: Vec<u32> = match width {
        1 => bytes.iter().map(|b| u32::from(*b)).collect(),
        2 => bytes
            .chunks_exact(2)
            .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        4 => bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        other => return d.fail(format!("code width {other}")),
    };
    if codes.iter().any(|c| *c as usize >= n) {
        return d.fail(format!("a code is not below {n}"));
    }
    Ok(codes)
}

/// The layouts of a block: which fields (by id) with which value types,
/// in the order each event had them, and each event's layout and source.
#[derive(Debug, Default)]
pub(crate) struct Shapes {
    pub layouts: Vec<Vec<(u32, u8)>>,
    pub codes: Vec<u32>,
    pub sources: Vec<u32>,
}

impl Shapes {
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Enc::new();
        e.var(self.layouts.len() as u64);
        for l in &self.layouts {
            e.var(l.len() as u64);
            for (f, tag) in l {
                e.var(u64::from(*f));
                e.u8(*tag);
            }
        }
        put_codes(&mut e, &self.codes, code_width(self.layouts.len()));
        let nsources = self.sources.iter().max().map_or(0, |m| *m as usize + 1);
        put_codes(&mut e, &self.sources, code_width(nsources));
        e.buf
    }

    pub fn decode(buf: &[u8], count: usize, nsources: usize, nfields: usize) -> DResult<Shapes> {
        let mut d = Dec::new(buf);
        let n = d.len(count.max(1))?;
        let mut layouts = Vec::with_capacity(n);
        for _ in 0..n {
            let m = d.len(nfields)?;
            let mut l = Vec::with_capacity(m);
            for _ in 0..m {
                let f = d.len(nfields.saturating_sub(1))? as u32;
                let tag = d.u8()?;
                if tag > codec::TAG_IP6 {
                    return d.fail(format!("unknown value type tag {tag}"));
                }
                l.push((f, tag));
            }
            layouts.push(l);
        }
        let codes = get_codes(&mut d, count, n)?;
        let sources = get_codes(&mut d, count, nsources)?;
        Ok(Shapes {
            layouts,
            codes,
            sources,
        })
    }

    /// For each layout, whether it has field `f`.
    pub fn layouts_with(&self, f: u32) -> Vec<bool> {
        self.layouts
            .iter()
            .map(|l| l.iter().any(|(id, _)| *id == f))
            .collect()
    }

    /// For each event, the type of its value of field `f`, if it has one.
    pub fn tags_of(&self, f: u32) -> Vec<Option<u8>> {
        let per_layout: Vec<Option<u8>> = self
            .layouts
            .iter()
            .map(|l| l.iter().find(|(id, _)| *id == f).map(|(_, t)| *t))
            .collect();
        self.codes
            .iter()
            .map(|c| per_layout.get(*c as usize).copied().flatten())
            .collect()
    }
}

/// `event.ingested` and the ids that cannot be derived.
#[derive(Debug, Default)]
pub(crate) struct Aux {
    pub received: Vec<i64>,
    /// `(position in the block, id)`, ascending by position.
    pub explicit: Vec<(u32, EventId)>,
}

impl Aux {
    pub fn encode(&self, ts: &[i64]) -> Vec<u8> {
        let mut e = Enc::new();
        for (r, t) in self.received.iter().zip(ts) {
            e.zig(r.wrapping_sub(*t));
        }
        e.var(self.explicit.len() as u64);
        let mut prev = 0u32;
        for (at, id) in &self.explicit {
            e.var(u64::from(at - prev));
            e.raw(&id.0);
            prev = *at;
        }
        e.buf
    }

    pub fn decode(buf: &[u8], ts: &[i64]) -> DResult<Aux> {
        let mut d = Dec::new(buf);
        let mut received = Vec::with_capacity(ts.len());
        for t in ts {
            received.push(t.wrapping_add(d.zig()?));
        }
        let n = d.len(ts.len())?;
        let mut explicit = Vec::with_capacity(n);
        let mut at = 0u32;
        for _ in 0..n {
            at = at.saturating_add(d.len(ts.len())? as u32);
            if at as usize >= ts.len() {
                return d.fail("explicit id past the block's end");
            }
            let mut id = [0u8; 16];
            id.copy_from_slice(d.take(16)?);
            explicit.push((at, EventId(id)));
        }
        Ok(Aux { received, explicit })
    }
}

/// The raw messages of a block: the messages one after another, then
/// their lengths (at a fixed width), then the messages' total length
/// (u32), so that the decompressed frame becomes the text without a copy.
#[derive(Debug, Default)]
pub(crate) struct RawCol {
    text: String,
    ends: Vec<usize>,
}

impl RawCol {
    pub fn encode(raws: &[&str]) -> Vec<u8> {
        let mut e = Enc::new();
        for r in raws {
            e.raw(r.as_bytes());
        }
        let total = e.buf.len();
        let lengths: Vec<u32> = raws.iter().map(|r| r.len() as u32).collect();
        let max = lengths.iter().max().copied().unwrap_or(0) as usize;
        put_codes(&mut e, &lengths, code_width(max + 1));
        e.u32(u32::try_from(total).unwrap_or(u32::MAX));
        e.buf
    }

    pub fn decode(mut buf: Vec<u8>, count: usize) -> DResult<RawCol> {
        let n = buf.len();
        let Some(tail) = n.checked_sub(4).and_then(|at| buf.get(at..)) else {
            return Err(DecodeError {
                offset: 0,
                detail: "raw column shorter than its trailer".into(),
            });
        };
        let total = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as usize;
        let Some(lengths) = buf.get(total..n - 4) else {
            return Err(DecodeError {
                offset: n - 4,
                detail: format!("text length {total} exceeds the column"),
            });
        };
        let mut d = Dec::new(lengths);
        let mut ends = Vec::with_capacity(count);
        let mut end = 0usize;
        for len in get_codes(&mut d, count, MAX_LEN + 1)? {
            end = end.saturating_add(len as usize);
            ends.push(end);
        }
        if end != total || !d.is_empty() {
            return Err(DecodeError {
                offset: total,
                detail: "message lengths do not add up to the text".into(),
            });
        }
        buf.truncate(total);
        let text = String::from_utf8(buf).map_err(|e| DecodeError {
            offset: 0,
            detail: format!("messages are not UTF-8: {}", e.utf8_error()),
        })?;
        // Each message was valid UTF-8 on its own, so every end is a
        // character boundary; check it rather than trust it.
        if !ends.iter().all(|e| text.is_char_boundary(*e)) {
            return Err(DecodeError {
                offset: 0,
                detail: "a message ends inside a character".into(),
            });
        }
        Ok(RawCol { text, ends })
    }

    /// Where message `i` is in the text.
    pub fn span(&self, i: usize) -> (usize, usize) {
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0)
        };
        (start, self.ends.get(i).copied().unwrap_or(start))
    }

    pub fn get(&self, i: usize) -> &str {
        let (start, end) = self.span(i);
        self.text.get(start..end).unwrap_or("")
    }

    /// All messages one after another.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Lower-cases ASCII letters in place (for matching only: the messages
    /// are then no longer as stored).
    pub fn ascii_lowercase(&mut self) {
        self.text.make_ascii_lowercase();
    }

    /// The message containing text offset `at`.
    pub fn message_at(&self, at: usize) -> usize {
        self.ends.partition_point(|e| *e <= at)
    }
}

/// A field column's code for an event without the field.
const ABSENT: u32 = u32::MAX;
/// Codes from this one on are indexes into the inline values.
const INLINE: u32 = 0x8000_0000;

/// A decoded field column: a code per event of the block, into the
/// column's dictionary or its inline values.
#[derive(Debug, Default)]
pub(crate) struct FieldColumn {
    dict: Vec<Value>,
    inline: Vec<Value>,
    codes: Vec<u32>,
}

/// How a field column stores its values: strings through a dictionary
/// and other values inline, or every value through a dictionary (when
/// values repeat: addresses and process ids of a session).
const STRINGS_IN_DICT: u8 = 0;
const ALL_IN_DICT: u8 = 1;

impl FieldColumn {
    /// Encodes the values of the events that have the field (in order);
    /// also returns the distinct values, in the order they first occur.
    #[cfg(test)]
    pub fn encode<'a>(values: impl Iterator<Item = &'a Value>) -> (Vec<u8>, Vec<&'a Value>) {
        let mut b = FieldColumnBuilder::default();
        for v in values {
            b.push(v);
        }
        let (buf, order) = b.finish();
        (buf, order.to_vec())
    }

    pub fn decode(buf: &[u8], tags: &[Option<u8>]) -> DResult<FieldColumn> {
        let mut d = Dec::new(buf);
        let mode = d.u8()?;
        let n = d.len(tags.len())?;
        let mut dict = Vec::with_capacity(n);
        let mut inline = Vec::new();
        let mut codes = Vec::with_capacity(tags.len());
        match mode {
            ALL_IN_DICT => {
                for _ in 0..n {
                    let tag = d.u8()?;
                    dict.push(codec::get_value_body(&mut d, tag)?);
                }
                let present = tags.iter().filter(|t| t.is_some()).count();
                let mut stored = get_codes(&mut d, present, n)?.into_iter();
                for tag in tags {
                    codes.push(match tag {
                        None => ABSENT,
                        Some(_) => stored.next().unwrap_or(ABSENT),
                    });
                }
            }
            STRINGS_IN_DICT => {
                for _ in 0..n {
                    dict.push(Value::Str(d.str()?.to_owned()));
                }
                for tag in tags {
                    codes.push(match tag {
                        None => ABSENT,
                        Some(codec::TAG_STR) => d.len(n.saturating_sub(1))? as u32,
                        Some(t) => {
                            inline.push(codec::get_value_body(&mut d, *t)?);
                            INLINE + (inline.len() as u32 - 1)
                        }
                    });
                }
            }
            other => return d.fail(format!("unknown field column mode {other}")),
        }
        Ok(FieldColumn {
            dict,
            inline,
            codes,
        })
    }

    /// Evaluates a predicate on every event straight from the encoded
    /// column, each distinct value once: the fast path of field
    /// conditions, which builds no column.
    pub fn eval_encoded(
        buf: &[u8],
        shapes: &Shapes,
        f: u32,
        mut holds: impl FnMut(Option<&Value>) -> bool,
    ) -> DResult<Vec<bool>> {
        if buf.first() != Some(&ALL_IN_DICT) {
            let col = FieldColumn::decode(buf, &shapes.tags_of(f))?;
            return Ok(col.eval(holds));
        }
        let mut d = Dec::new(buf);
        d.u8()?;
        let count = shapes.codes.len();
        let n = d.len(count)?;
        let mut dict = Vec::with_capacity(n);
        for _ in 0..n {
            let tag = d.u8()?;
            let v = codec::get_value_body(&mut d, tag)?;
            dict.push(holds(Some(&v)));
        }
        let absent = holds(None);
        let has = shapes.layouts_with(f);
        let present = if has.iter().all(|h| *h) {
            shapes.codes.len()
        } else {
            shapes
                .codes
                .iter()
                .filter(|c| has.get(**c as usize).copied().unwrap_or(false))
                .count()
        };
        let codes = get_codes(&mut d, present, n)?;
        let value = |c: u32| dict.get(c as usize).copied().unwrap_or(false);
        if present == shapes.codes.len() {
            return Ok(codes.into_iter().map(value).collect());
        }
        let mut next = codes.into_iter();
        Ok(shapes
            .codes
            .iter()
            .map(|layout| {
                if has.get(*layout as usize).copied().unwrap_or(false) {
                    next.next().is_some_and(value)
                } else {
                    absent
                }
            })
            .collect())
    }

    fn lookup(&self, code: u32) -> Option<&Value> {
        if code == ABSENT {
            None
        } else if code >= INLINE {
            self.inline.get((code - INLINE) as usize)
        } else {
            self.dict.get(code as usize)
        }
    }

    /// The value of event `i`, if it has the field.
    pub fn value(&self, i: usize) -> Option<Value> {
        self.codes.get(i).and_then(|c| self.lookup(*c)).cloned()
    }

    /// Evaluates a predicate on every event, each distinct value once.
    pub fn eval(&self, mut holds: impl FnMut(Option<&Value>) -> bool) -> Vec<bool> {
        let dict: Vec<bool> = self.dict.iter().map(|v| holds(Some(v))).collect();
        let inline: Vec<bool> = self.inline.iter().map(|v| holds(Some(v))).collect();
        let absent = holds(None);
        self.codes
            .iter()
            .map(|&c| {
                if c == ABSENT {
                    absent
                } else if c >= INLINE {
                    inline.get((c - INLINE) as usize).copied().unwrap_or(false)
                } else {
                    dict.get(c as usize).copied().unwrap_or(false)
                }
            })
            .collect()
    }
}

/// A field column being built, one value at a time as the events come
/// (so that each value is read while its event is in the cache; the
/// column is encoded from the distinct values and the codes).
pub(crate) struct FieldColumnBuilder<'a> {
    distinct: foldhash::HashMap<ValueKey<'a>, u32>,
    /// The distinct values, in the order they first occur.
    order: Vec<&'a Value>,
    /// Each value's place in `order`.
    codes: Vec<u32>,
    /// The smallest and largest integer.
    zone: Option<(i64, i64)>,
    only_int: bool,
}

/// Values are the same when their tags and encodings are: a float by its
/// bits (so NaN equals itself and -0 is not 0).
#[derive(PartialEq, Eq, Hash)]
enum ValueKey<'a> {
    Str(&'a str),
    Int(i64),
    Float(u64),
    Bool(bool),
    Ip(std::net::IpAddr),
}

impl Default for FieldColumnBuilder<'_> {
    fn default() -> Self {
        FieldColumnBuilder {
            distinct: foldhash::HashMap::default(),
            order: Vec::new(),
            codes: Vec::new(),
            zone: None,
            only_int: true,
        }
    }
}

impl<'a> FieldColumnBuilder<'a> {
    /// Adds the value of the next event that has the field.
    pub fn push(&mut self, v: &'a Value) {
        let key = match v {
            Value::Str(s) => ValueKey::Str(s),
            Value::Int(i) => {
                self.zone = Some(
                    self.zone
                        .map_or((*i, *i), |(lo, hi)| (lo.min(*i), hi.max(*i))),
                );
                ValueKey::Int(*i)
            }
            Value::Float(f) => ValueKey::Float(f.to_bits()),
            Value::Bool(b) => ValueKey::Bool(*b),
            Value::Ip(ip) => ValueKey::Ip(*ip),
        };
        if !matches!(v, Value::Int(_)) {
            self.only_int = false;
        }
        let next = self.order.len() as u32;
        let order = &mut self.order;
        let code = *self.distinct.entry(key).or_insert_with(|| {
            order.push(v);
            next
        });
        self.codes.push(code);
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The smallest and largest value if there are integers.
    pub fn int_zone(&self) -> Option<(i64, i64)> {
        self.zone
    }

    /// Whether every value is an integer.
    pub fn only_int(&self) -> bool {
        self.only_int
    }

    /// The encoded column and the distinct values, in the order they
    /// first occur.
    pub fn finish(&self) -> (Vec<u8>, &[&'a Value]) {
        let (order, codes) = (&self.order, &self.codes);
        let mut e = Enc::new();
        if order.len() * 2 <= codes.len() {
            e.u8(ALL_IN_DICT);
            e.var(order.len() as u64);
            for v in order {
                e.u8(codec::tag_of(v));
                codec::put_value_body(&mut e, v);
            }
            put_codes(&mut e, codes, code_width(order.len()));
            return (e.buf, order);
        }
        // The strings' dictionary: the distinct strings in the order they
        // first occur, which are the string values of `order`; a string's
        // code is its place there.
        let mut string_code = vec![0u32; order.len()];
        let mut strings: Vec<&str> = Vec::new();
        for (code, v) in string_code.iter_mut().zip(order) {
            if let Value::Str(s) = v {
                *code = strings.len() as u32;
                strings.push(s);
            }
        }
        e.u8(STRINGS_IN_DICT);
        e.var(strings.len() as u64);
        for s in &strings {
            e.str(s);
        }
        for code in codes {
            // A value's code leads to its first occurrence, which encodes
            // the same (equal keys).
            match order.get(*code as usize) {
                Some(Value::Str(_)) => e.var(u64::from(
                    string_code.get(*code as usize).copied().unwrap_or(0),
                )),
                Some(other) => codec::put_value_body(&mut e, other),
                None => {}
            }
        }
        (e.buf, order)
    }
}

/// An index chunk: sorted terms, front-coded, each with its blocks.
pub(crate) fn encode_chunk(entries: &[(&str, &[u32])]) -> Vec<u8> {
    let mut e = Enc::new();
    e.var(entries.len() as u64);
    let mut prev: &str = "";
    for (term, blocks) in entries {
        let shared = prev
            .bytes()
            .zip(term.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        e.var(shared as u64);
        e.bytes(term.as_bytes().get(shared..).unwrap_or(&[]));
        e.var(blocks.len() as u64);
        let mut last = 0u32;
        for (i, b) in blocks.iter().enumerate() {
            e.var(u64::from(if i == 0 { *b } else { b - last }));
            last = *b;
        }
        prev = term;
    }
    e.buf
}

/// Walks a chunk's entries in order, calling `f` with each term and its
/// blocks until it answers `false`; allocates nothing per entry.
pub(crate) fn walk_chunk(buf: &[u8], mut f: impl FnMut(&str, &[u32]) -> bool) -> DResult<()> {
    let mut d = Dec::new(buf);
    let n = d.len(buf.len())?;
    let mut term: Vec<u8> = Vec::new();
    let mut blocks: Vec<u32> = Vec::new();
    for _ in 0..n {
        let shared = d.len(term.len())?;
        let suffix = d.bytes()?;
        term.truncate(shared);
        term.extend_from_slice(suffix);
        let Ok(t) = std::str::from_utf8(&term) else {
            return d.fail("index term is not UTF-8");
        };
        let m = d.len(buf.len())?;
        blocks.clear();
        let mut last = 0u32;
        for i in 0..m {
            let v = d.var()?;
            let Ok(v) = u32::try_from(v) else {
                return d.fail("block number exceeds 32 bits");
            };
            last = if i == 0 { v } else { last.saturating_add(v) };
            blocks.push(last);
        }
        if !f(t, &blocks) {
            break;
        }
    }
    Ok(())
}

/// The bits of an id fingerprint in a table of `n` ids: sixteen more than
/// it takes to number them, so that a new id matches a fingerprint of the
/// table with a probability of about 1/65,536; then the block is read and
/// its ids computed to compare whole ids, which costs about a millisecond.
/// Every appended id is looked up in every segment of its partition, so
/// with twelve bits (1/4,096, the first format) these reads cost the
/// writer a few microseconds an event once a partition had a few
/// segments. Readers take the width from the table.
pub(crate) fn fingerprint_bits(n: usize) -> u32 {
    (usize::BITS - n.leading_zeros() + 16).clamp(16, 64)
}

/// The fingerprint of an id: its first `bits` bits.
pub(crate) fn fingerprint(id: &EventId, bits: u32) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&id.0[..8]);
    u64::from_be_bytes(a) >> (64 - bits)
}

/// Writes bits, most significant first.
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    fn put(&mut self, value: u64, bits: u32) {
        for i in (0..bits).rev() {
            self.acc = (self.acc << 1) | ((value >> i) & 1);
            self.n += 1;
            if self.n == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.n = 0;
            }
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push((self.acc << (8 - self.n)) as u8);
        }
        self.out
    }
}

struct BitReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn bit(&mut self) -> Option<u64> {
        let byte = self.buf.get(self.pos / 8)?;
        let b = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u64::from(b))
    }

    fn get(&mut self, bits: u32) -> Option<u64> {
        let mut v = 0;
        for _ in 0..bits {
            v = (v << 1) | self.bit()?;
        }
        Some(v)
    }
}

/// The id table: `(fingerprint, block)` pairs sorted by fingerprint, the
/// fingerprints as Golomb-Rice-coded gaps and the blocks bit-packed.
pub(crate) fn encode_id_table(entries: &[(u64, u32)], fp_bits: u32, nblocks: usize) -> Vec<u8> {
    let n = entries.len().max(1) as u64;
    let mean_gap = (1u128 << fp_bits) / u128::from(n);
    let k = (127 - mean_gap.max(1).leading_zeros()).min(63);
    let block_bits = usize::BITS - nblocks.saturating_sub(1).leading_zeros();
    let mut e = Enc::new();
    e.var(entries.len() as u64);
    e.u8(fp_bits as u8);
    e.u8(k as u8);
    e.u8(block_bits as u8);
    let mut w = BitWriter {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    let mut prev = 0u64;
    for (fp, _) in entries {
        let gap = fp - prev;
        prev = *fp;
        let q = gap >> k;
        for _ in 0..q {
            w.put(1, 1);
        }
        w.put(0, 1);
        w.put(gap & ((1u64 << k) - 1), k);
    }
    for (_, b) in entries {
        w.put(u64::from(*b), block_bits);
    }
    e.raw(&w.finish());
    e.buf
}

/// A decoded id table.
#[derive(Debug, Default)]
pub(crate) struct IdTable {
    pub bits: u32,
    /// `(fingerprint, block)`, sorted.
    pub entries: Vec<(u64, u32)>,
    /// Where the fingerprints of each value of their top `bits - shift`
    /// bits start in `entries` (one more at the end): about one entry a
    /// bucket, so a lookup reads two places instead of binary-searching
    /// (the writer looks up every appended id in every segment of its
    /// partition).
    starts: Vec<u32>,
    shift: u32,
}

impl IdTable {
    /// The table of sorted `(fingerprint, block)` pairs with `bits`-bit
    /// fingerprints.
    pub fn new(bits: u32, entries: Vec<(u64, u32)>) -> IdTable {
        // About as many buckets as entries, at most 2^24 (64 MiB).
        let dir_bits = (usize::BITS - entries.len().leading_zeros())
            .saturating_sub(1)
            .min(bits)
            .min(24);
        let shift = bits - dir_bits;
        let mut starts = Vec::with_capacity((1usize << dir_bits) + 1);
        let mut i = 0;
        for bucket in 0..(1u64 << dir_bits) {
            while i < entries.len() && entries[i].0 >> shift < bucket {
                i += 1;
            }
            starts.push(i as u32);
        }
        starts.push(entries.len() as u32);
        IdTable {
            bits,
            entries,
            starts,
            shift,
        }
    }

    /// Whether some block may hold the id (its fingerprint is in the
    /// table): the writer's check for every appended id and segment of
    /// its partition, two reads and no allocation.
    pub fn may_hold(&self, id: &EventId) -> bool {
        let fp = fingerprint(id, self.bits);
        let bucket = (fp >> self.shift) as usize;
        let (Some(&from), Some(&to)) = (self.starts.get(bucket), self.starts.get(bucket + 1))
        else {
            return false;
        };
        self.entries
            .get(from as usize..to as usize)
            .unwrap_or_default()
            .iter()
            .any(|(f, _)| *f == fp)
    }

    /// The blocks that may hold the id (sorted, each once; no allocation
    /// when there is none, the usual answer).
    pub fn blocks_of(&self, id: &EventId) -> Vec<u32> {
        let fp = fingerprint(id, self.bits);
        let bucket = (fp >> self.shift) as usize;
        let (Some(&from), Some(&to)) = (self.starts.get(bucket), self.starts.get(bucket + 1))
        else {
            return Vec::new();
        };
        let mut out: Vec<u32> = self
            .entries
            .get(from as usize..to as usize)
            .unwrap_or_default()
            .iter()
            .filter(|(f, _)| *f == fp)
            .map(|(_, b)| *b)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Memory the table takes, in bytes.
    pub fn memory(&self) -> usize {
        self.entries.len() * 16 + self.starts.len() * 4
    }
}

/// A partition's id filter for deduplication: one bit for each value of
/// the first `bits` bits of an id, set for every id of the segments it
/// covers. The writer checks every appended id here first, one read,
/// instead of probing the id table of every segment of its partition
/// (two reads each, mostly cache misses, and as many segments as the
/// partition has flushed); only when the bit is set are the tables asked.
///
/// It is built from the segments' id tables, whose fingerprints are the
/// ids' first bits: a fingerprint shorter than the filter's index sets
/// every bit it could stand for, so the filter never misses an id. It
/// holds 16 to 32 bits an id when built and is rebuilt larger before it
/// falls below 8 (a false positive rate of 3–12 %), up to `2^max_bits`
/// bits; a partition with more ids than that holds fills it further (more
/// false positives, never a missed id).
#[derive(Debug, Clone)]
pub(crate) struct IdFilter {
    bits: u32,
    max_bits: u32,
    words: Vec<u64>,
    /// Fingerprints added.
    entries: usize,
    /// The segments (numbers) whose ids it holds.
    covered: foldhash::HashSet<u64>,
}

impl IdFilter {
    const MIN_BITS: u32 = 16;

    /// The largest filter (`2^max_bits` bits) that fits in `bytes`.
    pub fn max_bits_for(bytes: usize) -> u32 {
        bytes
            .saturating_mul(8)
            .max(1)
            .ilog2()
            .clamp(Self::MIN_BITS, 36)
    }

    /// An empty filter sized for `n` ids, of at most `2^max_bits` bits.
    pub fn for_entries(n: usize, max_bits: u32) -> IdFilter {
        let want = n.max(1).saturating_mul(16);
        let max_bits = max_bits.max(Self::MIN_BITS);
        let bits = (usize::BITS - (want - 1).leading_zeros()).clamp(Self::MIN_BITS, max_bits);
        IdFilter {
            bits,
            max_bits,
            words: vec![0; 1usize << (bits - 6)],
            entries: 0,
            covered: foldhash::HashSet::default(),
        }
    }

    /// Whether `more` ids fit without the filter getting too full.
    pub fn fits(&self, more: usize) -> bool {
        self.bits >= self.max_bits
            || self.entries.saturating_add(more).saturating_mul(8) <= 1usize << self.bits
    }

    pub fn covers(&self, seq: u64) -> bool {
        self.covered.contains(&seq)
    }

    /// Adds the ids of segment `seq`, given its id table.
    pub fn add_table(&mut self, seq: u64, table: &IdTable) {
        if !self.covered.insert(seq) {
            return;
        }
        self.entries += table.entries.len();
        let (fb, b) = (table.bits, self.bits);
        for (fp, _) in &table.entries {
            if fb >= b {
                self.set(fp >> (fb - b), 1);
            } else {
                self.set(fp << (b - fb), 1u64 << (b - fb));
            }
        }
    }

    /// Sets `n` bits from bit `from`.
    fn set(&mut self, from: u64, n: u64) {
        let mut at = from;
        let end = from.saturating_add(n);
        while at < end {
            let word = (at >> 6) as usize;
            let bit = at & 63;
            let take = (64 - bit).min(end - at);
            let mask = if take == 64 {
                u64::MAX
            } else {
                ((1u64 << take) - 1) << bit
            };
            if let Some(w) = self.words.get_mut(word) {
                *w |= mask;
            }
            at += take;
        }
    }

    /// Whether a covered segment may hold the id.
    pub fn may_hold(&self, id: &EventId) -> bool {
        let at = fingerprint(id, self.bits);
        self.words
            .get((at >> 6) as usize)
            .is_none_or(|w| w & (1u64 << (at & 63)) != 0)
    }

    /// Memory the filter takes, in bytes.
    pub fn memory(&self) -> usize {
        self.words.len() * 8 + self.covered.len() * 16
    }
}

/// Decodes the id table.
pub(crate) fn decode_id_table(buf: &[u8]) -> DResult<IdTable> {
    let mut d = Dec::new(buf);
    let n = d.len(buf.len().saturating_mul(8))?;
    let fp_bits = u32::from(d.u8()?);
    let k = u32::from(d.u8()?);
    let block_bits = u32::from(d.u8()?);
    if !(1..=64).contains(&fp_bits) || k > 63 || block_bits > 32 {
        return d.fail("impossible id table parameters");
    }
    let at = d.pos();
    let rest = d.take(buf.len() - at)?;
    let mut r = BitReader { buf: rest, pos: 0 };
    let bad = || DecodeError {
        offset: at,
        detail: "id table runs past its end".into(),
    };
    let mut fps = Vec::with_capacity(n);
    let mut prev = 0u64;
    for _ in 0..n {
        let mut q = 0u64;
        while r.bit().ok_or_else(bad)? == 1 {
            q += 1;
            if q > 1 << 20 {
                return Err(bad());
            }
        }
        let low = r.get(k).ok_or_else(bad)?;
        prev = prev.wrapping_add((q << k) | low);
        fps.push(prev);
    }
    let mut out = Vec::with_capacity(n);
    for fp in fps {
        out.push((fp, r.get(block_bits).ok_or_else(bad)? as u32));
    }
    Ok(IdTable::new(fp_bits, out))
}

/// Builds event `i` of a block from its decoded columns.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_event<'c>(
    member: &str,
    sources: &[String],
    i: usize,
    ts: &[i64],
    shapes: &Shapes,
    aux: &Aux,
    raw: &RawCol,
    column: &dyn Fn(u32) -> Option<&'c FieldColumn>,
    field_names: &[String],
) -> Event {
    let source = shapes
        .sources
        .get(i)
        .and_then(|s| sources.get(*s as usize))
        .cloned()
        .unwrap_or_default();
    let raw_text = raw.get(i);
    let id = match aux
        .explicit
        .binary_search_by_key(&(i as u32), |(at, _)| *at)
    {
        Ok(k) => aux.explicit.get(k).map(|(_, id)| *id),
        Err(_) => None,
    }
    .unwrap_or_else(|| EventId::of(member, &source, raw_text.as_bytes()));
    let mut fields = Fields::new();
    if let Some(layout) = shapes
        .codes
        .get(i)
        .and_then(|c| shapes.layouts.get(*c as usize))
    {
        for (f, _) in layout {
            let value = column(*f).and_then(|c| c.value(i));
            if let (Some(v), Some(name)) = (value, field_names.get(*f as usize)) {
                fields.set(name.clone(), v);
            }
        }
    }
    Event {
        id,
        member: member.to_owned(),
        source,
        timestamp: ts.get(i).copied().unwrap_or(0),
        received: aux.received.get(i).copied().unwrap_or(0),
        raw: raw_text.to_owned(),
        fields,
    }
}

/// The id of event `i` without building the event.
pub(crate) fn event_id(
    member: &str,
    sources: &[String],
    i: usize,
    shapes: &Shapes,
    aux: &Aux,
    raw: &RawCol,
) -> EventId {
    if let Ok(k) = aux
        .explicit
        .binary_search_by_key(&(i as u32), |(at, _)| *at)
        && let Some((_, id)) = aux.explicit.get(k)
    {
        return *id;
    }
    let source = shapes
        .sources
        .get(i)
        .and_then(|s| sources.get(*s as usize))
        .map_or("", String::as_str);
    EventId::of(member, source, raw.get(i).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_in_their_unit() {
        for ts in [
            vec![],
            vec![5],
            vec![1_000_000_000, 3_000_000_000, 3_000_000_000, 9_000_000_000],
            vec![-7, -3, 0, 1, 1, i64::MAX],
            vec![i64::MIN, 0, i64::MAX],
        ] {
            let buf = encode_ts(&ts);
            assert_eq!(decode_ts(&buf, ts.len()).unwrap(), ts);
        }
        // Whole seconds cost a byte a delta before compression.
        let secs: Vec<i64> = (0..100)
            .map(|i| 1_714_489_200_000_000_000 + i * 3_000_000_000)
            .collect();
        assert!(encode_ts(&secs).len() < 120);
    }

    #[test]
    fn id_tables_round_trip() {
        for n in [0usize, 1, 2, 100, 5000] {
            let mut entries: Vec<(u64, u32)> = (0..n)
                .map(|i| {
                    let id = EventId::of("m", "s", format!("{i}").as_bytes());
                    (fingerprint(&id, 64), (i % 7) as u32)
                })
                .collect();
            let bits = fingerprint_bits(n);
            for (fp, _) in entries.iter_mut() {
                *fp >>= 64 - bits;
            }
            entries.sort_unstable();
            let buf = encode_id_table(&entries, bits, 7);
            let t = decode_id_table(&buf).unwrap();
            assert_eq!(t.bits, bits);
            assert_eq!(t.entries, entries);
            if n > 1 {
                let id = EventId::of("m", "s", b"1");
                assert!(t.blocks_of(&id).contains(&1));
            }
            // Truncated tables are errors, not panics.
            if n <= 100 {
                for cut in 0..buf.len() {
                    let _ = decode_id_table(&buf[..cut]);
                }
            }
        }
    }

    #[test]
    fn id_filters_hold_every_id_of_their_tables() {
        fn table(prefix: &str, n: usize) -> (Vec<EventId>, IdTable) {
            let ids: Vec<EventId> = (0..n)
                .map(|i| EventId::of("m", prefix, format!("{i}").as_bytes()))
                .collect();
            let bits = fingerprint_bits(n);
            let mut entries: Vec<(u64, u32)> =
                ids.iter().map(|id| (fingerprint(id, bits), 0)).collect();
            entries.sort_unstable();
            (ids, IdTable::new(bits, entries))
        }
        // Segments of very different sizes: the small ones' fingerprints
        // (17 to 23 bits) are shorter than the filter's index, the large
        // ones' longer.
        let sizes = [1usize, 3, 40, 100, 5000, 60_000];
        let tables: Vec<(Vec<EventId>, IdTable)> = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| table(&format!("s{i}"), *n))
            .collect();
        let total: usize = sizes.iter().sum();
        let mut f = IdFilter::for_entries(total, 36);
        assert!(f.fits(total));
        for (seq, (_, t)) in tables.iter().enumerate() {
            assert!(!f.covers(seq as u64));
            f.add_table(seq as u64, t);
            assert!(f.covers(seq as u64));
        }
        for (ids, _) in &tables {
            assert!(ids.iter().all(|id| f.may_hold(id)));
        }
        // Ids it never saw pass in about one case in 16 (16 to 32 bits an
        // id); allow up to one in 8.
        let (fresh, _) = table("fresh", 20_000);
        let passed = fresh.iter().filter(|id| f.may_hold(id)).count();
        assert!(
            passed < fresh.len() / 8,
            "{passed} of {} passed",
            fresh.len()
        );
        // Adding a table twice changes nothing; a filter that would get
        // fuller than 8 bits an id does not fit.
        f.add_table(0, &tables[0].1);
        assert!(!f.fits(total * 8));
        // An empty filter passes nothing.
        let empty = IdFilter::for_entries(0, 36);
        assert!(fresh.iter().all(|id| !empty.may_hold(id)));
        // A filter at its size limit takes every table, fuller than
        // planned, and still misses no id.
        assert_eq!(IdFilter::max_bits_for(8 << 10), 16);
        let mut small = IdFilter::for_entries(total, 16);
        for (seq, (_, t)) in tables.iter().enumerate() {
            assert!(small.fits(t.entries.len()));
            small.add_table(seq as u64, t);
        }
        assert_eq!(small.memory() - small.covered.len() * 16, 8 << 10);
        for (ids, _) in &tables {
            assert!(ids.iter().all(|id| small.may_hold(id)));
        }
    }

    #[test]
    fn field_columns_encode_as_the_first_format_did() {
        // The encoder of the first version, kept here to show that the
        // faster one writes the same bytes.
        fn reference(values: &[Value]) -> Vec<u8> {
            let count = values.len();
            let mut distinct: std::collections::HashMap<(u8, Vec<u8>), u32> =
                std::collections::HashMap::new();
            let mut order: Vec<&Value> = Vec::new();
            let mut codes: Vec<u32> = Vec::with_capacity(count);
            for v in values {
                let mut body = Enc::new();
                codec::put_value_body(&mut body, v);
                let next = order.len() as u32;
                let code = *distinct
                    .entry((codec::tag_of(v), body.buf))
                    .or_insert_with(|| {
                        order.push(v);
                        next
                    });
                codes.push(code);
            }
            let mut e = Enc::new();
            if order.len() * 2 <= count {
                e.u8(ALL_IN_DICT);
                e.var(order.len() as u64);
                for v in &order {
                    e.u8(codec::tag_of(v));
                    codec::put_value_body(&mut e, v);
                }
                put_codes(&mut e, &codes, code_width(order.len()));
                return e.buf;
            }
            let mut strings: std::collections::HashMap<&str, u32> =
                std::collections::HashMap::new();
            let mut sorder: Vec<&str> = Vec::new();
            for v in values {
                if let Value::Str(s) = v
                    && !strings.contains_key(s.as_str())
                {
                    strings.insert(s, sorder.len() as u32);
                    sorder.push(s);
                }
            }
            e.u8(STRINGS_IN_DICT);
            e.var(sorder.len() as u64);
            for s in &sorder {
                e.str(s);
            }
            for v in values {
                match v {
                    Value::Str(s) => {
                        e.var(u64::from(strings.get(s.as_str()).copied().unwrap_or(0)))
                    }
                    other => codec::put_value_body(&mut e, other),
                }
            }
            e.buf
        }
        let mut x = 7u64;
        for n in [0usize, 1, 2, 5, 50, 300] {
            for kinds in [1u64, 2, 3, 6] {
                let values: Vec<Value> = (0..n)
                    .map(|_| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        let r = x >> 33;
                        match r % kinds {
                            0 => Value::Str(format!("s{}", r % 40)),
                            1 => Value::Int((r % 30) as i64),
                            2 => Value::Str(format!("u{r}")),
                            3 => Value::Float((r % 5) as f64 / 2.0),
                            4 => Value::Bool(r.is_multiple_of(2)),
                            _ => Value::Ip(format!("10.0.{}.1", r % 4).parse().unwrap()),
                        }
                    })
                    .collect();
                let (buf, distinct) = FieldColumn::encode(values.iter());
                assert_eq!(buf, reference(&values), "{n} values of {kinds} kinds");
                let mut seen = Vec::new();
                for v in &values {
                    if !seen.contains(&v) {
                        seen.push(v);
                    }
                }
                assert_eq!(distinct, seen);
            }
        }
    }

    #[test]
    fn field_columns_round_trip_in_both_modes() {
        let repeated: Vec<Value> = (0..50)
            .map(|i| Value::Ip(format!("10.0.0.{}", i % 3).parse().unwrap()))
            .collect();
        let mixed: Vec<Value> = (0..50)
            .map(|i| match i % 4 {
                0 => Value::Int(i),
                1 => Value::Str(format!("s{i}")),
                2 => Value::Float(i as f64 / 3.0),
                _ => Value::Bool(i % 8 == 3),
            })
            .collect();
        for (values, mode) in [(repeated, ALL_IN_DICT), (mixed, STRINGS_IN_DICT)] {
            let (buf, _) = FieldColumn::encode(values.iter());
            assert_eq!(buf[0], mode);
            // Every other event has the field.
            let tags: Vec<Option<u8>> = (0..100)
                .map(|i| (i % 2 == 0).then(|| codec::tag_of(&values[i / 2])))
                .collect();
            let col = FieldColumn::decode(&buf, &tags).unwrap();
            for i in 0..100 {
                assert_eq!(col.value(i), (i % 2 == 0).then(|| values[i / 2].clone()));
            }
        }
    }
}
