//! Personal-data masking at ingest (issue 6 §3): patient identifiers are
//! replaced in the raw message and in every string field before anything
//! is stored.
//!
//! Three kinds of rule:
//!
//! - **주민등록번호** (resident registration numbers): `YYMMDD-GNNNNNN`
//!   or the 13 digits without the hyphen, where `YYMMDD` is a valid date
//!   and `G`, the gender/century digit, is 1–8 (1–4 citizens born in the
//!   1900s and 2000s, 5–8 foreign residents). The check digit is *optional*
//!   and by default required only for the unseparated form
//!   ([`Checksum::Unseparated`]): a hyphenated number with a valid date and
//!   gender digit is masked whatever its last digit — numbers issued since
//!   October 2020 no longer carry a meaningful check digit — while thirteen
//!   bare digits, which logs are full of (ids, counters, millisecond
//!   timestamps), are masked only when the check digit also holds. Choose
//!   [`Checksum::Never`] to mask unseparated post-2020 numbers too, at the
//!   cost of masking some unrelated 13-digit numbers.
//! - **Phone numbers**: Korean mobile (`010`, `011`, `016`–`019`), Seoul
//!   (`02`), regional (`031`–`064`), `070` and `050x` numbers, with `-`,
//!   `.` or space separators used consistently, without separators
//!   (exactly 9–11 digits), and in international form (`+82 10-…`,
//!   `+82-2-…`, `+821012345678`).
//! - **Patterns**: patient ids and the like, by a regular expression per
//!   rule (give it a literal prefix such as `P\d{8}` or `환자번호[:=]\s*\d+`
//!   so that the regex engine can skip lines quickly).
//!
//! Digit runs are matched whole: a number inside a longer run of digits
//! is not a match. A match is replaced either by `*` for every digit
//! (separators kept, so the length and shape stay: `******-*******`),
//! the default, or by a fixed token such as `<RRN>` ([`Replacement`]).
//! A pattern match in stars mode becomes one `*` per character.
//!
//! The scan is one pass over the bytes that looks only at the starts of
//! digit runs (and `+82`), so a message without digits costs a loop over
//! its bytes and no allocation.

use std::borrow::Cow;

use serde::Deserialize;

/// How a match is replaced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum Replacement {
    /// Every digit (for patterns: every character) becomes `*`; the
    /// length and separators are kept. Written `"stars"` in configuration.
    #[default]
    Stars,
    /// The whole match becomes this text (any other string in
    /// configuration, e.g. `"<RRN>"`).
    Token(String),
}

impl From<String> for Replacement {
    fn from(s: String) -> Replacement {
        if s == "stars" || s == "*" {
            Replacement::Stars
        } else {
            Replacement::Token(s)
        }
    }
}

/// When a resident registration number's check digit must hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Checksum {
    /// Never checked: every valid date + gender digit is masked.
    Never,
    /// Checked for the 13 bare digits only (the default).
    #[default]
    Unseparated,
    /// Checked for both forms.
    Always,
}

/// The 주민등록번호 rule.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RrnRule {
    pub enabled: bool,
    pub checksum: Checksum,
    pub replacement: Replacement,
}

impl Default for RrnRule {
    fn default() -> RrnRule {
        RrnRule {
            enabled: true,
            checksum: Checksum::Unseparated,
            replacement: Replacement::Stars,
        }
    }
}

/// The phone number rule.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhoneRule {
    pub enabled: bool,
    /// Also mask numbers written without separators (`01012345678`).
    pub unseparated: bool,
    pub replacement: Replacement,
}

impl Default for PhoneRule {
    fn default() -> PhoneRule {
        PhoneRule {
            enabled: true,
            unseparated: true,
            replacement: Replacement::Stars,
        }
    }
}

/// A rule by regular expression (patient ids, case numbers, …).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternRule {
    /// The rule's name in metrics.
    pub name: String,
    /// A regular expression (Rust `regex` syntax).
    pub regex: String,
    #[serde(default)]
    pub replacement: Replacement,
}

