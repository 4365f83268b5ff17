//! Alpine package versions, as apk-tools (`src/version.c` of apk-tools 3,
//! also used for Wolfi and Chainguard) validates and orders them:
//! `digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}`.
//!
//! Versions are read as tokens that compare in order: the first number and
//! the numbers after `.` numerically (but as text when either has a
//! leading zero, as Gentoo does: `8.2.0` < `8.2.001`), one lower-case
//! letter, suffixes `_alpha` < `_beta` < `_pre` < `_rc` < (none) < `_cvs`
//! < `_svn` < `_git` < `_hg` < `_p` with an optional number, a `~` commit
//! hash (as text) and the `-rN` revision. When one version runs out of
//! tokens first, or the next tokens are of different kinds, a
//! pre-release suffix makes its version smaller; otherwise the kind later
//! in that list (and the end, after all) is smaller: `1.0` < `1.0-r1` <
//! `1.0_p1` < `1.0.1`, and `1.0a` < `1.0.1`.
//!
//! apk also compares versions it considers invalid; here they are
//! rejected, as `apk version --check` rejects them.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

/// An Alpine version: its tokens.
#[derive(Debug, Clone)]
pub struct Version {
    text: Box<str>,
    tokens: Box<[Token]>,
}

/// Token kinds in apk's order, which decides between versions whose
/// tokens differ in kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNumber,
    CommitHash,
    Revision,
    End,
}

/// Suffix values in apk's order; `NONE` sits between pre-release and
/// post-release suffixes.
const SUFFIXES: [&str; 10] = [
    "alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p",
];
const SUFFIX_NONE: u8 = 4;

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    /// The number of digit tokens (apk's `apk_blob_pull_uint`, which wraps
    /// on overflow), the suffix index, or the letter.
    number: u64,
    /// Where the token's text is in the version, for text comparisons.
    start: u32,
    len: u32,
}

fn invalid(text: &str, reason: &'static str) -> VersionError {
    VersionError::new(Scheme::Alpine, text, reason)
}

impl Version {
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let bytes = text.as_bytes();
        if u32::try_from(bytes.len()).is_err() {
            return Err(invalid(text, "it is too long"));
        }
        let mut tokens = Vec::new();
        let mut pos = 0usize;
        let digits = |pos: &mut usize| -> (u64, usize, usize) {
            let start = *pos;
            let mut n = 0u64;
            while let Some(d) = bytes.get(*pos).filter(|b| b.is_ascii_digit()) {
                n = n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                *pos += 1;
            }
            (n, start, *pos - start)
        };
        let token = |kind, number, start: usize, len: usize| Token {
            kind,
            number,
            start: start as u32,
            len: len as u32,
        };
        let (n, start, len) = digits(&mut pos);
        if len == 0 {
            return Err(invalid(text, "it does not start with a number"));
        }
        tokens.push(token(Kind::InitialDigit, n, start, len));
        let mut last = Kind::InitialDigit;
        while let Some(&b) = bytes.get(pos) {
            let next = match b {
                b'a'..=b'z' => {
                    if last > Kind::Digit {
                        return Err(invalid(text, "a letter is out of place"));
                    }
                    pos += 1;
                    token(Kind::Letter, u64::from(b), pos - 1, 1)
                }
                b'.' | b'0'..=b'9' => {
                    if b == b'.' {
                        if last > Kind::Digit {
                            return Err(invalid(text, "a `.` is out of place"));
                        }
                        pos += 1;
                    }
                    let kind = match last {
                        Kind::InitialDigit | Kind::Digit => Kind::Digit,
                        Kind::Suffix => Kind::SuffixNumber,
                        _ => return Err(invalid(text, "a number is out of place")),
                    };
                    let (n, start, len) = digits(&mut pos);
                    if len == 0 {
                        return Err(invalid(text, "a number is missing"));
                    }
                    token(kind, n, start, len)
                }
                b'_' => {
                    if last > Kind::SuffixNumber {
                        return Err(invalid(text, "a suffix is out of place"));
                    }
                    pos += 1;
                    let start = pos;
                    while bytes.get(pos).is_some_and(u8::is_ascii_lowercase) {
                        pos += 1;
                    }
                    let name = text.get(start..pos).unwrap_or_default();
                    let index = SUFFIXES
                        .iter()
                        .position(|s| !s.is_empty() && *s == name)
                        .ok_or_else(|| invalid(text, "the suffix is not one apk knows"))?;
                    token(Kind::Suffix, index as u64, start, pos - start)
                }
                b'~' => {
                    if last >= Kind::CommitHash {
                        return Err(invalid(text, "a `~` is out of place"));
                    }
                    pos += 1;
                    let start = pos;
                    while bytes
                        .get(pos)
                        .is_some_and(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
                    {
                        pos += 1;
                    }
                    if pos == start {
                        return Err(invalid(text, "the commit hash is empty"));
                    }
                    token(Kind::CommitHash, 0, start, pos - start)
                }
                b'-' => {
                    if last >= Kind::Revision || bytes.get(pos + 1) != Some(&b'r') {
                        return Err(invalid(text, "a `-` is not the `-r` of a revision"));
                    }
                    pos += 2;
                    let (n, start, len) = digits(&mut pos);
                    if len == 0 {
                        return Err(invalid(text, "the revision has no number"));
                    }
                    token(Kind::Revision, n, start, len)
                }
                _ => return Err(invalid(text, "it has a character apk does not allow")),
            };
            last = next.kind;
            tokens.push(next);
        }
        Ok(Version {
            text: text.into(),
            tokens: tokens.into_boxed_slice(),
        })
    }

    fn token_text(&self, t: &Token) -> &[u8] {
        let start = t.start as usize;
        self.text
            .as_bytes()
            .get(start..start + t.len as usize)
            .unwrap_or_default()
    }

    fn kind_at(&self, i: usize) -> Kind {
        self.tokens.get(i).map_or(Kind::End, |t| t.kind)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        let mut i = 0;
        loop {
            let (a, b) = (self.tokens.get(i), other.tokens.get(i));
            let (Some(ta), Some(tb)) = (a, b) else { break };
            if ta.kind != tb.kind {
                break;
            }
            let (xa, xb) = (self.token_text(ta), other.token_text(tb));
            let result = match ta.kind {
                Kind::Digit if xa.first() == Some(&b'0') || xb.first() == Some(&b'0') => xa.cmp(xb),
                Kind::CommitHash => xa.cmp(xb),
                _ => ta.number.cmp(&tb.number),
            };
            if result.is_ne() {
                return result;
            }
            i += 1;
        }
        let (ka, kb) = (self.kind_at(i), other.kind_at(i));
        if ka == kb {
            return Ordering::Equal;
        }
        let pre_release = |v: &Version| {
            v.tokens
                .get(i)
                .is_some_and(|t| t.kind == Kind::Suffix && t.number < u64::from(SUFFIX_NONE))
        };
        if pre_release(self) {
            return Ordering::Less;
        }
        if pre_release(other) {
            return Ordering::Greater;
        }
        // The kind later in apk's list is the smaller version.
        kb.cmp(&ka)
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
