//! Maven ordering: Maven 3.9's `ComparableVersionTest`, and random
//! versions against `univers.versions.MavenVersion`.
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
    // `newComparable`: the canonical form parses to itself.
    for s in [a, b] {
        let canonical = v(s).canonical();
        // `0` and its kind have an empty canonical form, which is not a
        // version here.
        if !canonical.is_empty() {
            assert_eq!(v(&canonical).canonical(), canonical, "canonical of {s}");
        }
    }
}

fn check_ordered(versions: &[&str]) {
    for (i, a) in versions.iter().enumerate() {
        for b in versions.iter().skip(i + 1) {
            check(a, Ordering::Less, b);
        }
    }
}

#[test]
fn versions_qualifier() {
    check_ordered(&[
        "1-alpha2snapshot",
        "1-alpha2",
        "1-alpha-123",
        "1-beta-2",
        "1-beta123",
        "1-m2",
        "1-m11",
        "1-rc",
        "1-cr2",
        "1-rc123",
        "1-SNAPSHOT",
        "1",
        "1-sp",
        "1-sp2",
        "1-sp123",
        "1-abc",
        "1-def",
        "1-pom-1",
        "1-1-snapshot",
        "1-1",
        "1-2",
        "1-123",
    ]);
}

#[test]
fn versions_number() {
    check_ordered(&[
        "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
        "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11",
        "11.a", "11b", "11c", "11m",
    ]);
}

