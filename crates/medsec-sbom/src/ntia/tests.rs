//! The NTIA check on the fixtures and on made-up SBOMs.

use super::*;
use crate::model::{Component, ComponentId, Dependency, Format, FormatKind, Party};

fn read(bytes: &[u8]) -> Sbom {
    crate::read(bytes).unwrap()
}

/// One line per element: pass/fail, the failing components, the note.
fn lines(r: &Report) -> String {
    r.elements
        .iter()
        .map(|e| {
            let mut l = format!("{}: {}", e.element, if e.passed { "pass" } else { "FAIL" });
            if !e.failing.is_empty() {
                l.push_str(&format!(" {:?}", e.failing));
            }
            if let Some(n) = &e.note {
                l.push_str(&format!(" ({n})"));
            }
            l + "\n"
        })
        .collect()
}

#[track_caller]
fn check(sbom: &Sbom, expect: &str, score: f64) {
    let r = super::check(sbom);
    crate::tests::check_text(&lines(&r), expect);
    assert_eq!(r.score, score);
}

#[test]
fn fixtures() {
    check(
        &read(crate::tests::PUMP),
        r#"
        Supplier Name: FAIL ["pyserial@3.5", "FreeRTOS/FreeRTOS-Plus-TCP@4.0.0"]
        Component Name: pass
        Version of the Component: pass
        Other Unique Identifiers: pass
        Dependency Relationship: FAIL ["pyserial@3.5"]
        Author of SBOM Data: pass
        Timestamp: pass
        "#,
        92.9,
    );
    check(
        &read(crate::tests::YOCTO),
        r#"
        Supplier Name: pass
        Component Name: pass
        Version of the Component: pass
        Other Unique Identifiers: FAIL ["core-image-minimal@1.0"]
        Dependency Relationship: pass
        Author of SBOM Data: pass
        Timestamp: pass
        "#,
        97.6,
    );
    let r = super::check(&read(crate::tests::YOCTO));
    // Six packages: files and the recipe are not checked.
    assert_eq!(r.components_checked, 6);
    assert!(!r.passed());
}

fn sbom(components: Vec<Component>) -> Sbom {
    let mut s = Sbom::new(Format {
        kind: FormatKind::CycloneDxJson,
        spec_version: "1.6".to_owned(),
    });
    s.components = components;
    s
}

fn complete(id: &str) -> Component {
    let mut c = Component::new(id, id);
    c.version = Some("1.0".to_owned());
    c.supplier = Some(Party::organization("ACME"));
    c.cpes
        .push(format!("cpe:2.3:a:acme:{id}:1.0:*:*:*:*:*:*:*"));
    c
}

#[test]
fn a_complete_sbom_passes() {
    let mut s = sbom(vec![complete("product"), complete("lib")]);
    s.subject = Some(ComponentId::new("product"));
    s.dependencies.push(Dependency {
        from: ComponentId::new("product"),
        to: ComponentId::new("lib"),
        kind: DependencyKind::DependsOn,
        detail: None,
    });
    s.tools.push("syft 1.0".to_owned());
    s.created = Some("2025-01-01T00:00:00+09:00".to_owned());
    let r = super::check(&s);
    assert!(r.passed(), "{}", lines(&r));
    assert_eq!(r.score, 100.0);
}

#[test]
fn what_fails_and_why() {
    let mut bare = Component::new("x", " ");
    bare.author = Some(Party::person("someone"));
    let mut s = sbom(vec![complete("product"), bare]);
    s.subject = Some(ComponentId::new("product"));
    s.created = Some("yesterday".to_owned());
    check(
        &s,
        r#"
        Supplier Name: FAIL ["(x)"]
        Component Name: FAIL ["(x)"]
        Version of the Component: FAIL ["(x)"]
        Other Unique Identifiers: FAIL ["(x)"]
        Dependency Relationship: FAIL ["product@1.0", "(x)"] (the product `product@1.0` has no stated dependencies)
        Author of SBOM Data: FAIL (the SBOM names no author (person, organisation or tool))
        Timestamp: FAIL (`yesterday` is not a date and time)
        "#,
        28.6,
    );
    check(
        &sbom(Vec::new()),
        r#"
        Supplier Name: FAIL (the SBOM lists no components)
        Component Name: FAIL (the SBOM lists no components)
        Version of the Component: FAIL (the SBOM lists no components)
        Other Unique Identifiers: FAIL (the SBOM lists no components)
        Dependency Relationship: FAIL (the SBOM lists no components)
        Author of SBOM Data: FAIL (the SBOM names no author (person, organisation or tool))
        Timestamp: FAIL (the SBOM has no creation time)
        "#,
        0.0,
    );
}
