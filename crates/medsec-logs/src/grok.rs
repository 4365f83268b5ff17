//! Grok-like patterns for analyst-defined decoders: a regular expression
//! (Rust `regex` syntax) with named, typed captures written
//! `%{PATTERN:field}` or `%{PATTERN:field:type}`, plain `%{PATTERN}` for
//! a part that is matched but not kept, and `(?<field>regex)` for a
//! custom capture. Field names may contain dots and `@` (`source.ip`,
//! `@timestamp`); captures become regex groups with generated names.
//!
//! The pattern library is a subset of Logstash's `grok-patterns`
//! (adapted to a regex engine without look-around), plus names a
//! decoder defines for itself.

use std::collections::BTreeMap;

/// How a captured text becomes a field value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureType {
    /// By the field's schema type ([`crate::schema::typed`]), or the
    /// pattern's own (INT is a number, IP an address).
    Auto,
    Str,
    Int,
    Float,
    Ip,
}

/// One capture of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Capture {
    /// The regex group name (`g0`, `g1`, …).
    pub group: String,
    /// The field it sets.
    pub field: String,
    pub ty: CaptureType,
}

/// A pattern expanded to a regex, with its captures and a map from
/// positions in the regex back to positions in the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Expanded {
    pub regex: String,
    pub captures: Vec<Capture>,
    /// (offset in `regex`, character position in the pattern, whether the
    /// regex text from there is the pattern's text verbatim rather than
    /// the expansion of a `%{…}`), sorted.
    positions: Vec<(usize, usize, bool)>,
}

impl Expanded {
    /// The character position in the pattern of a character offset in
    /// the regex.
    pub(crate) fn source_position(&self, regex_char: usize) -> usize {
        let byte = self
            .regex
            .char_indices()
            .nth(regex_char)
            .map_or(self.regex.len(), |(i, _)| i);
        let i = self.positions.partition_point(|&(r, _, _)| r <= byte);
        let Some(last) = i.checked_sub(1) else {
            return 0;
        };
        match self.positions[last] {
            (r, s, true) => s + self.regex.get(r..byte).map_or(0, |t| t.chars().count()),
            // Inside the expansion of a `%{…}`: the reference itself.
            (_, s, false) => s,
        }
    }
}

/// An error in a pattern: where (a character position in it) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PatternError {
    pub position: usize,
    pub message: String,
}

