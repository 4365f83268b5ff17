//! Timestamps as logs write them, to Unix nanoseconds (UTC): RFC 3339 and
//! its common relatives, BSD syslog's `Mmm dd hh:mm:ss` with the year
//! picked from the receive time, the Common Log Format's
//! `10/Oct/2000:13:55:36 -0700`, epoch numbers, and RFC 3339 output.
//!
//! The civil-date arithmetic is Howard Hinnant's `days_from_civil`; it is
//! done by hand because it runs for every event and needs no tables.

use crate::text;

/// Nanoseconds per second.
pub const NANOS_PER_SEC: i64 = 1_000_000_000;

/// The UTC offset of Korea Standard Time, the default for messages whose
/// timestamps do not say their zone (medsec's members are in Korea).
pub const KST: i32 = 9 * 3600;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A wall-clock time as a log line writes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
}

impl Civil {
    /// Unix nanoseconds of this wall-clock time at UTC offset `offset`
    /// (seconds east), or `None` if it is not a valid time between the
    /// years 1900 and 2200. A leap second (`:60`) counts as `:59`.
    pub(crate) fn to_unix_nanos(self, offset: i32) -> Option<i64> {
        if !(1900..=2200).contains(&self.year)
            || self.month == 0
            || self.day == 0
            || self.day > days_in_month(self.year, self.month)
            || self.hour > 23
            || self.minute > 59
            || self.second > 60
            || self.nanos >= 1_000_000_000
        {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second.min(59))
            - i64::from(offset);
        Some(secs * NANOS_PER_SEC + i64::from(self.nanos))
    }
}

/// The month of a three-letter English abbreviation, any case.
pub(crate) fn month_abbr(b: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let b = b.get(..3)?;
    let lower = [
        b[0].to_ascii_lowercase(),
        b[1].to_ascii_lowercase(),
        b[2].to_ascii_lowercase(),
    ];
    MONTHS
        .iter()
        .position(|m| **m == lower)
        .map(|i| i as u32 + 1)
}

/// Reads exactly `n` digits at `b[at..]`.
fn fixed(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    text::parse_u64(s).map(|v| v as u32)
}

/// Reads `.fraction` (or `,fraction`) at `b[at..]`: returns nanoseconds
/// and the bytes consumed (0 when there is none). Digits past the ninth
/// are read and dropped.
fn fraction(b: &[u8], at: usize) -> (u32, usize) {
    match b.get(at) {
        Some(b'.' | b',') => {}
        _ => return (0, 0),
    }
    let n = text::digits(b.get(at + 1..).unwrap_or_default());
    if n == 0 {
        return (0, 0);
    }
    let mut nanos = 0u32;
    for i in 0..9 {
        let d = if i < n {
            u32::from(b[at + 1 + i] - b'0')
        } else {
            0
        };
        nanos = nanos * 10 + d;
    }
    (nanos, 1 + n)
}

/// Reads a UTC offset at `b[at..]`: `Z`, `z`, `±hh:mm`, `±hhmm` or `±hh`.
/// Returns seconds east and the bytes consumed.
pub(crate) fn zone(b: &[u8], at: usize) -> Option<(i32, usize)> {
    match b.get(at)? {
        b'Z' | b'z' => Some((0, 1)),
        sign @ (b'+' | b'-') => {
            let h = fixed(b, at + 1, 2)?;
            let (m, used) = if b.get(at + 3) == Some(&b':') {
                (fixed(b, at + 4, 2)?, 6)
            } else if let Some(m) = fixed(b, at + 3, 2) {
                (m, 5)
            } else {
                (0, 3)
            };
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i32;
            Some((if *sign == b'-' { -secs } else { secs }, used))
        }
        _ => None,
    }
}

/// Reads `hh:mm:ss` with an optional fraction at `b[at..]`.
fn clock(b: &[u8], at: usize, civil: &mut Civil) -> Option<usize> {
    civil.hour = fixed(b, at, 2)?;
    if b.get(at + 2) != Some(&b':') {
        return None;
    }
    civil.minute = fixed(b, at + 3, 2)?;
    if b.get(at + 5) != Some(&b':') {
        return None;
    }
    civil.second = fixed(b, at + 6, 2)?;
    let (nanos, used) = fraction(b, at + 8);
    civil.nanos = nanos;
    Some(8 + used)
}

/// Which separators an ISO-like timestamp may use.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum IsoStyle {
    /// RFC 3339: `-` between date parts, `T` (or `t`) before the time.
    Strict,
    /// Also `/` between date parts and a space before the time.
    Loose,
}

