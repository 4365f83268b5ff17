//! Time partitions: every event belongs to the partition of its member
//! and the calendar day of its `@timestamp` at the store's UTC offset
//! (KST, UTC+9, by default). A partition is the unit of retention, of
//! daily statistics and of deduplication, and it is one directory:
//! `data/<member>/<YYYY-MM-DD>/`.

use std::fmt;

/// Nanoseconds in a day.
pub(crate) const DAY_NS: i64 = 86_400_000_000_000;

/// A calendar day at the store's UTC offset, as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The day of a Unix-nanosecond time at `offset_seconds` east of UTC.
    pub fn of(ts: i64, offset_seconds: i32) -> Day {
        let local = i128::from(ts) + i128::from(offset_seconds) * 1_000_000_000;
        Day(local.div_euclid(i128::from(DAY_NS)) as i32)
    }

    /// The first nanosecond of the day (UTC nanoseconds), saturated to
    /// the range of `i64`.
    pub fn start(self, offset_seconds: i32) -> i64 {
        let ns =
            i128::from(self.0) * i128::from(DAY_NS) - i128::from(offset_seconds) * 1_000_000_000;
        ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The first nanosecond after the day.
    pub fn end(self, offset_seconds: i32) -> i64 {
        Day(self.0.saturating_add(1)).start(offset_seconds)
    }

    /// The calendar date.
    pub fn date(self) -> Option<time::Date> {
        time::Date::from_julian_day(self.0.checked_add(2_440_588)?).ok()
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Day> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let d = time::Date::parse(text, &format).ok()?;
        Some(Day(d.to_julian_day() - 2_440_588))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.date() {
            Some(d) => write!(
                f,
                "{:04}-{:02}-{:02}",
                d.year(),
                u8::from(d.month()),
                d.day()
            ),
            None => write!(f, "day{}", self.0),
        }
    }
}

/// A partition: one member's events of one day.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartKey {
    pub member: String,
    pub day: Day,
}

/// A member id as a directory name: ASCII letters, digits, `-` and `_`
/// stay, every other byte becomes `%XX`, so any id is one safe path
/// component (no `/`, no `..`).
pub(crate) fn member_dir(member: &str) -> String {
    let mut out = String::with_capacity(member.len());
    for b in member.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The member id a directory name stands for.
pub(crate) fn member_of_dir(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_at_an_offset() {
        const KST: i32 = 9 * 3600;
        // 2024-05-01T00:00:00+09:00 is 2024-04-30T15:00:00Z.
        let midnight_kst = 1_714_489_200 * 1_000_000_000;
        let d = Day::of(midnight_kst, KST);
        assert_eq!(d.to_string(), "2024-05-01");
        assert_eq!(Day::of(midnight_kst - 1, KST).to_string(), "2024-04-30");
        assert_eq!(d.start(KST), midnight_kst);
        assert_eq!(d.end(KST), midnight_kst + DAY_NS);
        assert_eq!(Day::of(midnight_kst, 0).to_string(), "2024-04-30");
        assert_eq!(Day::parse("2024-05-01"), Some(d));
        assert_eq!(Day::of(-1, 0).to_string(), "1969-12-31");
        // The extremes of i64 still have days.
        assert!(Day::of(i64::MIN, KST).date().is_some());
        assert!(Day::of(i64::MAX, KST).date().is_some());
    }

    #[test]
    fn member_directories_round_trip() {
        for m in ["h001", "서울병원", "a/b", "..", "a%b", "x y"] {
            let dir = member_dir(m);
            assert!(
                dir.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_%".contains(&b))
            );
            assert_eq!(member_of_dir(&dir).as_deref(), Some(m));
        }
        assert_eq!(member_dir("h-001_a"), "h-001_a");
        assert_eq!(member_of_dir("%G1"), None);
    }
}
