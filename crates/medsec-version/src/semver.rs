//! Semantic Versioning 2.0 precedence (semver.org §11), for npm,
//! crates.io, Hex, Bitnami and OSV `SEMVER` ranges, and Dart's pub, which
//! orders build metadata too.
//!
//! Precedence compares major, minor and patch numerically, then the
//! pre-release: a version without one is greater; identifiers compare one
//! by one, numeric ones as numbers and below alphanumeric ones, which
//! compare in ASCII order; a shorter list of equal identifiers is smaller.
//! Build metadata is ignored, for equality too: `1.0.0+a` equals `1.0.0+b`
//! (the `semver` crate's `Ord` orders them, which is why it is not used
//! here). This is node-semver's `compare` and Cargo's `matches` alike.
//!
//! Parsing is node-semver's loose mode, plus partial versions: leading `v`,
//! `=` and white space are skipped, numbers may have leading zeros (and
//! compare as numbers, so `01` equals `1` also in pre-releases, as node
//! does), the `-` before a pre-release may be left out when it starts with
//! a letter (`1.2.3beta`), and a missing minor or patch is zero (`1.2` is
//! `1.2.0`: crates.io advisories write `0.1`, GitHub Actions tags are
//! `v1`). Numbers have no size limit. Anything strict semver accepts
//! parses to the version strict semver means.
//!
//! Pub ([`Version::parse_pub`]) is `pub_semver`: a full `major.minor.patch`
//! is required, and after pre-release precedence, build metadata orders
//! too: none is smaller, and identifiers compare as pre-release ones do.

use std::cmp::Ordering;

use crate::num::Num;
use crate::{Scheme, VersionError};

/// A semantic version.
#[derive(Debug, Clone)]
pub struct Version {
    pub(crate) major: Num,
    pub(crate) minor: Num,
    pub(crate) patch: Num,
    pub(crate) pre: Box<[Ident]>,
    pub(crate) build: Box<[Ident]>,
}

/// One dot-separated identifier of a pre-release or build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ident {
    Numeric(Num),
    Alpha(Box<str>),
}

impl Ord for Ident {
    #[inline]
    fn cmp(&self, other: &Ident) -> Ordering {
        match (self, other) {
            (Ident::Numeric(a), Ident::Numeric(b)) => a.cmp(b),
            (Ident::Numeric(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Numeric(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Ident) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A cursor over a version's bytes; every position it stops at is an
/// ASCII byte's, so the pieces it hands out are valid `&str`.
pub(crate) struct Cursor<'a> {
    pub(crate) text: &'a str,
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// The longest run of bytes matching `pred` (an ASCII class).
    pub(crate) fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        self.text.get(start..self.pos).unwrap_or_default()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }
}

pub(crate) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// Dot-separated identifiers; `numeric_leading_zero` says whether an
/// all-digit identifier may start with `0` (strict semver: no).
pub(crate) fn identifiers(
    c: &mut Cursor<'_>,
    numeric_leading_zero: bool,
) -> Result<Box<[Ident]>, &'static str> {
    let mut out = Vec::new();
    loop {
        let id = c.take_while(is_ident_byte);
        if id.is_empty() {
            return Err("an identifier of the pre-release or build is empty");
        }
        if id.bytes().all(|b| b.is_ascii_digit()) {
            if !numeric_leading_zero && id.len() > 1 && id.starts_with('0') {
                return Err("a numeric identifier has a leading zero");
            }
            out.push(Ident::Numeric(Num::from_digits(id)));
        } else {
            out.push(Ident::Alpha(id.into()));
        }
        if !c.eat(b'.') {
            return Ok(out.into_boxed_slice());
        }
    }
}

fn invalid(scheme: Scheme, text: &str, reason: &'static str) -> VersionError {
    VersionError::new(scheme, text, reason)
}

impl Version {
    /// Parses leniently, as the module documentation says.
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let bad = |reason| invalid(Scheme::Semver, text, reason);
        let mut c = Cursor::new(text.trim());
        c.take_while(|b| b == b'v' || b == b'=' || b.is_ascii_whitespace());
        let major = c.take_while(|b| b.is_ascii_digit());
        if major.is_empty() {
            return Err(bad("it does not start with a number"));
        }
        let mut minor = "0";
        let mut patch = "0";
        if c.eat(b'.') {
            minor = c.take_while(|b| b.is_ascii_digit());
            if minor.is_empty() {
                return Err(bad("the minor version is not a number"));
            }
            if c.eat(b'.') {
                patch = c.take_while(|b| b.is_ascii_digit());
                if patch.is_empty() {
                    return Err(bad("the patch version is not a number"));
                }
            }
        }
        let pre = if c.eat(b'-') || c.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            identifiers(&mut c, true).map_err(bad)?
        } else {
            Box::default()
        };
        let build = if c.eat(b'+') {
            identifiers(&mut c, true).map_err(bad)?
        } else {
            Box::default()
        };
        if !c.at_end() {
            return Err(bad("it has characters semver does not allow"));
        }
        Ok(Version {
            major: Num::from_digits(major),
            minor: Num::from_digits(minor),
            patch: Num::from_digits(patch),
            pre,
            build,
        })
    }