/// The built-in pattern library.
const LIBRARY: &[(&str, &str)] = &[
    ("USERNAME", r"[a-zA-Z0-9._-]+"),
    ("USER", r"%{USERNAME}"),
    ("EMAILLOCALPART", r"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~.-]+"),
    ("EMAILADDRESS", r"%{EMAILLOCALPART}@%{HOSTNAME}"),
    ("INT", r"[+-]?[0-9]+"),
    ("POSINT", r"[1-9][0-9]*"),
    ("NONNEGINT", r"[0-9]+"),
    ("NUMBER", r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"),
    ("BASE10NUM", r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"),
    ("BASE16NUM", r"(?:0[xX])?[0-9A-Fa-f]+"),
    ("WORD", r"\w+"),
    ("NOTSPACE", r"\S+"),
    ("SPACE", r"\s*"),
    ("DATA", r".*?"),
    ("GREEDYDATA", r".*"),
    ("QUOTEDSTRING", r#"(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"#),
    ("QS", r"%{QUOTEDSTRING}"),
    (
        "UUID",
        r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
    ),
    (
        "MAC",
        r"(?:(?:[A-Fa-f0-9]{2}[:-]){5}[A-Fa-f0-9]{2}|(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4})",
    ),
    (
        "IPV4",
        r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])",
    ),
    ("IPV6", r"(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]{0,15}"),
    ("IP", r"(?:%{IPV6}|%{IPV4})"),
    (
        "HOSTNAME",
        r"[0-9A-Za-z][0-9A-Za-z-]{0,62}(?:\.[0-9A-Za-z][0-9A-Za-z-]{0,62})*\.?",
    ),
    ("IPORHOST", r"(?:%{IP}|%{HOSTNAME})"),
    ("HOSTPORT", r"%{IPORHOST}:%{POSINT}"),
    ("UNIXPATH", r"(?:/[^/\s]*)+"),
    ("WINPATH", r"(?:[A-Za-z]+:|\\)(?:\\[^\\?*\s]*)+"),
    ("PATH", r"(?:%{UNIXPATH}|%{WINPATH})"),
    ("URIPROTO", r"[A-Za-z][A-Za-z0-9+.-]+"),
    ("URIHOST", r"%{IPORHOST}(?::%{POSINT})?"),
    ("URIPATH", r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+"),
    ("URIPARAM", r"\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*"),
    ("URIPATHPARAM", r"%{URIPATH}(?:%{URIPARAM})?"),
    (
        "URI",
        r"%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?",
    ),
    (
        "MONTH",
        r"(?:[Jj]an(?:uary)?|[Ff]eb(?:ruary)?|[Mm]ar(?:ch)?|[Aa]pr(?:il)?|[Mm]ay|[Jj]une?|[Jj]uly?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo]ct(?:ober)?|[Nn]ov(?:ember)?|[Dd]ec(?:ember)?)",
    ),
    ("MONTHNUM", r"(?:0?[1-9]|1[0-2])"),
    ("MONTHDAY", r"(?:0[1-9]|[12][0-9]|3[01]|[1-9])"),
    (
        "DAY",
        r"(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)",
    ),
    ("YEAR", r"(?:[0-9]{4}|[0-9]{2})"),
    ("HOUR", r"(?:2[0123]|[01]?[0-9])"),
    ("MINUTE", r"[0-5][0-9]"),
    ("SECOND", r"(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)"),
    ("TIME", r"%{HOUR}:%{MINUTE}(?::%{SECOND})?"),
    ("ISO8601_TIMEZONE", r"(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))"),
    (
        "TIMESTAMP_ISO8601",
        r"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?",
    ),
    ("DATE_YMD", r"%{YEAR}[./-]%{MONTHNUM}[./-]%{MONTHDAY}"),
    ("DATESTAMP_YMD", r"%{DATE_YMD}[ T]%{TIME}"),
    ("SYSLOGTIMESTAMP", r"%{MONTH} +%{MONTHDAY} %{TIME}"),
    ("HTTPDATE", r"%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}"),
    (
        "LOGLEVEL",
        r"(?i:alert|trace|debug|notice|info(?:rmation)?|warn(?:ing)?|err(?:or)?|crit(?:ical)?|fatal|severe|emerg(?:ency)?)",
    ),
];

/// The names of the built-in patterns.
pub fn library() -> impl Iterator<Item = (&'static str, &'static str)> {
    LIBRARY.iter().copied()
}

fn library_pattern(name: &str) -> Option<&'static str> {
    LIBRARY.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

/// The type a pattern gives its captures when none is written.
fn pattern_type(name: &str) -> CaptureType {
    match name {
        "INT" | "POSINT" | "NONNEGINT" => CaptureType::Int,
        "IP" | "IPV4" | "IPV6" => CaptureType::Ip,
        _ => CaptureType::Auto,
    }
}

/// Whether a field name is acceptable: dotted words of letters, digits,
/// `_`, `-` and `@`.
pub(crate) fn valid_field(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '@'))
        })
}

/// Expands a pattern: `%{…}` references from `own` (the decoder's own
/// names) or the library, `(?<field>…)` captures renamed.
pub(crate) fn expand(
    pattern: &str,
    own: &BTreeMap<String, String>,
) -> Result<Expanded, PatternError> {
    let mut out = Expanded {
        regex: String::with_capacity(pattern.len() * 2),
        captures: Vec::new(),
        positions: Vec::new(),
    };
    expand_into(pattern, own, &mut out, 0, true)?;
    Ok(out)
}

