//! ArcSight Common Event Format: `CEF:Version|Device Vendor|Device
//! Product|Device Version|Device Event Class ID|Name|Severity|Extension`.
//!
//! Header fields escape `\|` and `\\`. The extension is `key=value`
//! pairs separated by spaces, where values may contain spaces: a value
//! ends where the next ` key=` begins. Values escape `\=`, `\\`, `\n` and
//! `\r` (and some senders `\|`). Keys medsec knows map to ECS names, in
//! their short and long forms (`src` and `sourceAddress`); the rest are
//! kept under `cef.<key>`.

use std::borrow::Cow;

use crate::clock;
use crate::draft::Draft;
use crate::error::{ErrorKind, ParseError, Result};
use crate::event::Value;
use crate::syslog::TimeContext;
use crate::text;

/// A CEF record, borrowed from its text where no escapes were undone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cef<'a> {
    pub version: &'a str,
    pub vendor: Cow<'a, str>,
    pub product: Cow<'a, str>,
    pub device_version: Cow<'a, str>,
    pub signature_id: Cow<'a, str>,
    pub name: Cow<'a, str>,
    pub severity: Cow<'a, str>,
    pub extension: Vec<(&'a str, Cow<'a, str>)>,
}

/// Parses a CEF record; `text` starts with `CEF:` (leading spaces allowed).
pub fn parse_cef(text: &str) -> Result<Cef<'_>> {
    let start = text.len() - text.trim_start().len();
    let b = text.as_bytes();
    if !text::tail(text, start).starts_with("CEF:") {
        return Err(ParseError::new(ErrorKind::Cef("missing `CEF:`"), start));
    }
    let mut at = start + 4;
    let mut header: [Cow<'_, str>; 7] = Default::default();
    let mut version = "";
    for (i, slot) in header.iter_mut().enumerate() {
        let (field, end) = header_field(text, at).ok_or(ParseError::new(
            ErrorKind::Cef("the header needs 7 `|`-separated fields"),
            b.len(),
        ))?;
        if i == 0 {
            version = text::sub(text, at, end).trim();
            if version.is_empty() || !version.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
                return Err(ParseError::new(ErrorKind::Cef("invalid version"), at));
            }
        }
        *slot = field;
        at = end + 1;
    }
    let [
        _,
        vendor,
        product,
        device_version,
        signature_id,
        name,
        severity,
    ] = header;
    let extension = extension(text, at);
    Ok(Cef {
        version,
        vendor,
        product,
        device_version,
        signature_id,
        name,
        severity,
        extension,
    })
}

/// Reads a header field from `at` to the next unescaped `|`; returns it
/// unescaped and the offset of the `|`.
fn header_field(text: &str, at: usize) -> Option<(Cow<'_, str>, usize)> {
    let b = text.as_bytes();
    let mut i = at;
    let mut escaped = false;
    loop {
        let j = memchr::memchr2(b'|', b'\\', b.get(i..)?)? + i;
        if b[j] == b'|' {
            let raw = text::sub(text, at, j);
            let value = if escaped {
                Cow::Owned(unescape(raw, false))
            } else {
                Cow::Borrowed(raw)
            };
            return Some((value, j));
        }
        escaped = true;
        i = j + 2;
    }
}

/// Undoes CEF escapes: `\|` and `\\` everywhere, and in the extension
/// also `\=`, `\n` and `\r`. Other backslashes are kept.
fn unescape(raw: &str, extension: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('|') => out.push('|'),
            Some('\\') => out.push('\\'),
            Some('=') if extension => out.push('='),
            Some('n') if extension => out.push('\n'),
            Some('r') if extension => out.push('\r'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'[' | b']')
}

