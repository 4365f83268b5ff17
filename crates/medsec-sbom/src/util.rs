//! Small helpers the readers and writers share: skipping JSON values
//! without allocating, positions from byte offsets, timestamps in the
//! forms the formats require, and name-based identifiers that make the
//! writers' output deterministic.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A JSON value the reader knows of but does not model. Unlike
/// `IgnoredAny` it is not reported as an unknown field by
/// `serde_ignored`, because it consumes the value itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_none<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Skip, D::Error> {
        Skip::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

/// The 1-based line and column (in characters) of byte `offset` in
/// `text`.
pub(crate) fn line_column(text: &[u8], offset: usize) -> (usize, usize) {
    let end = offset.min(text.len());
    let before = text.get(..end).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column_bytes = before.get(line_start..).unwrap_or_default();
    // Count characters, not bytes: continuation bytes do not start one.
    let column = column_bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
    (line, column)
}

/// Line and column of increasing byte offsets in one text, in time linear
/// in the text overall: each call continues from the previous offset.
pub(crate) struct Cursor<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
    column: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Cursor<'a> {
        Cursor {
            text,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    /// The 1-based line and column (in characters) of byte `offset`; an
    /// offset before the previous one is computed from the start.
    pub(crate) fn at(&mut self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            return line_column(self.text, offset);
        }
        for &b in self.text.get(self.offset..offset).unwrap_or_default() {
            if b == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if b & 0xC0 != 0x80 {
                self.column += 1;
            }
        }
        self.offset = offset;
        (self.line, self.column)
    }
}

/// `s` as a UTC timestamp `YYYY-MM-DDThh:mm:ssZ`, the only form SPDX 2
/// accepts and a valid `xs:dateTime` and JSON Schema `date-time`. Reads
/// RFC 3339 with any offset and fraction, and bare dates.
pub(crate) fn utc_timestamp(s: &str) -> Option<String> {
    let s = s.trim();
    let parsed = OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
        // A bare date, or a date-time without offset, read as UTC.
        let with_time = if s.len() == 10 {
            format!("{s}T00:00:00Z")
        } else {
            format!("{s}Z")
        };
        OffsetDateTime::parse(&with_time, &Rfc3339).ok()
    })?;
    let t = parsed.to_offset(time::UtcOffset::UTC);
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

/// The timestamp writers use when the SBOM has none (or an unreadable
/// one): they must write one and must not read the clock, so that the
/// output depends on the input only. Callers who want "now" set
/// `Sbom::created` before writing.
pub(crate) const EPOCH: &str = "1970-01-01T00:00:00Z";

/// A UUID derived from `parts` (SHA-256, laid out as RFC 9562 version 8,
/// "custom"): the same input gives the same id, different documents
/// different ids.
pub(crate) fn name_based_uuid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    for (dst, src) in b.iter_mut().zip(d.iter()) {
        *dst = *src;
    }
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let part = |r: std::ops::Range<usize>| hex.get(r).unwrap_or_default().to_owned();
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

/// Lowercase hex of SHA-256 over `s`, shortened to `n` characters.
pub(crate) fn short_hash(s: &str, n: usize) -> String {
    let d = Sha256::digest(s.as_bytes());
    d.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<String>()
        .chars()
        .take(n)
        .collect()
}

/// Whether `s` is lowercase or uppercase hex of a length CycloneDX
/// accepts (MD5 to SHA-512).
pub(crate) fn is_digest_hex(s: &str) -> bool {
    matches!(s.len(), 32 | 40 | 64 | 96 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A deserialisation error for a value that has the right type but a
/// wrong form.
pub(crate) fn invalid_value<E: de::Error>(what: &str, value: &str) -> E {
    E::custom(format!("invalid value: `{value}`, expected {what}"))
}
