//! Palo Alto Networks PAN-OS syslog in its default CSV format, TRAFFIC,
//! THREAT and SYSTEM logs, with the field positions of the PAN-OS syslog
//! field descriptions (PAN-OS 9.1–11: "FUTURE_USE, Receive Time, Serial
//! Number, Type, Threat/Content Type, FUTURE_USE, Generated Time, Source
//! Address, …"). Columns past the ones mapped here are left out; a line
//! with fewer columns (an older PAN-OS) maps what it has.
//!
//! The event time is the Generated Time, read at the source's UTC offset
//! (PAN-OS writes the firewall's local time without a zone).

use std::borrow::Cow;

use crate::clock;
use crate::draft::Draft;
use crate::error::{ErrorKind, ParseError, Result};
use crate::event::Value;
use crate::syslog::TimeContext;
use crate::text;

/// Splits a CSV line: fields separated by commas, optionally
/// double-quoted with `""` for a quote inside.
pub(crate) fn csv(text: &str) -> Vec<Cow<'_, str>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(64);
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            let mut value = String::new();
            let mut j = i + 1;
            let mut copied = j;
            loop {
                match memchr::memchr(b'"', b.get(j..).unwrap_or_default()) {
                    Some(n) if b.get(j + n + 1) == Some(&b'"') => {
                        value.push_str(text::sub(text, copied, j + n + 1));
                        j += n + 2;
                        copied = j;
                    }
                    Some(n) => {
                        value.push_str(text::sub(text, copied, j + n));
                        j += n + 1;
                        break;
                    }
                    None => {
                        value.push_str(text::tail(text, copied));
                        j = b.len();
                        break;
                    }
                }
            }
            out.push(Cow::Owned(value));
            // Skip to the comma after the closing quote.
            i = match memchr::memchr(b',', b.get(j..).unwrap_or_default()) {
                Some(n) => j + n + 1,
                None => return out,
            };
        } else {
            match memchr::memchr(b',', b.get(i..).unwrap_or_default()) {
                Some(n) => {
                    out.push(Cow::Borrowed(text::sub(text, i, i + n)));
                    i += n + 1;
                }
                None => {
                    out.push(Cow::Borrowed(text::tail(text, i)));
                    return out;
                }
            }
        }
    }
}

/// PAN-OS log types this decoder knows by name.
const TYPES: [&str; 12] = [
    "TRAFFIC",
    "THREAT",
    "SYSTEM",
    "CONFIG",
    "HIPMATCH",
    "GLOBALPROTECT",
    "USERID",
    "AUTHENTICATION",
    "DECRYPTION",
    "TUNNEL",
    "CORRELATION",
    "IPTAG",
];

