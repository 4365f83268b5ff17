//! CRAN ordering, as R's `package_version` compares.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;

use proptest::prelude::*;

use super::*;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn check(a: &str, expect: Ordering, b: &str) {
    assert_eq!(v(a).cmp(&v(b)), expect, "{a} vs {b}");
    assert_eq!(v(b).cmp(&v(a)), expect.reverse(), "{b} vs {a}");
}

#[test]
fn r_package_versions() {
    use Ordering::*;
    check("1.0-1", Equal, "1.0.1");
    check("1.0", Less, "1.0.0");
    check("1.0-10", Greater, "1.0-9");
    check("0.1-3", Less, "0.2");
    check("1.2.2-2", Greater, "1.2.2");
    check("01.2", Equal, "1.2");
    for (bad, why) in [
        ("", "not a number"),
        ("1.0a", "not a number"),
        ("1..0", "not a number"),
        ("1.0-", "not a number"),
        ("2147483648.1", "too large"),
    ] {
        let e = Version::parse(bad).unwrap_err().to_string();
        assert!(e.contains(why) && e.contains("CRAN"), "{bad}: {e}");
    }
}

proptest! {
    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = Version::parse(&s);
    }
}
