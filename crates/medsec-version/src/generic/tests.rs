//! The generic ordering, as its module documentation defines it.
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
fn natural_order() {
    use Ordering::*;
    check("1.0", Equal, "1-0");
    check("1.0", Equal, "v1.0");
    check("1.0", Less, "1.0.0");
    check("1.0", Less, "1.0.1");
    check("1.0rc1", Less, "1.0");
    check("1.0.rc1", Less, "1.0.1");
    check("1.0-RC1", Equal, "1.0rc1");
    check("1.10", Greater, "1.9");
    check("2.0b", Greater, "2.0a");
    check("10.2alpha3..patch.4.", Equal, "10.2.alpha.3.patch.4");
    assert!(Version::parse("..-").is_err());
}

proptest! {
    #[test]
    fn ordering_is_a_total_order(a in "[0-9a-c.]{1,6}", b in "[0-9a-c.]{1,6}", c in "[0-9a-c.]{1,6}") {
        if let (Ok(a), Ok(b), Ok(c)) = (Version::parse(&a), Version::parse(&b), Version::parse(&c)) {
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            if a <= b && b <= c {
                prop_assert!(a <= c);
            }
        }
    }

    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = Version::parse(&s);
    }
}
