//! The crate's surface: ecosystems and their names, schemes, and versions
//! across schemes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;

use proptest::prelude::*;

use super::*;

#[test]
fn ecosystem_names_round_trip() {
    for e in Ecosystem::ALL {
        assert_eq!(Ecosystem::from_osv(e.osv_name()), Some(e), "{e:?}");
        let namespace = match e {
            Ecosystem::Debian => Some("debian"),
            Ecosystem::Ubuntu => Some("ubuntu"),
            Ecosystem::Alpine => Some("alpine"),
            Ecosystem::Wolfi => Some("wolfi"),
            Ecosystem::Chainguard => Some("chainguard"),
            _ => None,
        };
        assert_eq!(
            Ecosystem::from_purl(e.purl_type(), namespace),
            Some(e),
            "{e:?}"
        );
    }
    assert_eq!(Ecosystem::from_osv("Debian:12"), Some(Ecosystem::Debian));
    assert_eq!(Ecosystem::from_osv("Alpine:v3.18"), Some(Ecosystem::Alpine));
    assert_eq!(Ecosystem::from_osv("Rocky Linux:8"), Some(Ecosystem::Rpm));
    assert_eq!(
        Ecosystem::from_osv("Red Hat:enterprise_linux:8::appstream"),
        Some(Ecosystem::Rpm)
    );
    assert_eq!(Ecosystem::from_osv("openSUSE"), Some(Ecosystem::Rpm));
    assert_eq!(Ecosystem::from_osv("pypi"), None);
    assert_eq!(Ecosystem::from_osv("GIT"), None);
    assert_eq!(
        Ecosystem::from_purl("DEB", Some("Ubuntu")),
        Some(Ecosystem::Ubuntu)
    );
    assert_eq!(Ecosystem::from_purl("deb", None), None);
    assert_eq!(
        Ecosystem::from_purl("rpm", Some("opensuse")),
        Some(Ecosystem::Rpm)
    );
    assert_eq!(Ecosystem::from_purl("generic", None), None);
}

#[test]
fn schemes_of_ecosystems() {
    assert_eq!(Ecosystem::Npm.scheme(), Scheme::Semver);
    assert_eq!(Ecosystem::CratesIo.scheme(), Scheme::Semver);
    assert_eq!(Ecosystem::Go.scheme(), Scheme::Go);
    assert_eq!(Ecosystem::PyPI.scheme(), Scheme::Pep440);
    assert_eq!(Ecosystem::Ubuntu.scheme(), Scheme::Debian);
    assert_eq!(Ecosystem::Wolfi.scheme(), Scheme::Alpine);
    assert_eq!(Ecosystem::Packagist.scheme(), Scheme::Composer);
    assert_eq!(Ecosystem::Pub.scheme(), Scheme::Pub);
}

#[test]
fn normalized_names() {
    let check = |e: Ecosystem, name: &str, expect: &str| {
        assert_eq!(e.normalize_name(name), expect, "{e:?} {name}");
    };
    check(Ecosystem::PyPI, "Foo.Bar_baz", "foo-bar-baz");
    check(Ecosystem::PyPI, "foo--__bar", "foo-bar");
    check(Ecosystem::PyPI, "requests", "requests");
    check(Ecosystem::CratesIo, "Serde_JSON", "serde-json");
    check(Ecosystem::NuGet, "Newtonsoft.Json", "newtonsoft.json");
    check(
        Ecosystem::Packagist,
        "Symfony/HTTP-Kernel",
        "symfony/http-kernel",
    );
    check(
        Ecosystem::GitHubActions,
        "Actions/Checkout",
        "actions/checkout",
    );
    check(Ecosystem::Npm, "@Scope/Pkg", "@Scope/Pkg");
    check(
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "org.apache.logging.log4j:log4j-core",
    );
    check(
        Ecosystem::Go,
        "github.com/BurntSushi/toml",
        "github.com/BurntSushi/toml",
    );
    check(Ecosystem::Debian, " openssl ", "openssl");
    assert!(matches!(
        Ecosystem::PyPI.normalize_name("django"),
        Cow::Borrowed(_)
    ));
}

#[test]
fn versions_compare_within_their_scheme_only() {
    let a = Scheme::Pep440.parse("1.0").unwrap();
    let b = Scheme::Pep440.parse("1.0.0").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.as_str(), "1.0");
    assert_eq!(a.to_string(), "1.0");
    assert_eq!(a.scheme(), Scheme::Pep440);
    let s = Scheme::Semver.parse("1.0.0").unwrap();
    let g = Scheme::Go.parse("v1.0.0").unwrap();
    assert_eq!(a.partial_cmp(&s), None);
    assert_eq!(s.partial_cmp(&g), None);
    assert_ne!(s, g);
    assert_eq!([a < s, a > s, a <= s, a >= s], [false; 4]);
    let p1 = Scheme::Pub.parse("1.0.0+1").unwrap();
    let p2 = Scheme::Pub.parse("1.0.0").unwrap();
    assert_eq!(p1.partial_cmp(&p2), Some(Ordering::Greater));
    let s1 = Scheme::Semver.parse("1.0.0+1").unwrap();
    assert_eq!(s1, s);
}

#[test]
fn errors_name_version_scheme_and_reason() {
    let e = Scheme::Pep440.parse("1.0.x").unwrap_err();
    assert_eq!(e.version, "1.0.x");
    assert_eq!(e.ecosystem, "PEP 440");
    assert!(
        e.to_string()
            .starts_with("`1.0.x` is not a valid PEP 440 version: "),
        "{e}"
    );
    let e = Scheme::Debian.parse("a1").unwrap_err();
    assert_eq!(
        e.to_string(),
        "`a1` is not a valid Debian version: the upstream version does not start with a digit"
    );
}

proptest! {
    #[test]
    fn no_scheme_panics(s in "\\PC{0,30}") {
        for scheme in [
            Scheme::Semver, Scheme::Go, Scheme::Pep440, Scheme::Maven, Scheme::NuGet,
            Scheme::RubyGems, Scheme::Debian, Scheme::Rpm, Scheme::Alpine, Scheme::Cran,
            Scheme::Composer, Scheme::Pub, Scheme::Generic,
        ] {
            if let Ok(v) = scheme.parse(&s) {
                prop_assert_eq!(v.partial_cmp(&v), Some(Ordering::Equal));
            }
        }
    }
}
