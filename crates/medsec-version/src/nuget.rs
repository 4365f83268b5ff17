//! NuGet versions, as `NuGet.Versioning`'s `NuGetVersion.TryParse` and
//! `VersionComparer.Default` parse and order them.
//!
//! A version is one to four numbers (`1` = `1.0` = `1.0.0` = `1.0.0.0`;
//! leading zeros are allowed, each fits in an `i32`), then an optional
//! `-` release label of dot-separated parts and an optional `+` metadata,
//! which is ignored for order and equality. Versions compare by major,
//! minor, patch and revision, then a version without release label is
//! greater; labels compare part by part: parts that parse as an `Int32`
//! (`Int32.TryParse`, so `-1` is a number too) numerically and below the
//! others, which compare case-insensitively (`OrdinalIgnoreCase`); a label
//! with fewer parts is smaller.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

/// A NuGet version.
#[derive(Debug, Clone)]
pub struct Version {
    numbers: [u32; 4],
    labels: Box<[Label]>,
}

#[derive(Debug, Clone)]
enum Label {
    Number(i32),
    /// The part in upper case, as `OrdinalIgnoreCase` compares.
    Text(Box<str>),
}

impl Ord for Label {
    fn cmp(&self, other: &Label) -> Ordering {
        match (self, other) {
            (Label::Number(a), Label::Number(b)) => a.cmp(b),
            (Label::Number(_), Label::Text(_)) => Ordering::Less,
            (Label::Text(_), Label::Number(_)) => Ordering::Greater,
            (Label::Text(a), Label::Text(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Label) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Label) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Label {}

/// `IsValidPart`: non-empty, `[0-9A-Za-z-]`, and (for labels) no leading
/// zero on an all-digit part.
fn valid_part(part: &str, allow_leading_zeros: bool) -> bool {
    let chars_ok = !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let leading_zero =
        part.len() > 1 && part.starts_with('0') && part.bytes().skip(1).all(|b| b.is_ascii_digit());
    chars_ok && (allow_leading_zeros || !leading_zero)
}

impl Version {
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let bad = |reason| VersionError::new(Scheme::NuGet, text, reason);
        let s = text.trim();
        // The release label starts at the first `-` or `+` and the
        // metadata at the first `+` after it, as `ParseSections` splits.
        let (version, rest) = match s.find(['-', '+']) {
            Some(i) => (
                s.get(..i).unwrap_or_default(),
                s.get(i..).unwrap_or_default(),
            ),
            None => (s, ""),
        };
        let (label, metadata) = match rest.strip_prefix('-') {
            Some(after) => match after.split_once('+') {
                Some((label, metadata)) => (Some(label), Some(metadata)),
                None => (Some(after), None),
            },
            None => (None, rest.strip_prefix('+')),
        };
        let mut numbers = [0u32; 4];
        for (count, part) in version.split('.').enumerate() {
            let slot = numbers
                .get_mut(count)
                .ok_or_else(|| bad("it has more than four numbers"))?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("a part of the version is not a number"));
            }
            *slot = part
                .parse::<i32>()
                .ok()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| bad("a number is too large"))?;
        }
        let labels = match label {
            None => Box::default(),
            Some(label) => {
                let parts: Vec<&str> = label.split('.').collect();
                if !parts.iter().all(|p| valid_part(p, false)) {
                    return Err(bad("the release label is not valid"));
                }
                parts
                    .into_iter()
                    .map(|p| match p.parse::<i32>() {
                        Ok(n) => Label::Number(n),
                        Err(_) => Label::Text(p.to_ascii_uppercase().into()),
                    })
                    .collect()
            }
        };
        if let Some(metadata) = metadata
            && !metadata.split('.').all(|p| valid_part(p, true))
        {
            return Err(bad("the metadata is not valid"));
        }
        Ok(Version { numbers, labels })
    }

    pub fn is_prerelease(&self) -> bool {
        !self.labels.is_empty()
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.labels.cmp(&other.labels),
            }
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