/// Masking configuration: the built-in rules are on by default.
///
/// In TOML:
///
/// ```toml
/// [rrn]
/// checksum = "unseparated"   # or "never", "always"
/// replacement = "stars"      # or a token such as "<RRN>"
///
/// [phone]
/// unseparated = true
///
/// [[patterns]]
/// name = "patient-id"
/// regex = 'PT-\d{8}'
/// replacement = "<PATIENT>"
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaskConfig {
    pub rrn: RrnRule,
    pub phone: PhoneRule,
    pub patterns: Vec<PatternRule>,
}

/// A masking configuration that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("masking rule {name:?}: invalid regex: {message}")]
pub struct MaskError {
    pub name: String,
    pub message: String,
}

/// How many replacements each rule made (for metrics). `patterns` is
/// indexed like [`MaskConfig::patterns`] and empty until one matches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MaskCounts {
    pub rrn: u32,
    pub phone: u32,
    pub patterns: Vec<u32>,
}

impl MaskCounts {
    pub fn total(&self) -> u32 {
        self.rrn + self.phone + self.patterns.iter().sum::<u32>()
    }

    fn add_pattern(&mut self, i: usize, n: u32) {
        if self.patterns.len() <= i {
            self.patterns.resize(i + 1, 0);
        }
        self.patterns[i] += n;
    }
}

/// Compiled masking rules.
#[derive(Clone, Debug)]
pub struct Masker {
    rrn: RrnRule,
    phone: PhoneRule,
    patterns: Vec<(String, regex::bytes::Regex, Replacement)>,
}

impl Default for Masker {
    /// The built-in rules with their defaults.
    fn default() -> Masker {
        Masker {
            rrn: RrnRule::default(),
            phone: PhoneRule::default(),
            patterns: Vec::new(),
        }
    }
}

/// Which built-in rule matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Rrn,
    Phone,
}

