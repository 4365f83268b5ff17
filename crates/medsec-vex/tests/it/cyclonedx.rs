//! CycloneDX VEX: resolving `affects` to products and subcomponents, the
//! analysis fields, a lossless CycloneDX → model → CycloneDX round trip,
//! several products, BOM-Links and ranges.

use medsec_vex::{
    CycloneDxJustification, CycloneDxState, Document, FormatKind, Justification, ProductRef,
    Response, Statement, Status, VexError,
};
use serde_json::json;

use super::*;

fn statement<'a>(d: &'a Document, id: &str) -> &'a Statement {
    d.statements
        .iter()
        .find(|s| s.vulnerability == id)
        .unwrap_or_else(|| panic!("no statement for {id}"))
}

#[test]
fn embedded_vex_resolves_to_the_device_and_its_components() {
    let d = read_fixture("cyclonedx/infusion-pump-vex.cdx.json");
    let format = d.format.as_ref().unwrap();
    assert_eq!(
        (format.kind, format.version.as_str()),
        (FormatKind::CycloneDxJson, "1.6")
    );
    assert_eq!(
        d.id.as_deref(),
        Some("urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7")
    );
    assert_eq!(d.author.as_deref(), Some("Example Medical PSIRT"));
    assert_eq!(d.version, Some(3));
    assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
    assert_eq!(d.statements.len(), 6);

    let s = statement(&d, "CVE-2023-0286");
    assert_eq!(s.status, Status::NotAffected);
    assert_eq!(
        s.justification,
        Some(Justification::VulnerableCodeNotInExecutePath)
    );
    assert_eq!(
        s.impact_statement.as_deref(),
        Some("The firmware never processes X.400 addresses in certificates.")
    );
    assert_eq!(s.aliases, ["GHSA-x4qr-2fvf-3mr5"]);
    assert_eq!(s.timestamp.as_deref(), Some("2025-02-10T08:00:00Z"));
    let pump = &s.products[0];
    assert_eq!(s.products.len(), 1);
    assert_eq!(pump.id.as_deref(), Some("pump-fw"));
    assert_eq!(
        pump.purl.as_deref(),
        Some("pkg:generic/example-medical/infusion-pump-firmware@4.2.1")
    );
    assert_eq!(pump.supplier.as_deref(), Some("Example Medical"));
    assert_eq!(pump.version.as_deref(), Some("4.2.1"));
    let [openssl] = s.subcomponents.as_slice() else {
        panic!("{:?}", s.subcomponents)
    };
    assert_eq!(openssl.purl.as_deref(), Some("pkg:generic/openssl@3.0.8"));
    assert_eq!(
        openssl.cpe.as_deref(),
        Some("cpe:2.3:a:openssl:openssl:3.0.8:*:*:*:*:*:*:*")
    );

    let s = statement(&d, "CVE-2022-48174");
    assert_eq!(s.status, Status::Affected);
    assert_eq!(
        s.action_statement.as_deref(),
        Some("Update the pump firmware to 4.2.2.")
    );
    assert_eq!(
        s.responses,
        [Response::Update, Response::WorkaroundAvailable]
    );
    assert_eq!(
        s.detail.as_deref(),
        Some("Reachable through the service console.")
    );
    assert_eq!(s.impact_statement, None);

    assert_eq!(statement(&d, "CVE-2022-37434").status, Status::Fixed);
    assert_eq!(
        statement(&d, "CVE-2024-0727").status,
        Status::UnderInvestigation
    );
    let s = statement(&d, "CVE-2023-5678");
    assert_eq!(
        s.justification,
        Some(Justification::InlineMitigationsAlreadyExist)
    );
    assert_eq!(
        s.cyclonedx.unwrap().justification,
        Some(CycloneDxJustification::ProtectedAtRuntime)
    );
    // A false positive about the device itself: not affected, no
    // subcomponent, the state kept.
    let s = statement(&d, "CVE-2021-3711");
    assert_eq!(s.status, Status::NotAffected);
    assert!(s.subcomponents.is_empty());
    assert_eq!(s.products[0].id.as_deref(), Some("pump-fw"));
    assert_eq!(s.cyclonedx.unwrap().state, CycloneDxState::FalsePositive);
}

