//! Composer: normalisation cases of composer/semver's `VersionParserTest`,
//! and PHP `version_compare` orderings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;

use proptest::prelude::*;

use super::*;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn check(a: &str, expect: Ordering, b: &str) {
    assert_eq!(v(a).cmp(&v(b)), expect, "{a} vs {b}");
    assert_eq!(v(b).cmp(&v(a)), expect.reverse(), "{b} vs {a}");
}

#[test]
fn composer_normalize() {
    for (input, normalized) in [
        ("1.0.0", "1.0.0.0"),
        ("1.2.3.4", "1.2.3.4"),
        ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
        ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
        ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
        ("1.0.0-rc1", "1.0.0.0-RC1"),
        ("1.0.0.pl3-dev", "1.0.0.0-patch3-dev"),
        ("1.0-dev", "1.0.0.0-dev"),
        ("0", "0.0.0.0"),
        ("10.4.13-beta", "10.4.13.0-beta"),
        ("10.4.13beta2", "10.4.13.0-beta2"),
        ("10.4.13beta.2", "10.4.13.0-beta2"),
        ("v1.13.11-beta.0", "1.13.11.0-beta0"),
        ("1.13.11.0-beta0", "1.13.11.0-beta0"),
        ("10.4.13-b", "10.4.13.0-beta"),
        ("10.4.13-b5", "10.4.13.0-beta5"),
        ("v1.0.0", "1.0.0.0"),
        ("2010.01", "2010.01.0.0"),
        ("2010.01.02", "2010.01.02.0"),
        ("2010.1.555", "2010.1.555.0"),
        ("v20100102", "20100102"),
        ("2010-01-02", "2010.01.02"),
        ("2010-01-02.5", "2010.01.02.5"),
        ("20100102-203040", "20100102.203040"),
        ("20100102203040-10", "20100102203040.10"),
        ("20100102-203040-p1", "20100102.203040-patch1"),
        ("201903.0", "201903.0"),
        ("201903.0-p2", "201903.0-patch2"),
        ("1.x-dev", "1.9999999.9999999.9999999-dev"),
        ("1.0.0+foo@dev", "1.0.0.0"),
        ("1.0.0-beta.5+foo", "1.0.0.0-beta5"),
        ("1.0.0+foo", "1.0.0.0"),
        ("1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1"),
        ("1.0.0-alpha2.1+foo", "1.0.0.0-alpha2.1"),
        ("1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1-3"),
        ("1.0.0+foo as 2.0", "1.0.0.0"),
        ("00.01.03.04", "00.01.03.04"),
        ("000.001.003.004", "000.001.003.004"),
        ("0.000.103.204", "0.000.103.204"),
        ("0700", "0700.0.0.0"),
        ("041.x-dev", "041.9999999.9999999.9999999-dev"),
        (" 1.0.0", "1.0.0.0"),
        ("1.0.0 ", "1.0.0.0"),
        ("1.0.0-stable", "1.0.0.0"),
    ] {
        assert_eq!(v(input).normalized(), normalized, "{input}");
    }
    for branch in [
        "dev-master",
        "master",
        "dev-feature-foo",
        "DEV-FOOBAR",
        "dev-master as 1.0.0",
    ] {
        let e = Version::parse(branch).unwrap_err().to_string();
        assert!(
            e.contains("branch") && e.contains("Composer"),
            "{branch}: {e}"
        );
    }
    for bad in [
        "",
        "1.0.0-meh",
        "1.0.0.0.0",
        "feature-foo",
        "1.0.0-SNAPSHOT",
    ] {
        assert!(Version::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn version_compare_order() {
    use Ordering::*;
    for w in [
        "1.0.0-dev",
        "1.0.0-alpha",
        "1.0.0-alpha2",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-RC1",
        "1.0.0-rc2",
        "1.0.0",
        "1.0.0-patch1",
        "1.0.0-p2",
        "1.0.1",
        "1.1.x-dev",
        "1.2",
        "v1.10",
    ]
    .windows(2)
    {
        check(w[0], Less, w[1]);
    }
    check("1.0", Equal, "1.0.0.0");
    check("v1.0.0", Equal, "1.0.0");
    check("1.0.0+build", Equal, "1.0.0");
    check("1.0-b1", Equal, "1.0.0-beta1");
    check("00.01", Equal, "0.1");
}

proptest! {
    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = Version::parse(&s);
    }
}
