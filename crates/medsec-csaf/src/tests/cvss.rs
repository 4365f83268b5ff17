//! CVSS scoring on published examples (the FIRST specification documents
//! and NVD); the Python `cvss` package checks 6000 random vectors in
//! `python.rs`, and CISA's published scores are checked in `check.rs`.

use crate::check::cvss::{scores_of, severity};

fn check(vector: &str, base: f64, temporal: f64, environmental: f64) {
    let s = scores_of(vector).unwrap_or_else(|| panic!("{vector} is not scored"));
    assert_eq!(
        (s.base, s.temporal, s.environmental),
        (base, temporal, environmental),
        "{vector}"
    );
}

#[test]
fn published_scores() {
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        9.8,
        9.8,
        9.8,
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        10.0,
        10.0,
        10.0,
    );
    check(
        "CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:H/A:H",
        6.5,
        6.5,
        6.5,
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        6.1,
        6.1,
        6.1,
    );
    check(
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
        6.4,
        6.4,
        6.4,
    );
    check(
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N",
        0.0,
        0.0,
        0.0,
    );
    check(
        "CVSS:3.0/AV:P/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
        4.2,
        4.2,
        4.2,
    );
    // Temporal and environmental metrics.
    check(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/MAV:L",
        9.8,
        8.8,
        7.6,
    );
    check(
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U",
        9.8,
        9.0,
        9.0,
    );
    check("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0, 10.0, 10.0);
    check("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5, 7.5, 7.5);
    check("AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3, 4.3, 4.3);
    check("AV:L/AC:L/Au:M/C:C/I:C/A:C", 6.5, 6.5, 6.5);
    // Incomplete or malformed vectors are not scored.
    assert!(scores_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H").is_none());
    assert!(scores_of("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_none());
    assert!(scores_of("AV:N/AC:L/Au:N/C:C/I:C").is_none());
}

#[test]
fn severities() {
    for (score, expect) in [
        (0.0, "NONE"),
        (0.1, "LOW"),
        (3.9, "LOW"),
        (4.0, "MEDIUM"),
        (6.9, "MEDIUM"),
        (7.0, "HIGH"),
        (8.9, "HIGH"),
        (9.0, "CRITICAL"),
        (10.0, "CRITICAL"),
    ] {
        assert_eq!(severity(score), expect, "{score}");
    }
}