#[test]
fn xml_reads_like_json() {
    let xml = read_fixture("cyclonedx/infusion-pump-vex.cdx.xml");
    let json = read_fixture("cyclonedx/infusion-pump-vex.cdx.json");
    assert_eq!(xml.format.as_ref().unwrap().kind, FormatKind::CycloneDxXml);
    let xml_view = view(&xml);
    let json_view = view(&json);
    assert_eq!(xml_view.len(), 2);
    for line in &xml_view {
        assert!(
            json_view.contains(line),
            "{line} not in the JSON's {json_view:#?}"
        );
    }
}

#[test]
fn cyclonedx_round_trip_is_lossless() {
    for fixture_name in [
        "cyclonedx/infusion-pump-vex.cdx.json",
        "cyclonedx/infusion-pump-vex.cdx.xml",
    ] {
        let original = read_fixture(fixture_name);
        for (kind, text) in [
            (
                FormatKind::CycloneDxJson,
                medsec_vex::write_cyclonedx_json(&original).unwrap(),
            ),
            (
                FormatKind::CycloneDxXml,
                medsec_vex::write_cyclonedx_xml(&original).unwrap(),
            ),
        ] {
            let back = medsec_vex::read(text.as_bytes()).unwrap();
            assert_eq!(back.format.as_ref().unwrap().kind, kind);
            assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
            assert_eq!(
                back.statements, original.statements,
                "{fixture_name} as {kind}"
            );
            assert_eq!(back.id, original.id);
            assert_eq!(back.author, original.author);
            assert_eq!(back.timestamp, original.timestamp);
            assert_eq!(back.version, original.version);
        }
    }
}

#[test]
fn model_texts_and_justifications_survive_cyclonedx() {
    // Texts CycloneDX has one place for, and a justification it cannot
    // say, travel in properties.
    let mut d = device_vex();
    d.statements[0].detail = Some("Reviewed by the PSIRT.".to_owned());
    let affected = d
        .statements
        .iter()
        .position(|s| s.status == Status::Affected)
        .unwrap();
    d.statements[affected].impact_statement = Some("Remote code execution.".to_owned());
    d.statements[affected].detail = Some("Found by fuzzing.".to_owned());
    let text = medsec_vex::write_cyclonedx_json(&d).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = &v["vulnerabilities"][0];
    assert_eq!(first["analysis"]["justification"], "code_not_present");
    assert_eq!(
        first["properties"],
        json!([
            {"name": "medsec:vex:justification", "value": "component_not_present"},
            {"name": "medsec:vex:detail", "value": "Reviewed by the PSIRT."}
        ])
    );
    let back = medsec_vex::read(text.as_bytes()).unwrap();
    for (a, b) in d.statements.iter().zip(&back.statements) {
        assert_eq!(a.justification, b.justification, "{}", a.vulnerability);
        assert_eq!(
            a.impact_statement, b.impact_statement,
            "{}",
            a.vulnerability
        );
        assert_eq!(a.detail, b.detail, "{}", a.vulnerability);
        assert_eq!(a.action_statement, b.action_statement);
        assert_eq!(a.responses, b.responses);
        assert_eq!(a.description, b.description);
    }
    assert_eq!(view(&back), view(&d));
    // The single product is the BOM's subject, its subcomponent a
    // component.
    assert_eq!(
        v["metadata"]["component"]["purl"],
        "pkg:generic/example-medical/infusion-pump@4.2.1"
    );
    assert_eq!(v["components"][0]["purl"], "pkg:generic/openssl@3.0.8");
}

