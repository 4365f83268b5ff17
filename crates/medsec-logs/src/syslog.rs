//! Syslog headers: RFC 5424 and RFC 3164 with the deviations real devices
//! send, read into one borrowed [`Syslog`] and mapped to ECS-style fields
//! (`log.syslog.*`, `host.name`, `process.name`, `process.pid`, …).
//!
//! Parsing borrows from the message and allocates only for structured
//! data; [`Syslog::to_fields`] writes the fields.

use std::borrow::Cow;

use crate::clock::{self, IsoStyle};
use crate::error::{ErrorKind, ParseError, Result};
use crate::event::{Fields, Value};
use crate::text;

mod rfc3164;
mod rfc5424;

pub use rfc3164::parse_rfc3164;
pub use rfc5424::parse_rfc5424;

/// What the parsers need to turn a message's time into an instant: when it
/// was received (to pick the year of a year-less RFC 3164 timestamp) and
/// the UTC offset of timestamps that do not give one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeContext {
    /// Receive time, Unix nanoseconds.
    pub received: i64,
    /// Seconds east of UTC for zone-less timestamps (default: KST).
    pub utc_offset: i32,
}

impl TimeContext {
    /// Received at `received`, zone-less times in Korea Standard Time.
    pub fn new(received: i64) -> TimeContext {
        TimeContext {
            received,
            utc_offset: clock::KST,
        }
    }
}

/// Which syslog protocol a header followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Rfc5424,
    Rfc3164,
}

/// A syslog message, borrowed from the text it was parsed from.
#[derive(Clone, Debug, PartialEq)]
pub struct Syslog<'a> {
    pub protocol: Protocol,
    /// `PRI`: facility × 8 + severity; RFC 3164 senders may omit it.
    pub priority: Option<u8>,
    /// The RFC 5424 version (1).
    pub version: Option<u8>,
    /// The header's time, Unix nanoseconds, if it had one.
    pub timestamp: Option<i64>,
    pub hostname: Option<&'a str>,
    /// RFC 5424 APP-NAME, RFC 3164 TAG.
    pub app_name: Option<&'a str>,
    pub proc_id: Option<&'a str>,
    pub msg_id: Option<&'a str>,
    /// RFC 5424 structured data, in order.
    pub structured_data: Vec<SdElement<'a>>,
    /// A Cisco-style sequence number (`<189>1234: …`).
    pub sequence: Option<u64>,
    /// A Cisco-style mnemonic TAG (`%SYS-5-CONFIG_I:`), without the `%`.
    pub mnemonic: Option<&'a str>,
    /// The free-form message (a leading BOM removed).
    pub msg: &'a str,
    /// Byte offset of `msg` in the parsed text.
    pub msg_offset: usize,
}

