//! Statements: hand-checked CISA advisories, every real document against
//! counts taken from its raw JSON, and group expansion.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use super::*;
use crate::{Justification, RemediationCategory, Status, read, statements};

#[test]
fn philips_vue_pacs() {
    let Some(data) = data_dir("ICSMA statement spot checks") else {
        return;
    };
    let bytes = std::fs::read(data.join("csaf/icsma/icsma-24-200-01.json")).unwrap();
    let s = statements(&read(&bytes).unwrap());
    assert_eq!(s.len(), 13);
    assert!(s.iter().all(|s| s.status == Status::KnownAffected));
    assert!(s.iter().all(|s| s.product.id == "CSAFPID-0001"));
    let first = &s[0];
    assert_eq!(first.cve.as_deref(), Some("CVE-2020-36518"));
    assert_eq!(
        first.product.name.as_deref(),
        Some("Philips Vue PACS <12.2.8.410")
    );
    let categories: Vec<RemediationCategory> =
        first.remediations.iter().map(|r| r.category).collect();
    use RemediationCategory::{Mitigation, VendorFix};
    assert_eq!(categories, [Mitigation, VendorFix, VendorFix, Mitigation]);
    let cvss = first.scores[0].cvss_v3.as_ref().unwrap();
    assert_eq!(
        cvss.vector_string.as_deref(),
        Some("CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H")
    );
    assert_eq!(cvss.base_score, Some(5.3));
    assert_eq!(cvss.base_severity.as_deref(), Some("MEDIUM"));
    assert_eq!(s[12].cve.as_deref(), Some("CVE-2023-40159"));
    assert_eq!(
        s[12].scores[0].cvss_v3.as_ref().unwrap().base_score,
        Some(8.2)
    );
}

#[test]
fn baxter_infusion_pumps() {
    let Some(data) = data_dir("ICSMA statement spot checks") else {
        return;
    };
    let bytes = std::fs::read(data.join("csaf/icsma/icsma-22-251-01.json")).unwrap();
    let s = statements(&read(&bytes).unwrap());
    // Four CVEs, each known to affect all six pumps.
    assert_eq!(s.len(), 24);
    let cves: Vec<&str> = s
        .iter()
        .step_by(6)
        .filter_map(|s| s.cve.as_deref())
        .collect();
    assert_eq!(
        cves,
        [
            "CVE-2022-26390",
            "CVE-2022-26392",
            "CVE-2022-26393",
            "CVE-2022-26394"
        ]
    );
    assert!(
        s.iter()
            .all(|s| s.remediations.len() == 10 && s.scores.len() == 1)
    );
    let last = s.last().unwrap();
    assert_eq!(last.product.id, "CSAFPID-0006");
    assert_eq!(
        last.scores[0]
            .cvss_v3
            .as_ref()
            .unwrap()
            .vector_string
            .as_deref(),
        Some("CVSS:3.0/AV:A/AC:H/PR:N/UI:N/S:C/C:L/I:H/A:L")
    );
}

#[test]
fn mobotix_not_affected_with_justification() {
    let Some(data) = data_dir("VEX flags in CISA advisories") else {
        return;
    };
    let bytes = std::fs::read(data.join("csaf/icsa-2024/icsa-24-235-03.json")).unwrap();
    let s = statements(&read(&bytes).unwrap());
    let count = |status| s.iter().filter(|s| s.status == status).count();
    assert_eq!(count(Status::Fixed), 439);
    assert_eq!(count(Status::KnownAffected), 644);
    assert_eq!(count(Status::KnownNotAffected), 200);
    assert_eq!(count(Status::Recommended), 33);
    let na: Vec<_> = s
        .iter()
        .filter(|s| s.status == Status::KnownNotAffected)
        .collect();
    assert!(
        na.iter()
            .all(|s| s.justification == Some(Justification::VulnerableCodeNotPresent))
    );
    assert!(
        s.iter()
            .filter(|s| s.status == Status::KnownAffected)
            .all(|s| !s.remediations.is_empty())
    );
}

