//! RFC 3164 ("BSD syslog") as devices really send it:
//! `[<PRI>][SEQ: ][*]TIMESTAMP[:] [HOSTNAME ]TAG[[PID]]: MSG`.
//!
//! Deviations read, all common in hospital networks:
//! - no PRI (files, some relays), or a space after it;
//! - Cisco IOS sequence numbers (`<189>1234: `), the `*`/`.` marks of an
//!   unsynchronised clock, milliseconds, a year and a zone in the time,
//!   a colon after it, and `%FAC-SEV-MNEMONIC:` tags;
//! - a year after the day or after the time (`Mar 1 2024 18:46:11`,
//!   `Mar 1 18:46:11 2024`);
//! - RFC 3339 timestamps (rsyslog's high-precision template);
//! - no hostname (`Jan 1 00:00:00 sshd[42]: …`) and no timestamp at all
//!   (`<13>sshd[42]: …`, FortiGate's `<189>date=…`);
//! - tags with parentheses (`sshd(pam_unix)[19939]:`), non-numeric PIDs,
//!   and a few with spaces (`syslogd 1.4.1:`, `-- root[2421]:`).
//!
//! A year-less timestamp takes the year that puts it closest to the
//! receive time; a zone-less one the source's UTC offset. Apart from an
//! invalid PRI the parser does not fail: what it cannot place is message.

use super::{Protocol, Syslog, TimeContext, pri};
use crate::clock::{self, IsoStyle};
use crate::error::Result;
use crate::text;

/// The longest TAG read (RFC 5424 allows 48 for APP-NAME; some devices
/// send longer).
const MAX_TAG: usize = 64;

/// Parses an RFC 3164 message. Fails only on a malformed PRI.
pub fn parse_rfc3164(text: &str, ctx: TimeContext) -> Result<Syslog<'_>> {
    let b = text.as_bytes();
    let mut msg = Syslog::new(Protocol::Rfc3164, "");
    let mut at = 0;
    if b.first() == Some(&b'<') {
        let (priority, used) = pri(b)?;
        msg.priority = Some(priority);
        at = used;
    }
    skip_spaces(b, &mut at);

    // A Cisco sequence number: digits, a colon, a space.
    let n = text::digits(b.get(at..).unwrap_or_default());
    if n > 0 && b.get(at + n) == Some(&b':') && b.get(at + n + 1) == Some(&b' ') {
        msg.sequence = text::parse_u64(&b[at..at + n]);
        at += n + 2;
        skip_spaces(b, &mut at);
    }

    // TIMESTAMP, after Cisco's clock marks.
    let mut t = at;
    if matches!(b.get(t), Some(b'*' | b'.')) {
        t += 1;
    }
    let rest = b.get(t..).unwrap_or_default();
    if let Some((time, used)) = clock::bsd(rest) {
        msg.timestamp = time.resolve(ctx.utc_offset, ctx.received);
        at = t + used;
    } else if let Some((civil, offset, used)) = clock::iso(rest, IsoStyle::Loose) {
        msg.timestamp = civil.to_unix_nanos(offset.unwrap_or(ctx.utc_offset));
        at = t + used;
    }
    let has_time = at > t;

    if has_time {
        if b.get(at) == Some(&b':') {
            at += 1;
        }
        skip_spaces(b, &mut at);
        // HOSTNAME, unless the next word is already the tag or payload.
        let word_len = b[at..]
            .iter()
            .position(|&c| c == b' ')
            .unwrap_or(b.len() - at);
        let word = text::sub(text, at, at + word_len);
        if is_hostname(word) && b.get(at + word_len) == Some(&b' ') {
            msg.hostname = Some(word);
            at += word_len;
            skip_spaces(b, &mut at);
        }
    }

    // TAG[PID]:
    if let Some(tag) = tag(text::tail(text, at)) {
        if let Some(mnemonic) = tag.name.strip_prefix('%') {
            msg.mnemonic = Some(mnemonic);
        } else {
            msg.app_name = Some(tag.name);
        }
        msg.proc_id = tag.pid;
        at += tag.used;
    }
    msg.msg = text::tail(text, at);
    msg.msg_offset = at;
    Ok(msg)
}

