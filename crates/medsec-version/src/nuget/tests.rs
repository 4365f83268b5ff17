//! NuGet ordering: cases in the manner of `NuGet.Versioning`'s
//! `VersionComparerTests`, and random versions against
//! `univers.versions.NugetVersion`.
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

#[test]
fn nuget_comparisons() {
    use Ordering::*;
    for (a, b) in [
        ("1.0", "1.0.0"),
        ("1", "1.0.0.0"),
        ("1.0.0-BETA", "1.0.0-beta"),
        ("1.0.0-beta+a", "1.0.0-beta+b"),
        ("1.0.0+metadata", "1.0.0"),
        ("01.002.0003", "1.2.3"),
        ("1.0.0-Beta.1", "1.0.0-bEtA.1"),
    ] {
        check(a, Equal, b);
    }
    for w in [
        "0.9.9.9",
        "1.0.0-1",
        "1.0.0-2",
        "1.0.0-10",
        "1.0.0-a",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.0.1-beta",
        "1.0.0.1",
        "1.0.1",
        "4.6.0-preview.18571.3",
        "4.6.0",
    ]
    .windows(2)
    {
        check(w[0], Less, w[1]);
    }
    // `Int32.TryParse` reads `-1` as a number; beyond `Int32` a label is
    // text, and digits are below letters in text.
    check("1.0.0--1", Less, "1.0.0-0");
    check("1.0.0-2147483648", Greater, "1.0.0-2147483647");
    check("1.0.0-2147483648", Less, "1.0.0-a");
    check("1.0.0-2147483648", Greater, "1.0.0-1000000000000");
}

#[test]
fn invalid_versions_say_why() {
    for (s, why) in [
        ("", "not a number"),
        ("v1.0", "not a number"),
        ("1.0.0.0.0", "more than four"),
        ("1.0.0-", "release label"),
        ("1.0.0-01", "release label"),
        ("1.0.0-a..b", "release label"),
        ("1.0.0-a_b", "release label"),
        ("1.0.0+", "metadata"),
        ("1.0.0+a+b", "metadata"),
        ("2147483648.0", "too large"),
    ] {
        let e = Version::parse(s).unwrap_err().to_string();
        assert!(e.contains(why) && e.contains("NuGet"), "{s}: {e}");
    }
}

fn random_nuget(rng: &mut Rng) -> String {
    let mut s = rng.number();
    for _ in 0..rng.below(4) {
        s.push('.');
        if rng.chance(5) {
            s.push('0');
        }
        s.push_str(&rng.number());
    }
    if rng.chance(40) {
        s.push('-');
        for i in 0..1 + rng.below(3) {
            if i > 0 {
                s.push('.');
            }
            s.push_str(rng.pick(&["alpha", "Beta", "RC", "1", "2", "10", "a-b", "preview", "0"]));
        }
    }
    if rng.chance(15) {
        s.push('+');
        s.push_str(rng.pick(&["build", "sha.5114f85", "01"]));
    }
    s
}

#[test]
fn ordering_agrees_with_univers() {
    let pairs = reference::pairs(5, 2000, random_nuget, |s| Version::parse(s).is_ok());
    reference::check(Tool::Python, "nuget", &pairs, |a, b| v(a).cmp(&v(b)), &[]);
}

proptest! {
    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = Version::parse(&s);
    }
}