/// Statement counts per (vulnerability, status) and the remediations and
/// scores of each, computed from the raw JSON without our model.
#[test]
fn every_document_against_its_raw_json() {
    let Some(data) = data_dir("statements of every document") else {
        return;
    };
    let mut total = 0;
    for sub in ["icsma", "icsa-2024", "oasis-examples"] {
        for path in json_files(&data, sub) {
            let bytes = std::fs::read(&path).unwrap();
            let Ok(a) = read(&bytes) else { continue };
            let raw: Value = serde_json::from_slice(&bytes).unwrap();
            let name = file_name(&path);
            let groups: BTreeMap<&str, Vec<&str>> = raw["product_tree"]["product_groups"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|g| {
                    let ids = g["product_ids"].as_array().unwrap().iter();
                    (
                        g["group_id"].as_str().unwrap(),
                        ids.map(|i| i.as_str().unwrap()).collect(),
                    )
                })
                .collect();
            let names = |item: &Value, id: &str| {
                let direct = item["product_ids"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p == id);
                let grouped = item["group_ids"].as_array().into_iter().flatten().any(|g| {
                    groups
                        .get(g.as_str().unwrap())
                        .is_some_and(|m| m.contains(&id))
                });
                direct || grouped
            };
            let mut expected = Vec::new();
            for (i, v) in raw["vulnerabilities"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let Some(status) = v["product_status"].as_object() else {
                    continue;
                };
                let mut keys: Vec<&String> = status.keys().collect();
                keys.sort();
                for key in keys {
                    let mut seen = HashSet::new();
                    for id in status[key].as_array().unwrap() {
                        let id = id.as_str().unwrap();
                        if !seen.insert(id) {
                            continue;
                        }
                        let count = |list: &str| {
                            v[list]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter(|r| names(r, id))
                                .count()
                        };
                        let scores = v["scores"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter(|s| s["products"].as_array().unwrap().iter().any(|p| p == id))
                            .count();
                        expected.push((
                            i,
                            key.clone(),
                            id.to_owned(),
                            count("remediations"),
                            count("threats"),
                            scores,
                        ));
                    }
                }
            }
            let ours: Vec<_> = statements(&a)
                .into_iter()
                .map(|s| {
                    (
                        s.vulnerability,
                        s.status.as_str().to_owned(),
                        s.product.id,
                        s.remediations.len(),
                        s.threats.len(),
                        s.scores.len(),
                    )
                })
                .collect();
            assert_eq!(ours, expected, "{name}");
            total += ours.len();
        }
    }
    eprintln!("{total} statements");
    assert!(total > 5000, "{total}");
}

#[test]
fn groups_flags_and_threats() {
    let mut doc = base_document();
    doc["document"]["category"] = "csaf_vex".into();
    doc["product_tree"] = json!({
        "full_product_names": [
            {"name": "Pump 1.0", "product_id": "P1"},
            {"name": "Pump 2.0", "product_id": "P2"},
            {"name": "Pump 3.0", "product_id": "P3"}
        ],
        "product_groups": [{"group_id": "OLD", "product_ids": ["P1", "P2"]}]
    });
    doc["vulnerabilities"] = json!([{
        "ids": [{"system_name": "Example PSIRT", "text": "EX-7"}],
        "notes": [{"category": "description", "text": "x"}],
        "product_status": {"known_not_affected": ["P1", "P2", "P2"], "under_investigation": ["P3", "P9"]},
        "flags": [{"label": "vulnerable_code_not_in_execute_path", "group_ids": ["OLD"]}],
        "threats": [
            {"category": "impact", "details": "The parser is never called.", "group_ids": ["OLD"]},
            {"category": "exploit_status", "details": "None known.", "product_ids": ["P2", "P3"]}
        ],
        "remediations": [{"category": "mitigation", "details": "Isolate the network.", "product_ids": ["P3"]}]
    }]);
    let s = statements(&advisory(&doc));
    let summary: Vec<_> = s
        .iter()
        .map(|s| {
            (
                s.product.id.as_str(),
                s.status,
                s.justification,
                s.impact(),
                s.threats.len(),
                s.remediations.len(),
                s.product.name.as_deref(),
            )
        })
        .collect();
    use Status::*;
    let j = Some(Justification::VulnerableCodeNotInExecutePath);
    let why = Some("The parser is never called.");
    assert_eq!(
        summary,
        [
            ("P1", KnownNotAffected, j, why, 1, 0, Some("Pump 1.0")),
            ("P2", KnownNotAffected, j, why, 2, 0, Some("Pump 2.0")),
            ("P3", UnderInvestigation, None, None, 1, 1, Some("Pump 3.0")),
            // An undefined id is still stated (6.1.1 reports it), without
            // a name.
            ("P9", UnderInvestigation, None, None, 0, 0, None),
        ]
    );
    assert_eq!(s[0].ids[0].text, "EX-7");
    assert_eq!(s[0].cve, None);
}
