//! Debian package versions, `[epoch:]upstream_version[-debian_revision]`,
//! ordered as dpkg orders them (Debian Policy §5.6.12; dpkg's
//! `verrevcmp`): epochs numerically, then the upstream version and the
//! revision alternating non-digit runs (letters before other characters,
//! `~` before everything, even the end) and digit runs (numerically).

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

/// A parsed Debian version. Equality is dpkg's: `1.0` equals `0:1.0-0`.
#[derive(Debug, Clone)]
pub struct Version {
    epoch: u64,
    upstream: String,
    revision: String,
}

fn invalid(version: &str, reason: &'static str) -> VersionError {
    VersionError::new(Scheme::Debian, version, reason)
}

impl Version {
    /// Parses a version as dpkg does; leading and trailing spaces are
    /// ignored, as dpkg ignores them.
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let s = text.trim();
        if s.is_empty() {
            return Err(invalid(text, "it is empty"));
        }
        if s.contains(char::is_whitespace) {
            return Err(invalid(text, "it contains white space"));
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid(text, "the epoch is not a number"));
                }
                let epoch = e
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= i32::MAX as u64)
                    .ok_or_else(|| invalid(text, "the epoch is too large"))?;
                (epoch, rest)
            }
            None => (0, s),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => {
                if r.is_empty() {
                    return Err(invalid(text, "the revision is empty"));
                }
                (u, r)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(invalid(text, "the upstream version is empty"));
        }
        if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(invalid(
                text,
                "the upstream version does not start with a digit",
            ));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || ".+~-:".contains(c);
        if !upstream.chars().all(allowed) {
            return Err(invalid(
                text,
                "the upstream version has a character dpkg does not allow",
            ));
        }
        if !revision
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+~".contains(c))
        {
            return Err(invalid(
                text,
                "the revision has a character dpkg does not allow",
            ));
        }
        Ok(Version {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    pub fn revision(&self) -> &str {
        &self.revision
    }
}

/// dpkg's weight of a non-digit character: `~` first, then the end of the
/// string, then letters, then everything else.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
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

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
