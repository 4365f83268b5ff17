//! Alpine ordering: cases from apk-tools' `test/unit/version.data`, and
//! random versions against `univers.versions.AlpineLinuxVersion`.
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

/// `version.data` lines `a OP b` (a selection; the invalid versions apk
/// compares by text are left out, as they are rejected here).
const VERSION_DATA: &str = "
2.34 > 0.1.0_alpha
0.1.0_alpha = 0.1.0_alpha
0.1.0_alpha < 0.1.3_alpha
0.1.0_alpha2 > 0.1.0_alpha
0.1.0_alpha < 2.2.39-r1
2.2.39-r1 > 1.0.4-r3
1.0.4-r3 < 1.0.4-r4
1.0.4-r4 < 1.6
1.1 > 1.1_alpha1
1.2.1 > 1.2
1.2 < 1.3_alpha
1.3_alpha < 1.3_alpha2
0.8_beta1 < 0.8_beta2
3.10.18-r1 > 2.3.0b-r1
2.3.0b-r1 < 2.3.0b-r2
2.3.0b-r4 > 0.12.1
0.12.3 > 0.12
0.12 < 0.13_beta1
1.2.11 < 1.2.12.1
1.2.12.1 < 1.2.13
0.2.0-r1 = 0.2.0-r1
0.2.0-r1 < 3.1_p16
3.1_p16 < 3.1_p17
3.1_p17 > 1.06-r6
1.06-r6 < 006
006 > 1.0.0
1.2.2-r1 > 1.2.2
9.3.4-r2 > 9.3.4
1.2.9.1-r1 > 1.2.9.1
1.3-r0 < 1.3.1-r0
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
0.1.0_alpha_pre2 < 0.1.0_alpha
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
6.0_pre1 < 6.0
6.0_p1 > 6.0
8.2.0 < 8.2.001
8.2.0015 < 8.2.002
1.0~1234 < 1.0~2345
1.0~1234-r1 < 1.0~2345-r0
1.0~1234-r1 > 1.0~1234-r0
";

#[test]
fn apk_version_data() {
    for line in VERSION_DATA.lines().filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split(' ').collect();
        let expect = match parts[1] {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            op => panic!("{op}"),
        };
        check(parts[0], expect, parts[2]);
    }
}

#[test]
fn apk_validity() {
    for ok in [
        "1.2",
        "0.1_pre2",
        "0.1_pre2~1234abcd",
        "0.1_p1_pre2",
        "0.1_alpha1_pre2",
        "0.1_git20240101_pre1",
    ] {
        assert!(Version::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "0.1bc",
        "0.1bc1",
        "0.1a1",
        "0.1a.1",
        "0.1_pre2~",
        "0.1_pre2~1234xbcd",
        "0.1_pre2~1234abcd_pre1",
        "0.1_pre2-r1~1234xbcd",
        "0.1_foobar",
        "0.1_foobar1",
        "0.1-pre1.1",
        "0.1-r",
        "0.1-r2_pre1",
        "0.1-r2_p3_pre1",
        "0.1-r2-r3",
        "0.1-r2.1",
        ".1",
        "a",
        "_pre1",
        "-r1",
        "0.1_",
        "0.1_-r0",
        "0.1__alpha",
        "0.1_1_alpha",
    ] {
        let e = Version::parse(bad)
            .err()
            .unwrap_or_else(|| panic!("{bad} parsed"));
        assert!(e.to_string().contains("Alpine"), "{e}");
    }
}

fn random_apk(rng: &mut Rng) -> String {
    let mut s = rng.number();
    for _ in 0..rng.below(3) {
        s.push('.');
        if rng.chance(5) {
            s.push('0');
        }
        s.push_str(&rng.number());
    }
    if rng.chance(15) {
        s.push_str(rng.pick(&["a", "b", "z"]));
    }
    for _ in 0..rng.below(3) {
        if rng.chance(50) {
            s.push('_');
            // apk's own suffixes, which univers rejects, only now and then.
            s.push_str(if rng.chance(10) {
                rng.pick(&["cvs", "svn", "git", "hg"])
            } else {
                rng.pick(&["alpha", "beta", "pre", "rc", "p"])
            });
            if rng.chance(60) {
                s.push_str(&rng.number());
            }
        }
    }
    if rng.chance(50) {
        s.push_str("-r");
        s.push_str(&rng.number());
    }
    s
}

/// univers has no apk comparison: `AlpineLinuxVersion` is Gentoo's
/// `vercmp` (portage's rules) with a validity check in front, and apk's own
/// rules differ from portage's in these ways.
const ALPINE_DEVIATIONS: &[Deviation] = &[
    Deviation {
        name: "apk-only suffixes",
        reason: "apk has `_cvs`, `_svn`, `_git` and `_hg`; Gentoo, and so univers, rejects them",
        applies: |a, b, _, theirs| {
            theirs.is_err()
                && [a, b].iter().any(|s| {
                    ["_cvs", "_svn", "_git", "_hg"]
                        .iter()
                        .any(|x| s.contains(x))
                })
        },
        examples: &[("1.2_git20240101", Ordering::Greater, "1.2")],
    },
    Deviation {
        name: "leading zeros",
        reason: "apk compares a number with a leading zero as text, trailing zeros included \
                 (`1.010` > `1.01`, `006` > `1.0`); portage strips trailing zeros first and \
                 reads a leading first number as text",
        applies: |a, b, _, _| leading_zero(a) || leading_zero(b),
        examples: &[
            ("1.010", Ordering::Greater, "1.01"),
            ("006", Ordering::Greater, "1.0.0"),
            ("1.0", Ordering::Less, "1.00"),
        ],
    },
    Deviation {
        name: "suffix without number",
        reason: "apk orders a suffix without number before the same suffix with `0` \
                 (`_p` < `_p0`); portage reads both as `0`",
        applies: |a, b, _, _| bare_suffix(a) || bare_suffix(b),
        examples: &[
            ("1_p", Ordering::Less, "1_p0"),
            ("1_alpha", Ordering::Less, "1_alpha0"),
        ],
    },
    Deviation {
        name: "revision zero",
        reason: "apk orders a version without revision before its `-r0`; portage reads both as 0",
        applies: |a, b, _, _| a.contains("-r0") || b.contains("-r0"),
        examples: &[("1.0", Ordering::Less, "1.0-r0")],
    },
];

/// Does a number of `s` (other than a lone `0` after a `.`) start with 0?
fn leading_zero(s: &str) -> bool {
    let main = s.split(['_', '-', '~']).next().unwrap_or_default();
    main.split('.').enumerate().any(|(i, n)| {
        let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
        digits.starts_with('0') && (digits.len() > 1 || i == 0)
    })
}

/// Has `s` a suffix with no number after it?
fn bare_suffix(s: &str) -> bool {
    s.split('_').skip(1).any(|part| {
        let name_len = part.bytes().take_while(u8::is_ascii_lowercase).count();
        !part
            .as_bytes()
            .get(name_len)
            .is_some_and(u8::is_ascii_digit)
    })
}

#[test]
fn ordering_agrees_with_univers() {
    let pairs = reference::pairs(8, 2000, random_apk, |s| Version::parse(s).is_ok());
    reference::check(
        Tool::Python,
        "alpine",
        &pairs,
        |a, b| v(a).cmp(&v(b)),
        ALPINE_DEVIATIONS,
    );
}

proptest! {
    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = Version::parse(&s);
    }
}
