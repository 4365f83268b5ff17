//! Go module versions: the cases of `golang.org/x/mod/semver`'s tests, and
//! random versions against `univers.versions.GolangVersion`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;

use proptest::prelude::*;

use super::*;
use crate::reference::{self, Rng, Tool};

fn v(s: &str) -> Version {
    parse(s).unwrap()
}

fn check(a: &str, expect: Ordering, b: &str) {
    assert_eq!(v(a).cmp(&v(b)), expect, "{a} vs {b}");
    assert_eq!(v(b).cmp(&v(a)), expect.reverse(), "{b} vs {a}");
}

/// `semver_test.go`'s table, in increasing order; neighbours with the same
/// canonical form are equal.
const ORDERED: &[(&str, &str)] = &[
    ("v1.0.0-alpha", "v1.0.0-alpha"),
    ("v1.0.0-alpha.1", "v1.0.0-alpha.1"),
    ("v1.0.0-alpha.beta", "v1.0.0-alpha.beta"),
    ("v1.0.0-beta", "v1.0.0-beta"),
    ("v1.0.0-beta.2", "v1.0.0-beta.2"),
    ("v1.0.0-beta.11", "v1.0.0-beta.11"),
    ("v1.0.0-rc.1", "v1.0.0-rc.1"),
    ("v1", "v1.0.0"),
    ("v1.0", "v1.0.0"),
    ("v1.0.0", "v1.0.0"),
    ("v1.2", "v1.2.0"),
    ("v1.2.0", "v1.2.0"),
    ("v1.2.3-456", "v1.2.3-456"),
    ("v1.2.3-456.789", "v1.2.3-456.789"),
    ("v1.2.3-456-789", "v1.2.3-456-789"),
    ("v1.2.3-456a", "v1.2.3-456a"),
    ("v1.2.3-pre", "v1.2.3-pre"),
    ("v1.2.3-pre+meta", "v1.2.3-pre"),
    ("v1.2.3-pre.1", "v1.2.3-pre.1"),
    ("v1.2.3-zzz", "v1.2.3-zzz"),
    ("v1.2.3", "v1.2.3"),
    ("v1.2.3+meta", "v1.2.3"),
    ("v1.2.3+meta-pre", "v1.2.3"),
    ("v1.2.3+meta-pre.sha.256a", "v1.2.3"),
];

#[test]
fn go_semver_test_table() {
    for (i, (a, ca)) in ORDERED.iter().enumerate() {
        for (b, cb) in ORDERED.iter().skip(i) {
            let expect = if ca == cb {
                Ordering::Equal
            } else {
                Ordering::Less
            };
            check(a, expect, b);
        }
    }
    for bad in [
        "bad",
        "v1-alpha.beta.gamma",
        "v1-pre",
        "v1+meta",
        "v1-pre+meta",
        "v1.2-pre",
        "v1.2+meta",
        "v1.2-pre+meta",
        "v01.2.3",
        "v1.2.3-01",
        "v1.2.3-",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn incompatible_and_pseudo_versions() {
    use Ordering::*;
    check("v2.0.0+incompatible", Equal, "v2.0.0");
    check("v2.0.0+incompatible", Less, "v2.0.1");
    // Pseudo-versions sort before the release they precede and after the
    // one they follow.
    check("v0.0.0-20191109021931-daa7c04131f5", Less, "v0.0.0");
    check("v1.2.4-0.20191109021931-daa7c04131f5", Greater, "v1.2.3");
    check("v1.2.4-0.20191109021931-daa7c04131f5", Less, "v1.2.4");
    check(
        "v1.2.4-0.20191109021931-daa7c04131f5",
        Less,
        "v1.2.4-0.20200101000000-aaaaaaaaaaaa",
    );
    check(
        "v1.2.3-pre.0.20191109021931-daa7c04131f5",
        Greater,
        "v1.2.3-pre",
    );
    // OSV writes Go versions without the `v`.
    check("1.2.3", Equal, "v1.2.3");
    let e = parse("v1.2-pre").unwrap_err().to_string();
    assert!(e.contains("Go module") && e.contains("v1.2-pre"), "{e}");
}

fn random_go(rng: &mut Rng) -> String {
    let mut s = format!("v{}", rng.number());
    if rng.chance(10) {
        return s;
    }
    s.push('.');
    s.push_str(&rng.number());
    if rng.chance(10) {
        return s;
    }
    s.push('.');
    s.push_str(&rng.number());
    let pre = [
        "alpha",
        "beta.1",
        "rc.2",
        "0.20191109021931-daa7c04131f5",
        "0.20200101000000-aaaaaaaaaaaa",
        "20191109021931-daa7c04131f5",
        "pre.0.20191109021931-daa7c04131f5",
        "1",
        "11",
    ];
    if rng.chance(40) {
        s.push('-');
        s.push_str(rng.pick(&pre));
    }
    if rng.chance(15) {
        s.push_str(rng.pick(&["+incompatible", "+meta"]));
    }
    s
}

#[test]
fn ordering_agrees_with_univers() {
    let pairs = reference::pairs(2, 2000, random_go, |s| parse(s).is_ok());
    reference::check(Tool::Python, "go", &pairs, |a, b| v(a).cmp(&v(b)), &[]);
}

proptest! {
    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = parse(&s);
    }
}