impl Masker {
    pub fn new(config: MaskConfig) -> Result<Masker, MaskError> {
        let mut patterns = Vec::with_capacity(config.patterns.len());
        for rule in config.patterns {
            let regex = regex::bytes::RegexBuilder::new(&rule.regex)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| MaskError {
                    name: rule.name.clone(),
                    message: e.to_string(),
                })?;
            patterns.push((rule.name, regex, rule.replacement));
        }
        Ok(Masker {
            rrn: config.rrn,
            phone: config.phone,
            patterns,
        })
    }

    /// A masker that changes nothing.
    pub fn disabled() -> Masker {
        Masker {
            rrn: RrnRule {
                enabled: false,
                ..RrnRule::default()
            },
            phone: PhoneRule {
                enabled: false,
                ..PhoneRule::default()
            },
            patterns: Vec::new(),
        }
    }

    /// The names of the pattern rules, in the order of
    /// [`MaskCounts::patterns`].
    pub fn pattern_names(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|(n, _, _)| n.as_str())
    }

    /// Masks bytes (a raw message, possibly not UTF-8); borrows when
    /// nothing matched.
    pub fn mask_bytes<'a>(&self, input: &'a [u8], counts: &mut MaskCounts) -> Cow<'a, [u8]> {
        let mut out = Cow::Borrowed(input);
        if self.rrn.enabled || self.phone.enabled {
            out = self.mask_numbers(input, counts);
        }
        for (i, (_, regex, replacement)) in self.patterns.iter().enumerate() {
            let (masked, n) = mask_regex(regex, replacement, &out);
            if n > 0 {
                counts.add_pattern(i, n);
                out = Cow::Owned(masked);
            }
        }
        out
    }

    /// Masks text; borrows when nothing matched.
    pub fn mask_str<'a>(&self, input: &'a str, counts: &mut MaskCounts) -> Cow<'a, str> {
        match self.mask_bytes(input.as_bytes(), counts) {
            Cow::Borrowed(_) => Cow::Borrowed(input),
            Cow::Owned(bytes) => Cow::Owned(match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            }),
        }
    }

    /// Whether any rule is on.
    pub fn is_enabled(&self) -> bool {
        self.rrn.enabled || self.phone.enabled || !self.patterns.is_empty()
    }

    /// The built-in number rules: one pass over the starts of digit runs.
    fn mask_numbers<'a>(&self, b: &'a [u8], counts: &mut MaskCounts) -> Cow<'a, [u8]> {
        let mut found: Vec<(usize, usize, Kind)> = Vec::new();
        let mut i = 0;
        loop {
            i = next_candidate(b, i);
            if i >= b.len() {
                break;
            }
            let c = b[i];
            if c.is_ascii_digit() {
                // The start of a digit run (the loop skips whole runs).
                let run = digit_run(b, i);
                let end = if self.rrn.enabled
                    && (run == 13 || (run == 6 && b.get(i + 6) == Some(&b'-')))
                    && let Some(end) = self.rrn_at(b, i)
                {
                    Some((end, Kind::Rrn))
                } else if self.phone.enabled
                    && c == b'0'
                    && run >= 2
                    && let Some(end) = self.phone_at(b, i + 1, i)
                {
                    Some((end, Kind::Phone))
                } else {
                    None
                };
                match end {
                    Some((end, kind)) => {
                        found.push((i, end, kind));
                        i = end;
                    }
                    None => i += run,
                }
            } else if c == b'+'
                && self.phone.enabled
                && b.get(i + 1..i + 3) == Some(b"82")
                && (i == 0 || !b[i - 1].is_ascii_digit())
            {
                // +82, an optional separator, an optional 0 or (0).
                let mut j = i + 3;
                if matches!(b.get(j), Some(b' ' | b'-' | b'.')) {
                    j += 1;
                }
                if b.get(j..j + 3) == Some(b"(0)") {
                    j += 3;
                } else if b.get(j) == Some(&b'0') {
                    j += 1;
                }
                match self.phone_at(b, j, j) {
                    Some(end) => {
                        found.push((i, end, Kind::Phone));
                        i = end;
                    }
                    None => i += 1,
                }
            } else {
                i += 1;
            }
        }
        if found.is_empty() {
            return Cow::Borrowed(b);
        }
        let mut out = Vec::with_capacity(b.len());
        let mut last = 0;
        for (start, end, kind) in found {
            out.extend_from_slice(&b[last..start]);
            let replacement = match kind {
                Kind::Rrn => {
                    counts.rrn += 1;
                    &self.rrn.replacement
                }
                Kind::Phone => {
                    counts.phone += 1;
                    &self.phone.replacement
                }
            };
            match replacement {
                Replacement::Stars => out.extend(
                    b[start..end]
                        .iter()
                        .map(|&c| if c.is_ascii_digit() { b'*' } else { c }),
                ),
                Replacement::Token(t) => out.extend_from_slice(t.as_bytes()),
            }
            last = end;
        }
        out.extend_from_slice(&b[last..]);
        Cow::Owned(out)
    }

    /// A resident registration number starting at `i` (the start of a
    /// digit run): its end.
    fn rrn_at(&self, b: &[u8], i: usize) -> Option<usize> {
        let run = digit_run(b, i);
        let (digits, end, separated): ([u8; 13], usize, bool) = if run == 13 {
            (b[i..i + 13].try_into().ok()?, i + 13, false)
        } else if run == 6 && b.get(i + 6) == Some(&b'-') && digit_run(b, i + 7) == 7 {
            let mut d = [0u8; 13];
            d[..6].copy_from_slice(&b[i..i + 6]);
            d[6..].copy_from_slice(&b[i + 7..i + 14]);
            (d, i + 14, true)
        } else {
            return None;
        };
        let d = digits.map(|c| c - b'0');
        let century = match d[6] {
            1 | 2 | 5 | 6 => 1900,
            3 | 4 | 7 | 8 => 2000,
            _ => return None,
        };
        let year = century + i64::from(d[0] * 10 + d[1]);
        let month = u32::from(d[2] * 10 + d[3]);
        let day = u32::from(d[4] * 10 + d[5]);
        if !(1..=12).contains(&month) || day == 0 || day > crate::clock::days_in_month(year, month)
        {
            return None;
        }
        let check = match self.rrn.checksum {
            Checksum::Never => false,
            Checksum::Unseparated => !separated,
            Checksum::Always => true,
        };
        if check {
            const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
            let sum: u32 = d[..12]
                .iter()
                .zip(WEIGHTS)
                .map(|(&x, w)| u32::from(x) * w)
                .sum();
            // Citizens: (11 - sum mod 11) mod 10; foreign residents
            // (5–8): (13 - sum mod 11) mod 10.
            let base = if d[6] >= 5 { 13 } else { 11 };
            if (base - sum % 11) % 10 != u32::from(d[12]) {
                return None;
            }
        }
        Some(end)
    }

    /// A Korean phone number whose national part (after the leading `0`)
    /// starts at `j`; `start` is where the match starts (the `0`, or the
    /// national part after `+82`). Returns its end.
    fn phone_at(&self, b: &[u8], j: usize, start: usize) -> Option<usize> {
        let d = |k: usize| b.get(k).filter(|c| c.is_ascii_digit()).map(|c| c - b'0');
        // The length of the area or mobile code after the 0.
        let code = match (d(j)?, d(j + 1), d(j + 2)) {
            (1, Some(0 | 1 | 6..=9), _) => 2,
            (2, _, _) => 1,
            (3, Some(1..=3), _) | (4, Some(1..=4), _) | (6, Some(1..=4), _) => 2,
            (5, Some(0), Some(2..=8)) => 3,
            (5, Some(1..=5), _) => 2,
            (7, Some(0), _) => 2,
            _ => return None,
        };
        let k = j + code;
        match b.get(k) {
            Some(&sep @ (b'-' | b'.' | b' ' | b')')) => {
                let mid = digit_run(b, k + 1);
                if !(3..=4).contains(&mid) {
                    return None;
                }
                let m = k + 1 + mid;
                let expected = if sep == b')' { b'-' } else { sep };
                if b.get(m) != Some(&expected) || digit_run(b, m + 1) != 4 {
                    return None;
                }
                Some(m + 5)
            }
            _ if self.phone.unseparated => {
                // The whole digit run is the number: code + 7 or 8 digits.
                let end = start + digit_run(b, start);
                (code + 7..=code + 8).contains(&(end - j)).then_some(end)
            }
            _ => None,
        }
    }
}

