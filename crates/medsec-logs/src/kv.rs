//! Key=value firewalls: FortiGate (`date=2019-05-10 time=11:37:47
//! logid="0000000013" type="traffic" … srcip=10.1.100.11 …`) and the many
//! devices that write the same shape with other key names.
//!
//! Values are bare words or double-quoted strings (with `\"` and `\\`
//! escapes). FortiGate is recognised by its `logid`/`devid`/`devname`
//! keys; its unmapped keys go under `fortinet.firewall.`, other devices'
//! under `kv.`. The common aliases (`src`, `src_ip`, `sport`, `act`, …)
//! map to the same ECS fields as FortiGate's names.

use std::borrow::Cow;

use crate::clock::{self, Civil};
use crate::draft::Draft;
use crate::error::{ErrorKind, ParseError, Result};
use crate::event::Value;
use crate::syslog::TimeContext;
use crate::text;

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

/// Splits `key=value key="quoted value" …` into pairs. Text that is not
/// a pair (a stray word) is skipped; an unterminated quote ends the line.
pub(crate) fn pairs(text: &str) -> Vec<(&str, Cow<'_, str>)> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(32);
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t' || b[i] == b',') {
            i += 1;
        }
        let ks = i;
        while i < b.len() && is_key_char(b[i]) {
            i += 1;
        }
        if i == ks || b.get(i) != Some(&b'=') {
            // Not a pair: skip the word.
            while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
                i += 1;
            }
            continue;
        }
        let key = text::sub(text, ks, i);
        i += 1;
        if b.get(i) == Some(&b'"') {
            i += 1;
            let vs = i;
            let mut owned: Option<String> = None;
            let mut copied = vs;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && matches!(b.get(i + 1), Some(b'"' | b'\\')) {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(text::sub(text, copied, i));
                    s.push(char::from(b[i + 1]));
                    i += 2;
                    copied = i;
                } else {
                    i += 1;
                }
            }
            let value = match owned {
                None => Cow::Borrowed(text::sub(text, vs, i)),
                Some(mut s) => {
                    s.push_str(text::sub(text, copied, i));
                    Cow::Owned(s)
                }
            };
            out.push((key, value));
            i += 1;
        } else {
            let vs = i;
            while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
                i += 1;
            }
            out.push((
                key,
                Cow::Borrowed(text::sub(text, vs, i).trim_end_matches(',')),
            ));
        }
    }
    out
}

/// Whether `text` is key=value pairs: it starts with a pair and has at
/// least three.
pub(crate) fn looks_like_kv(text: &str) -> bool {
    let b = text.as_bytes();
    let k = b.iter().take_while(|&&c| is_key_char(c)).count();
    if k == 0 || b.get(k) != Some(&b'=') {
        return false;
    }
    let window = text::head(text, text::floor_char_boundary(text, 400.min(text.len())));
    window
        .split([' ', '\t'])
        .filter(|w| {
            let k = w.bytes().take_while(|&c| is_key_char(c)).count();
            k > 0 && w.as_bytes().get(k) == Some(&b'=')
        })
        .count()
        >= 3
}

/// Whether key=value `text` is from a FortiGate.
pub(crate) fn is_fortigate(text: &str) -> bool {
    let window = text::head(text, text::floor_char_boundary(text, 300.min(text.len())));
    window.contains("logid=") || window.contains("devid=") || window.contains("devname=")
}