    /// Parses as Dart's `pub_semver` does: `major.minor.patch` in full,
    /// then `-pre-release` and `+build`.
    pub fn parse_pub(text: &str) -> Result<Version, VersionError> {
        let bad = |reason| invalid(Scheme::Pub, text, reason);
        let mut c = Cursor::new(text);
        let mut core = [""; 3];
        for (i, part) in core.iter_mut().enumerate() {
            if i > 0 && !c.eat(b'.') {
                return Err(bad("it does not have major, minor and patch versions"));
            }
            *part = c.take_while(|b| b.is_ascii_digit());
            if part.is_empty() {
                return Err(bad("a part of major.minor.patch is not a number"));
            }
        }
        let pre = if c.eat(b'-') {
            identifiers(&mut c, true).map_err(bad)?
        } else {
            Box::default()
        };
        let build = if c.eat(b'+') {
            identifiers(&mut c, true).map_err(bad)?
        } else {
            Box::default()
        };
        if !c.at_end() {
            return Err(bad("it has characters pub does not allow"));
        }
        let [major, minor, patch] = core;
        Ok(Version {
            major: Num::from_digits(major),
            minor: Num::from_digits(minor),
            patch: Num::from_digits(patch),
            pre,
            build,
        })
    }

    /// pub's ordering: precedence, then build metadata.
    pub fn cmp_with_build(&self, other: &Version) -> Ordering {
        self.cmp(other)
            .then_with(|| match (self.build.is_empty(), other.build.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => self.build.cmp(&other.build),
            })
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

/// Semver precedence; build metadata is ignored.
impl Ord for Version {
    #[inline]
    fn cmp(&self, other: &Version) -> Ordering {
        self.major
            .cmp(&other.major)
            .then_with(|| self.minor.cmp(&other.minor))
            .then_with(|| self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // Slices order element by element, a shorter prefix first,
                // which is exactly §11.4.4.
                (false, false) => self.pre.cmp(&other.pre),
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

impl std::fmt::Display for Version {
    /// The normalised form: `major.minor.patch[-pre][+build]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        let mut list = |sep: char, ids: &[Ident]| -> std::fmt::Result {
            for (i, id) in ids.iter().enumerate() {
                f.write_str(if i == 0 { "" } else { "." })?;
                if i == 0 {
                    write!(f, "{sep}")?;
                }
                match id {
                    Ident::Numeric(n) => write!(f, "{n}")?,
                    Ident::Alpha(s) => f.write_str(s)?,
                }
            }
            Ok(())
        };
        list('-', &self.pre)?;
        list('+', &self.build)
    }
}

#[cfg(test)]
mod tests;
