//! RubyGems versions, as `Gem::Version` parses and orders them.
//!
//! A version is `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`
//! with white space around it allowed; every `-` means `.pre.`. Segments
//! are the runs of digits (numbers, of any size) and of letters (strings,
//! which make the version a pre-release). Comparison uses the canonical
//! segments: the numbers before the first string with trailing zeros
//! dropped, then the rest with trailing zeros dropped (so `1.0.a` equals
//! `1.a`); a missing segment counts as `0`, a string is smaller than any
//! number (`1.0.a` < `1.0`), and strings compare byte by byte, case
//! included.

use std::cmp::Ordering;

use crate::num::Num;
use crate::{Scheme, VersionError};

/// A RubyGems version: its canonical segments.
#[derive(Debug, Clone)]
pub struct Version {
    segments: Box<[Segment]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Number(Num),
    Text(Box<str>),
}

const ZERO: Segment = Segment::Number(Num::Small(0));

fn is_zero(s: &Segment) -> bool {
    matches!(s, Segment::Number(n) if n.is_zero())
}

/// Does `s` match `Gem::Version::ANCHORED_VERSION_PATTERN` (after
/// trimming)?
fn well_formed(s: &str) -> bool {
    let (release, pre) = match s.split_once('-') {
        Some((r, p)) => (r, Some(p)),
        None => (s, None),
    };
    let mut parts = release.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|p| {
        p.split('.')
            .all(|q| !q.is_empty() && q.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    first_ok && rest_ok && pre_ok
}

impl Version {
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let s = text.trim();
        if !well_formed(s) {
            return Err(VersionError::new(
                Scheme::RubyGems,
                text,
                "it does not match RubyGems' version pattern",
            ));
        }
        // `-` is `.pre.`: it adds a `pre` segment, and as a separator it
        // is like any other non-alphanumeric character.
        let mut segments = Vec::new();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let start = i;
            let class = |b: &u8| (b.is_ascii_digit(), b.is_ascii_alphabetic());
            match bytes.get(i).map(class) {
                Some((true, _)) => {
                    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                    segments.push(Segment::Number(Num::from_digits(
                        s.get(start..i).unwrap_or_default(),
                    )));
                }
                Some((_, true)) => {
                    while bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
                        i += 1;
                    }
                    segments.push(Segment::Text(s.get(start..i).unwrap_or_default().into()));
                }
                _ => {
                    if bytes.get(i) == Some(&b'-') {
                        segments.push(Segment::Text("pre".into()));
                    }
                    i += 1;
                }
            }
        }
        // Canonical segments: the leading numbers and the rest, each
        // without trailing zeros.
        let split = segments
            .iter()
            .position(|s| matches!(s, Segment::Text(_)))
            .unwrap_or(segments.len());
        let mut rest = segments.split_off(split);
        while segments.last().is_some_and(is_zero) {
            segments.pop();
        }
        while rest.last().is_some_and(is_zero) {
            rest.pop();
        }
        segments.append(&mut rest);
        Ok(Version {
            segments: segments.into_boxed_slice(),
        })
    }

    /// A version with a string segment is a pre-release.
    pub fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Text(_)))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        let (a, b) = (&self.segments, &other.segments);
        for i in 0..a.len().max(b.len()) {
            let l = a.get(i).unwrap_or(&ZERO);
            let r = b.get(i).unwrap_or(&ZERO);
            let result = match (l, r) {
                (Segment::Number(x), Segment::Number(y)) => x.cmp(y),
                (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
                (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
                (Segment::Text(x), Segment::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
            };
            if result.is_ne() {
                return result;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

#[cfg(test)]
mod tests;
