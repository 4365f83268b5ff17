//! Diffs between releases: identity keys, version order, and field
//! changes.

use super::*;
use crate::model::{Format, FormatKind, Hash, HashAlg, License, Party};
use crate::purl::Purl;

fn sbom(components: Vec<Component>) -> Sbom {
    let mut s = Sbom::new(Format {
        kind: FormatKind::CycloneDxJson,
        spec_version: "1.6".to_owned(),
    });
    s.components = components;
    s
}

fn purl(p: &str) -> Component {
    let purl = Purl::parse(p).unwrap();
    let mut c = Component::new(p, purl.name());
    c.version = purl.version().map(str::to_owned);
    c.purl = Some(purl);
    c
}

fn cpe(name: &str, cpe: &str, version: &str) -> Component {
    let mut c = Component::new(format!("{name}-{version}"), name);
    c.version = Some(version.to_owned());
    c.cpes.push(cpe.to_owned());
    c
}

/// The diff as lines: `+`, `-`, `^` (upgraded), `v` (downgraded), `~`.
fn lines(d: &Diff) -> String {
    let mut out = String::new();
    for e in &d.added {
        out.push_str(&format!(
            "+ {} {}\n",
            e.key,
            e.version.as_deref().unwrap_or("-")
        ));
    }
    for e in &d.removed {
        out.push_str(&format!(
            "- {} {}\n",
            e.key,
            e.version.as_deref().unwrap_or("-")
        ));
    }
    for c in &d.upgraded {
        out.push_str(&format!("^ {} {:?} -> {:?}\n", c.key, c.old, c.new));
    }
    for c in &d.downgraded {
        out.push_str(&format!("v {} {:?} -> {:?}\n", c.key, c.old, c.new));
    }
    for c in &d.changed {
        let fields: Vec<String> = c
            .fields
            .iter()
            .map(|f| format!("{}: {} -> {}", f.field, f.old, f.new))
            .collect();
        out.push_str(&format!("~ {} {}\n", c.key, fields.join("; ")));
    }
    out
}

#[track_caller]
fn check(old: Vec<Component>, new: Vec<Component>, expect: &str) {
    let d = diff(&sbom(old), &sbom(new));
    crate::tests::check_text(&lines(&d), expect);
}

#[test]
fn keys() {
    assert_eq!(
        key(&purl(
            "pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=bookworm"
        )),
        "purl:pkg:deb/debian/openssl"
    );
    assert_eq!(
        key(&cpe(
            "libz1",
            "cpe:2.3:*:zlib:zlib:1.3.1:*:*:*:*:*:*:*",
            "1.3.1"
        )),
        "cpe:zlib:zlib"
    );
    assert_eq!(
        key(&cpe("x", "cpe:/a:Haxx:Curl:8.0", "8.0")),
        "cpe:haxx:curl"
    );
    let mut c = Component::new("a", "Log4J-Core");
    c.group = Some("org.apache".to_owned());
    assert_eq!(key(&c), "name:org.apache/log4j-core");
}

#[test]
fn releases() {
    let mut signed = purl("pkg:generic/acme-fw@2.0");
    signed
        .hashes
        .push(Hash::new(HashAlg::Sha256, &"a".repeat(64)));
    signed.supplier = Some(Party::organization("ACME"));
    let mut resigned = signed.clone();
    resigned.hashes[0] = Hash::new(HashAlg::Sha256, &"b".repeat(64));
    resigned
        .licenses
        .push(License::Expression("MIT".to_owned()));
    check(
        vec![
            purl("pkg:npm/lodash@4.17.20"),
            purl("pkg:npm/left-pad@1.3.0"),
            purl("pkg:deb/debian/openssl@1.1.1n-0%2Bdeb11u4?distro=bullseye"),
            cpe("libz1", "cpe:2.3:*:zlib:zlib:1.2.13:*:*:*:*:*:*:*", "1.2.13"),
            purl("pkg:pypi/requests@2.31.0"),
            signed,
            purl("pkg:npm/same@1.0.0"),
        ],
        vec![
            purl("pkg:npm/lodash@4.17.21"),
            purl("pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=bookworm"),
            cpe("libz1", "cpe:2.3:*:zlib:zlib:1.3.1:*:*:*:*:*:*:*", "1.3.1"),
            purl("pkg:pypi/requests@2.9.0"),
            purl("pkg:npm/express@4.19.2"),
            resigned,
            purl("pkg:npm/same@1.0.0"),
        ],
        "
        + purl:pkg:npm/express 4.19.2
        - purl:pkg:npm/left-pad 1.3.0
        ^ cpe:zlib:zlib Some(\"1.2.13\") -> Some(\"1.3.1\")
        ^ purl:pkg:deb/debian/openssl Some(\"1.1.1n-0+deb11u4\") -> Some(\"3.0.11-1~deb12u2\")
        ^ purl:pkg:npm/lodash Some(\"4.17.20\") -> Some(\"4.17.21\")
        v purl:pkg:pypi/requests Some(\"2.31.0\") -> Some(\"2.9.0\")
        ~ purl:pkg:generic/acme-fw hashes: SHA-256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -> SHA-256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb; licenses:  -> MIT
        ",
    );
}

#[test]
fn several_versions_of_one_package() {
    // Two copies of a library both move up one version; a third appears.
    check(
        vec![purl("pkg:npm/ms@2.0.0"), purl("pkg:npm/ms@2.1.2")],
        vec![
            purl("pkg:npm/ms@2.1.3"),
            purl("pkg:npm/ms@2.0.1"),
            purl("pkg:npm/ms@3.0.0-canary.1"),
        ],
        "
        + purl:pkg:npm/ms 3.0.0-canary.1
        ^ purl:pkg:npm/ms Some(\"2.0.0\") -> Some(\"2.0.1\")
        ^ purl:pkg:npm/ms Some(\"2.1.2\") -> Some(\"2.1.3\")
        ",
    );
}

#[test]
fn natural_version_order() {
    let c = Component::new("x", "x");
    let lt = |a: &str, b: &str| {
        assert_eq!(compare_versions(&c, a, b), Ordering::Less, "{a} < {b}");
        assert_eq!(compare_versions(&c, b, a), Ordering::Greater, "{b} > {a}");
    };
    lt("1.2.9", "1.2.10");
    lt("1.0.0-rc1", "1.0.0");
    lt("1.0.0-alpha", "1.0.0-beta");
    lt("v1.9", "v1.10");
    lt("3.0.13", "3.0.13a");
    lt("2024.01", "2024.1.1");
    assert_eq!(compare_versions(&c, "1.0", "1.0"), Ordering::Equal);
}

#[test]
fn fixtures_against_themselves_and_each_other() {
    let pump = crate::read(crate::tests::PUMP).unwrap();
    let d = diff(&pump, &pump);
    assert!(d.is_empty());
    assert_eq!(d.unchanged, 6);
    // Through another format the components stay the same.
    let via_spdx = crate::read(crate::write_spdx_json(&pump).as_bytes()).unwrap();
    let d = diff(&pump, &via_spdx);
    assert!(d.is_empty(), "{}", lines(&d));
    assert_eq!(d.unchanged, 6);
    let y = crate::read(crate::tests::YOCTO).unwrap();
    let d = diff(&pump, &y);
    assert_eq!(d.added.len(), 6);
    assert_eq!(d.removed.len(), 6);
}
