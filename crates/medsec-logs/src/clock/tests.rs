//! Timestamp shapes, the year picked for year-less syslog times, and the
//! civil-date arithmetic against known instants.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

/// Parses `input` with [`parse_any`] (zone-less times at KST, received
/// 2024-03-10T00:00:00Z) and checks the RFC 3339 UTC form.
fn check(input: &str, expect: Option<&str>) {
    let received = parse_rfc3339("2024-03-10T00:00:00Z").unwrap();
    let got = parse_any(input, KST, received).map(format_rfc3339);
    assert_eq!(got.as_deref(), expect, "{input}");
}

#[test]
fn timestamp_shapes() {
    check("2024-01-02T03:04:05Z", Some("2024-01-02T03:04:05Z"));
    check(
        "2024-01-02T03:04:05.123456+09:00",
        Some("2024-01-01T18:04:05.123456Z"),
    );
    check(
        "2017-02-14T10:35:20.186406+0100",
        Some("2017-02-14T09:35:20.186406Z"),
    );
    check("2024-01-02 03:04:05", Some("2024-01-01T18:04:05Z"));
    check("2024/01/02 03:04:05", Some("2024-01-01T18:04:05Z"));
    check("2003-10-11T22:14:15.003Z", Some("2003-10-11T22:14:15.003Z"));
    check("1985-04-12T23:20:50.52Z", Some("1985-04-12T23:20:50.52Z"));
    check(
        "1985-04-12T19:20:50.52-04:00",
        Some("1985-04-12T23:20:50.52Z"),
    );
    check("Mar  1 18:46:11", Some("2024-03-01T09:46:11Z"));
    check("Mar 1 2023 18:46:11", Some("2023-03-01T09:46:11Z"));
    check("Mar 1 18:46:11.123 UTC", Some("2024-03-01T18:46:11.123Z"));
    check("Sun Dec 04 04:47:44 2005", Some("2005-12-03T19:47:44Z"));
    check("10/Oct/2000:13:55:36 -0700", Some("2000-10-10T20:55:36Z"));
    check("1557513467", Some("2019-05-10T18:37:47Z"));
    check("1557513467369", Some("2019-05-10T18:37:47.369Z"));
    check(
        "1557513467369913239",
        Some("2019-05-10T18:37:47.369913239Z"),
    );
    check("2024-02-30T00:00:00Z", None);
    check("2024-01-02T25:00:00Z", None);
    check("yesterday", None);
    check("", None);
}

#[test]
fn year_less_times_take_the_nearest_year() {
    let at = |s: &str| parse_rfc3339(s).unwrap();
    let (t, _) = bsd(b"Dec 31 23:59:59").unwrap();
    // Read just after new year: last year's December.
    assert_eq!(
        format_rfc3339(t.resolve(0, at("2025-01-01T00:00:10Z")).unwrap()),
        "2024-12-31T23:59:59Z"
    );
    let (t, _) = bsd(b"Jan  1 00:00:01").unwrap();
    // A sender whose clock runs a little ahead over new year.
    assert_eq!(
        format_rfc3339(t.resolve(0, at("2024-12-31T23:59:50Z")).unwrap()),
        "2025-01-01T00:00:01Z"
    );
    let (t, _) = bsd(b"Feb 29 12:00:00").unwrap();
    assert_eq!(
        format_rfc3339(t.resolve(0, at("2025-03-01T00:00:00Z")).unwrap()),
        "2024-02-29T12:00:00Z"
    );
}

#[test]
fn rfc3339_output() {
    assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
    assert_eq!(format_rfc3339(1_500_000_000), "1970-01-01T00:00:01.5Z");
}

proptest! {
    #[test]
    fn civil_days_round_trip(days in -200_000i64..200_000) {
        let (y, m, d) = civil_from_days(days);
        prop_assert_eq!(days_from_civil(y, m, d), days);
    }

    #[test]
    fn formatted_times_read_back(nanos in -2_000_000_000_000_000_000i64..7_000_000_000_000_000_000) {
        let text = format_rfc3339(nanos);
        prop_assert_eq!(parse_rfc3339(&text), Some(nanos));
    }

    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}", b in proptest::collection::vec(any::<u8>(), 0..40)) {
        let _ = parse_any(&s, KST, 0);
        let _ = bsd(&b);
        let _ = iso(&b, IsoStyle::Loose);
        let _ = clf(&b, 0);
    }
}