fn skip_spaces(b: &[u8], at: &mut usize) {
    while b.get(*at) == Some(&b' ') {
        *at += 1;
    }
}

/// Whether a word in the hostname position is a hostname rather than a
/// tag (`su:`, `sshd[1]:`) or payload (`CEF:0|…`, `key=value`, JSON).
fn is_hostname(word: &str) -> bool {
    !word.is_empty()
        && word.len() <= 255
        && !word.ends_with(':')
        && word.bytes().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':' | b'%' | b'@')
        })
        && !word.starts_with("CEF:")
        && !word.starts_with("LEEF:")
}

/// A TAG found at the start of the message part.
struct Tag<'a> {
    name: &'a str,
    pid: Option<&'a str>,
    /// Bytes used, including the colon and one space after it.
    used: usize,
}

/// Reads `name[pid]: ` or `name: ` at the start of `s`.
fn tag(s: &str) -> Option<Tag<'_>> {
    let b = s.as_bytes();
    let limit = b.len().min(MAX_TAG);
    let mut i = 0;
    while i < limit {
        match b[i] {
            b':' => {
                return if i > 0 && matches!(b.get(i + 1), None | Some(b' ')) {
                    Some(Tag {
                        name: text::head(s, i),
                        pid: None,
                        used: i + 1 + usize::from(b.get(i + 1) == Some(&b' ')),
                    })
                } else {
                    None
                };
            }
            b'[' if i > 0 => {
                let close = i + 1 + b[i + 1..].iter().take(20).position(|&c| c == b']')?;
                let pid = text::sub(s, i + 1, close);
                if pid.is_empty() || pid.contains(' ') {
                    return None;
                }
                let mut used = close + 1;
                if b.get(used) == Some(&b':') {
                    used += 1;
                }
                match b.get(used) {
                    Some(b' ') => used += 1,
                    None => {}
                    Some(_) => return None,
                }
                return Some(Tag {
                    name: text::head(s, i),
                    pid: Some(pid),
                    used,
                });
            }
            b' ' if i > 0 => return spaced_tag(s, i),
            b'=' | b'"' | b'{' | b'|' | b',' | b'[' | b'<' => return None,
            _ => i += 1,
        }
    }
    None
}

/// The few tags with spaces real systems write: `-- root[2421]:` (login's
/// ROOT LOGIN), and a program followed by its version (`syslogd 1.4.1:`).
fn spaced_tag(s: &str, space: usize) -> Option<Tag<'_>> {
    let b = s.as_bytes();
    let end = b
        .iter()
        .take(MAX_TAG)
        .position(|&c| c == b':' || c == b'[')?;
    let words = text::head(s, end);
    if words.split(' ').count() != 2 {
        return None;
    }
    let second = text::tail(words, space + 1);
    if b[end] == b'[' {
        // Only the login(1) form: the first word is dashes.
        if !text::head(s, space).bytes().all(|c| c == b'-') {
            return None;
        }
        let t = tag(text::tail(s, space + 1))?;
        return Some(Tag {
            name: text::head(s, space + 1 + t.name.len()),
            pid: t.pid,
            used: space + 1 + t.used,
        });
    }
    let version = !second.is_empty()
        && second.bytes().all(|c| c.is_ascii_digit() || c == b'.')
        && second.as_bytes()[0].is_ascii_digit();
    if !version || !matches!(b.get(end + 1), None | Some(b' ')) {
        return None;
    }
    Some(Tag {
        name: words,
        pid: None,
        used: end + 1 + usize::from(b.get(end + 1) == Some(&b' ')),
    })
}
