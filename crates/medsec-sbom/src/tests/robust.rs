//! Robustness: no input makes a reader panic, deep nesting is an error
//! rather than a stack overflow, and the limits hold.

use proptest::prelude::*;

use super::*;
use crate::{ErrorKind, Limits, read_with};

fn no_panic(bytes: &[u8]) {
    // Only a panic fails: errors and warnings are the expected outcomes.
    let _ = crate::read(bytes);
    for format in [
        crate::FormatKind::CycloneDxJson,
        crate::FormatKind::CycloneDxXml,
        crate::FormatKind::Spdx2Json,
        crate::FormatKind::Spdx2TagValue,
        crate::FormatKind::Spdx3JsonLd,
    ] {
        let _ = crate::read_as(bytes, format);
    }
}

/// A fixture with a few bytes changed, inserted, removed or cut.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let fixtures = prop::sample::select(vec![PUMP, VENTILATOR, MONITOR, YOCTO]);
    let edits = prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..8);
    (fixtures, edits, any::<prop::sample::Index>()).prop_map(|(f, edits, cut)| {
        let mut b = f.to_vec();
        for (at, op, byte) in edits {
            if b.is_empty() {
                break;
            }
            let i = at.index(b.len());
            match op {
                0 => b[i] = byte,
                1 => b.insert(i, byte),
                2 => {
                    b.remove(i);
                }
                // Structural characters are what parsers trip over.
                _ => b[i] = *at.get(b"{}[]<>\":,/\n"),
            }
        }
        if cut.index(4) == 0 {
            b.truncate(cut.index(b.len() + 1));
        }
        b
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        no_panic(&bytes);
    }

    #[test]
    fn random_text_never_panics(text in "(\\{|\\}|\\[|\\]|<|>|\"|:|,|SPDXVersion: |<text>|</text>|bomFormat|@graph|[a-z0-9 \n]){0,64}") {
        no_panic(text.as_bytes());
    }

    #[test]
    fn mutated_fixtures_never_panic(bytes in mutated()) {
        no_panic(&bytes);
    }
}

fn kind_of(bytes: &[u8]) -> ErrorKind {
    match crate::read(bytes) {
        Ok(s) => panic!("read {} components", s.components.len()),
        Err(e) => e.kind,
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    const DEPTH: usize = 100_000;
    let json = format!(
        "{{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":{}[]{}}}",
        "[{\"type\":\"library\",\"name\":\"a\",\"components\":".repeat(DEPTH),
        "}]".repeat(DEPTH)
    );
    assert_eq!(kind_of(json.as_bytes()), ErrorKind::TooDeep);
    let e = crate::read_as(json.as_bytes(), crate::FormatKind::CycloneDxJson).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooDeep);
    assert!(
        e.to_string().contains("recursion limit exceeded at line 1"),
        "{e}"
    );

    let xml = format!(
        "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"><components>{}{}</components></bom>",
        "<component type=\"library\"><name>a</name><components>".repeat(DEPTH),
        "</components></component>".repeat(DEPTH)
    );
    let e = crate::read(xml.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooDeep);
    assert_eq!(
        e.to_string(),
        "CycloneDX XML: elements nested deeper than 128 levels at line 1 column 3338"
    );

    let spdx3 = format!(
        "{{\"@graph\":[{{\"type\":\"software_Package\",\"x\":{}1{}}}]}}",
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    );
    assert_eq!(kind_of(spdx3.as_bytes()), ErrorKind::TooDeep);
    let e = crate::read_as(spdx3.as_bytes(), crate::FormatKind::Spdx3JsonLd).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooDeep);

    let expression = format!("{}MIT{}", "(".repeat(DEPTH), ")".repeat(DEPTH));
    assert_eq!(crate::license::canonical_expression(&expression), None);

    // Nesting within the limits reads, and the writers nest it back.
    let ok = format!(
        "{{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":{}[]{}}}",
        "[{\"type\":\"library\",\"name\":\"a\",\"components\":".repeat(60),
        "}]".repeat(60)
    );
    let s = read(ok.as_bytes());
    assert_eq!(s.components.len(), 60);
    let back = read(crate::write_cyclonedx_xml(&s).as_bytes());
    assert_eq!(back.components.len(), 60);
}

#[test]
fn limits_are_enforced() {
    let small = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    let e = read_with(PUMP, None, &small).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge);
    assert_eq!(
        e.to_string(),
        format!(
            "SBOM: the document is {} bytes, more than the limit of 100",
            PUMP.len()
        )
    );
    let few = Limits {
        max_components: 3,
        ..Limits::default()
    };
    for fixture in [PUMP, VENTILATOR, MONITOR, YOCTO] {
        let e = read_with(fixture, None, &few).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooManyComponents, "{e}");
    }
    let shallow = Limits {
        max_depth: 4,
        ..Limits::default()
    };
    let e = read_with(VENTILATOR, None, &shallow).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooDeep);
}
