//! Packagist (Composer) versions: normalised as Composer's
//! `VersionParser::normalize` does, then ordered as PHP's
//! `version_compare`, which is what Composer's `Comparator` calls.
//!
//! Normalisation: white space, a leading `v`, `@stability` flags,
//! ` as ` aliases and `+build` metadata go; one to four numbers become
//! four (`1.2` → `1.2.0.0`); a stability suffix (`stable`, `beta`/`b`,
//! `RC`, `alpha`/`a`, `patch`/`pl`/`p`, with numbers) becomes
//! `-alpha2`, `-RC1`, `-patch3`, and `-dev` may follow. Numeric branches
//! (`1.x-dev`) become `1.9999999.9999999.9999999-dev`. Named branches
//! (`dev-main`) are rejected: Composer never orders them. Date versions
//! (`2023.01.31`, more than five digits first) keep their numbers, split
//! at their separators.
//!
//! `version_compare` then splits both at `.`, `-`, `_`, `+` and where
//! digits and letters meet, and compares part by part: numbers as
//! numbers; words by their special form, matched by prefix and case:
//! `dev` < `alpha` = `a` < `beta` = `b` < `RC` = `rc` < (number) < `pl` =
//! `p`, any other word before `dev`; a number against a word as the
//! number's place in that list. When one version has more parts, a number
//! next makes it greater, a word next compares with the number's place
//! (`1.0.0.0` > `1.0.0.0-beta`, < `1.0.0.0-patch1`).

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

/// A Composer version: the parts of its normalised form.
#[derive(Debug, Clone)]
pub struct Version {
    normalized: Box<str>,
    parts: Box<[Part]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Number(i64),
    /// A word, by its special form's place (-1 for an unknown word).
    Word(i8),
}

/// The place of a number among the special forms (PHP's `#`).
const NUMBER_FORM: i8 = 4;

/// PHP's `compare_special_version_forms` table: a word is the first form
/// it starts with.
fn form(word: &str) -> i8 {
    const FORMS: [(&str, i8); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| word.starts_with(name))
        .map_or(-1, |(_, order)| *order)
}

fn cmp_part(a: Part, b: Part) -> Ordering {
    match (a, b) {
        (Part::Number(x), Part::Number(y)) => x.cmp(&y),
        (Part::Word(x), Part::Word(y)) => x.cmp(&y),
        (Part::Number(_), Part::Word(y)) => NUMBER_FORM.cmp(&y),
        (Part::Word(x), Part::Number(_)) => x.cmp(&NUMBER_FORM),
    }
}

/// PHP's `php_canonicalize_version` and the split at `.`.
fn parts(version: &str) -> Box<[Part]> {
    let mut canonical = String::with_capacity(version.len() + 4);
    let mut previous: Option<char> = None;
    for c in version.chars() {
        let Some(lp) = previous else {
            canonical.push(c);
            previous = Some(c);
            continue;
        };
        let last_out = canonical.chars().next_back();
        let digit = |x: char| x.is_ascii_digit();
        let non_digit = |x: char| !x.is_ascii_digit() && x != '.';
        if matches!(c, '-' | '_' | '+') {
            if last_out != Some('.') {
                canonical.push('.');
            }
        } else if (non_digit(lp) && digit(c)) || (digit(lp) && non_digit(c)) {
            if last_out != Some('.') {
                canonical.push('.');
            }
            canonical.push(c);
        } else if !c.is_ascii_alphanumeric() {
            if last_out != Some('.') {
                canonical.push('.');
            }
        } else {
            canonical.push(c);
        }
        previous = Some(c);
    }
    canonical
        .split('.')
        .map(|p| {
            if p.starts_with(|c: char| c.is_ascii_digit()) {
                // `strtol`: the leading digits, saturating.
                let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
                Part::Number(digits.parse().unwrap_or(i64::MAX))
            } else {
                Part::Word(form(p))
            }
        })
        .collect()
}

/// Splits `s` after its leading ASCII digits.
fn split_digits(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    (
        s.get(..n).unwrap_or_default(),
        s.get(n..).unwrap_or_default(),
    )
}

