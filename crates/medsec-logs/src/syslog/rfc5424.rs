//! RFC 5424: `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID
//! SP MSGID SP STRUCTURED-DATA [SP MSG]`, with NILVALUEs, fractional
//! seconds, UTC offsets, escaped structured data and a BOM before the
//! message.
//!
//! The parser is strict where the RFC is unambiguous (the PRI, the
//! version, the six header fields) and lenient where real senders stray
//! without making the message ambiguous: a timestamp without an offset
//! (read at the source's offset), lower-case `t`/`z`, header fields
//! longer than the RFC allows, a message right after the structured data
//! without its space.

use std::borrow::Cow;

use super::{Protocol, SdElement, Syslog, TimeContext, pri};
use crate::clock::{self, IsoStyle};
use crate::error::{ErrorKind, ParseError, Result};
use crate::text;

/// Parses an RFC 5424 message.
pub fn parse_rfc5424(text: &str, ctx: TimeContext) -> Result<Syslog<'_>> {
    let b = text.as_bytes();
    let (priority, mut at) = pri(b)?;
    let mut msg = Syslog::new(Protocol::Rfc5424, "");
    msg.priority = Some(priority);

    let n = text::digits(b.get(at..).unwrap_or_default());
    if n == 0 || n > 2 || b[at] == b'0' || b.get(at + n) != Some(&b' ') {
        return Err(ParseError::new(ErrorKind::Version, at));
    }
    msg.version = text::parse_u64(&b[at..at + n]).map(|v| v as u8);
    at += n + 1;

    // TIMESTAMP
    if b.get(at) == Some(&b'-') && matches!(b.get(at + 1), Some(b' ') | None) {
        at += 1;
    } else {
        let rest = b.get(at..).unwrap_or_default();
        let (civil, offset, used) =
            clock::iso(rest, IsoStyle::Strict).ok_or(ParseError::new(ErrorKind::Timestamp, at))?;
        msg.timestamp = Some(
            civil
                .to_unix_nanos(offset.unwrap_or(ctx.utc_offset))
                .ok_or(ParseError::new(ErrorKind::Timestamp, at))?,
        );
        at += used;
    }

    // HOSTNAME, APP-NAME, PROCID, MSGID
    let mut header = [None; 4];
    for (slot, what) in header
        .iter_mut()
        .zip(["HOSTNAME", "APP-NAME", "PROCID", "MSGID"])
    {
        if b.get(at) != Some(&b' ') {
            return Err(ParseError::new(ErrorKind::Missing(what), at));
        }
        at += 1;
        let len = b[at..]
            .iter()
            .position(|&c| c == b' ')
            .unwrap_or(b.len() - at);
        if len == 0 {
            return Err(ParseError::new(ErrorKind::Missing(what), at));
        }
        let field = text::sub(text, at, at + len);
        if field != "-" {
            *slot = Some(field);
        }
        at += len;
    }
    [msg.hostname, msg.app_name, msg.proc_id, msg.msg_id] = header;

    // STRUCTURED-DATA
    if b.get(at) != Some(&b' ') {
        return Err(ParseError::new(ErrorKind::Missing("STRUCTURED-DATA"), at));
    }
    at += 1;
    match b.get(at) {
        Some(b'-') => at += 1,
        Some(b'[') => at = structured_data(text, at, &mut msg.structured_data)?,
        _ => return Err(ParseError::new(ErrorKind::Missing("STRUCTURED-DATA"), at)),
    }

    // MSG
    if b.get(at) == Some(&b' ') {
        at += 1;
    }
    let mut body = text::tail(text, at);
    if let Some(stripped) = body.strip_prefix('\u{feff}') {
        at += 3;
        body = stripped;
    }
    msg.msg = body;
    msg.msg_offset = at;
    Ok(msg)
}

/// Reads SD-ELEMENTs from `at` (a `[`); returns the offset after them.
fn structured_data<'a>(
    text: &'a str,
    mut at: usize,
    out: &mut Vec<SdElement<'a>>,
) -> Result<usize> {
    let b = text.as_bytes();
    let sd_error = |what, at| ParseError::new(ErrorKind::StructuredData(what), at);
    while b.get(at) == Some(&b'[') {
        at += 1;
        let id_len = b[at..]
            .iter()
            .position(|&c| c == b' ' || c == b']' || c == b'=' || c == b'"')
            .unwrap_or(b.len() - at);
        if id_len == 0 {
            return Err(sd_error("missing SD-ID", at));
        }
        let mut element = SdElement {
            id: text::sub(text, at, at + id_len),
            params: Vec::new(),
        };
        at += id_len;
        loop {
            match b.get(at) {
                Some(b']') => {
                    at += 1;
                    break;
                }
                Some(b' ') => at += 1,
                Some(_) => return Err(sd_error("expected a parameter or `]`", at)),
                None => return Err(sd_error("unterminated element", at)),
            }
            if b.get(at) == Some(&b']') {
                continue;
            }
            let name_len = b[at..]
                .iter()
                .position(|&c| c == b'=' || c == b' ' || c == b']' || c == b'"')
                .unwrap_or(b.len() - at);
            if name_len == 0 {
                return Err(sd_error("missing PARAM-NAME", at));
            }
            let name = text::sub(text, at, at + name_len);
            at += name_len;
            if b.get(at) != Some(&b'=') {
                return Err(sd_error("expected `=`", at));
            }
            if b.get(at + 1) != Some(&b'"') {
                return Err(sd_error("expected `\"`", at + 1));
            }
            at += 2;
            let (value, end) =
                param_value(text, at).ok_or(sd_error("unterminated PARAM-VALUE", at))?;
            element.params.push((name, value));
            at = end;
        }
        out.push(element);
    }
    Ok(at)
}

/// Reads a PARAM-VALUE from `at` (after its opening quote) to the closing
/// quote: `\"`, `\\` and `\]` are unescaped, any other backslash is kept
/// (RFC 5424 §6.3.3). Returns the value and the offset after the quote.
fn param_value(text: &str, at: usize) -> Option<(Cow<'_, str>, usize)> {
    let b = text.as_bytes();
    let rest = b.get(at..)?;
    let mut i = 0;
    let mut owned: Option<String> = None;
    let mut copied = 0;
    loop {
        let j = memchr::memchr2(b'"', b'\\', &rest[i..])? + i;
        if rest[j] == b'"' {
            let value = match owned {
                None => Cow::Borrowed(text::sub(text, at, at + j)),
                Some(mut s) => {
                    s.push_str(text::sub(text, at + copied, at + j));
                    Cow::Owned(s)
                }
            };
            return Some((value, at + j + 1));
        }
        match rest.get(j + 1) {
            Some(c @ (b'"' | b'\\' | b']')) => {
                let s = owned.get_or_insert_with(String::new);
                s.push_str(text::sub(text, at + copied, at + j));
                s.push(char::from(*c));
                copied = j + 2;
                i = j + 2;
            }
            Some(_) => i = j + 1,
            None => return None,
        }
    }
}