/// Splits a CEF (or space-separated LEEF) extension into pairs: every
/// unescaped `=` preceded by a key-like word after a space starts a pair,
/// and a value runs to the space before the next pair.
pub(crate) fn extension(text: &str, at: usize) -> Vec<(&str, Cow<'_, str>)> {
    let b = text.as_bytes();
    // (key start, key end, value start)
    let mut keys: Vec<(usize, usize, usize)> = Vec::new();
    let mut i = at;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'=' => {
                let mut j = i;
                while j > at && is_key_char(b[j - 1]) {
                    j -= 1;
                }
                if j < i && (j == at || b[j - 1] == b' ') {
                    keys.push((j, i, i + 1));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut out = Vec::with_capacity(keys.len());
    for (n, &(ks, ke, vs)) in keys.iter().enumerate() {
        let ve = keys.get(n + 1).map_or(b.len(), |next| next.0);
        let raw = text::sub(text, vs.min(ve), ve).trim_end_matches([' ', '\t', '\r', '\n']);
        let value = if raw.contains('\\') {
            Cow::Owned(unescape(raw, true))
        } else {
            Cow::Borrowed(raw)
        };
        out.push((text::sub(text, ks, ke), value));
    }
    out
}

/// Where a CEF key goes.
enum Target {
    Field(&'static str),
    SourceUser,
    DestinationUser,
    Transport,
    Lower(&'static str),
    Outcome,
    Time,
}

fn target(key: &str) -> Option<Target> {
    use Target::*;
    Some(match key {
        "src" | "sourceAddress" => Field("source.ip"),
        "dst" | "destinationAddress" => Field("destination.ip"),
        "spt" | "sourcePort" => Field("source.port"),
        "dpt" | "destinationPort" => Field("destination.port"),
        "act" | "deviceAction" => Field("event.action"),
        "request" | "requestURL" => Field("url.original"),
        "suser" | "sourceUserName" => SourceUser,
        "duser" | "destinationUserName" => DestinationUser,
        "shost" | "sourceHostName" => Field("source.domain"),
        "dhost" | "destinationHostName" => Field("destination.domain"),
        "smac" | "sourceMacAddress" => Field("source.mac"),
        "dmac" | "destinationMacAddress" => Field("destination.mac"),
        "proto" | "transportProtocol" => Transport,
        "app" | "applicationProtocol" => Lower("network.protocol"),
        "in" | "bytesIn" => Field("source.bytes"),
        "out" | "bytesOut" => Field("destination.bytes"),
        "dvc" | "deviceAddress" => Field("observer.ip"),
        "dvchost" | "deviceHostName" => Field("observer.hostname"),
        "msg" | "message" => Field("message"),
        "outcome" | "eventOutcome" => Outcome,
        "fname" | "fileName" => Field("file.name"),
        "filePath" => Field("file.path"),
        "fsize" | "fileSize" => Field("file.size"),
        "requestMethod" => Field("http.request.method"),
        "requestClientApplication" => Field("user_agent.original"),
        "requestContext" => Field("http.request.referrer"),
        "sourceTranslatedAddress" => Field("source.nat.ip"),
        "destinationTranslatedAddress" => Field("destination.nat.ip"),
        "sourceTranslatedPort" => Field("source.nat.port"),
        "destinationTranslatedPort" => Field("destination.nat.port"),
        "rt" | "deviceReceiptTime" => Time,
        _ => return None,
    })
}

/// CEF severity: 0–10, or ArcSight's words (Low 3, Medium 6, High 8,
/// Very-High 10).
fn severity(s: &str) -> Option<i64> {
    match s.trim() {
        n if n.bytes().all(|c| c.is_ascii_digit()) => text::parse_i64(n),
        w if w.eq_ignore_ascii_case("low") => Some(3),
        w if w.eq_ignore_ascii_case("medium") => Some(6),
        w if w.eq_ignore_ascii_case("high") => Some(8),
        w if w.eq_ignore_ascii_case("very-high") || w.eq_ignore_ascii_case("very high") => Some(10),
        _ => None,
    }
}

/// Decodes a CEF record into ECS fields.
pub(crate) fn decode(text: &str, draft: &mut Draft, ctx: TimeContext) -> Result<()> {
    let cef = parse_cef(text)?;
    draft.set("cef.version", version_value(cef.version));
    draft.str("observer.vendor", &cef.vendor);
    draft.str("observer.product", &cef.product);
    draft.str("observer.version", &cef.device_version);
    draft.str("event.code", &cef.signature_id);
    draft.str("event.reason", &cef.name);
    draft.str("rule.name", &cef.name);
    match severity(&cef.severity) {
        Some(s) => draft.set("event.severity", Value::Int(s)),
        None => draft.str("cef.severity", &cef.severity),
    }
    let mut user: Option<(bool, &str)> = None;
    for (key, value) in &cef.extension {
        let value: &str = value;
        match target(key) {
            Some(Target::Field(name)) => draft.text(name, value),
            Some(Target::SourceUser) => {
                draft.str("source.user.name", value);
                if user.is_none() {
                    user = Some((false, value));
                }
            }
            Some(Target::DestinationUser) => {
                draft.str("destination.user.name", value);
                user = Some((true, value));
            }
            Some(Target::Transport) => draft.transport(value),
            Some(Target::Lower(name)) => draft.str(name, &value.to_ascii_lowercase()),
            Some(Target::Outcome) => draft.str(
                "event.outcome",
                &value.trim_start_matches('/').to_ascii_lowercase(),
            ),
            Some(Target::Time) => match clock::parse_any(value, ctx.utc_offset, ctx.received) {
                Some(t) => draft.timestamp = Some(t),
                None => draft.prefixed("cef.", key, value),
            },
            None => {
                if is_custom_number(key)
                    && let Some(n) = text::parse_i64(value)
                {
                    let mut name = String::from("cef.");
                    name.push_str(key);
                    draft.set(name, Value::Int(n));
                } else {
                    draft.prefixed("cef.", key, value);
                }
            }
        }
    }
    if let Some((_, name)) = user {
        draft.str("user.name", name);
    }
    Ok(())
}

/// `cn1`, `cn2`, … (custom numbers).
fn is_custom_number(key: &str) -> bool {
    key.strip_prefix("cn")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

fn version_value(v: &str) -> Value {
    match text::parse_i64(v) {
        Some(n) => Value::Int(n),
        None => Value::Str(v.to_owned()),
    }
}

#[cfg(test)]
mod tests;