/// An ISO 8601 / RFC 3339 timestamp at the start of `b`: the civil time,
/// its UTC offset if it gives one, and the bytes consumed.
pub(crate) fn iso(b: &[u8], style: IsoStyle) -> Option<(Civil, Option<i32>, usize)> {
    let mut c = Civil {
        year: i64::from(fixed(b, 0, 4)?),
        ..Civil::default()
    };
    let sep = *b.get(4)?;
    if !(sep == b'-' || (style == IsoStyle::Loose && sep == b'/')) || b.get(7) != Some(&sep) {
        return None;
    }
    c.month = fixed(b, 5, 2)?;
    c.day = fixed(b, 8, 2)?;
    match b.get(10)? {
        b'T' | b't' => {}
        b' ' if style == IsoStyle::Loose => {}
        _ => return None,
    }
    let used = clock(b, 11, &mut c)?;
    let mut at = 11 + used;
    let offset = match zone(b, at) {
        Some((offset, used)) => {
            at += used;
            Some(offset)
        }
        None => None,
    };
    Some((c, offset, at))
}

/// A whole string in RFC 3339 (or the loose relatives [`iso`] reads) as
/// Unix nanoseconds; a time without an offset is taken at `default`.
pub(crate) fn parse_iso_str(s: &str, default: i32) -> Option<i64> {
    let b = s.trim().as_bytes();
    let (civil, offset, used) = iso(b, IsoStyle::Loose)?;
    if used != b.len() {
        return None;
    }
    civil.to_unix_nanos(offset.unwrap_or(default))
}

/// A BSD-style `Mmm dd hh:mm:ss` timestamp, as syslog and many appliances
/// write it, with the variants real devices send: a space-padded or
/// unpadded day, a fraction, a year after the day or after the time, and
/// a zone after it all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BsdTime {
    pub civil: Civil,
    pub has_year: bool,
    pub offset: Option<i32>,
}

/// Reads a [`BsdTime`] at the start of `b`; returns it and the bytes used.
pub(crate) fn bsd(b: &[u8]) -> Option<(BsdTime, usize)> {
    let month = month_abbr(b)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let mut at = 4;
    if b.get(at) == Some(&b' ') {
        at += 1;
    }
    let nd = text::digits(b.get(at..).unwrap_or_default());
    if nd == 0 || nd > 2 {
        return None;
    }
    let day = fixed(b, at, nd)?;
    at += nd;
    if b.get(at) != Some(&b' ') {
        return None;
    }
    at += 1;
    let mut civil = Civil {
        month,
        day,
        ..Civil::default()
    };
    let mut has_year = false;
    // "Mar  1 2024 18:46:11" (Cisco with `datetime year`).
    if text::digits(b.get(at..).unwrap_or_default()) == 4 && b.get(at + 4) == Some(&b' ') {
        civil.year = i64::from(fixed(b, at, 4)?);
        has_year = true;
        at += 5;
    }
    at += clock(b, at, &mut civil)?;
    // "Mar  1 18:46:11 2024" (some appliances and `date`'s default).
    if !has_year
        && b.get(at) == Some(&b' ')
        && text::digits(b.get(at + 1..).unwrap_or_default()) == 4
        && !b
            .get(at + 5)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b':')
    {
        civil.year = i64::from(fixed(b, at + 1, 4)?);
        has_year = true;
        at += 5;
    }
    // A zone: "UTC", "GMT", "KST", "Z" or a numeric offset.
    let mut offset = None;
    if b.get(at) == Some(&b' ') {
        let rest = b.get(at + 1..).unwrap_or_default();
        let word = rest
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b':'))
            .count();
        let token = &rest[..word];
        let named = match token {
            b"UTC" | b"GMT" | b"Z" => Some(0),
            b"KST" => Some(KST),
            _ => None,
        };
        if let Some(o) = named {
            offset = Some(o);
            at += 1 + word;
        } else if let Some((o, used)) = zone(rest, 0)
            && used == word
            && used >= 3
        {
            offset = Some(o);
            at += 1 + used;
        } else if !has_year
            && (2..=5).contains(&word)
            && token.iter().all(u8::is_ascii_uppercase)
            && rest.get(word) == Some(&b' ')
            && text::digits(rest.get(word + 1..).unwrap_or_default()) == 4
            && !rest.get(word + 5).is_some_and(u8::is_ascii_alphanumeric)
        {
            // "Aug 24 05:34:00 CST 1987" (RFC 3164 §5.4): an ambiguous
            // zone name, then the year. The zone is left to the source.
            civil.year = i64::from(fixed(rest, word + 1, 4)?);
            has_year = true;
            at += 1 + word + 5;
        }
    }
    Some((
        BsdTime {
            civil,
            has_year,
            offset,
        },
        at,
    ))
}

