//! The NVD version order: the forms found in NVD bounds, the three
//! documented differences from grype's fuzzy comparison, and the laws of a
//! total order on random strings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering::{self, *};

use proptest::prelude::*;

use super::*;

fn check(a: &str, expect: Ordering, b: &str) {
    let (va, vb) = (NvdVersion::new(a), NvdVersion::new(b));
    assert_eq!(va.cmp(&vb), expect, "{a} vs {b}");
    assert_eq!(vb.cmp(&va), expect.reverse(), "{b} vs {a}");
}

#[test]
fn numbers_compare_as_numbers() {
    check("2.3.1", Less, "2.3.10");
    check("2.10", Greater, "2.9");
    check("8.1.0.1", Greater, "8.1.0");
    check("4107600010.23", Less, "4107600010.24");
    check(
        "99999999999999999999999.1",
        Greater,
        "99999999999999999999998.9",
    );
    check("2018.06", Equal, "2018.6");
    check("2024.1", Less, "2024.2");
    check("12.2.6", Greater, "12.2.5");
    check("1.52", Greater, "1.8.6");
}

#[test]
fn missing_parts_are_zero() {
    check("1.0", Equal, "1.0.0");
    check("6.0", Equal, "6.0.0");
    check("1.11", Equal, "1.11.00");
    check("1", Equal, "1.0.0.0");
    check("1.0", Less, "1.0.1");
    check("", Equal, "0");
}

#[test]
fn letters_after_numbers_and_pre_releases_before_the_end() {
    check("1.0.2k", Greater, "1.0.2");
    check("1.0.2k", Greater, "1.0.2j");
    check("1.0.2k", Less, "1.0.3");
    check("3.5_update1", Greater, "3.5");
    check("3.5_update2", Greater, "3.5_update1");
    check("v1.0 SP2", Greater, "1.0");
    check("v1.0 SP2", Greater, "1.0 sp1");
    check("v1.0 SP2", Less, "1.1");
    check("1.0rc1", Less, "1.0");
    check("1.0-rc2", Greater, "1.0rc1");
    check("1.0-beta", Less, "1.0-rc1");
    check("1.0-alpha", Less, "1.0-beta");
    check("1.0-dev", Less, "1.0-alpha");
    check("1.0-pre", Equal, "1.0.pre");
    check("1.0-rc1", Greater, "0.9");
    // Firmware builds from NVD bounds.
    check("20d30", Greater, "20d29");
    check("20d30", Less, "20d32");
    check("22d19", Greater, "20d32");
    check("l80", Less, "l81");
    check("d24", Less, "d25");
    check("053l000091", Less, "053l000092");
    check("a.03.09", Less, "a.03.10");
    check("a01.09", Less, "a01.10");
    check("5.89.05b", Greater, "5.89.05");
}

#[test]
fn case_separators_and_a_leading_v_do_not_matter() {
    check("V1.0", Equal, "1.0");
    check("v2", Equal, "2");
    check("1.0-2", Equal, "1.0_2");
    check("1.0 2", Equal, "1.0.2");
    check("1.0B", Equal, "1.0b");
    // A `v` that does not start a number is a word.
    check("vista", Greater, "1");
    assert_eq!(NvdVersion::new("V1.0").to_string(), "V1.0");
}

fn version_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("v?[0-9a-c.\\-_ ]{0,8}|(rc|beta|sp)?[0-9]{0,3}").unwrap()
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,30}") {
        let v = NvdVersion::new(&s);
        prop_assert_eq!(v.cmp(&v), Equal);
    }

    #[test]
    fn is_a_total_order(a in version_text(), b in version_text(), c in version_text()) {
        let (a, b, c) = (NvdVersion::new(&a), NvdVersion::new(&b), NvdVersion::new(&c));
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        if a <= b && b <= c {
            prop_assert!(a <= c, "{a} <= {b} <= {c}");
        }
        if a == b {
            prop_assert_eq!(a.cmp(&c), b.cmp(&c));
        }
    }

    #[test]
    fn trailing_zeros_do_not_count(a in "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}", zeros in 1usize..4) {
        let padded = format!("{a}{}", ".0".repeat(zeros));
        prop_assert_eq!(NvdVersion::new(&a), NvdVersion::new(&padded));
    }
}
