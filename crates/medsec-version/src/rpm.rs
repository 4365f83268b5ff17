//! RPM versions, `[epoch:]version[-release]`, ordered as rpm orders them:
//! `parseEVR` splits the text (the epoch is the leading digits before `:`,
//! the release follows the last `-`), then epoch, version and release
//! each compare with `rpmvercmp`: runs of digits (numerically) and of
//! letters (as text) alternate, any other character only separates, a
//! digit run beats a letter run, `~` sorts before everything, even the
//! end (`1.0~rc1` < `1.0`), and `^` after everything but the end
//! (`1.0` < `1.0^git1` < `1.0.1`). A missing epoch is `0`.
//!
//! One deliberate difference: rpm skips the releases when either version
//! has none (`1.0` matches `1.0-3` in a dependency), which is not an
//! order; here a missing release is smaller than any release, so a range's
//! events can be sorted. A version without release is thus affected by a
//! range fixed in a later release of the same version, which errs on the
//! side of reporting.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

/// An RPM version.
#[derive(Debug, Clone)]
pub struct Version {
    epoch: Box<str>,
    version: Box<str>,
    release: Option<Box<str>>,
}

impl Version {
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let bad = |reason| VersionError::new(Scheme::Rpm, text, reason);
        let s = text.trim();
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        if s.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains white space"));
        }
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = match (s.get(..digits), s.get(digits..)) {
            (Some(e), Some(rest)) if rest.starts_with(':') => (
                if e.is_empty() { "0" } else { e },
                rest.get(1..).unwrap_or_default(),
            ),
            _ => ("0", s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, Some(r)),
            None => (rest, None),
        };
        if version.is_empty() {
            return Err(bad("the version is empty"));
        }
        Ok(Version {
            epoch: epoch.into(),
            version: version.into(),
            release: release.map(Into::into),
        })
    }

    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }
}

/// rpm's `rpmvercmp`.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let at = |s: &[u8], k: usize| s.get(k).copied();
    let separator =
        |c: Option<u8>| c.is_some_and(|c| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^');
    while at(a, i).is_some() || at(b, j).is_some() {
        while separator(at(a, i)) {
            i += 1;
        }
        while separator(at(b, j)) {
            j += 1;
        }
        let (x, y) = (at(a, i), at(b, j));
        if x == Some(b'~') || y == Some(b'~') {
            if x != Some(b'~') {
                return Ordering::Greater;
            }
            if y != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if x == Some(b'^') || y == Some(b'^') {
            if x.is_none() {
                return Ordering::Less;
            }
            if y.is_none() {
                return Ordering::Greater;
            }
            if x != Some(b'^') {
                return Ordering::Greater;
            }
            if y != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(x), Some(_)) = (x, y) else { break };
        let numeric = x.is_ascii_digit();
        let class = |c: &u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (start_a, start_b) = (i, j);
        while a.get(i).is_some_and(class) {
            i += 1;
        }
        while b.get(j).is_some_and(class) {
            j += 1;
        }
        let seg_a = a.get(start_a..i).unwrap_or_default();
        let seg_b = b.get(start_b..j).unwrap_or_default();
        if seg_b.is_empty() {
            // Segments of different kinds: the numeric one is newer.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let result = if numeric {
            let trim = |s: &'_ [u8]| -> usize { s.iter().take_while(|&&c| c == b'0').count() };
            let seg_a = seg_a.get(trim(seg_a)..).unwrap_or_default();
            let seg_b = seg_b.get(trim(seg_b)..).unwrap_or_default();
            seg_a.len().cmp(&seg_b.len()).then_with(|| seg_a.cmp(seg_b))
        } else {
            seg_a.cmp(seg_b)
        };
        if result.is_ne() {
            return result;
        }
    }
    match (at(a, i).is_some(), at(b, j).is_some()) {
        (false, false) => Ordering::Equal,
        (true, _) => Ordering::Greater,
        (false, true) => Ordering::Less,
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        rpmvercmp(&self.epoch, &other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
            })
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