/// The index of the first digit or `+` at or after `i` (or `b.len()`).
/// Eight bytes at a time: most log text has long stretches of neither.
fn next_candidate(b: &[u8], mut i: usize) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(word);
        let y = x & LOW7;
        // Bytes 0x30..=0x39 (no carries: every byte of y is below 0x80).
        let digits = (y + 0x5050_5050_5050_5050) & !(y + 0x4646_4646_4646_4646) & !x & HIGH;
        // Bytes equal to `+`, with the usual zero-byte test (a false
        // positive only sends the word to the byte loop).
        let z = x ^ 0x2b2b_2b2b_2b2b_2b2b;
        let plus = z.wrapping_sub(ONES) & !z & HIGH;
        if digits | plus != 0 {
            break;
        }
        i += 8;
    }
    while i < b.len() && !(b[i].is_ascii_digit() || b[i] == b'+') {
        i += 1;
    }
    i
}

/// The length of the run of ASCII digits at `i`.
fn digit_run(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .map_or(0, |s| s.iter().take_while(|c| c.is_ascii_digit()).count())
}

/// Replaces every match of `regex`; returns the text and the count.
fn mask_regex(
    regex: &regex::bytes::Regex,
    replacement: &Replacement,
    input: &[u8],
) -> (Vec<u8>, u32) {
    let mut out = Vec::new();
    let mut last = 0;
    let mut n = 0;
    for m in regex.find_iter(input) {
        if m.is_empty() {
            continue;
        }
        if n == 0 {
            out.reserve(input.len());
        }
        n += 1;
        out.extend_from_slice(&input[last..m.start()]);
        match replacement {
            Replacement::Stars => {
                let chars = String::from_utf8_lossy(m.as_bytes()).chars().count();
                out.extend(std::iter::repeat_n(b'*', chars));
            }
            Replacement::Token(t) => out.extend_from_slice(t.as_bytes()),
        }
        last = m.end();
    }
    if n > 0 {
        out.extend_from_slice(&input[last..]);
    }
    (out, n)
}

#[cfg(test)]
mod tests;
