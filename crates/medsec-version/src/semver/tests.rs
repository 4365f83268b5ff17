//! Semver ordering: semver.org's examples, node-semver's loose parsing,
//! pub's build order, and random versions against node's `semver`.
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
fn semver_org_precedence() {
    use Ordering::*;
    // §11.2 and §11.4.
    for w in [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
        "2.1.0",
        "2.1.1",
    ]
    .windows(2)
    {
        check(w[0], Less, w[1]);
    }
    // §10: build metadata does not count, for equality either.
    check("1.0.0+20130313144700", Equal, "1.0.0");
    check("1.0.0-beta+exp.sha.5114f85", Equal, "1.0.0-beta+other");
    check("1.0.0-alpha+001", Less, "1.0.0");
    // Numbers compare as numbers, at any size.
    check("1.10.0", Greater, "1.9.0");
    check("1.0.0-2", Less, "1.0.0-10");
    check(
        "99999999999999999999999.0.0",
        Greater,
        "9999999999999999999999.0.0",
    );
    check("1.0.0-99999999999999999999999", Less, "1.0.0-a");
    // Identifiers with a hyphen are alphanumeric.
    check("1.0.0-1", Less, "1.0.0--1");
}

#[test]
fn loose_parsing_as_node_and_partial_versions() {
    use Ordering::*;
    check("v1.2.3", Equal, "1.2.3");
    check("=1.2.3", Equal, "1.2.3");
    check(" v=1.2.3 ", Equal, "1.2.3");
    check("01.002.03", Equal, "1.2.3");
    check("1.2.3-01", Equal, "1.2.3-1");
    check("1.2.3beta", Equal, "1.2.3-beta");
    check("1.2", Equal, "1.2.0");
    check("1", Equal, "1.0.0");
    check("v1", Less, "v1.0.1");
    check("0.1", Less, "0.1.1-alpha");
    assert_eq!(v("v1.2.3-rc.1+b.5").to_string(), "1.2.3-rc.1+b.5");
}

#[test]
fn pub_orders_build_metadata() {
    let p = |s: &str| Version::parse_pub(s).unwrap();
    let check_pub = |a: &str, expect: Ordering, b: &str| {
        assert_eq!(p(a).cmp_with_build(&p(b)), expect, "{a} vs {b}");
        assert_eq!(p(b).cmp_with_build(&p(a)), expect.reverse(), "{b} vs {a}");
    };
    // The order of pub_semver's `version_test.dart` comparison test.
    let ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0-rc.1+build.1",
        "1.0.0",
        "1.0.0+0.3.7",
        "1.3.7+build",
        "1.3.7+build.2.b8f12d7",
        "1.3.7+build.11.e0f985a",
        "2.0.0",
        "2.1.0",
        "2.2.0",
        "2.11.0",
        "2.11.1",
    ];
    for w in ordered.windows(2) {
        check_pub(w[0], Ordering::Less, w[1]);
    }
    check_pub("01.2.3", Ordering::Equal, "1.2.3");
    for bad in ["1.2", "v1.2.3", "1.2.3-", "1.2.3+a..b"] {
        assert!(Version::parse_pub(bad).is_err(), "{bad}");
    }
}

#[test]
fn invalid_versions_say_why() {
    for (s, why) in [
        ("", "does not start with a number"),
        ("x1.2.3", "does not start with a number"),
        ("1.", "minor version is not a number"),
        ("1.2.", "patch version is not a number"),
        ("1.2.3-", "identifier of the pre-release or build is empty"),
        (
            "1.2.3-a..b",
            "identifier of the pre-release or build is empty",
        ),
        ("1.2.3+", "identifier"),
        ("1.2.3.4", "characters semver does not allow"),
        ("1.2.3-a_b", "characters semver does not allow"),
    ] {
        let e = Version::parse(s).unwrap_err().to_string();
        assert!(e.contains(why) && e.contains("semver"), "{s}: {e}");
    }
}

/// npm-shaped versions: what node-semver's loose mode accepts.
pub(crate) fn random_npm(rng: &mut Rng) -> String {
    let mut s = String::new();
    match rng.below(20) {
        0 => s.push('v'),
        1 => s.push('='),
        _ => {}
    }
    let leading_zero = |rng: &mut Rng| if rng.chance(5) { "0" } else { "" };
    for i in 0..3 {
        if i > 0 {
            s.push('.');
        }
        s.push_str(leading_zero(rng));
        s.push_str(&rng.number());
    }
    let ids = [
        "alpha", "beta", "rc", "0", "1", "2", "10", "x-y", "a1", "-1", "RC", "Beta",
    ];
    if rng.chance(50) {
        s.push('-');
        for i in 0..1 + rng.below(3) {
            if i > 0 {
                s.push('.');
            }
            s.push_str(rng.pick(&ids));
        }
    }
    if rng.chance(20) {
        s.push('+');
        s.push_str(rng.pick(&["build", "1", "sha.5114f85", "001"]));
    }
    s
}

#[test]
fn ordering_agrees_with_node_semver() {
    let pairs = reference::pairs(1, 2000, random_npm, |s| {
        // node-semver wants all three numbers; partial versions are ours.
        let core: String = s
            .trim_start_matches(['v', '='])
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        Version::parse(s).is_ok() && core.matches('.').count() == 2 && !core.ends_with('.')
    });
    for (a, b) in &pairs {
        v(a);
        v(b);
    }
    reference::check(
        Tool::Node,
        "npm semver",
        &pairs,
        |a, b| v(a).cmp(&v(b)),
        &[],
    );
}

proptest! {
    #[test]
    fn ordering_is_a_total_order(a in "[0-9]{1,2}\\.[0-9]\\.[0-9](-[a-z0-9]{1,3}(\\.[a-z0-9]{1,2}){0,2})?",
                                 b in "[0-9]{1,2}\\.[0-9]\\.[0-9](-[a-z0-9]{1,3}(\\.[a-z0-9]{1,2}){0,2})?",
                                 c in "[0-9]{1,2}\\.[0-9]\\.[0-9](-[a-z0-9]{1,3})?") {
        let (a, b, c) = (v(&a), v(&b), v(&c));
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        if a <= b && b <= c {
            prop_assert!(a <= c);
        }
    }

    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = Version::parse(&s);
        let _ = Version::parse_pub(&s);
    }
}
