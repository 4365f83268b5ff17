//! vers parsing, printing and matching.
#![allow(clippy::unwrap_used)]

use std::cmp::Ordering;

use super::*;

/// Parses and prints back in canonical form.
fn check(text: &str, expect: &str) {
    assert_eq!(Vers::parse(text).unwrap().to_string(), expect, "{text}");
}

fn check_err(text: &str, reason: &str) {
    let e = Vers::parse(text).unwrap_err().to_string();
    assert!(e.contains(reason), "{text}: {e}");
}

#[test]
fn parse_and_print() {
    check("vers:generic/>=1.0|<2.3", "vers:generic/>=1.0|<2.3");
    check("vers:npm/1.2.3", "vers:npm/1.2.3");
    check("vers:npm/=1.2.3", "vers:npm/1.2.3");
    check("vers:all/*", "vers:all/*");
    check(
        "vers: PyPI / >= 1.0 | != 1.5 | < 2",
        "vers:pypi/>=1.0|!=1.5|<2",
    );
    check("vers:all/<V3.1.4", "vers:all/<V3.1.4");
    check("vers:generic/<1.0%7Cbeta", "vers:generic/<1.0%7Cbeta");
    check("vers:deb/>=1:2.0-3", "vers:deb/>=1:2.0-3");
    let v = Vers::parse("vers:generic/%3E1").unwrap();
    assert_eq!(
        v.constraints,
        Constraints::List(vec![Constraint {
            comparator: Comparator::Eq,
            version: ">1".to_owned()
        }])
    );
    assert_eq!(v.to_string(), "vers:generic/%3E1");
}

#[test]
fn invalid_specifiers_say_why() {
    check_err("<=4.1", "does not start with `vers:`");
    check_err("VERS:npm/1", "does not start with `vers:`");
    check_err("vers:npm", "no `/`");
    check_err("vers:/1.0", "scheme is empty");
    check_err("vers:np_m/1.0", "versioning scheme has a character");
    check_err("vers:npm/1.0||2.0", "a constraint is empty");
    check_err("vers:npm/", "a constraint is empty");
    check_err("vers:npm/>=", "has no version");
    check_err("vers:npm/*|<2", "`*` may only stand alone");
    check_err(
        "vers:all/*_installed_on_CP200_devices",
        "`*` may only stand alone",
    );
    check_err("vers:npm/1.0%G1", "percent-encoding");
    check_err("vers:npm/1.0%+1", "percent-encoding");
    check_err("vers:npm/1.0%ff", "percent-encoding");
}

/// Dotted numeric versions, for matching tests.
fn numeric(a: &str, b: &str) -> Ordering {
    let parts = |s: &str| -> Vec<u64> { s.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parts(a).cmp(&parts(b))
}

fn check_contains(range: &str, version: &str, expect: bool) {
    let v = Vers::parse(range).unwrap();
    assert_eq!(v.contains(version, numeric), expect, "{version} in {range}");
}

#[test]
fn containment_follows_the_specification() {
    check_contains("vers:generic/*", "7", true);
    check_contains("vers:generic/>=1.0|<2.3", "1.0", true);
    check_contains("vers:generic/>=1.0|<2.3", "2.2.9", true);
    check_contains("vers:generic/>=1.0|<2.3", "2.3", false);
    check_contains("vers:generic/>=1.0|<2.3", "0.9", false);
    check_contains("vers:generic/<1.0", "0.5", true);
    check_contains("vers:generic/<=1.0", "1.0", true);
    check_contains("vers:generic/>2.0", "2.0", false);
    check_contains("vers:generic/>2.0", "3.0", true);
    check_contains("vers:generic/1.5|3.0", "3.0", true);
    check_contains("vers:generic/1.5|3.0", "2.0", false);
    // Two disjoint ranges.
    let two = "vers:generic/>=1.0|<1.5|>=2.0|<2.5";
    check_contains(two, "1.2", true);
    check_contains(two, "1.7", false);
    check_contains(two, "2.4", true);
    check_contains(two, "2.5", false);
    // An exclusion inside a range.
    let hole = "vers:generic/>=1.0|!=1.2|<2.0";
    check_contains(hole, "1.2", false);
    check_contains(hole, "1.3", true);
    // Written out of order, still the same range.
    check_contains("vers:generic/<2.3|>=1.0", "1.5", true);
}

proptest::proptest! {
    #[test]
    fn parsing_never_panics(s in "vers:[a-z]{0,4}/[<>=!|*%0-9A-Fa-z. ]{0,20}") {
        if let Ok(v) = Vers::parse(&s) {
            // The canonical form reads back to the same value.
            proptest::prop_assert_eq!(Vers::parse(&v.to_string()).unwrap(), v);
        }
    }
}
