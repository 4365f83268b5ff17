//! Timestamps as milliseconds since the Unix epoch, and their display.
//!
//! Stored times are plain integers so that SQLite and PostgreSQL hold the
//! same value and a backup moves between them without conversion.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current wall-clock time.
    pub fn now() -> Timestamp {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        Timestamp(i64::try_from(now).unwrap_or(i64::MAX))
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn plus_secs(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    /// Whole seconds elapsed from `earlier` to `self` (negative if earlier is later).
    pub fn secs_since(self, earlier: Timestamp) -> i64 {
        (self.0 - earlier.0).div_euclid(1000)
    }

    fn to_offset_datetime(self, offset_minutes: i32) -> Option<::time::OffsetDateTime> {
        let nanos = i128::from(self.0) * 1_000_000;
        let utc = ::time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
        let offset = ::time::UtcOffset::from_whole_seconds(offset_minutes * 60).ok()?;
        Some(utc.to_offset(offset))
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-25T15:05:21.123Z`.
    pub fn rfc3339(self) -> String {
        let fmt = ::time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        self.to_offset_datetime(0)
            .and_then(|dt| dt.format(&fmt).ok())
            .unwrap_or_else(|| self.0.to_string())
    }

    /// A human display in a fixed UTC offset, e.g. `2026-11-26 00:05:21 (UTC+09:00)`.
    pub fn display_in(self, offset_minutes: i32) -> String {
        let fmt = ::time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] (UTC[offset_hour sign:mandatory]:[offset_minute])"
        );
        self.to_offset_datetime(offset_minutes)
            .and_then(|dt| dt.format(&fmt).ok())
            .unwrap_or_else(|| self.rfc3339())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn formats_utc_and_kst() {
        let t = Timestamp(1_764_083_121_123); // 2025-11-25T15:05:21.123Z
        assert_eq!(t.rfc3339(), "2025-11-25T15:05:21.123Z");
        assert_eq!(t.display_in(540), "2025-11-26 00:05:21 (UTC+09:00)");
        assert_eq!(t.plus_secs(60).secs_since(t), 60);
    }
}
