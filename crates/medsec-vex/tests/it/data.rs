//! Real VEX documents from `../shared/data`: the CSAF VEX examples of
//! OASIS, CISA's ICS medical advisories and Red Hat's advisory (CSAF),
//! and the CycloneDX VEX examples of the CycloneDX project.

use std::collections::BTreeMap;

use medsec_vex::{CsafOptions, Document, FormatKind, Status, VexError};

use super::*;

fn read(path: &Path) -> Document {
    medsec_vex::read(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn name(path: &Path, data: &Path) -> String {
    path.strip_prefix(data)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// What a CSAF document states, counted from its JSON: (vulnerability
/// id, model status) per product status entry.
fn csaf_truth(path: &Path) -> Vec<(String, Status)> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for vuln in v["vulnerabilities"].as_array().into_iter().flatten() {
        let id = vuln["cve"]
            .as_str()
            .or_else(|| vuln["ids"][0]["text"].as_str())
            .unwrap_or_default()
            .to_owned();
        for (list, ids) in vuln["product_status"].as_object().into_iter().flatten() {
            let status = match list.as_str() {
                "known_not_affected" => Status::NotAffected,
                "known_affected" | "first_affected" | "last_affected" => Status::Affected,
                "fixed" | "first_fixed" | "recommended" => Status::Fixed,
                "under_investigation" => Status::UnderInvestigation,
                other => panic!("{other}"),
            };
            for _ in ids.as_array().into_iter().flatten() {
                out.push((id.clone(), status));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn real_csaf_documents() {
    let Some(data) = data_dir("real CSAF documents") else {
        return;
    };
    let mut paths = files(&data.join("csaf/oasis-examples"), ".json");
    paths.retain(|p| {
        let n = p.file_name().unwrap().to_string_lossy();
        n.starts_with("csaf_") && n.ends_with(".json")
    });
    paths.extend(files(&data.join("csaf/icsma"), ".json"));
    paths.extend(files(&data.join("csaf/icsa-2024"), ".json"));
    assert!(paths.len() >= 250, "{}", paths.len());
    let mut per_status: BTreeMap<Status, usize> = BTreeMap::new();
    let mut vex = 0;
    let mut not_affected_with_reason = 0;
    let mut csaf_written = 0;
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    for path in &paths {
        let label = name(path, &data);
        let d = read(path);
        assert_eq!(d.format.as_ref().unwrap().kind, FormatKind::Csaf, "{label}");
        assert!(
            d.id.is_some() && d.author.is_some() && d.timestamp.is_some(),
            "{label}"
        );
        // Every (vulnerability, status) the document lists is a
        // statement of the model, and nothing else is.
        let mut got: Vec<(String, Status)> = d
            .statements
            .iter()
            .map(|s| (s.vulnerability.clone(), s.status))
            .collect();
        got.sort();
        got.dedup();
        assert_eq!(got, csaf_truth(path), "{label}");
        let text = std::fs::read_to_string(path).unwrap();
        if text.contains("\"csaf_vex\"") {
            vex += 1;
        }
        for s in &d.statements {
            *per_status.entry(s.status).or_default() += s.products.len();
            assert!(!s.products.is_empty(), "{label}");
            if s.status == Status::NotAffected
                && (s.justification.is_some() || s.impact_statement.is_some())
            {
                not_affected_with_reason += 1;
            }
        }
        // CSAF → CycloneDX → model keeps every statement.
        let cdx = medsec_vex::write_cyclonedx_json(&d).unwrap_or_else(|e| panic!("{label}: {e}"));
        let back = medsec_vex::read(cdx.as_bytes()).unwrap();
        assert_eq!(view(&back), view(&d), "{label} through CycloneDX");
        // CSAF → CSAF where the document is about single versions with
        // what CSAF VEX requires; otherwise a refusal naming the field.
        match medsec_vex::write_csaf(&d, &CsafOptions::new("https://psirt.example.com")) {
            Ok(written) => {
                let mut back = Document::default();
                for w in &written {
                    let advisory = medsec_csaf::read(w.json.as_bytes()).unwrap();
                    assert_eq!(medsec_csaf::check(&advisory), [], "{label}");
                    back.statements
                        .extend(medsec_vex::read(w.json.as_bytes()).unwrap().statements);
                }
                let strip = |d: &Document| {
                    let mut d = d.clone();
                    for s in &mut d.statements {
                        s.subcomponents.clear();
                    }
                    view(&d)
                };
                assert_eq!(strip(&back), strip(&d), "{label} through CSAF");
                csaf_written += 1;
            }
            Err(VexError::Write { field, .. }) => {
                *refused
                    .entry(field.rsplit('.').next().unwrap_or_default().to_owned())
                    .or_default() += 1;
            }
            Err(e) => panic!("{label}: {e}"),
        }
    }
    eprintln!("CSAF → CSAF: {csaf_written} written, refused by field {refused:?}");
    eprintln!(
        "CSAF: {} documents, {vex} VEX, products per status {per_status:?}",
        paths.len()
    );
    assert_eq!(vex, 13);
    assert!(per_status.len() == 4, "{per_status:?}");
    assert!(not_affected_with_reason > 20, "{not_affected_with_reason}");
}

#[test]
fn oasis_vex_examples() {
    let Some(data) = data_dir("OASIS CSAF VEX examples") else {
        return;
    };
    let dir = data.join("csaf/oasis-examples");
    // Use case 7: one CVE, products fixed, affected and not affected,
    // the impact statements per product.
    let d = read(&dir.join("csaf_csaf_vex_2022-evd-uc-07-001.json"));
    let summary: Vec<(Status, Vec<&str>, Option<&str>)> = d
        .statements
        .iter()
        .map(|s| {
            (
                s.status,
                s.products
                    .iter()
                    .map(|p| p.id.as_deref().unwrap())
                    .collect(),
                s.impact_statement.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Status::Fixed, vec!["CSAFPID-0010"], None),
            (
                Status::Affected,
                vec!["CSAFPID-0002", "CSAFPID-0003", "CSAFPID-0004"],
                None
            ),
            (Status::Affected, vec!["CSAFPID-0008"], None),
            (
                Status::NotAffected,
                vec![
                    "CSAFPID-0001",
                    "CSAFPID-0005",
                    "CSAFPID-0006",
                    "CSAFPID-0007"
                ],
                Some("Class with vulnerable code was removed before shipping.")
            ),
            (
                Status::NotAffected,
                vec!["CSAFPID-0009"],
                Some("Log4j was not included in those versions at all.")
            ),
        ]
    );
    let p = &d.statements[1].products[2];
    assert_eq!(p.name.as_deref(), Some("ABC"));
    assert_eq!(p.version.as_deref(), Some("vers:generic/>=2.9|<=4.1"));
    assert_eq!(p.supplier.as_deref(), Some("Example Company"));
    assert_eq!(
        d.statements[1].action_statement.as_deref(),
        Some("Update to version 4.2 or later.")
    );
    // The flags of sec-vex-2022-0001 are the justifications.
    let d = read(&dir.join("csaf_csaf_vex_sec-vex-2022-0001.json"));
    assert!(
        d.statements
            .iter()
            .all(|s| s.status == Status::NotAffected && s.justification.is_some()),
        "{:#?}",
        d.statements
    );
    // Written back as CSAF where the products are single versions: the
    // ranges of use case 7 are refused, naming the product.
    let err = medsec_vex::write_csaf(
        &read(&dir.join("csaf_csaf_vex_2022-evd-uc-07-001.json")),
        &CsafOptions::new("https://psirt.example.com"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("version"), "{err}");
    // Use case 1 states "not affected" by an impact statement only, and
    // write_vex flags every not-affected product with a justification.
    let d = read(&dir.join("csaf_csaf_vex_2022-evd-uc-01-na-001.json"));
    assert_eq!(d.statements[0].justification, None);
    assert!(d.statements[0].impact_statement.is_some());
    let err =
        medsec_vex::write_csaf(&d, &CsafOptions::new("https://psirt.example.com")).unwrap_err();
    assert!(
        err.to_string().contains("statements[0].justification"),
        "{err}"
    );
}

#[test]
fn real_cyclonedx_vex_documents() {
    let Some(data) = data_dir("real CycloneDX VEX documents") else {
        return;
    };
    let dir = data.join("sbom/cyclonedx-examples/VEX");
    let paths: Vec<PathBuf> = files(&dir, ".json")
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n == "vex.json" || n.to_string_lossy().starts_with("vex-"))
        })
        .collect();
    assert!(paths.len() >= 20, "{}", paths.len());
    let mut statements = 0;
    let mut openvex_written = 0;
    for path in &paths {
        let label = name(path, &data);
        let d = read(path);
        assert_eq!(d.format.as_ref().unwrap().kind, FormatKind::CycloneDxJson);
        statements += d.statements.len();
        // CycloneDX → CycloneDX is lossless, but for timestamps, which
        // the SBOM writer puts in UTC to the second.
        for text in [
            medsec_vex::write_cyclonedx_json(&d).unwrap(),
            medsec_vex::write_cyclonedx_xml(&d).unwrap(),
        ] {
            let back = medsec_vex::read(text.as_bytes()).unwrap();
            assert_eq!(
                to_the_second(&back.statements),
                to_the_second(&d.statements),
                "{label}"
            );
        }
        // Through OpenVEX, with the metadata OpenVEX requires. Products
        // known only by a bom-ref of their BOM, and affected statements
        // without recommendation, are refused, naming them.
        let mut model = d.clone();
        model.id = Some("https://openvex.dev/docs/example/cyclonedx".to_owned());
        model.author.get_or_insert_with(|| "CycloneDX".to_owned());
        model
            .timestamp
            .get_or_insert_with(|| "2025-01-01T00:00:00Z".to_owned());
        match medsec_vex::write_openvex(&model) {
            Ok(text) => {
                let back = medsec_vex::read(text.as_bytes()).unwrap();
                assert_eq!(view(&back), view(&d), "{label} through OpenVEX");
                openvex_written += 1;
            }
            Err(VexError::Write { field, reason, .. }) => assert!(
                (field.ends_with(']') && reason.contains("no IRI id, purl or CPE"))
                    || field.ends_with(".action_statement"),
                "{label}: {field} {reason}"
            ),
            Err(e) => panic!("{label}: {e}"),
        }
    }
    assert!(statements > 20, "{statements}");
    assert!(openvex_written >= 3, "{openvex_written}");
}

/// Statements with their timestamps as instants to the second.
fn to_the_second(statements: &[Statement]) -> Vec<Statement> {
    let second = |t: &Option<String>| {
        t.as_ref().map(|t| {
            let parsed =
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .unwrap_or_else(|e| panic!("{t}: {e}"));
            parsed.unix_timestamp().to_string()
        })
    };
    statements
        .iter()
        .map(|s| Statement {
            timestamp: second(&s.timestamp),
            last_updated: second(&s.last_updated),
            ..s.clone()
        })
        .collect()
}
