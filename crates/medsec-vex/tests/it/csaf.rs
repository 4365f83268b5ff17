//! CSAF VEX: one document per product through `medsec_csaf::write_vex`,
//! the mandatory tests on every written document, the writer's
//! refusals, and reading relationships as subcomponents.

use medsec_vex::{
    CsafOptions, Document, FormatKind, Justification, ProductRef, Statement, Status, VexError,
};
use serde_json::json;

use super::*;

fn options() -> CsafOptions {
    CsafOptions::new("https://psirt.example.com")
}

/// The view without subcomponents, which CSAF written per product
/// leaves out.
fn product_view(doc: &Document) -> Vec<String> {
    let mut d = doc.clone();
    for s in &mut d.statements {
        s.subcomponents.clear();
    }
    view(&d)
}

/// Reads every written document and joins their statements.
fn read_all(written: &[medsec_vex::CsafDocument]) -> Document {
    let mut out = Document::default();
    for w in written {
        let advisory = medsec_csaf::read(w.json.as_bytes()).unwrap();
        assert_eq!(medsec_csaf::check(&advisory), [], "{}", w.json);
        let d = medsec_vex::read(w.json.as_bytes()).unwrap();
        assert_eq!(d.format.as_ref().unwrap().kind, FormatKind::Csaf);
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        out.id = d.id;
        out.author = d.author;
        out.timestamp = d.timestamp;
        out.statements.extend(d.statements);
    }
    out
}

#[test]
fn device_vex_as_csaf() {
    let d = device_vex();
    let written = medsec_vex::write_csaf(&d, &options()).unwrap();
    assert_eq!(written.len(), 1);
    let w = &written[0];
    assert_eq!(w.product, d.statements[0].products[0]);
    // The not-affected statements name openssl, which CSAF per product
    // cannot carry.
    let omitted: Vec<&str> = w.omitted.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(
        omitted,
        [
            "statements[0].subcomponents",
            "statements[1].subcomponents",
            "statements[2].subcomponents",
            "statements[3].subcomponents",
            "statements[4].subcomponents"
        ]
    );
    let back = read_all(&written);
    assert_eq!(product_view(&back), product_view(&d));
    assert_eq!(back.id, d.id);
    assert_eq!(back.author, d.author);
    let v: serde_json::Value = serde_json::from_str(&w.json).unwrap();
    assert_eq!(v["document"]["category"], "csaf_vex");
    assert_eq!(v["document"]["tracking"]["id"], d.id.clone().unwrap());
    assert_eq!(
        v["product_tree"]["branches"][0]["name"], "Example Medical",
        "the supplier is the vendor"
    );
    for (a, b) in d.statements.iter().zip(&back.statements) {
        assert_eq!(
            a.impact_statement, b.impact_statement,
            "{}",
            a.vulnerability
        );
        assert_eq!(a.action_statement, b.action_statement);
        assert_eq!(a.responses, b.responses);
        assert_eq!(a.description, b.description);
        assert_eq!(b.products[0].name.as_deref(), Some("Infusion Pump"));
        assert_eq!(b.products[0].version.as_deref(), Some("4.2.1"));
    }
}

