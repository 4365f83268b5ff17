//! `vers` version range specifiers (package-url `VERSION-RANGE-SPEC`),
//! the form CSAF recommends for `product_version_range`:
//! `vers:<scheme>/<constraint>|<constraint>…`, e.g. `vers:generic/>=1.0|<2.3`.
//!
//! Versions are opaque strings here: ordering them is the business of the
//! versioning scheme, so [`Vers::contains`] takes the comparison from the
//! caller (medsec-version has the orderings).

use std::cmp::Ordering;
use std::fmt;

/// A parsed `vers:` specifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Vers {
    /// The versioning scheme, lower case (`generic`, `npm`, `deb`, …).
    /// CISA writes `all`, which is no registered scheme but is accepted
    /// as written.
    pub scheme: String,
    pub constraints: Constraints,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Constraints {
    /// `*`: every version.
    Any,
    /// At least one constraint, in the order written.
    List(Vec<Constraint>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Constraint {
    pub comparator: Comparator,
    /// The version, percent-decoded.
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparator {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "!=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }

    /// Splits a leading comparator off `text`; none means `=`.
    pub(crate) fn split(text: &str) -> (Comparator, &str) {
        // Two-character comparators first, so that `<=` is not read as `<`.
        for (prefix, c) in [
            ("!=", Comparator::Ne),
            ("<=", Comparator::Le),
            (">=", Comparator::Ge),
            ("<", Comparator::Lt),
            (">", Comparator::Gt),
            ("=", Comparator::Eq),
        ] {
            if let Some(rest) = text.strip_prefix(prefix) {
                return (c, rest);
            }
        }
        (Comparator::Eq, text)
    }

    /// Whether `version` compared to the constraint's version as `ord`
    /// satisfies the comparator.
    fn accepts(self, ord: Ordering) -> bool {
        match self {
            Comparator::Eq => ord == Ordering::Equal,
            Comparator::Ne => ord != Ordering::Equal,
            Comparator::Lt => ord == Ordering::Less,
            Comparator::Le => ord != Ordering::Greater,
            Comparator::Gt => ord == Ordering::Greater,
            Comparator::Ge => ord != Ordering::Less,
        }
    }
}

/// A string that is not a valid `vers` specifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a valid vers range: {reason}")]
pub struct VersError {
    pub text: String,
    pub reason: &'static str,
}

impl Vers {
    /// Parses a specifier. Spaces and tabs are ignored, as the
    /// specification says; the scheme is lower-cased.
    pub fn parse(text: &str) -> Result<Vers, VersError> {
        let err = |reason| VersError {
            text: text.to_owned(),
            reason,
        };
        let s: String = text.chars().filter(|c| *c != ' ' && *c != '\t').collect();
        let rest = s
            .strip_prefix("vers:")
            .ok_or_else(|| err("it does not start with `vers:`"))?;
        let (scheme, constraints) = rest
            .split_once('/')
            .ok_or_else(|| err("there is no `/` after the versioning scheme"))?;
        if scheme.is_empty() {
            return Err(err("the versioning scheme is empty"));
        }
        if !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+-".contains(c))
        {
            return Err(err(
                "the versioning scheme has a character other than letters, digits, `.`, `+` and `-`",
            ));
        }
        let constraints = if constraints == "*" {
            Constraints::Any
        } else {
            let mut list = Vec::new();
            for part in constraints.split('|') {
                if part.is_empty() {
                    return Err(err("a constraint is empty"));
                }
                let (comparator, version) = Comparator::split(part);
                if version.is_empty() {
                    return Err(err("a constraint has no version"));
                }
                if version.contains('*') {
                    return Err(err("`*` may only stand alone, for all versions"));
                }
                let version = percent_decode(version)
                    .ok_or_else(|| err("a version has an invalid percent-encoding"))?;
                list.push(Constraint {
                    comparator,
                    version,
                });
            }
            Constraints::List(list)
        };
        Ok(Vers {
            scheme: scheme.to_ascii_lowercase(),
            constraints,
        })
    }

    /// Whether `version` is in the range, by the algorithm of the
    /// specification, with `cmp` ordering two versions of the scheme.
    pub fn contains(&self, version: &str, cmp: impl Fn(&str, &str) -> Ordering) -> bool {
        let list = match &self.constraints {
            Constraints::Any => return true,
            Constraints::List(list) => list,
        };
        let mut ranges = Vec::new();
        for c in list {
            match c.comparator {
                Comparator::Eq if cmp(version, &c.version) == Ordering::Equal => return true,
                Comparator::Ne if cmp(version, &c.version) == Ordering::Equal => return false,
                Comparator::Eq | Comparator::Ne => {}
                _ => ranges.push(c),
            }
        }
        ranges.sort_by(|a, b| cmp(&a.version, &b.version));
        let accepts = |c: &Constraint| c.comparator.accepts(cmp(version, &c.version));
        let is_lower = |c: &Constraint| matches!(c.comparator, Comparator::Gt | Comparator::Ge);
        let Some(first) = ranges.first() else {
            return false;
        };
        if !is_lower(first) && accepts(first) {
            return true;
        }
        if let Some(last) = ranges.last()
            && is_lower(last)
            && accepts(last)
        {
            return true;
        }
        ranges
            .windows(2)
            .any(|w| is_lower(w[0]) && !is_lower(w[1]) && accepts(w[0]) && accepts(w[1]))
    }
}

impl fmt::Display for Vers {
    /// The canonical form: `=` left out, versions percent-encoded where
    /// they would break the syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vers:{}/", self.scheme)?;
        match &self.constraints {
            Constraints::Any => f.write_str("*"),
            Constraints::List(list) => {
                for (i, c) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str("|")?;
                    }
                    if c.comparator != Comparator::Eq {
                        f.write_str(c.comparator.as_str())?;
                    }
                    for ch in c.version.chars() {
                        match ch {
                            '%' | '|' | ' ' | '\t' | '*' | '<' | '>' | '=' | '!' => {
                                let mut buf = [0u8; 4];
                                for b in ch.encode_utf8(&mut buf).bytes() {
                                    write!(f, "%{b:02X}")?;
                                }
                            }
                            ch => write!(f, "{ch}")?,
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// Decodes `%XX` escapes; `None` for a malformed escape or a result that
/// is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = hex_digit(*bytes.get(i + 1)?)?;
            let lo = hex_digit(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests;
