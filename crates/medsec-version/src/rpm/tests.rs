//! RPM ordering: rpm's own `rpmvercmp.at` cases, epoch-version-release
//! splitting, and random versions against `univers.versions.RpmVersion`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;

use proptest::prelude::*;

use super::*;
use crate::reference::{self, Deviation, Rng, Tool};

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn check(a: &str, expect: Ordering, b: &str) {
    assert_eq!(v(a).cmp(&v(b)), expect, "{a} vs {b}");
    assert_eq!(v(b).cmp(&v(a)), expect.reverse(), "{b} vs {a}");
}

/// rpm's `tests/rpmvercmp.at`: `RPMVERCMP(a, b, result)`.
const RPMVERCMP: &[(&str, &str, i8)] = &[
    ("1.0", "1.0", 0),
    ("1.0", "2.0", -1),
    ("2.0.1", "2.0.1", 0),
    ("2.0", "2.0.1", -1),
    ("2.0.1a", "2.0.1a", 0),
    ("2.0.1a", "2.0.1", 1),
    ("5.5p1", "5.5p2", -1),
    ("5.5p10", "5.5p10", 0),
    ("5.5p1", "5.5p10", -1),
    ("10xyz", "10.1xyz", -1),
    ("xyz10", "xyz10", 0),
    ("xyz10", "xyz10.1", -1),
    ("xyz.4", "xyz.4", 0),
    ("xyz.4", "8", -1),
    ("xyz.4", "2", -1),
    ("5.5p2", "5.6p1", -1),
    ("5.6p1", "6.5p1", -1),
    ("6.0.rc1", "6.0", 1),
    ("10b2", "10a1", 1),
    ("10a2", "10b2", -1),
    ("1.0aa", "1.0aa", 0),
    ("1.0a", "1.0aa", -1),
    ("10.0001", "10.0001", 0),
    ("10.0001", "10.1", 0),
    ("10.0001", "10.0039", -1),
    ("4.999.9", "5.0", -1),
    ("20101121", "20101122", -1),
    ("2_0", "2_0", 0),
    ("2.0", "2_0", 0),
    ("a", "a", 0),
    ("a+", "a+", 0),
    ("a+", "a_", 0),
    ("+a", "+a", 0),
    ("+a", "_a", 0),
    ("+_", "+_", 0),
    ("_+", "+_", 0),
    ("+", "_", 0),
    ("1.0~rc1", "1.0~rc1", 0),
    ("1.0~rc1", "1.0", -1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~rc1~git123", "1.0~rc1~git123", 0),
    ("1.0~rc1~git123", "1.0~rc1", -1),
    ("1.0^", "1.0^", 0),
    ("1.0^", "1.0", 1),
    ("1.0^git1", "1.0^git1", 0),
    ("1.0^git1", "1.0", 1),
    ("1.0^git1", "1.0^git2", -1),
    ("1.0^git1", "1.01", -1),
    ("1.0^20160101", "1.0^20160101", 0),
    ("1.0^20160101", "1.0.1", -1),
    ("1.0^20160101^git1", "1.0^20160101^git1", 0),
    ("1.0^20160102", "1.0^20160101^git1", 1),
    ("1.0~rc1^git1", "1.0~rc1^git1", 0),
    ("1.0~rc1^git1", "1.0~rc1", 1),
    ("1.0^git1~pre", "1.0^git1~pre", 0),
    ("1.0^git1", "1.0^git1~pre", 1),
    ("1b.fc17", "1b.fc17", 0),
    ("1b.fc17", "1.fc17", -1),
    ("1g.fc17", "1g.fc17", 0),
    ("1g.fc17", "1.fc17", 1),
];

#[test]
fn rpmvercmp_cases() {
    for &(a, b, expect) in RPMVERCMP {
        let expect = expect.cmp(&0);
        assert_eq!(rpmvercmp(a, b), expect, "{a} vs {b}");
        assert_eq!(rpmvercmp(b, a), expect.reverse(), "{b} vs {a}");
    }
}

#[test]
fn epoch_version_release() {
    use Ordering::*;
    check("1:1.0-1", Greater, "2.0-1");
    check("0:1.0-1", Equal, "1.0-1");
    check(":1.0-1", Equal, "1.0-1");
    check("1.0-1.el8", Less, "1.0-2.el8");
    check("1.0-1.el8_9", Greater, "1.0-1.el8");
    check("1.2.3-4.el8", Less, "1.2.10-1.el8");
    // The release follows the last `-`.
    assert_eq!(v("1.0-beta-3").version(), "1.0-beta");
    assert_eq!(v("1.0-beta-3").release(), Some("3"));
    assert_eq!(v("2:1.0-3").epoch(), "2");
    // A missing release sorts first (see the module documentation).
    check("1.0", Less, "1.0-1");
    check("1.0", Greater, "0.9-9");
    assert!(Version::parse("").is_err());
    assert!(Version::parse("1.0 1").is_err());
    assert!(Version::parse("1:-1").is_err());
}

fn random_rpm(rng: &mut Rng) -> String {
    let pieces = [
        "rc1", "git", "a", "fc17", "el8", "p", "beta", "2", "0", "10",
    ];
    let seps = [".", ".", ".", "_", "+", "~", "^", ""];
    let part = |rng: &mut Rng| {
        let mut s = rng.number();
        for _ in 0..rng.below(4) {
            s.push_str(rng.pick(&seps));
            s.push_str(if rng.chance(50) {
                rng.pick(&pieces)
            } else {
                "1"
            });
        }
        s
    };
    let mut s = String::new();
    if rng.chance(10) {
        s.push_str(&format!("{}:", rng.below(3)));
    }
    s.push_str(&part(rng));
    if rng.chance(60) {
        s.push('-');
        s.push_str(&part(rng));
        if rng.chance(5) {
            s.push('-');
            s.push_str(&part(rng));
        }
    }
    s
}

/// Number of hyphens after the epoch.
fn hyphens(s: &str) -> usize {
    s.split_once(':')
        .map_or(s, |(_, rest)| rest)
        .matches('-')
        .count()
}

const RPM_DEVIATIONS: &[Deviation] = &[Deviation {
    name: "release split",
    reason: "rpm's parseEVR takes the release after the last `-`, univers after the first",
    applies: |a, b, _, _| hyphens(a) > 1 || hyphens(b) > 1,
    examples: &[("1.0-1-2", Ordering::Greater, "1.0-1.9")],
}];

#[test]
fn ordering_agrees_with_univers() {
    let pairs = reference::pairs(7, 2000, random_rpm, |s| {
        // A `:` only after the epoch's digits, which univers requires.
        let colon_ok = s
            .split_once(':')
            .is_none_or(|(e, _)| e.bytes().all(|b| b.is_ascii_digit()));
        Version::parse(s).is_ok() && colon_ok
    });
    reference::check(
        Tool::Python,
        "rpm",
        &pairs,
        |a, b| v(a).cmp(&v(b)),
        RPM_DEVIATIONS,
    );
}

proptest! {
    #[test]
    fn rpmvercmp_is_antisymmetric(a in "[0-9a-z.~^_+]{0,8}", b in "[0-9a-z.~^_+]{0,8}") {
        prop_assert_eq!(rpmvercmp(&a, &b), rpmvercmp(&b, &a).reverse());
    }

    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = Version::parse(&s);
    }
}