#[test]
fn versions_equal() {
    let equal = [
        ("1", "1"),
        ("1", "1.0"),
        ("1", "1.0.0"),
        ("1.0", "1.0.0"),
        ("1", "1-0"),
        ("1", "1.0-0"),
        ("1.0", "1.0-0"),
        // No separator between number and character.
        ("1a", "1-a"),
        ("1a", "1.0-a"),
        ("1a", "1.0.0-a"),
        ("1.0a", "1-a"),
        ("1.0.0a", "1-a"),
        ("1x", "1-x"),
        ("1x", "1.0-x"),
        ("1x", "1.0.0-x"),
        ("1.0x", "1-x"),
        ("1.0.0x", "1-x"),
        // Aliases.
        ("1ga", "1"),
        ("1release", "1"),
        ("1final", "1"),
        ("1cr", "1rc"),
        // Special "aliases" a, b and m for alpha, beta and milestone.
        ("1a1", "1-alpha-1"),
        ("1b2", "1-beta-2"),
        ("1m3", "1-milestone-3"),
        // Case insensitive.
        ("1X", "1x"),
        ("1A", "1a"),
        ("1B", "1b"),
        ("1M", "1m"),
        ("1Ga", "1"),
        ("1GA", "1"),
        ("1RELEASE", "1"),
        ("1release", "1"),
        ("1RELeaSE", "1"),
        ("1Final", "1"),
        ("1FinaL", "1"),
        ("1FINAL", "1"),
        ("1Cr", "1Rc"),
        ("1cR", "1rC"),
        ("1m3", "1Milestone3"),
        ("1m3", "1MileStone3"),
        ("1m3", "1MILESTONE3"),
        (
            "1-abcdefghijklmnopqrstuvwxyz",
            "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        ),
    ];
    for (a, b) in equal {
        check(a, Ordering::Equal, b);
    }
}

#[test]
fn version_comparing() {
    for (a, b) in [
        ("1", "2"),
        ("1.5", "2"),
        ("1", "2.5"),
        ("1.0", "1.1"),
        ("1.1", "1.2"),
        ("1.0.0", "1.1"),
        ("1.0.1", "1.1"),
        ("1.1", "1.2.0"),
        ("1.0-alpha-1", "1.0"),
        ("1.0-alpha-1", "1.0-alpha-2"),
        ("1.0-alpha-1", "1.0-beta-1"),
        ("1.0-beta-1", "1.0-SNAPSHOT"),
        ("1.0-SNAPSHOT", "1.0"),
        ("1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"),
        ("1.0", "1.0-1"),
        ("1.0-1", "1.0-2"),
        ("1.0.0", "1.0-1"),
        ("2.0-1", "2.0.1"),
        ("2.0.1-klm", "2.0.1-lmn"),
        ("2.0.1", "2.0.1-xyz"),
        ("2.0.1", "2.0.1-123"),
        ("2.0.1-xyz", "2.0.1-123"),
    ] {
        check(a, Ordering::Less, b);
    }
}

#[test]
fn mng_issues() {
    // MNG-5568: transitivity with an unusual version.
    check("6.1.0rc3", Ordering::Less, "6.1.0");
    check("6.1.0rc3", Ordering::Less, "6.1H.5-beta");
    check("6.1.0", Ordering::Less, "6.1H.5-beta");
    // MNG-6572: numbers of every size.
    check_ordered(&[
        "20190126.230843",
        "1234567890.12345",
        "123456789012345.1H.5-beta",
        "12345678901234567890.1H.5-beta",
    ]);
    // Leading zeros, at every length.
    for n in 1..=19 {
        check(&format!("{}1", "0".repeat(n - 1)), Ordering::Equal, "1");
        check(&"0".repeat(n), Ordering::Equal, "0");
    }
    // MNG-6964: qualifiers after `-0.`.
    check("1-0.alpha", Ordering::Less, "1");
    check("1-0.beta", Ordering::Less, "1");
    check("1-0.alpha", Ordering::Less, "1-0.beta");
    // MNG-7644: `.X1` < `-X2`, and `2.0.X` = `2-X` = `2.0.0.X`.
    for x in [
        "abc",
        "alpha",
        "a",
        "beta",
        "b",
        "def",
        "milestone",
        "m",
        "RC",
    ] {
        check(
            &format!("1.0.0.{x}1"),
            Ordering::Less,
            &format!("1.0.0-{x}2"),
        );
        check(&format!("2-{x}"), Ordering::Equal, &format!("2.0.{x}"));
        check(&format!("2-{x}"), Ordering::Equal, &format!("2.0.0.{x}"));
        check(&format!("2.0.{x}"), Ordering::Equal, &format!("2.0.0.{x}"));
    }
    // The Java item types (see the module documentation).
    check("0000000000000000000.1", Ordering::Greater, "0.1");
}

#[test]
fn canonical_forms() {
    assert_eq!(v("1.0-alpha-1").canonical(), "1-alpha-1");
    assert_eq!(v("1.0.0-RELEASE").canonical(), "1");
    assert_eq!(v("5.2.20.RELEASE").canonical(), "5.2.20");
    assert!(Version::parse("").is_err());
}

fn random_maven(rng: &mut Rng) -> String {
    let words = [
        "alpha",
        "beta",
        "milestone",
        "rc",
        "cr",
        "snapshot",
        "SNAPSHOT",
        "ga",
        "final",
        "sp",
        "a",
        "b",
        "m",
        "foo",
        "RC",
        "Final",
        "jre",
    ];
    let mut s = rng.number();
    for _ in 0..rng.below(5) {
        match rng.below(6) {
            0 | 1 => {
                s.push('.');
                s.push_str(&rng.number());
            }
            2 => {
                s.push('-');
                s.push_str(&rng.number());
            }
            3 => {
                s.push('-');
                s.push_str(rng.pick(&words));
            }
            4 => {
                // A qualifier right after digits: `1rc`, `1a1`.
                if s.ends_with(|c: char| c.is_ascii_digit()) {
                    s.push_str(rng.pick(&words));
                }
            }
            _ => {
                if !s.ends_with(|c: char| c.is_ascii_digit()) {
                    s.push_str(&rng.number());
                }
            }
        }
    }
    s
}

/// univers' `MavenVersion` is pymaven's port of `ComparableVersion` from
/// before Maven 3.9, which changed three things since: each difference is
/// one of them (the examples are from Maven 3.9's own tests above).
const MAVEN_DEVIATIONS: &[Deviation] = &[
    Deviation {
        name: "MNG-7644",
        reason: "Maven 3.9 reads a qualifier after `.` as if it followed `-`; univers does not",
        applies: |a, b, _, _| has_dot_qualifier(a) || has_dot_qualifier(b),
        examples: &[
            ("2-abc", Ordering::Equal, "2.0.abc"),
            ("1.0.0.RC1", Ordering::Less, "1.0.0-RC2"),
        ],
    },
    Deviation {
        name: "null-headed sub-lists",
        reason: "Maven 3.9 compares a whole sub-list with a missing item (MNG-6964) and drops \
                 sub-lists that normalise to nothing; pymaven compares only the first item and \
                 keeps such empty lists (`2final0` is `[2, [[]]]` there, `[2]` in Maven)",
        applies: |a, b, _, _| null_headed_sublist(a) || null_headed_sublist(b),
        examples: &[
            ("1-0.alpha", Ordering::Less, "1"),
            ("2-final.1", Ordering::Greater, "2"),
            ("2Final0", Ordering::Less, "2FinRC3"),
            ("3-0", Ordering::Less, "3-.3"),
        ],
    },
    Deviation {
        name: "release alias",
        reason: "Maven 3.9 reads `release` as the empty qualifier, as `ga` and `final`",
        applies: |a, b, _, _| [a, b].iter().any(|s| s.to_lowercase().contains("release")),
        examples: &[("1release", Ordering::Equal, "1")],
    },
];

/// Does a sub-list of `s` (after `-`, or where digits and letters meet)
/// start with a null item (zeros, `ga`, `final`, `release`, nothing) that
/// more items follow?
fn null_headed_sublist(s: &str) -> bool {
    let s = s.to_lowercase();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // An empty item right after `-` (`3-.3`) is a null `0` too.
        if i > 0 && b[i - 1] == b'-' && matches!(b[i], b'.' | b'-') && i + 1 < b.len() {
            return true;
        }
        let starts_sublist = i > 0
            && (b[i - 1] == b'-'
                || (b[i - 1].is_ascii_digit() != b[i].is_ascii_digit()
                    && b[i - 1].is_ascii_alphanumeric()
                    && b[i].is_ascii_alphanumeric()));
        let digit = b[i].is_ascii_digit();
        let mut j = i;
        while j < b.len() && b[j].is_ascii_alphanumeric() && b[j].is_ascii_digit() == digit {
            j += 1;
        }
        let run = &s.as_bytes()[i..j];
        let null = (digit && run.iter().all(|&c| c == b'0'))
            || matches!(run, b"ga" | b"final" | b"release");
        if starts_sublist && null && j < b.len() {
            return true;
        }
        i = j.max(i + 1);
    }
    false
}

/// Does `s` have a letter run directly after a `.` (MNG-7644's case)?
fn has_dot_qualifier(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'.' && w[1].is_ascii_alphabetic())
}

#[test]
fn ordering_agrees_with_univers() {
    let pairs = reference::pairs(4, 2000, random_maven, |s| Version::parse(s).is_ok());
    reference::check(
        Tool::Python,
        "maven",
        &pairs,
        |a, b| v(a).cmp(&v(b)),
        MAVEN_DEVIATIONS,
    );
}

proptest! {
    #[test]
    fn ordering_is_a_total_order(a in "[0-9]{1,2}([.-]([0-9]|a|rc|sp|x)){0,4}",
                                 b in "[0-9]{1,2}([.-]([0-9]|a|rc|sp|x)){0,4}",
                                 c in "[0-9]{1,2}([.-]([0-9]|a|rc|sp|x)){0,4}") {
        let (a, b, c) = (v(&a), v(&b), v(&c));
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        if a <= b && b <= c {
            prop_assert!(a <= c);
        }
    }

    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = Version::parse(&s);
    }
}