/// Expands `pattern` into `out`. Captures are kept only at the top level
/// (`capture`); library patterns' inner structure is never captured.
fn expand_into(
    pattern: &str,
    own: &BTreeMap<String, String>,
    out: &mut Expanded,
    depth: usize,
    capture: bool,
) -> Result<(), PatternError> {
    if depth > 16 {
        return Err(PatternError {
            position: 0,
            message: "patterns refer to each other too deeply (a cycle?)".into(),
        });
    }
    let chars: Vec<(usize, char)> = pattern.char_indices().collect();
    let mut i = 0;
    // Marks where verbatim text from the pattern starts in the regex.
    let mark = |out: &mut Expanded, ci: usize, verbatim: bool| {
        if capture {
            out.positions.push((out.regex.len(), ci, verbatim));
        }
    };
    mark(out, 0, true);
    while i < chars.len() {
        let (_, c) = chars[i];
        if c == '\\' {
            out.regex.push(c);
            if let Some(&(_, next)) = chars.get(i + 1) {
                out.regex.push(next);
            }
            i += 2;
            continue;
        }
        if c == '%' && chars.get(i + 1).map(|x| x.1) == Some('{') {
            let start = i;
            let close = chars[i..]
                .iter()
                .position(|&(_, c)| c == '}')
                .map(|n| i + n)
                .ok_or(PatternError {
                    position: start,
                    message: "unterminated `%{`".into(),
                })?;
            let inner: String = chars[i + 2..close].iter().map(|&(_, c)| c).collect();
            let mut parts = inner.splitn(3, ':');
            let name = parts.next().unwrap_or("").trim();
            let field = parts.next().map(str::trim);
            let ty = parts.next().map(str::trim);
            let body = own
                .get(name)
                .map(String::as_str)
                .or_else(|| library_pattern(name))
                .ok_or_else(|| PatternError {
                    position: start,
                    message: format!("unknown pattern {name:?}"),
                })?;
            mark(out, start, false);
            let ty = match ty {
                None => pattern_type(name),
                Some("int" | "integer" | "long") => CaptureType::Int,
                Some("float" | "double") => CaptureType::Float,
                Some("ip") => CaptureType::Ip,
                Some("string" | "str" | "keyword") => CaptureType::Str,
                Some(other) => {
                    return Err(PatternError {
                        position: start,
                        message: format!("unknown type {other:?} (int, float, ip, string)"),
                    });
                }
            };
            match field {
                Some(field) if capture => {
                    if !valid_field(field) {
                        return Err(PatternError {
                            position: start,
                            message: format!("invalid field name {field:?}"),
                        });
                    }
                    let group = format!("g{}", out.captures.len());
                    out.regex.push_str("(?P<");
                    out.regex.push_str(&group);
                    out.regex.push('>');
                    out.captures.push(Capture {
                        group,
                        field: field.to_owned(),
                        ty,
                    });
                    expand_into(body, own, out, depth + 1, false).map_err(|e| PatternError {
                        position: start,
                        message: format!("in {name}: {}", e.message),
                    })?;
                    out.regex.push(')');
                }
                _ => {
                    out.regex.push_str("(?:");
                    expand_into(body, own, out, depth + 1, false).map_err(|e| PatternError {
                        position: start,
                        message: format!("in {name}: {}", e.message),
                    })?;
                    out.regex.push(')');
                }
            }
            i = close + 1;
            mark(out, i, true);
            continue;
        }
        if c == '(' && chars.get(i + 1).map(|x| x.1) == Some('?') {
            // (?<name>…) or (?P<name>…), but not (?<=…) or (?<!…).
            let lt = match (chars.get(i + 2).map(|x| x.1), chars.get(i + 3).map(|x| x.1)) {
                (Some('<'), Some(n)) if n != '=' && n != '!' => Some(i + 3),
                (Some('P'), Some('<')) => Some(i + 4),
                _ => None,
            };
            if let Some(name_start) = lt {
                let close = chars[name_start..]
                    .iter()
                    .position(|&(_, c)| c == '>')
                    .map(|n| name_start + n)
                    .ok_or(PatternError {
                        position: i,
                        message: "unterminated capture name".into(),
                    })?;
                let field: String = chars[name_start..close].iter().map(|&(_, c)| c).collect();
                if !valid_field(&field) {
                    return Err(PatternError {
                        position: name_start,
                        message: format!("invalid field name {field:?}"),
                    });
                }
                if capture {
                    let group = format!("g{}", out.captures.len());
                    out.regex.push_str("(?P<");
                    out.regex.push_str(&group);
                    out.regex.push('>');
                    out.captures.push(Capture {
                        group,
                        field,
                        ty: CaptureType::Auto,
                    });
                } else {
                    out.regex.push_str("(?:");
                }
                i = close + 1;
                mark(out, i, true);
                continue;
            }
        }
        out.regex.push(c);
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