impl BsdTime {
    /// Unix nanoseconds; a missing year is the latest that does not put
    /// the time more than [`FUTURE_MARGIN`] after `received` (so December
    /// lines read in January fall in the old year, and a file of last
    /// summer's lines read in March is last year's), a missing zone is
    /// `default`.
    pub(crate) fn resolve(self, default: i32, received: i64) -> Option<i64> {
        let offset = self.offset.unwrap_or(default);
        if self.has_year {
            return self.civil.to_unix_nanos(offset);
        }
        let local = received.div_euclid(NANOS_PER_SEC) + i64::from(offset);
        let (year, _, _) = civil_from_days(local.div_euclid(86_400));
        // Newest first; Feb 29 skips to the last leap year within four.
        (year - 4..=year + 1)
            .rev()
            .filter_map(|y| {
                Civil {
                    year: y,
                    ..self.civil
                }
                .to_unix_nanos(offset)
            })
            .find(|&t| t <= received.saturating_add(FUTURE_MARGIN))
    }
}

/// How far after the receive time a year-less timestamp may lie (a sender
/// whose clock runs ahead) before it is taken to be from the year before.
pub(crate) const FUTURE_MARGIN: i64 = 31 * 86_400 * NANOS_PER_SEC;

/// The Common Log Format time `10/Oct/2000:13:55:36 -0700` at the start
/// of `b` (the part between the brackets); returns nanoseconds and bytes
/// used.
pub(crate) fn clf(b: &[u8], default: i32) -> Option<(i64, usize)> {
    let mut c = Civil {
        day: fixed(b, 0, 2)?,
        ..Civil::default()
    };
    if b.get(2) != Some(&b'/') || b.get(6) != Some(&b'/') {
        return None;
    }
    c.month = month_abbr(b.get(3..6)?)?;
    c.year = i64::from(fixed(b, 7, 4)?);
    if b.get(11) != Some(&b':') {
        return None;
    }
    let mut at = 12 + clock(b, 12, &mut c)?;
    let mut offset = default;
    if b.get(at) == Some(&b' ')
        && let Some((o, used)) = zone(b, at + 1)
    {
        offset = o;
        at += 1 + used;
    }
    Some((c.to_unix_nanos(offset)?, at))
}

/// A number of seconds, milliseconds, microseconds or nanoseconds since
/// the epoch, told apart by its number of digits (10, 13, 16, 19), as
/// CEF's `rt` and FortiGate's `eventtime` write them.
pub(crate) fn epoch(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let n = i64::try_from(text::parse_u64(b)?).ok()?;
    match b.len() {
        9..=11 => n.checked_mul(NANOS_PER_SEC),
        12..=14 => n.checked_mul(1_000_000),
        15..=17 => n.checked_mul(1_000),
        18..=19 => Some(n),
        _ => None,
    }
}

/// Any of the timestamp shapes this crate knows, as a whole string:
/// epoch numbers, RFC 3339 and its loose relatives, BSD (`Mmm dd …`, with
/// or without a leading weekday), and the Common Log Format. Used where
/// a field's format is not fixed (LEEF `devTime`, custom decoders).
pub(crate) fn parse_any(s: &str, default: i32, received: i64) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    if b.iter().all(u8::is_ascii_digit) {
        return epoch(s);
    }
    if let Some(t) = parse_iso_str(s, default) {
        return Some(t);
    }
    let weekday = b.len() > 4 && b[3] == b' ' && b[..3].iter().all(u8::is_ascii_alphabetic);
    for start in [0, if weekday { 4 } else { 0 }] {
        if let Some((t, used)) = bsd(b.get(start..).unwrap_or_default())
            && start + used == b.len()
        {
            return t.resolve(default, received);
        }
    }
    match clf(b, default) {
        Some((t, used)) if used == b.len() => Some(t),
        _ => None,
    }
}

/// Unix nanoseconds as RFC 3339 in UTC with the shortest exact fraction.
pub fn format_rfc3339(nanos: i64) -> String {
    let secs = nanos.div_euclid(NANOS_PER_SEC);
    let frac = nanos.rem_euclid(NANOS_PER_SEC);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let mut out = format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if frac != 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Parses RFC 3339 (or the loose relatives this crate reads) as Unix
/// nanoseconds; a time without an offset is UTC.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    parse_iso_str(s, 0)
}

#[cfg(test)]
mod tests;
