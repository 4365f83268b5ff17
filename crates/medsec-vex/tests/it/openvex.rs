//! OpenVEX: the specification's examples, go-vex's test data, the rules
//! of the specification as errors and diagnostics, and the writer's
//! refusals.

use medsec_vex::{Document, FormatKind, Justification, ProductRef, Status, VexError};
use serde_json::json;

use super::*;

fn read_json(value: &serde_json::Value) -> Result<Document, VexError> {
    medsec_vex::read(&serde_json::to_vec(value).unwrap())
}

/// A valid 0.2.0 document with the given statements.
fn doc(statements: serde_json::Value) -> serde_json::Value {
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://openvex.dev/docs/example/vex-1",
        "author": "Example Medical PSIRT",
        "timestamp": "2025-03-01T09:00:00Z",
        "version": 1,
        "statements": statements
    })
}

/// Reading `statements` fails with an error whose text contains every
/// part of `expect`.
fn check_error(statements: serde_json::Value, expect: &[&str]) {
    let err = read_json(&doc(statements)).unwrap_err().to_string();
    for part in expect {
        assert!(err.contains(part), "`{err}` lacks `{part}`");
    }
}

/// Reading `statements` succeeds with a diagnostic at `path`.
fn check_diagnostic(statements: serde_json::Value, path: &str) -> Document {
    let d = read_json(&doc(statements)).unwrap();
    assert!(
        d.diagnostics.iter().any(|x| x.path == path),
        "no diagnostic at {path}: {:?}",
        d.diagnostics
    );
    d
}

#[test]
fn spec_examples() {
    // (file, what reading it gives): the specification's code blocks
    // include fragments and JSON with syntax errors.
    let expected: [(&str, &str); 8] = [
        ("example-01.json", "ok"),
        ("example-02.json", "not a document"),
        ("example-03.json", "syntax"),
        ("example-04.json", "syntax"),
        ("example-05.json", "syntax"),
        ("example-06.json", "ok"),
        ("example-07.json", "syntax"),
        ("example-08.json", "syntax"),
    ];
    let dir = fixture("openvex/spec");
    assert_eq!(files(&dir, ".json").len(), expected.len());
    for (file, outcome) in expected {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let got = medsec_vex::read(&bytes);
        match (outcome, &got) {
            ("ok", Ok(d)) => {
                assert_eq!(d.format.as_ref().unwrap().kind, FormatKind::OpenVex);
                assert_eq!(d.format.as_ref().unwrap().version, "0.2.0");
                assert!(d.diagnostics.is_empty(), "{file}: {:?}", d.diagnostics);
            }
            ("syntax", Err(VexError::Syntax { line, .. })) => assert!(*line > 0, "{file}"),
            ("not a document", Err(VexError::UnknownFormat(_))) => {}
            _ => panic!("{file}: expected {outcome}, got {got:?}"),
        }
    }
    let minimal = read_fixture("openvex/spec/example-01.json");
    assert_eq!(
        minimal.id.as_deref(),
        Some("https://openvex.dev/docs/example/vex-9fb3463de1b57")
    );
    assert_eq!(minimal.author.as_deref(), Some("Wolfi J Inkinson"));
    assert_eq!(minimal.version, Some(1));
    let [s] = minimal.statements.as_slice() else {
        panic!("{:?}", minimal.statements)
    };
    assert_eq!(s.vulnerability, "CVE-2023-12345");
    assert_eq!(s.status, Status::Fixed);
    let purls: Vec<_> = s.products.iter().map(|p| p.purl.as_deref()).collect();
    assert_eq!(
        purls,
        [
            Some("pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"),
            Some("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64")
        ]
    );
    assert_eq!(s.products[0].name.as_deref(), Some("git"));
    assert_eq!(s.products[0].version.as_deref(), Some("2.39.0-r1"));
    // Example 8 breaks off at its missing comma: line 23.
    let bytes = std::fs::read(dir.join("example-08.json")).unwrap();
    assert!(matches!(
        medsec_vex::read(&bytes),
        Err(VexError::Syntax { line: 23, .. })
    ));
}