impl<'a> Syslog<'a> {
    fn new(protocol: Protocol, msg: &'a str) -> Syslog<'a> {
        Syslog {
            protocol,
            priority: None,
            version: None,
            timestamp: None,
            hostname: None,
            app_name: None,
            proc_id: None,
            msg_id: None,
            structured_data: Vec::new(),
            sequence: None,
            mnemonic: None,
            msg,
            msg_offset: 0,
        }
    }

    pub fn facility(&self) -> Option<u8> {
        self.priority.map(|p| p >> 3)
    }

    pub fn severity(&self) -> Option<u8> {
        self.priority.map(|p| p & 7)
    }

    /// Writes the header as ECS-style fields (the message itself is left
    /// to the caller, which may decode it further).
    pub fn to_fields(&self, fields: &mut Fields) {
        if let Some(p) = self.priority {
            fields.set("log.syslog.priority", Value::Int(i64::from(p)));
            fields.set("log.syslog.facility.code", Value::Int(i64::from(p >> 3)));
            fields.set("log.syslog.severity.code", Value::Int(i64::from(p & 7)));
        }
        if let Some(v) = self.version {
            fields.set("log.syslog.version", Value::Int(i64::from(v)));
        }
        if let Some(h) = self.hostname {
            fields.set("host.name", Value::Str(h.into()));
        }
        if let Some(a) = self.app_name {
            fields.set("process.name", Value::Str(a.into()));
        }
        if let Some(p) = self.proc_id {
            match text::parse_u64(p.as_bytes()) {
                Some(pid) if pid <= i64::MAX as u64 => {
                    fields.set("process.pid", Value::Int(pid as i64))
                }
                _ => fields.set("log.syslog.procid", Value::Str(p.into())),
            }
        }
        if let Some(m) = self.msg_id {
            fields.set("log.syslog.msgid", Value::Str(m.into()));
        }
        if let Some(s) = self.sequence
            && let Ok(s) = i64::try_from(s)
        {
            fields.set("event.sequence", Value::Int(s));
        }
        if let Some(m) = self.mnemonic {
            fields.set("event.code", Value::Str(m.into()));
        }
        for element in &self.structured_data {
            for (name, value) in &element.params {
                let mut key = String::with_capacity(28 + element.id.len() + name.len());
                key.push_str("log.syslog.structured_data.");
                key.push_str(element.id);
                key.push('.');
                key.push_str(name);
                fields.set(key, Value::Str(value.clone().into_owned()));
            }
        }
    }
}

/// One RFC 5424 SD-ELEMENT: its SD-ID and parameters, values unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdElement<'a> {
    pub id: &'a str,
    pub params: Vec<(&'a str, Cow<'a, str>)>,
}

/// RFC 5424 §6.2.1 facility keywords, by code (`log.syslog.facility.code`).
pub const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// RFC 5424 §6.2.1 severity keywords, by code (`log.syslog.severity.code`).
pub const SEVERITIES: [&str; 8] = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
];

/// Reads `<PRI>` at the start of `b`: the value and the bytes used.
fn pri(b: &[u8]) -> Result<(u8, usize)> {
    if b.first() != Some(&b'<') {
        return Err(ParseError::new(ErrorKind::Pri, 0));
    }
    let n = text::digits(b.get(1..).unwrap_or_default());
    if n == 0 || n > 3 || b.get(1 + n) != Some(&b'>') {
        return Err(ParseError::new(ErrorKind::Pri, 1 + n.min(3)));
    }
    match text::parse_u64(&b[1..1 + n]) {
        Some(p) if p <= 191 => Ok((p as u8, n + 2)),
        _ => Err(ParseError::new(ErrorKind::Pri, 1)),
    }
}

/// Whether `text` starts with `<PRI>`.
pub(crate) fn has_pri(text: &str) -> bool {
    pri(text.as_bytes()).is_ok()
}

/// Whether a message with a PRI continues with an RFC 5424 version.
fn is_rfc5424(b: &[u8], after_pri: usize) -> bool {
    let rest = b.get(after_pri..).unwrap_or_default();
    let n = text::digits(rest);
    (1..=2).contains(&n) && rest[0] != b'0' && rest.get(n) == Some(&b' ')
}

/// Whether `text` looks like syslog without a PRI: an RFC 3164 timestamp
/// (`Mmm dd hh:mm:ss`, also Cisco's `*Mmm …`) or an RFC 3339 one with a
/// `T`, followed by more text.
pub(crate) fn looks_like_bare_syslog(text: &str) -> bool {
    let b = text.as_bytes();
    let b = match b.first() {
        Some(b'*' | b'.') => &b[1..],
        _ => b,
    };
    clock::bsd(b).is_some_and(|(_, used)| used < b.len())
        || clock::iso(b, IsoStyle::Strict).is_some_and(|(_, _, used)| b.get(used) == Some(&b' '))
}

/// Parses a syslog message of either protocol: RFC 5424 if a version
/// follows the PRI, RFC 3164 otherwise.
pub fn parse(text: &str, ctx: TimeContext) -> Result<Syslog<'_>> {
    match pri(text.as_bytes()) {
        Ok((_, used)) if is_rfc5424(text.as_bytes(), used) => parse_rfc5424(text, ctx),
        _ => parse_rfc3164(text, ctx),
    }
}

#[cfg(test)]
mod tests;
