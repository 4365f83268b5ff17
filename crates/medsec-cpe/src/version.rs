//! The ordering of the free-form versions in NVD's `versionStart*` and
//! `versionEnd*` bounds (`2.3.1`, `8.1.0.1`, `v1.0 SP2`, `1.0.2k`,
//! `2018.06`, `3.5_update1`, `20d29`, `a.03.09`), which follow no scheme.
//!
//! NVD does not publish its comparison. This one follows the fuzzy
//! comparison that anchore/grype uses for CPE ranges (taken from
//! facebookincubator/nvdtools `smartvercmp.go`): digit runs compare as
//! numbers, letters compare as text and sort after digits, and the rest
//! is punctuation between parts. It differs from grype in three ways, each
//! to make it a total order with fewer surprises:
//!
//! 1. The version is cut into runs of ASCII digits and runs of letters;
//!    every other character only separates runs. `1.0-2`, `1.0_2` and
//!    `1.0 2` are equal, and `2k` is the two runs `2`, `k` (grype keeps a
//!    part like `2k` whole up to the next punctuation).
//! 2. Missing runs count as `0`: `1.0` equals `1.0.0` (grype: the longer
//!    string wins, so `6.0` < `6.0.0`, which would put `6.0` inside
//!    `versionEndExcluding: 6.0.0`).
//! 3. The words `dev` < `alpha` < `beta` < `pre` = `preview` < `rc` mark a
//!    pre-release and sort before the end of a version: `1.0rc1` < `1.0`.
//!    Any other word sorts after it and after every number, so
//!    `1.0.2k` > `1.0.2`, `3.5_update1` > `3.5` and `1.0 sp2` > `1.0.9`.
//!
//! Case is ignored and a leading `v` before a digit is dropped
//! (`v1.0` = `1.0`), as in grype. Numbers have no size limit; leading
//! zeros are ignored (`2018.06` = `2018.6`).

use std::cmp::Ordering;
use std::fmt;

/// A version from an NVD bound or a component's CPE, ready to compare.
#[derive(Debug, Clone)]
pub struct NvdVersion {
    text: Box<str>,
    /// Lowercased, without a leading `v`; the segments index into it.
    norm: Box<str>,
    segments: Box<[Segment]>,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    class: Class,
    /// Byte range in `norm`; for numbers without leading zeros.
    start: usize,
    end: usize,
}

/// The kinds of run, in their order: pre-release words by rank, numbers
/// (and the end of a version, as the number 0), other words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Pre(u8),
    Num,
    Word,
}

/// The end of the shorter version compares as the number 0.
const END: (Class, &[u8]) = (Class::Num, b"");

impl NvdVersion {
    /// Reads any string; there is no invalid version, only an odd order
    /// for odd strings.
    pub fn new(text: &str) -> NvdVersion {
        let lower = text.to_lowercase();
        let norm = match lower.strip_prefix('v') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest.to_owned(),
            _ => lower,
        };
        let mut segments = Vec::new();
        let mut run: Option<(bool, usize)> = None;
        let close = |segments: &mut Vec<Segment>, run: Option<(bool, usize)>, end: usize| {
            if let Some((digits, start)) = run {
                segments.push(segment(&norm, digits, start, end));
            }
        };
        for (i, c) in norm.char_indices() {
            let kind = if c.is_ascii_digit() {
                Some(true)
            } else if c.is_alphabetic() {
                Some(false)
            } else {
                None
            };
            match (run, kind) {
                (Some((digits, _)), Some(k)) if digits == k => {}
                (_, kind) => {
                    close(&mut segments, run, i);
                    run = kind.map(|k| (k, i));
                }
            }
        }
        close(&mut segments, run, norm.len());
        NvdVersion {
            text: text.into(),
            segments: segments.into(),
            norm: norm.into(),
        }
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn key(&self, i: usize) -> (Class, &[u8]) {
        match self.segments.get(i) {
            Some(s) => (
                s.class,
                self.norm.as_bytes().get(s.start..s.end).unwrap_or_default(),
            ),
            None => END,
        }
    }
}

fn segment(norm: &str, digits: bool, start: usize, end: usize) -> Segment {
    let bytes = norm.as_bytes().get(start..end).unwrap_or_default();
    if digits {
        let zeros = bytes.iter().take_while(|b| **b == b'0').count();
        return Segment {
            class: Class::Num,
            start: start + zeros,
            end,
        };
    }
    let class = match bytes {
        b"dev" => Class::Pre(0),
        b"alpha" => Class::Pre(1),
        b"beta" => Class::Pre(2),
        b"pre" | b"preview" => Class::Pre(3),
        b"rc" => Class::Pre(4),
        _ => Class::Word,
    };
    Segment { class, start, end }
}

fn compare_keys(a: (Class, &[u8]), b: (Class, &[u8])) -> Ordering {
    a.0.cmp(&b.0).then_with(|| match a.0 {
        // Without leading zeros, a longer number is a larger one.
        Class::Num => a.1.len().cmp(&b.1.len()).then_with(|| a.1.cmp(b.1)),
        // UTF-8 byte order is code point order.
        Class::Pre(_) | Class::Word => a.1.cmp(b.1),
    })
}

impl Ord for NvdVersion {
    fn cmp(&self, other: &NvdVersion) -> Ordering {
        let n = self.segments.len().max(other.segments.len());
        (0..n)
            .map(|i| compare_keys(self.key(i), other.key(i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for NvdVersion {
    fn partial_cmp(&self, other: &NvdVersion) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equal in the order, not in spelling: `1.0` equals `1.0.0` and `V1-0`.
impl PartialEq for NvdVersion {
    fn eq(&self, other: &NvdVersion) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NvdVersion {}

impl fmt::Display for NvdVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests;
