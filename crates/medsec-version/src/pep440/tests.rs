//! PEP 440: the sorted list of `packaging`'s own tests, its spellings,
//! and random versions against `packaging.version.Version`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;

use proptest::prelude::*;

use super::*;
use crate::reference::{self, Rng, Tool};

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn check(a: &str, expect: Ordering, b: &str) {
    assert_eq!(v(a).cmp(&v(b)), expect, "{a} vs {b}");
    assert_eq!(v(b).cmp(&v(a)), expect.reverse(), "{b} vs {a}");
}

/// `packaging`'s `tests/test_version.py` `VERSIONS`, "in the correct
/// sorting order", without and with an epoch.
const SORTED: &[&str] = &[
    "1.0.dev456",
    "1.0a1",
    "1.0a2.dev456",
    "1.0a12.dev456",
    "1.0a12",
    "1.0b1.dev456",
    "1.0b2",
    "1.0b2.post345.dev456",
    "1.0b2.post345",
    "1.0b2-346",
    "1.0c1.dev456",
    "1.0c1",
    "1.0rc2",
    "1.0c3",
    "1.0",
    "1.0.post456.dev34",
    "1.0.post456",
    "1.1.dev1",
    "1.2+123abc",
    "1.2+123abc456",
    "1.2+abc",
    "1.2+abc123",
    "1.2+abc123def",
    "1.2+1234.abc",
    "1.2+123456",
    "1.2.r32+123456",
    "1.2.rev33+123456",
];

#[test]
fn packaging_sorted_versions() {
    let all: Vec<String> = SORTED
        .iter()
        .map(|s| (*s).to_owned())
        .chain(SORTED.iter().map(|s| format!("1!{s}")))
        .collect();
    for (i, a) in all.iter().enumerate() {
        for b in all.iter().skip(i + 1) {
            check(a, Ordering::Less, b);
        }
    }
}

#[test]
fn normalised_spellings_are_equal() {
    use Ordering::*;
    for (a, b) in [
        ("1.0", "1.0.0"),
        ("1.0", "1.0.0.0"),
        ("v1.0", "1.0"),
        ("V1.0", "1.0"),
        ("  1.0\n", "1.0"),
        ("0!1.0", "1.0"),
        ("1.0a", "1.0a0"),
        ("1.0alpha1", "1.0a1"),
        ("1.0.alpha.1", "1.0a1"),
        ("1.0-ALPHA_1", "1.0a1"),
        ("1.0beta2", "1.0b2"),
        ("1.0c1", "1.0rc1"),
        ("1.0pre1", "1.0rc1"),
        ("1.0preview1", "1.0rc1"),
        ("1.0-1", "1.0.post1"),
        ("1.0post1", "1.0.post1"),
        ("1.0.rev1", "1.0.post1"),
        ("1.0-r1", "1.0.post1"),
        ("1.0.post", "1.0.post0"),
        ("1.0dev", "1.0.dev0"),
        ("1.0+ubuntu-1", "1.0+ubuntu.1"),
        ("1.0+ubuntu_1", "1.0+UBUNTU.1"),
        ("1.0+01", "1.0+1"),
        ("01.02", "1.2"),
    ] {
        check(a, Equal, b);
    }
    check("1.0", Less, "1.0+local");
    check("1.0.post1", Greater, "1.0+local");
    check("1.0.dev1", Less, "1.0a1");
    check("1!0.1", Greater, "2023.1");
}

#[test]
fn invalid_versions_say_why() {
    for s in [
        "", "1.0.x", "1..0", "a1.0", "1.0+", "1.0+a..b", "1.0-", "1.0 2",
    ] {
        let e = Version::parse(s).unwrap_err().to_string();
        assert!(e.contains("PEP 440"), "{s}: {e}");
    }
}

fn random_pep440(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(5) {
        s.push('v');
    }
    if rng.chance(10) {
        s.push_str(&format!("{}!", rng.below(3)));
    }
    for i in 0..1 + rng.below(4) {
        if i > 0 {
            s.push('.');
        }
        s.push_str(&rng.number());
    }
    if rng.chance(35) {
        s.push_str(rng.pick(&["", ".", "-", "_"]));
        s.push_str(rng.pick(&[
            "a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "A", "RC",
        ]));
        if rng.chance(80) {
            s.push_str(rng.pick(&["", ".", "-"]));
            s.push_str(&rng.number());
        }
    }
    if rng.chance(25) {
        match rng.below(3) {
            0 => s.push_str(&format!("-{}", rng.number())),
            _ => {
                s.push_str(rng.pick(&[".", "-", "_", ""]));
                s.push_str(rng.pick(&["post", "rev", "r", "POST"]));
                if rng.chance(80) {
                    s.push_str(&rng.number());
                }
            }
        }
    }
    if rng.chance(25) {
        s.push_str(rng.pick(&[".", "-", "_", ""]));
        s.push_str(rng.pick(&["dev", "DEV"]));
        if rng.chance(80) {
            s.push_str(&rng.number());
        }
    }
    if rng.chance(15) {
        s.push('+');
        for i in 0..1 + rng.below(3) {
            if i > 0 {
                s.push_str(rng.pick(&[".", "-", "_"]));
            }
            s.push_str(rng.pick(&["ubuntu", "1", "2", "10", "abc1", "001", "Local"]));
        }
    }
    s
}

#[test]
fn ordering_agrees_with_packaging() {
    let pairs = reference::pairs(3, 2000, random_pep440, |s| Version::parse(s).is_ok());
    for (a, b) in &pairs {
        v(a);
        v(b);
    }
    reference::check(Tool::Python, "pep440", &pairs, |a, b| v(a).cmp(&v(b)), &[]);
}

proptest! {
    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = Version::parse(&s);
    }
}