#[test]
fn several_products_keep_their_own_subcomponents() {
    let a = ProductRef::purl("pkg:generic/acme/monitor@1.0");
    let b = ProductRef::purl("pkg:generic/acme/monitor@2.0");
    let x = ProductRef::purl("pkg:generic/zlib@1.2.13");
    let y = ProductRef::purl("pkg:generic/zlib@1.3.1");
    let d = Document {
        id: Some("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79".to_owned()),
        author: Some("Acme".to_owned()),
        timestamp: Some("2025-01-01T00:00:00Z".to_owned()),
        statements: vec![
            Statement {
                vulnerability: "CVE-2022-37434".to_owned(),
                products: vec![a.clone()],
                subcomponents: vec![x.clone()],
                status: Status::Affected,
                action_statement: Some("Update to 2.0.".to_owned()),
                ..Statement::default()
            },
            Statement {
                vulnerability: "CVE-2022-37434".to_owned(),
                products: vec![b.clone()],
                subcomponents: vec![y.clone()],
                status: Status::Fixed,
                ..Statement::default()
            },
            Statement {
                vulnerability: "CVE-2023-45853".to_owned(),
                products: vec![a.clone(), b.clone()],
                subcomponents: vec![x.clone(), y.clone()],
                status: Status::NotAffected,
                justification: Some(Justification::VulnerableCodeNotInExecutePath),
                ..Statement::default()
            },
        ],
        ..Document::default()
    };
    let text = medsec_vex::write_cyclonedx_json(&d).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v["metadata"].get("component").is_none());
    assert_eq!(v["components"].as_array().unwrap().len(), 2);
    let back = medsec_vex::read(text.as_bytes()).unwrap();
    assert_eq!(view(&back), view(&d));
    assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
}

#[test]
fn bom_links_and_ranges() {
    let bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "Acme Product", "bom-ref": "acme"}},
        "vulnerabilities": [
            {
                "id": "CVE-2020-25649",
                "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
                "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#jackson"}]
            },
            {
                "id": "CVE-2020-25650",
                "analysis": {"state": "resolved"},
                "affects": [{"ref": "acme", "versions": [
                    {"range": "vers:semver/>=2.2.0|<=2.4.0", "status": "unaffected"},
                    {"version": "2.1.0", "status": "affected"}
                ]}]
            },
            {"id": "CVE-2020-25651", "affects": [{"ref": "acme"}]},
            {"id": "CVE-2020-25652", "analysis": {"state": "in_triage"}, "affects": [{"ref": "nowhere"}]}
        ]
    });
    let d = medsec_vex::read(&serde_json::to_vec(&bom).unwrap()).unwrap();
    let paths: Vec<&str> = d.diagnostics.iter().map(|x| x.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "vulnerabilities[1].affects[0].versions[1].status",
            "vulnerabilities[2].analysis.state",
            "vulnerabilities[3].affects[0].ref",
        ]
    );
    assert_eq!(d.statements.len(), 3);
    let link = &d.statements[0].products[0];
    assert_eq!(
        link.id.as_deref(),
        Some("urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#jackson")
    );
    let versions: Vec<_> = d.statements[1]
        .products
        .iter()
        .map(|p| p.version.as_deref())
        .collect();
    assert_eq!(
        versions,
        [Some("vers:semver/>=2.2.0|<=2.4.0"), Some("2.1.0")]
    );
    // Written back: the link stays a link, the range a range.
    let text = medsec_vex::write_cyclonedx_json(&d).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["vulnerabilities"][0]["affects"][0]["ref"],
        "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#jackson"
    );
    assert_eq!(
        v["vulnerabilities"][1]["affects"][0]["versions"][0]["range"],
        "vers:semver/>=2.2.0|<=2.4.0"
    );
    let back = medsec_vex::read(text.as_bytes()).unwrap();
    assert_eq!(view(&back), view(&d));
}

#[test]
fn writer_refuses_what_cyclonedx_cannot_say() {
    let check = |d: &Document, field: &str| match medsec_vex::write_cyclonedx_json(d) {
        Err(VexError::Write {
            format: FormatKind::CycloneDxJson,
            field: f,
            ..
        }) => assert_eq!(f, field),
        other => panic!("expected an error at {field}, got {other:?}"),
    };
    let mut d = device_vex();
    d.statements[1].products[0].purl = Some("pkg:/no-type".to_owned());
    check(&d, "statements[1].products[0].purl");
    let mut d = device_vex();
    d.statements[2].products = vec![ProductRef::default()];
    check(&d, "statements[2].products[0]");
    let mut d = device_vex();
    d.statements[0].products = vec![ProductRef {
        id: Some("urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#x".to_owned()),
        ..ProductRef::default()
    }];
    check(&d, "statements[0].products[0]");
    let mut d = device_vex();
    d.timestamp = Some("1 March 2025".to_owned());
    check(&d, "timestamp");
    let mut d = device_vex();
    d.statements[3].last_updated = Some("later".to_owned());
    check(&d, "statements[3].last_updated");
    let mut d = device_vex();
    d.statements[3].vulnerability = String::new();
    check(&d, "statements[3].vulnerability");
}
