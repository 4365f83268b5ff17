//! Round trips: each format → model → each format → model keeps the
//! statements (ids, status, justification, product and subcomponent
//! identities), on fixed documents and on generated ones.

use medsec_vex::{CsafOptions, Document, FormatKind, Justification, ProductRef, Statement, Status};
use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    OpenVex,
    CycloneDxJson,
    CycloneDxXml,
    Csaf,
}

const TARGETS: [Target; 4] = [
    Target::OpenVex,
    Target::CycloneDxJson,
    Target::CycloneDxXml,
    Target::Csaf,
];

/// Writes `doc` in `target` and reads the result back (CSAF: every
/// document, statements joined).
fn through(doc: &Document, target: Target) -> Result<Document, medsec_vex::VexError> {
    let texts = match target {
        Target::OpenVex => vec![medsec_vex::write_openvex(doc)?],
        Target::CycloneDxJson => vec![medsec_vex::write_cyclonedx_json(doc)?],
        Target::CycloneDxXml => vec![medsec_vex::write_cyclonedx_xml(doc)?],
        Target::Csaf => {
            medsec_vex::write_csaf(doc, &CsafOptions::new("https://psirt.example.com"))?
                .into_iter()
                .map(|d| d.json)
                .collect()
        }
    };
    let mut out: Option<Document> = None;
    for text in texts {
        let d = medsec_vex::read(text.as_bytes()).unwrap();
        match &mut out {
            None => out = Some(d),
            Some(o) => o.statements.extend(d.statements),
        }
    }
    Ok(out.unwrap())
}

/// The view a target keeps: CSAF written per product has no
/// subcomponents.
fn kept(doc: &Document, target: Target) -> Vec<String> {
    let mut d = doc.clone();
    if target == Target::Csaf {
        for s in &mut d.statements {
            s.subcomponents.clear();
        }
    }
    view(&d)
}

/// Sources in every format: medsec's device VEX written in each, and
/// go-vex's OpenVEX 0.2.0 example.
fn sources() -> Vec<(String, Document)> {
    let device = device_vex();
    let mut out = vec![
        ("model".to_owned(), device.clone()),
        (
            "go-vex v0.2.0.json".to_owned(),
            read_fixture("openvex/go-vex/v0.2.0.json"),
        ),
    ];
    for target in TARGETS {
        out.push((format!("{target:?}"), through(&device, target).unwrap()));
    }
    out
}

#[test]
fn every_format_through_every_format() {
    for (name, source) in sources() {
        for target in TARGETS {
            let back =
                through(&source, target).unwrap_or_else(|e| panic!("{name} as {target:?}: {e}"));
            assert_eq!(
                kept(&back, target),
                kept(&source, target),
                "{name} through {target:?}"
            );
        }
    }
}

#[test]
fn one_chain_through_all_formats() {
    let start = device_vex();
    let mut doc = start.clone();
    for target in [
        Target::OpenVex,
        Target::CycloneDxXml,
        Target::Csaf,
        Target::OpenVex,
    ] {
        doc = through(&doc, target).unwrap();
    }
    assert_eq!(kept(&doc, Target::Csaf), kept(&start, Target::Csaf));
}

#[test]
fn the_cyclonedx_fixture_through_every_format() {
    let source = read_fixture("cyclonedx/infusion-pump-vex.cdx.json");
    for target in [Target::OpenVex, Target::CycloneDxJson, Target::CycloneDxXml] {
        let back = through(&source, target).unwrap();
        assert_eq!(kept(&back, target), kept(&source, target), "{target:?}");
    }
    // The false positive has no justification, which CSAF VEX as
    // write_vex writes it needs.
    let err = through(&source, Target::Csaf).unwrap_err();
    assert!(
        err.to_string().contains("statements[5].justification"),
        "{err}"
    );
    let mut fixed = source.clone();
    fixed.statements[5].justification = Some(Justification::ComponentNotPresent);
    let back = through(&fixed, Target::Csaf).unwrap();
    assert_eq!(kept(&back, Target::Csaf), kept(&fixed, Target::Csaf));
    assert_eq!(
        back.statements.iter().map(|s| s.status).collect::<Vec<_>>(),
        source
            .statements
            .iter()
            .map(|s| s.status)
            .collect::<Vec<_>>()
    );
    assert_eq!(fixed.format.unwrap().kind, FormatKind::CycloneDxJson);
}

/// Generated documents: statuses, justifications, products and
/// subcomponents drawn from small pools so that products repeat across
/// statements.
fn document() -> impl Strategy<Value = Document> {
    let product = (0..4usize).prop_map(|i| ProductRef {
        purl: Some(format!("pkg:generic/acme/device-{i}@{i}.0")),
        supplier: Some("Acme".to_owned()),
        ..ProductRef::default()
    });
    let sub = (0..4usize).prop_map(|i| ProductRef::purl(format!("pkg:npm/lib-{i}@1.{i}.0")));
    let statement = (
        0..20u32,
        0..4usize,
        0..5usize,
        prop::collection::vec(product, 1..3),
        prop::collection::vec(sub, 0..3),
    )
        .prop_map(|(cve, status, j, mut products, mut subs)| {
            products.dedup();
            subs.sort_by(|a, b| a.purl.cmp(&b.purl));
            subs.dedup();
            let status = Status::ALL[status];
            Statement {
                vulnerability: format!("CVE-2024-{:04}", 1000 + cve),
                // A vulnerability has the same aliases wherever it appears.
                aliases: if cve % 2 == 0 {
                    vec![format!("GHSA-{cve}")]
                } else {
                    Vec::new()
                },
                products,
                subcomponents: subs,
                status,
                justification: (status == Status::NotAffected).then(|| Justification::ALL[j]),
                action_statement: (status == Status::Affected).then(|| "Update.".to_owned()),
                ..Statement::default()
            }
        });
    prop::collection::vec(statement, 1..8).prop_map(|mut statements| {
        // Identical statements are one statement.
        let mut seen = Vec::new();
        statements.retain(|s| {
            let new = !seen.contains(s);
            seen.push(s.clone());
            new
        });
        Document {
            id: Some("https://psirt.acme.example/vex/1".to_owned()),
            author: Some("Acme PSIRT".to_owned()),
            timestamp: Some("2025-01-01T00:00:00Z".to_owned()),
            statements,
            ..Document::default()
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generated_documents_round_trip(doc in document()) {
        for target in [Target::OpenVex, Target::CycloneDxJson, Target::CycloneDxXml] {
            let back = through(&doc, target).unwrap();
            prop_assert_eq!(kept(&back, target), kept(&doc, target), "{:?}", target);
        }
        // CSAF holds one status per product and CVE: the writer either
        // refuses naming a statement or keeps every product's status.
        match through(&doc, Target::Csaf) {
            Ok(back) => prop_assert_eq!(kept(&back, Target::Csaf), kept(&doc, Target::Csaf)),
            Err(e) => prop_assert!(e.to_string().contains("CSAF VEX holds one status"), "{}", e),
        }
    }
}