/// Whether `text` is a PAN-OS CSV log: a number (FUTURE_USE), a
/// `YYYY/MM/DD hh:mm:ss` receive time, a serial number, a known type.
pub(crate) fn looks_like_panos(text: &str) -> bool {
    let mut parts = text.splitn(5, ',');
    let (Some(first), Some(time), Some(_serial), Some(kind)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    first.bytes().all(|c| c.is_ascii_digit())
        && clock::iso(time.as_bytes(), clock::IsoStyle::Loose).is_some()
        && TYPES.contains(&kind)
}

/// Where a column goes.
enum Col {
    Field(&'static str),
    Panos(&'static str),
    Transport,
    Seconds,
    Misc,
    Threat,
    Severity,
    Sequence,
}

/// TRAFFIC columns by position.
const TRAFFIC: &[(usize, Col)] = &[
    (2, Col::Field("observer.serial_number")),
    (7, Col::Field("source.ip")),
    (8, Col::Field("destination.ip")),
    (9, Col::Field("source.nat.ip")),
    (10, Col::Field("destination.nat.ip")),
    (11, Col::Field("rule.name")),
    (12, Col::Field("source.user.name")),
    (13, Col::Field("destination.user.name")),
    (14, Col::Field("network.application")),
    (15, Col::Panos("vsys")),
    (16, Col::Field("observer.ingress.zone")),
    (17, Col::Field("observer.egress.zone")),
    (18, Col::Field("observer.ingress.interface.name")),
    (19, Col::Field("observer.egress.interface.name")),
    (20, Col::Panos("log_profile")),
    (22, Col::Panos("session_id")),
    (23, Col::Panos("repeat_count")),
    (24, Col::Field("source.port")),
    (25, Col::Field("destination.port")),
    (26, Col::Field("source.nat.port")),
    (27, Col::Field("destination.nat.port")),
    (28, Col::Panos("flags")),
    (29, Col::Transport),
    (30, Col::Field("event.action")),
    (31, Col::Field("network.bytes")),
    (32, Col::Field("source.bytes")),
    (33, Col::Field("destination.bytes")),
    (34, Col::Field("network.packets")),
    (35, Col::Panos("start_time")),
    (36, Col::Seconds),
    (37, Col::Panos("url.category")),
    (39, Col::Sequence),
    (40, Col::Panos("action_flags")),
    (41, Col::Panos("source.location")),
    (42, Col::Panos("destination.location")),
    (44, Col::Field("source.packets")),
    (45, Col::Field("destination.packets")),
    (46, Col::Panos("end_reason")),
    (51, Col::Panos("vsys_name")),
    (52, Col::Field("observer.name")),
    (53, Col::Panos("action_source")),
];

/// THREAT columns by position.
const THREAT: &[(usize, Col)] = &[
    (2, Col::Field("observer.serial_number")),
    (7, Col::Field("source.ip")),
    (8, Col::Field("destination.ip")),
    (9, Col::Field("source.nat.ip")),
    (10, Col::Field("destination.nat.ip")),
    (11, Col::Field("rule.name")),
    (12, Col::Field("source.user.name")),
    (13, Col::Field("destination.user.name")),
    (14, Col::Field("network.application")),
    (15, Col::Panos("vsys")),
    (16, Col::Field("observer.ingress.zone")),
    (17, Col::Field("observer.egress.zone")),
    (18, Col::Field("observer.ingress.interface.name")),
    (19, Col::Field("observer.egress.interface.name")),
    (20, Col::Panos("log_profile")),
    (22, Col::Panos("session_id")),
    (23, Col::Panos("repeat_count")),
    (24, Col::Field("source.port")),
    (25, Col::Field("destination.port")),
    (26, Col::Field("source.nat.port")),
    (27, Col::Field("destination.nat.port")),
    (28, Col::Panos("flags")),
    (29, Col::Transport),
    (30, Col::Field("event.action")),
    (31, Col::Misc),
    (32, Col::Threat),
    (33, Col::Panos("category")),
    (34, Col::Severity),
    (35, Col::Panos("direction")),
    (36, Col::Sequence),
    (37, Col::Panos("action_flags")),
    (38, Col::Panos("source.location")),
    (39, Col::Panos("destination.location")),
    (41, Col::Panos("content_type")),
    (42, Col::Panos("pcap_id")),
    (43, Col::Field("file.hash.sha256")),
    (46, Col::Field("user_agent.original")),
    (47, Col::Panos("file_type")),
    (48, Col::Panos("xff")),
    (49, Col::Field("http.request.referrer")),
    (58, Col::Panos("vsys_name")),
    (59, Col::Field("observer.name")),
    (63, Col::Field("http.request.method")),
];

/// SYSTEM columns by position.
const SYSTEM: &[(usize, Col)] = &[
    (2, Col::Field("observer.serial_number")),
    (7, Col::Panos("vsys")),
    (8, Col::Field("event.code")),
    (9, Col::Panos("object")),
    (12, Col::Panos("module")),
    (13, Col::Severity),
    (14, Col::Field("message")),
    (15, Col::Sequence),
    (22, Col::Field("observer.name")),
];

/// PAN-OS severity words as numbers (informational 1 … critical 5).
fn severity(word: &str) -> Option<i64> {
    Some(match word {
        "informational" => 1,
        "low" => 2,
        "medium" => 3,
        "high" => 4,
        "critical" => 5,
        _ => return None,
    })
}

/// Decodes a PAN-OS CSV log line.
pub(crate) fn decode(text: &str, draft: &mut Draft, ctx: TimeContext) -> Result<()> {
    let cols = csv(text);
    let kind: &str = cols.get(3).map_or("", |c| c);
    if cols.len() < 7 || !TYPES.contains(&kind) {
        return Err(ParseError::new(
            ErrorKind::Format {
                format: "paloalto",
                what: "expected a PAN-OS CSV log (…,TRAFFIC|THREAT|SYSTEM|…,…)",
            },
            0,
        ));
    }
    draft.str("observer.vendor", "Palo Alto Networks");
    draft.str("observer.product", "PAN-OS");
    draft.str("panw.panos.type", kind);
    let sub_type: &str = &cols[4];
    draft.str("panw.panos.sub_type", sub_type);
    draft.str(
        "event.kind",
        if kind == "THREAT" { "alert" } else { "event" },
    );
    draft.timestamp = clock::iso(cols[6].as_bytes(), clock::IsoStyle::Loose)
        .and_then(|(civil, offset, _)| civil.to_unix_nanos(offset.unwrap_or(ctx.utc_offset)));
    let table = match kind {
        "TRAFFIC" => TRAFFIC,
        "THREAT" => THREAT,
        "SYSTEM" => SYSTEM,
        _ => &SYSTEM[..1],
    };
    for (i, col) in table {
        let Some(value) = cols.get(*i) else { break };
        let value: &str = value;
        if value.is_empty() {
            continue;
        }
        match col {
            Col::Field(name) => draft.text(*name, value),
            Col::Panos(name) => draft.prefixed("panw.panos.", name, value),
            Col::Transport => draft.transport(value),
            Col::Seconds => match text::parse_i64(value) {
                Some(s) => draft.set(
                    "event.duration",
                    Value::Int(s.saturating_mul(clock::NANOS_PER_SEC)),
                ),
                None => draft.prefixed("panw.panos.", "elapsed", value),
            },
            Col::Sequence => match text::parse_i64(value) {
                Some(n) => draft.set("event.sequence", Value::Int(n)),
                None => draft.prefixed("panw.panos.", "sequence_number", value),
            },
            Col::Severity => {
                draft.str("log.level", value);
                if let Some(n) = severity(value) {
                    draft.set("event.severity", Value::Int(n));
                }
            }
            Col::Misc => match sub_type {
                "url" => draft.str("url.original", value),
                "file" | "virus" | "wildfire" | "wildfire-virus" => draft.str("file.name", value),
                _ => draft.prefixed("panw.panos.", "misc", value),
            },
            Col::Threat => {
                // "Name(12345)", "(9999)" for URL filtering, or a bare id.
                let (name, id) = match value.rfind('(') {
                    Some(open) if value.ends_with(')') => (
                        text::head(value, open).trim(),
                        text::sub(value, open + 1, value.len() - 1),
                    ),
                    _ if value.bytes().all(|c| c.is_ascii_digit()) => ("", value),
                    _ => (value, ""),
                };
                draft.str("panw.panos.threat.name", name);
                draft.str("panw.panos.threat.id", id);
            }
        }
    }
    if let Some(Value::Str(user)) = draft.fields.get("source.user.name").cloned() {
        draft.str("user.name", &user);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
