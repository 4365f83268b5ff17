//! IBM QRadar's Log Event Extended Format.
//!
//! LEEF 1.0: `LEEF:1.0|Vendor|Product|Version|EventID|attributes`, the
//! attributes `key=value` separated by tabs. LEEF 2.0 adds a delimiter
//! field after the event id: one character, or its code as `x09`/`0x09`
//! (`^` and `|` are common); without it the delimiter is a tab. Senders
//! that separate LEEF 1.0 attributes with spaces instead of tabs are read
//! like CEF, a value ending where the next ` key=` begins.
//!
//! Predefined attributes map to ECS names (`src` → `source.ip`, `usrName`
//! → `user.name`, …); the rest are kept under `leef.<key>`.

use std::borrow::Cow;

use crate::cef;
use crate::clock;
use crate::draft::Draft;
use crate::error::{ErrorKind, ParseError, Result};
use crate::syslog::TimeContext;
use crate::text;

/// A LEEF record, borrowed from its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leef<'a> {
    /// `1.0` or `2.0` (as written).
    pub version: &'a str,
    pub vendor: &'a str,
    pub product: &'a str,
    pub product_version: &'a str,
    pub event_id: &'a str,
    /// The attribute delimiter in force.
    pub delimiter: char,
    pub attributes: Vec<(&'a str, Cow<'a, str>)>,
}

/// Parses a LEEF record; `text` starts with `LEEF:` (leading spaces
/// allowed).
pub fn parse_leef(text: &str) -> Result<Leef<'_>> {
    let start = text.len() - text.trim_start().len();
    if !text::tail(text, start).starts_with("LEEF:") {
        return Err(ParseError::new(ErrorKind::Leef("missing `LEEF:`"), start));
    }
    let b = text.as_bytes();
    let mut at = start + 5;
    let mut header = [""; 5];
    for slot in header.iter_mut() {
        let end = memchr::memchr(b'|', b.get(at..).unwrap_or_default())
            .map(|n| at + n)
            .ok_or(ParseError::new(
                ErrorKind::Leef("the header needs 5 `|`-separated fields"),
                b.len(),
            ))?;
        *slot = text::sub(text, at, end);
        at = end + 1;
    }
    let [version, vendor, product, product_version, event_id] = header;
    let major = version.trim().split('.').next().unwrap_or("");
    let mut delimiter = '\t';
    match major {
        "1" | "0" => {}
        "2" => {
            // The optional delimiter field: present if a `|` follows
            // within a few bytes and what is before it is no attribute.
            let rest = b.get(at..).unwrap_or_default();
            if let Some(n) = memchr::memchr(b'|', rest)
                && n <= 6
                && !rest[..n].contains(&b'=')
            {
                let field = text::sub(text, at, at + n);
                delimiter = parse_delimiter(field)
                    .ok_or(ParseError::new(ErrorKind::Leef("invalid delimiter"), at))?;
                at += n + 1;
            }
        }
        _ => {
            return Err(ParseError::new(
                ErrorKind::Leef("unknown version"),
                start + 5,
            ));
        }
    }
    let body = text::tail(text, at);
    let attributes = if delimiter == '\t' && !body.contains('\t') && body.contains(' ') {
        // Spaces instead of tabs: read like a CEF extension.
        cef::extension(text, at)
    } else {
        body.split(delimiter)
            .filter_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                let k = k.trim();
                (!k.is_empty()).then_some((k, Cow::Borrowed(v.trim_end_matches(['\r', '\n']))))
            })
            .collect()
    };
    Ok(Leef {
        version,
        vendor,
        product,
        product_version,
        event_id,
        delimiter,
        attributes,
    })
}

/// A LEEF 2.0 delimiter: one character or `x09`/`0x09`/`\t`; empty means
/// a tab.
fn parse_delimiter(field: &str) -> Option<char> {
    let hex = field
        .strip_prefix("0x")
        .or_else(|| field.strip_prefix("0X"))
        .or_else(|| field.strip_prefix('x'))
        .or_else(|| field.strip_prefix('X'));
    match hex {
        Some(h) if !h.is_empty() => u32::from_str_radix(h, 16).ok().and_then(char::from_u32),
        _ => {
            let mut chars = field.chars();
            match (chars.next(), chars.next()) {
                (None, _) => Some('\t'),
                (Some(c), None) => Some(c),
                (Some('\\'), Some('t')) if chars.next().is_none() => Some('\t'),
                _ => None,
            }
        }
    }
}

/// Decodes a LEEF record into ECS fields.
pub(crate) fn decode(text: &str, draft: &mut Draft, ctx: TimeContext) -> Result<()> {
    let leef = parse_leef(text)?;
    draft.str("leef.version", leef.version);
    draft.str("observer.vendor", leef.vendor);
    draft.str("observer.product", leef.product);
    draft.str("observer.version", leef.product_version);
    draft.str("event.code", leef.event_id);
    for (key, value) in &leef.attributes {
        let value: &str = value;
        let name = match *key {
            "src" => "source.ip",
            "dst" => "destination.ip",
            "srcPort" => "source.port",
            "dstPort" => "destination.port",
            "srcPostNAT" => "source.nat.ip",
            "dstPostNAT" => "destination.nat.ip",
            "usrName" => "user.name",
            "sev" => "event.severity",
            "srcMAC" => "source.mac",
            "dstMAC" => "destination.mac",
            "srcBytes" => "source.bytes",
            "dstBytes" => "destination.bytes",
            "srcPackets" => "source.packets",
            "dstPackets" => "destination.packets",
            "totalPackets" => "network.packets",
            "url" => "url.original",
            "action" => "event.action",
            "msg" => "message",
            "proto" => {
                draft.transport(value);
                continue;
            }
            "devTime" => {
                match clock::parse_any(value, ctx.utc_offset, ctx.received) {
                    Some(t) => draft.timestamp = Some(t),
                    None => draft.prefixed("leef.", key, value),
                }
                continue;
            }
            _ => {
                draft.prefixed("leef.", key, value);
                continue;
            }
        };
        draft.text(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