#[test]
fn several_products_make_several_documents() {
    let mut d = device_vex();
    let other = ProductRef {
        purl: Some("pkg:generic/example-medical/infusion-pump@5.0.0".to_owned()),
        ..ProductRef::default()
    };
    d.statements[5].products.push(other.clone());
    d.statements[6].products = vec![other.clone()];
    d.last_updated = Some("2025-03-02T09:00:00+09:00".to_owned());
    let written = medsec_vex::write_csaf(&d, &options()).unwrap();
    let ids: Vec<String> = written
        .iter()
        .map(|w| {
            let v: serde_json::Value = serde_json::from_str(&w.json).unwrap();
            v["document"]["tracking"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let base = d.id.clone().unwrap();
    assert_eq!(ids, [format!("{base}-1"), format!("{base}-2")]);
    assert_eq!(written[1].product, other);
    let back = read_all(&written);
    assert_eq!(product_view(&back), product_view(&d));
    // Name and version come from the purl.
    let v: serde_json::Value = serde_json::from_str(&written[1].json).unwrap();
    assert_eq!(
        v["product_tree"]["branches"][0]["branches"][0]["branches"][0]["product"]["name"],
        "Example Medical PSIRT infusion-pump 5.0.0"
    );
    assert_eq!(
        v["document"]["tracking"]["revision_history"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn writer_refuses_what_csaf_cannot_say() {
    let check = |d: &Document, field: &str| match medsec_vex::write_csaf(d, &options()) {
        Err(VexError::Write {
            format: FormatKind::Csaf,
            field: f,
            ..
        }) => assert_eq!(f, field),
        other => panic!("expected an error at {field}, got {other:?}"),
    };
    let good = device_vex();
    let mut d = good.clone();
    d.id = None;
    check(&d, "id");
    let mut d = good.clone();
    d.author = None;
    check(&d, "author");
    let mut d = good.clone();
    d.timestamp = None;
    check(&d, "timestamp");
    let mut d = good.clone();
    d.last_updated = Some("2024-01-01T00:00:00Z".to_owned());
    check(&d, "last_updated");
    let mut d = good.clone();
    d.statements[6].vulnerability = "GHSA-aaaa-bbbb-cccc".to_owned();
    check(&d, "statements[6].vulnerability");
    // An alias that is a CVE is used.
    d.statements[6].aliases = vec!["CVE-2024-3000".to_owned()];
    medsec_vex::write_csaf(&d, &options()).unwrap();
    let mut d = good.clone();
    d.statements[0].justification = None;
    check(&d, "statements[0].justification");
    let mut d = good.clone();
    d.statements[5].action_statement = None;
    check(&d, "statements[5].action_statement");
    let mut d = good.clone();
    d.statements[7].products = Vec::new();
    check(&d, "statements[7].products");
    let mut d = good.clone();
    for s in &mut d.statements {
        s.products[0].version = None;
        s.products[0].purl = Some("pkg:generic/example-medical/infusion-pump".to_owned());
    }
    check(&d, "statements[0].products[0].version");
    let mut d = good.clone();
    for s in &mut d.statements {
        s.products[0].version = Some("vers:generic/>=4.0|<5.0".to_owned());
    }
    check(&d, "statements[0].products[0].version");
    let mut d = good.clone();
    for s in &mut d.statements {
        s.products[0].cpe = Some("not a cpe".to_owned());
    }
    check(&d, "statements[0].products[0].cpe");
    // Two statements on one product and CVE with different statuses.
    let mut d = good.clone();
    let mut again = d.statements[6].clone();
    again.status = Status::UnderInvestigation;
    d.statements.push(again);
    check(&d, "statements[8]");
    // …while two that agree become one.
    let mut d = good.clone();
    let mut again = d.statements[0].clone();
    again.impact_statement = Some("Also not used by the UI.".to_owned());
    d.statements.push(again);
    let written = medsec_vex::write_csaf(&d, &options()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&written[0].json).unwrap();
    assert_eq!(
        v["vulnerabilities"][0]["threats"][0]["details"],
        "Not affected: component_not_present.\n\nAlso not used by the UI."
    );
    // A namespace that is not a URI.
    let err = medsec_vex::write_csaf(&good, &CsafOptions::new("psirt example")).unwrap_err();
    assert!(err.to_string().contains("publisher.namespace"), "{err}");
}

#[test]
fn derived_texts_fill_what_csaf_requires() {
    let d = Document {
        id: Some("ACME-VEX-1".to_owned()),
        author: Some("Acme".to_owned()),
        timestamp: Some("2025-01-01T00:00:00Z".to_owned()),
        statements: vec![Statement {
            vulnerability: "CVE-2024-1234".to_owned(),
            products: vec![ProductRef::purl("pkg:generic/acme/monitor@1.0")],
            status: Status::NotAffected,
            justification: Some(Justification::VulnerableCodeNotPresent),
            ..Statement::default()
        }],
        ..Document::default()
    };
    let written = medsec_vex::write_csaf(&d, &options()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&written[0].json).unwrap();
    let vuln = &v["vulnerabilities"][0];
    assert_eq!(
        vuln["threats"][0]["details"],
        Justification::VulnerableCodeNotPresent.description()
    );
    assert_eq!(
        vuln["notes"][0]["text"],
        "CVE-2024-1234: the source VEX statement gives no description."
    );
    assert_eq!(vuln["flags"][0]["label"], "vulnerable_code_not_present");
}

#[test]
fn relationships_read_as_subcomponents() {
    let doc = json!({
        "document": {
            "category": "csaf_vex",
            "csaf_version": "2.0",
            "publisher": {"category": "vendor", "name": "Acme", "namespace": "https://acme.example"},
            "title": "Acme VEX",
            "tracking": {
                "current_release_date": "2025-01-01T00:00:00Z",
                "id": "ACME-1",
                "initial_release_date": "2025-01-01T00:00:00Z",
                "revision_history": [{"date": "2025-01-01T00:00:00Z", "number": "1", "summary": "Initial."}],
                "status": "final",
                "version": "1"
            }
        },
        "product_tree": {
            "branches": [{"category": "vendor", "name": "Acme", "branches": [
                {"category": "product_name", "name": "Monitor", "branches": [
                    {"category": "product_version", "name": "1.0", "product": {"name": "Acme Monitor 1.0", "product_id": "M1",
                        "product_identification_helper": {"purl": "pkg:generic/acme/monitor@1.0"}}},
                    {"category": "product_version", "name": "2.0", "product": {"name": "Acme Monitor 2.0", "product_id": "M2"}}
                ]},
                {"category": "product_name", "name": "zlib", "branches": [
                    {"category": "product_version", "name": "1.2.13", "product": {"name": "zlib 1.2.13", "product_id": "Z",
                        "product_identification_helper": {"purl": "pkg:generic/zlib@1.2.13"}}}
                ]}
            ]}],
            "relationships": [
                {"category": "default_component_of", "product_reference": "Z", "relates_to_product_reference": "M1",
                 "full_product_name": {"name": "zlib in Monitor 1.0", "product_id": "Z:M1"}},
                {"category": "default_component_of", "product_reference": "Z", "relates_to_product_reference": "M2",
                 "full_product_name": {"name": "zlib in Monitor 2.0", "product_id": "Z:M2"}}
            ]
        },
        "vulnerabilities": [{
            "cve": "CVE-2022-37434",
            "ids": [{"system_name": "GitHub", "text": "GHSA-cfmr-vrgj-2l5j"}],
            "notes": [{"category": "description", "text": "zlib heap overflow."}],
            "product_status": {"known_not_affected": ["Z:M1", "Z:M2"], "fixed": ["M2"]},
            "flags": [{"label": "vulnerable_code_not_in_execute_path", "product_ids": ["Z:M1", "Z:M2"]}],
            "threats": [{"category": "impact", "details": "inflateGetHeader is never called.", "product_ids": ["Z:M1", "Z:M2"]}]
        }]
    });
    let d = medsec_vex::read(&serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_eq!(d.statements.len(), 2, "{:#?}", d.statements);
    let fixed = &d.statements[0];
    assert_eq!(fixed.status, Status::Fixed);
    assert_eq!(fixed.products[0].id.as_deref(), Some("M2"));
    assert_eq!(fixed.products[0].name.as_deref(), Some("Monitor"));
    assert_eq!(fixed.products[0].version.as_deref(), Some("2.0"));
    assert_eq!(fixed.products[0].supplier.as_deref(), Some("Acme"));
    let na = &d.statements[1];
    assert_eq!(na.status, Status::NotAffected);
    assert_eq!(
        na.justification,
        Some(Justification::VulnerableCodeNotInExecutePath)
    );
    assert_eq!(
        na.impact_statement.as_deref(),
        Some("inflateGetHeader is never called.")
    );
    assert_eq!(na.aliases, ["GHSA-cfmr-vrgj-2l5j"]);
    let products: Vec<_> = na.products.iter().map(|p| p.id.as_deref()).collect();
    assert_eq!(products, [Some("M1"), Some("M2")]);
    assert_eq!(
        na.subcomponents[0].purl.as_deref(),
        Some("pkg:generic/zlib@1.2.13")
    );
    assert_eq!(d.id.as_deref(), Some("ACME-1"));
    assert_eq!(d.version, Some(1));
}