#[test]
fn go_vex_examples() {
    let dir = fixture("openvex/go-vex");
    let all = files(&dir, ".json");
    assert_eq!(all.len(), 7);
    for path in &all {
        let d = medsec_vex::read(&std::fs::read(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!d.statements.is_empty(), "{}", path.display());
    }
    // 0.0.1: strings for the vulnerability and products, a string
    // version, a context without version.
    for file in ["v0.0.1.json", "v0.0.1-noversion.json"] {
        let d = read_fixture(&format!("openvex/go-vex/{file}"));
        assert_eq!(d.format.as_ref().unwrap().version, "0.0.1");
        assert_eq!(d.version, Some(1));
        assert_eq!(d.statements[0].vulnerability, "CVE-2023-12345");
        assert_eq!(d.statements[0].products.len(), 2);
        assert!(d.diagnostics.is_empty(), "{file}: {:?}", d.diagnostics);
    }
    // The 0.0.1 member `format` is not in the schema; the document has
    // no timestamp or version.
    let d = read_fixture("openvex/go-vex/v001-1.vex.json");
    let paths: Vec<&str> = d.diagnostics.iter().map(|x| x.path.as_str()).collect();
    assert_eq!(paths, ["format", "timestamp", "version", "@id"]);
    assert_eq!(d.statements[0].detail, None, "empty status_notes is none");
    // 0.2.0 products with subcomponents.
    let d = read_fixture("openvex/go-vex/v0.2.0.json");
    assert_eq!(d.statements.len(), 5);
    let s = &d.statements[3];
    assert_eq!(s.status, Status::NotAffected);
    assert_eq!(
        s.justification,
        Some(Justification::VulnerableCodeNotPresent)
    );
    let subs: Vec<_> = s.subcomponents.iter().map(|p| p.purl.as_deref()).collect();
    assert_eq!(
        subs,
        [
            Some("pkg:apk/alpine/libssl3@3.0.8-r3"),
            Some("pkg:apk/alpine/libcrypto3@3.0.8-r3")
        ]
    );
    // 0.2.0 without document timestamp and version: diagnostics only.
    let d = read_fixture("openvex/go-vex/v020-1.vex.json");
    let paths: Vec<&str> = d.diagnostics.iter().map(|x| x.path.as_str()).collect();
    assert_eq!(paths, ["timestamp", "version"]);
}

#[test]
fn errors_name_the_place() {
    let s = |status: &str| json!({"vulnerability": {"name": "CVE-2024-1"}, "products": [{"@id": "pkg:generic/a@1"}], "status": status, "justification": "component_not_present"});
    check_error(
        json!([s("fixed"), s("exploitable")]),
        &[
            "OpenVEX",
            "statements[1].status",
            "unknown variant `exploitable`",
        ],
    );
    check_error(
        json!([{"vulnerability": {"name": "CVE-2024-1"}, "status": "not_affected"}]),
        &[
            "statements[0].justification",
            "justification or an impact_statement",
        ],
    );
    check_error(
        json!([{"vulnerability": {"name": "CVE-2024-1"}, "status": "not_affected", "justification": "code_not_reachable"}]),
        &[
            "statements[0].justification",
            "unknown variant `code_not_reachable`",
        ],
    );
    check_error(
        json!([{"vulnerability": {"name": " "}, "status": "fixed"}]),
        &["statements[0].vulnerability.name", "empty"],
    );
    check_error(
        json!([{"status": "fixed"}]),
        &["statements[0]", "missing field `vulnerability`"],
    );
    check_error(
        json!([{"vulnerability": {"name": "CVE-2024-1"}, "products": [{"hashes": {"sha1": "00"}}], "status": "fixed"}]),
        &["statements[0].products[0]", "names no product"],
    );
    check_error(
        json!([{"vulnerability": {"name": "CVE-2024-1"}, "products": [{"@id": "pkg:generic/a@1", "subcomponents": [{"identifiers": {}}]}], "status": "fixed"}]),
        &[
            "statements[0].products[0].subcomponents[0]",
            "names no product",
        ],
    );
    check_error(
        json!({"not": "a list"}),
        &["statements", "invalid type: map"],
    );
    // A context of a version this crate does not know.
    let mut v = doc(json!([]));
    v["@context"] = json!("https://openvex.dev/ns/v9.9.9");
    assert_eq!(
        read_json(&v).unwrap_err(),
        VexError::Version {
            format: FormatKind::OpenVex,
            version: "v9.9.9".to_owned()
        }
    );
}

#[test]
fn shoulds_are_diagnostics() {
    let d = check_diagnostic(
        json!([{"vulnerability": {"name": "CVE-2024-1"}, "products": [{"@id": "pkg:generic/a@1"}], "status": "affected"}]),
        "statements[0].action_statement",
    );
    assert_eq!(d.statements[0].status, Status::Affected);
    check_diagnostic(
        json!([{"vulnerability": {"name": "CVE-2024-1"}, "status": "fixed"}]),
        "statements[0].products",
    );
    check_diagnostic(
        json!([{"vulnerability": {"name": "CVE-2024-1"}, "products": [{"@id": "pkg:generic/a@1"}], "status": "fixed", "colour": "red"}]),
        "statements[0].colour",
    );
    check_diagnostic(
        json!([{"vulnerability": {"name": "CVE-2024-1"}, "products": [{"@id": "pkg:generic/a@1"}], "status": "fixed", "timestamp": "yesterday"}]),
        "statements[0].timestamp",
    );
    check_diagnostic(
        json!([{"vulnerability": {"name": "CVE-2024-1"}, "products": [{"@id": "not an iri"}], "status": "fixed"}]),
        "statements[0].products[0].@id",
    );
    // A not_affected statement with an impact statement only is valid.
    let d = read_json(&doc(json!([{"vulnerability": {"name": "CVE-2024-1"}, "products": [{"@id": "pkg:generic/a@1"}], "status": "not_affected", "impact_statement": "Not used."}]))).unwrap();
    assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
    assert_eq!(d.statements[0].justification, None);
}

#[test]
fn products_with_different_subcomponents_split_the_statement() {
    let d = read_json(&doc(json!([{
        "vulnerability": {"name": "CVE-2024-1", "aliases": ["GHSA-1", "CVE-2024-1", "GHSA-1"]},
        "products": [
            {"@id": "pkg:generic/a@1", "subcomponents": [{"@id": "pkg:generic/x@1"}]},
            {"@id": "pkg:generic/b@1"},
            {"@id": "pkg:generic/c@1", "subcomponents": [{"@id": "pkg:generic/x@1"}]},
            {"identifiers": {"cpe23": "cpe:2.3:a:acme:d:1:*:*:*:*:*:*:*"}}
        ],
        "status": "fixed",
        "supplier": "Acme"
    }])))
    .unwrap();
    assert_eq!(d.statements.len(), 2);
    let names =
        |s: &Statement| -> Vec<String> { s.products.iter().map(ProductRef::label).collect() };
    assert_eq!(
        names(&d.statements[0]),
        ["pkg:generic/a@1", "pkg:generic/c@1"]
    );
    assert_eq!(d.statements[0].subcomponents.len(), 1);
    assert_eq!(
        names(&d.statements[1]),
        ["pkg:generic/b@1", "cpe:2.3:a:acme:d:1:*:*:*:*:*:*:*"]
    );
    assert!(d.statements[1].subcomponents.is_empty());
    assert_eq!(d.statements[0].aliases, ["GHSA-1"]);
    assert_eq!(
        d.statements[1].products[0].supplier.as_deref(),
        Some("Acme")
    );
}

/// Writing `doc` fails naming `field`.
fn check_write_error(doc: &Document, field: &str) {
    match medsec_vex::write_openvex(doc) {
        Err(VexError::Write {
            format: FormatKind::OpenVex,
            field: f,
            ..
        }) => assert_eq!(f, field),
        other => panic!("expected an error at {field}, got {other:?}"),
    }
}

#[test]
fn writer_refuses_what_openvex_cannot_say() {
    let good = device_vex();
    medsec_vex::write_openvex(&good).unwrap();

    let mut d = good.clone();
    d.id = None;
    check_write_error(&d, "id");
    d.id = Some("INTERNAL-2024-1".to_owned());
    check_write_error(&d, "id");
    let mut d = good.clone();
    d.author = Some(" ".to_owned());
    check_write_error(&d, "author");
    let mut d = good.clone();
    d.timestamp = Some("2025-03-01".to_owned());
    check_write_error(&d, "timestamp");
    let mut d = good.clone();
    d.version = Some(0);
    check_write_error(&d, "version");
    let mut d = good.clone();
    d.statements.clear();
    check_write_error(&d, "statements");

    let mut d = good.clone();
    d.statements[0].justification = None;
    d.statements[0].impact_statement = None;
    check_write_error(&d, "statements[0].justification");
    let affected = good
        .statements
        .iter()
        .position(|s| s.status == Status::Affected)
        .unwrap();
    let mut d = good.clone();
    d.statements[affected].action_statement = None;
    check_write_error(&d, &format!("statements[{affected}].action_statement"));
    let mut d = good.clone();
    d.statements[1].products = vec![ProductRef {
        id: Some("CSAFPID-0001".to_owned()),
        name: Some("Pump".to_owned()),
        ..ProductRef::default()
    }];
    check_write_error(&d, "statements[1].products[0]");
    let mut d = good.clone();
    d.statements[1].products[0].cpe = Some("acme pump".to_owned());
    check_write_error(&d, "statements[1].products[0].cpe");
    let mut d = good.clone();
    d.statements[2].timestamp = Some("noon".to_owned());
    check_write_error(&d, "statements[2].timestamp");
    let mut d = good.clone();
    d.statements.push(d.statements[6].clone());
    check_write_error(&d, "statements[8]");
}

#[test]
fn written_openvex_reads_back() {
    let original = device_vex();
    let text = medsec_vex::write_openvex(&original).unwrap();
    assert_eq!(text, medsec_vex::write_openvex(&original).unwrap());
    let back = medsec_vex::read(text.as_bytes()).unwrap();
    assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
    assert_eq!(view(&back), view(&original));
    assert_eq!(back.id, original.id);
    assert_eq!(back.author, original.author);
    assert_eq!(back.timestamp, original.timestamp);
    assert_eq!(back.version, original.version);
    for (a, b) in original.statements.iter().zip(&back.statements) {
        assert_eq!(a.impact_statement, b.impact_statement);
        assert_eq!(a.action_statement, b.action_statement);
        assert_eq!(a.description, b.description);
        assert_eq!(a.timestamp, b.timestamp);
        assert_eq!(b.products[0].supplier.as_deref(), Some("Example Medical"));
    }
    // The product is written by its purl as `@id`, the subcomponent too.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["@context"], "https://openvex.dev/ns/v0.2.0");
    assert_eq!(
        v["statements"][0]["products"][0],
        json!({
            "@id": "pkg:generic/example-medical/infusion-pump@4.2.1",
            "subcomponents": [{"@id": "pkg:generic/openssl@3.0.8"}]
        })
    );
}