/// Where a key goes.
fn target(key: &str, fortigate: bool) -> Option<&'static str> {
    Some(match key {
        "srcip" | "src" | "src_ip" | "source_ip" | "sip" => "source.ip",
        "dstip" | "dst" | "dst_ip" | "destination_ip" | "dip" => "destination.ip",
        "srcport" | "sport" | "src_port" | "spt" => "source.port",
        "dstport" | "dport" | "dst_port" | "dpt" => "destination.port",
        "action" | "act" => "event.action",
        "policyid" | "policy_id" | "rule_id" | "ruleid" => "rule.id",
        "policyname" | "rule_name" | "rulename" => "rule.name",
        "devname" | "device_name" | "devicename" => "observer.name",
        "devid" | "device_id" => "observer.serial_number",
        "user" | "usr" | "username" | "user_name" | "srcuser" => "user.name",
        "msg" => "message",
        "level" | "pri" => "log.level",
        "severity" if !fortigate => "log.level",
        "logid" => "event.code",
        "sentbyte" | "sent_bytes" | "bytes_sent" => "source.bytes",
        "rcvdbyte" | "rcvd_bytes" | "bytes_received" => "destination.bytes",
        "sentpkt" => "source.packets",
        "rcvdpkt" => "destination.packets",
        "app" => "network.application",
        "srcmac" | "src_mac" => "source.mac",
        "srcintf" | "in_if" | "inif" => "observer.ingress.interface.name",
        "dstintf" | "out_if" | "outif" => "observer.egress.interface.name",
        "hostname" if fortigate => "url.domain",
        "url" if fortigate => "url.path",
        "attack" if fortigate => "rule.name",
        "transip" if fortigate => "source.nat.ip",
        "transport" if fortigate => "source.nat.port",
        "srccountry" if fortigate => "source.geo.country_name",
        "dstcountry" if fortigate => "destination.geo.country_name",
        _ => return None,
    })
}

/// Decodes key=value pairs; FortiGate's are recognised by their keys.
pub(crate) fn decode(text: &str, draft: &mut Draft, ctx: TimeContext) -> Result<()> {
    let pairs = pairs(text);
    if pairs.is_empty() {
        return Err(ParseError::new(
            ErrorKind::Format {
                format: "key=value",
                what: "expected key=value pairs",
            },
            0,
        ));
    }
    let fortigate = pairs
        .iter()
        .any(|(k, _)| matches!(*k, "logid" | "devid" | "devname"));
    let prefix = if fortigate {
        "fortinet.firewall."
    } else {
        "kv."
    };
    if fortigate {
        draft.str("observer.vendor", "Fortinet");
        draft.str("observer.product", "FortiGate");
    }
    let (mut date, mut time, mut tz, mut eventtime) = (None, None, None, None);
    for (key, value) in &pairs {
        let value: &str = value;
        match *key {
            "date" => date = Some(value),
            "time" => time = Some(value),
            "tz" => tz = Some(value),
            "eventtime" => eventtime = Some(value),
            "proto" | "protocol" => {
                if let Some(n) = text::parse_i64(value) {
                    draft.set("network.iana_number", Value::Int(n));
                }
                draft.transport(value);
            }
            "duration" => match text::parse_i64(value) {
                Some(s) => draft.set(
                    "event.duration",
                    Value::Int(s.saturating_mul(clock::NANOS_PER_SEC)),
                ),
                None => draft.prefixed(prefix, key, value),
            },
            _ => match target(key, fortigate) {
                Some(name) => draft.text(name, value),
                None => draft.prefixed(prefix, key, value),
            },
        }
    }
    draft.timestamp = timestamp(date, time, tz, eventtime, ctx);
    Ok(())
}

/// The event time: `date`+`time` in `tz` (or the source's offset), else
/// `eventtime` (epoch s/ms/µs/ns), preferring `eventtime` when no `tz`
/// says how to read the local date and time.
fn timestamp(
    date: Option<&str>,
    time: Option<&str>,
    tz: Option<&str>,
    eventtime: Option<&str>,
    ctx: TimeContext,
) -> Option<i64> {
    let offset = tz
        .and_then(|z| clock::zone(z.trim().as_bytes(), 0))
        .map(|(o, _)| o);
    let local = || {
        let (d, t) = (date?.as_bytes(), time?.as_bytes());
        let mut text = Vec::with_capacity(d.len() + 1 + t.len());
        text.extend_from_slice(d);
        text.push(b' ');
        text.extend_from_slice(t);
        let (civil, _, used): (Civil, _, usize) = clock::iso(&text, clock::IsoStyle::Loose)?;
        if used != text.len() {
            return None;
        }
        civil.to_unix_nanos(offset.unwrap_or(ctx.utc_offset))
    };
    if offset.is_none()
        && let Some(t) = eventtime.and_then(clock::epoch)
    {
        return Some(t);
    }
    local().or_else(|| eventtime.and_then(clock::epoch))
}

#[cfg(test)]
mod tests;
