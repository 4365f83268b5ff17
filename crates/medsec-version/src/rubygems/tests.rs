//! RubyGems ordering: cases from RubyGems' `test_gem_version.rb`, and
//! random versions against `univers.versions.RubygemsVersion`.
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
fn gem_version_comparisons() {
    use Ordering::*;
    // `test_spaceship` and `test_eql_eh` / `test_equals2`.
    check("1.0", Equal, "1.0.0");
    check("1", Equal, "1.0");
    check("1.0", Greater, "1.0.a");
    check("1.8.2", Greater, "0.0.0");
    check("1.8.2", Greater, "1.8.2.a");
    check("1.8.2.b", Greater, "1.8.2.a");
    check("1.8.2.a", Less, "1.8.2");
    check("1.8.2.a10", Greater, "1.8.2.a9");
    check("0.beta.1", Less, "0.0.beta.2");
    check("0.beta.1", Less, "0.beta.2");
    check("5.a", Equal, "5.0.0.a");
    check("1.9.3", Equal, "1.9.3.0");
    check("1.0.0.a.1.0", Equal, "1.0.0.a.1");
    check("1.2.b1", Equal, "1.2.b.1");
    check("1.0.a", Equal, "1.a");
    // `-` is `.pre.`.
    check("1.0.0-rc1", Equal, "1.0.0.pre.rc1");
    check("1.0.0-rc1", Less, "1.0.0");
    // Strings compare byte by byte, case included.
    check("1.0.A", Less, "1.0.a");
    check("1.0.b", Greater, "1.0.a1");
    check(
        "99999999999999999999999.1",
        Greater,
        "99999999999999999999998.2",
    );
    assert!(v("1.0.a").is_prerelease());
    assert!(!v("1.0").is_prerelease());
}

#[test]
fn invalid_versions_say_why() {
    for s in [
        "junk",
        "1.0\n2.0",
        "1..2",
        "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.",
        "1.0-",
        "a1",
        "1.0 2",
    ] {
        let e = Version::parse(s).unwrap_err().to_string();
        assert!(e.contains("RubyGems") && e.contains("pattern"), "{s}: {e}");
    }
}

fn random_gem(rng: &mut Rng) -> String {
    let mut s = rng.number();
    for _ in 0..rng.below(5) {
        s.push('.');
        if rng.chance(70) {
            s.push_str(&rng.number());
        } else {
            s.push_str(rng.pick(&["a", "b", "pre", "rc1", "beta", "0a", "alpha2", "A", "rc"]));
        }
    }
    if rng.chance(15) {
        s.push('-');
        s.push_str(rng.pick(&["pre", "rc.1", "beta-2", "1"]));
    }
    s
}

#[test]
fn ordering_agrees_with_univers() {
    let pairs = reference::pairs(6, 2000, random_gem, |s| Version::parse(s).is_ok());
    reference::check(
        Tool::Python,
        "rubygems",
        &pairs,
        |a, b| v(a).cmp(&v(b)),
        &[],
    );
}

proptest! {
    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = Version::parse(&s);
    }
}