/// Strips `prefix` case-insensitively.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// Matches Composer's modifier pattern,
/// `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?$`
/// (case-insensitively), and returns what it appends to the numbers.
fn modifier(rest: &str) -> Option<String> {
    let mut s = rest;
    if let Some(after) = s.strip_prefix(['.', '_', '-']) {
        s = after;
    }
    let mut out = String::new();
    const STABILITIES: [&str; 9] = [
        "stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p",
    ];
    let dev_only = |s: &str| {
        let s = s.strip_prefix(['.', '-']).unwrap_or(s);
        s.eq_ignore_ascii_case("dev")
    };
    if s.is_empty() {
        return Some(out);
    }
    if dev_only(s) {
        return Some("-dev".to_owned());
    }
    for stability in STABILITIES {
        let Some(mut after) = strip_prefix_ci(s, stability) else {
            continue;
        };
        // The numbers after the stability: `(?:[.-]?\d+)*`.
        let start = after;
        loop {
            let body = after.strip_prefix(['.', '-']).unwrap_or(after);
            let (digits, tail) = split_digits(body);
            if digits.is_empty() {
                break;
            }
            after = tail;
        }
        let numbers = start.get(..start.len() - after.len()).unwrap_or_default();
        let dev = if after.is_empty() {
            false
        } else if dev_only(after) {
            true
        } else {
            continue;
        };
        let matched = s.get(..stability.len()).unwrap_or_default();
        if matched == "stable" {
            return Some(out);
        }
        out.push('-');
        out.push_str(match matched.to_ascii_lowercase().as_str() {
            "a" | "alpha" => "alpha",
            "b" | "beta" => "beta",
            "p" | "pl" | "patch" => "patch",
            "rc" => "RC",
            _ => matched,
        });
        out.push_str(numbers.trim_start_matches(['.', '-']));
        if dev {
            out.push_str("-dev");
        }
        return Some(out);
    }
    None
}

/// `VersionParser::normalize`, for versions (not branches).
fn normalize(text: &str) -> Result<String, &'static str> {
    let mut s = text.trim();
    if let Some((version, _alias)) = s.split_once(" as ") {
        s = version.trim();
    }
    if let Some((version, flag)) = s.rsplit_once('@')
        && ["stable", "rc", "beta", "alpha", "dev"]
            .iter()
            .any(|f| flag.eq_ignore_ascii_case(f))
    {
        s = version;
    }
    if ["master", "trunk", "default"].contains(&s) || strip_prefix_ci(s, "dev-").is_some() {
        return Err("it is a branch, which Composer does not order");
    }
    if let Some((version, _build)) = s.split_once('+') {
        s = version;
    }
    let body = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let (major, mut rest) = split_digits(body);
    if (1..=5).contains(&major.len()) {
        // Classical versioning: up to four numbers.
        let mut version = major.to_owned();
        let mut count = 1;
        while count < 4 {
            let Some(after) = rest.strip_prefix('.') else {
                break;
            };
            let (digits, tail) = split_digits(after);
            if digits.is_empty() {
                break;
            }
            version.push('.');
            version.push_str(digits);
            rest = tail;
            count += 1;
        }
        for _ in count..4 {
            version.push_str(".0");
        }
        if let Some(m) = modifier(rest) {
            return Ok(version + &m);
        }
    }
    if major.len() >= 4 {
        // Date versioning: the digits, separated by `.`, `:` or `-`.
        let mut date = String::new();
        let mut tail = body;
        loop {
            let (digits, after) = split_digits(tail);
            if digits.is_empty() {
                break;
            }
            date.push_str(digits);
            tail = after;
            match tail.strip_prefix(['.', ':', '-']) {
                Some(next) if next.starts_with(|c: char| c.is_ascii_digit()) => {
                    date.push('.');
                    tail = next;
                }
                _ => break,
            }
        }
        if let Some(m) = modifier(tail) {
            return Ok(date + &m);
        }
    }
    // A numeric branch: `1.x-dev`, `2.1.*-dev`.
    let lower = s.to_ascii_lowercase();
    if let Some(name) = lower.strip_suffix("dev") {
        let name = name.strip_suffix(['.', '-']).unwrap_or(name);
        let name = name.strip_prefix('v').unwrap_or(name);
        let pieces: Vec<&str> = name.split('.').collect();
        let numeric = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        let wildcard = |p: &&str| numeric(p) || matches!(*p, "x" | "*");
        if pieces.len() <= 4
            && pieces.first().is_some_and(numeric)
            && pieces.iter().skip(1).all(wildcard)
        {
            let mut version: Vec<&str> = pieces
                .iter()
                .map(|p| {
                    if matches!(*p, "x" | "*") {
                        "9999999"
                    } else {
                        p
                    }
                })
                .collect();
            version.resize(4, "9999999");
            return Ok(version.join(".") + "-dev");
        }
    }
    Err("it is not a version Composer can normalise")
}

impl Version {
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let normalized =
            normalize(text).map_err(|reason| VersionError::new(Scheme::Composer, text, reason))?;
        Ok(Version {
            parts: parts(&normalized),
            normalized: normalized.into(),
        })
    }

    /// The normalised form, e.g. `1.2.0.0-beta1`.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        let (a, b) = (&self.parts, &other.parts);
        for (x, y) in a.iter().zip(b.iter()) {
            let result = cmp_part(*x, *y);
            if result.is_ne() {
                return result;
            }
        }
        let n = a.len().min(b.len());
        match (a.get(n), b.get(n)) {
            (Some(Part::Number(_)), _) => Ordering::Greater,
            (Some(Part::Word(w)), _) => w.cmp(&NUMBER_FORM),
            (None, Some(Part::Number(_))) => Ordering::Less,
            (None, Some(Part::Word(w))) => NUMBER_FORM.cmp(w),
            (None, None) => Ordering::Equal,
        }
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
