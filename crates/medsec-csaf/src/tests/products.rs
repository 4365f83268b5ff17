//! Product resolution: two hand-checked CISA advisories, a relationship-
//! heavy one, every real document against an independent walk of its raw
//! JSON, and version ranges.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;
use crate::{
    BranchCategory, Comparator, Constraint, Constraints, ProductRelation, RelationshipCategory,
    Vers, VersionSpec, products, read,
};

fn load(data: &Path, sub: &str, name: &str) -> crate::Advisory {
    read(&std::fs::read(data.join("csaf").join(sub).join(name)).unwrap()).unwrap()
}

fn lt(v: &str) -> Constraint {
    Constraint {
        comparator: Comparator::Lt,
        version: v.to_owned(),
    }
}

/// Checked by reading the file: Philips Vue PACS, one product, a range.
#[test]
fn philips_vue_pacs() {
    let Some(data) = data_dir("ICSMA spot checks") else {
        return;
    };
    let a = load(&data, "icsma", "icsma-24-200-01.json");
    let p = products(&a);
    assert_eq!(p.len(), 1);
    let vue = p.get("CSAFPID-0001").unwrap();
    assert_eq!(vue.name, "Philips Vue PACS <12.2.8.410");
    assert_eq!(vue.given_name, "Philips Vue PACS: <12.2.8.410");
    assert_eq!(vue.vendor.as_deref(), Some("Philips"));
    assert_eq!(vue.product_name.as_deref(), Some("Vue PACS"));
    assert_eq!(
        vue.version,
        Some(VersionSpec::Text("<12.2.8.410".to_owned()))
    );
    assert_eq!(
        vue.version.as_ref().unwrap().constraints(),
        Some(Constraints::List(vec![lt("12.2.8.410")]))
    );
    assert_eq!(
        vue.path,
        "/product_tree/branches/0/branches/0/branches/0/product"
    );
}

/// Checked by reading the file: Baxter Sigma Spectrum infusion pumps, six
/// products under one vendor, exact versions and free-text ranges.
#[test]
fn baxter_infusion_pumps() {
    let Some(data) = data_dir("ICSMA spot checks") else {
        return;
    };
    let a = load(&data, "icsma", "icsma-22-251-01.json");
    let p = products(&a);
    let names: Vec<(&str, &str)> = p.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect();
    assert_eq!(
        names,
        [
            ("CSAFPID-0001", "Baxter Spectrum IQ 9.x model 35700BAX3"),
            (
                "CSAFPID-0002",
                "Baxter Spectrum IQ LVP 9.x (with Wireless Battery Modules >= 22D19 | <= v22D28)"
            ),
            ("CSAFPID-0003", "Baxter Sigma Spectrum 8.x model 35700BAX2"),
            ("CSAFPID-0004", "Baxter Sigma Spectrum 6.x model 35700BAX"),
            (
                "CSAFPID-0005",
                "Baxter Sigma Spectrum LVP 8.x (Wireless Battery Modules v17 | v17D19 >= 20D29 | <= 20D32 | >= 22D24 | <= 22D28)"
            ),
            (
                "CSAFPID-0006",
                "Baxter Sigma Spectrum LVP 6.x (Wireless Battery Modules (16 | 16D38 | 17 | 17D19 | >= 20D29 | <= v20D32 | >= 22D24 | <= v22D28)"
            ),
        ]
    );
    let iq = p.get("CSAFPID-0001").unwrap();
    assert_eq!(
        iq.version,
        Some(VersionSpec::Exact("9.x model 35700BAX3".to_owned()))
    );
    assert_eq!(iq.product_name.as_deref(), Some("Baxter Spectrum IQ"));
    // Free text that is not comparator-and-version is kept, not guessed.
    let lvp = p.get("CSAFPID-0002").unwrap();
    assert!(matches!(lvp.version, Some(VersionSpec::Text(_))));
    assert_eq!(lvp.version.as_ref().unwrap().constraints(), None);
}

/// A camera advisory with 1283 `installed_on` relationships, hashes and a
/// product family: firmware installed on camera models.
#[test]
fn mobotix_relationships() {
    let Some(data) = data_dir("relationship resolution") else {
        return;
    };
    let a = load(&data, "icsa-2024", "icsa-24-235-03.json");
    let p = products(&a);
    let combined = p.get("CSAFPID-0109").unwrap();
    assert_eq!(
        combined.name,
        "Mobotix P3 Firmware MX-V4.0.1.15 installed on Mobotix P3 D24M"
    );
    assert_eq!(
        combined.relation,
        Some(ProductRelation {
            category: RelationshipCategory::InstalledOn,
            product: "CSAFPID-0034".to_owned(),
            relates_to: "CSAFPID-0001".to_owned(),
        })
    );
    assert_eq!(
        combined.path,
        "/product_tree/relationships/0/full_product_name"
    );
    // The combination carries the component's identity: the firmware.
    let firmware = p.get("CSAFPID-0034").unwrap();
    assert_eq!(combined.vendor, firmware.vendor);
    assert_eq!(combined.version, firmware.version);
    assert_eq!(combined.branch_path, firmware.branch_path);
    assert!(firmware.relation.is_none());
    assert_eq!(p.iter().filter(|p| p.relation.is_some()).count(), 1283);
    assert!(p.iter().any(|p| !p.hashes.is_empty()));
    assert!(p.iter().any(|p| {
        p.branch_path
            .iter()
            .any(|(c, _)| *c == BranchCategory::ProductFamily)
    }));
}

/// Every product id the raw JSON defines, walked without our model.
fn defined_ids(v: &Value) -> Vec<String> {
    fn walk(branches: &Value, out: &mut Vec<String>) {
        for b in branches.as_array().into_iter().flatten() {
            if let Some(id) = b["product"]["product_id"].as_str() {
                out.push(id.to_owned());
            }
            walk(&b["branches"], out);
        }
    }
    let tree = &v["product_tree"];
    let mut out = Vec::new();
    walk(&tree["branches"], &mut out);
    for p in tree["full_product_names"].as_array().into_iter().flatten() {
        out.push(p["product_id"].as_str().unwrap().to_owned());
    }
    for r in tree["relationships"].as_array().into_iter().flatten() {
        out.push(
            r["full_product_name"]["product_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    out
}

#[test]
fn every_defined_product_is_resolved() {
    let Some(data) = data_dir("product resolution of every document") else {
        return;
    };
    let mut total = 0;
    for sub in ["icsma", "icsa-2024", "oasis-examples"] {
        for path in json_files(&data, sub) {
            let bytes = std::fs::read(&path).unwrap();
            let Ok(a) = read(&bytes) else { continue };
            let raw: Value = serde_json::from_slice(&bytes).unwrap();
            let expected = defined_ids(&raw);
            let p = products(&a);
            let ours: Vec<String> = p.iter().map(|p| p.id.clone()).collect();
            let (mut e, mut o) = (expected.clone(), ours.clone());
            e.sort();
            o.sort();
            assert_eq!(o, e, "{}", file_name(&path));
            for product in &p {
                assert!(
                    !product.name.is_empty(),
                    "{}: {}",
                    file_name(&path),
                    product.id
                );
            }
            total += expected.len();
        }
    }
    eprintln!("resolved {total} products");
    assert!(total > 3000, "{total}");
}

#[test]
fn branch_names_and_versions() {
    let mut doc = base_document();
    doc["product_tree"] = json!({
        "branches": [{"category": "vendor", "name": "Siemens", "branches": [
            {"category": "product_family", "name": "SIMATIC", "branches": [
                {"category": "product_name", "name": "SIMATIC S7-1500", "branches": [
                    {"category": "product_version_range", "name": "vers:generic/>=2.0|<2.9.7",
                     "product": {"name": "n1", "product_id": "A",
                        "product_identification_helper": {"cpe": "cpe:2.3:h:siemens:s7-1500:*:*:*:*:*:*:*:*",
                            "model_numbers": ["6ES7510"], "serial_numbers": ["S1"], "skus": ["K"]}}},
                    {"category": "product_version", "name": "vers:all/*", "product": {"name": "n2", "product_id": "B"}},
                    {"category": "architecture", "name": "x86", "branches": [
                        {"category": "product_version", "name": "3.0", "product": {"name": "n3", "product_id": "C"}}]}
                ]}
            ]}
        ]}],
        "full_product_names": [{"name": "Standalone Pump 2", "product_id": "D",
            "product_identification_helper": {"purl": "pkg:generic/pump@2"}}],
        "product_groups": [{"group_id": "G", "product_ids": ["A", "D"]}, {"group_id": "G", "product_ids": ["D", "C"]}]
    });
    let a = advisory(&doc);
    let p = products(&a);
    let a_ = p.get("A").unwrap();
    assert_eq!(a_.name, "Siemens SIMATIC S7-1500 vers:generic/>=2.0|<2.9.7");
    assert_eq!(a_.product_family.as_deref(), Some("SIMATIC"));
    assert_eq!(
        a_.version,
        Some(VersionSpec::Vers(
            Vers::parse("vers:generic/>=2.0|<2.9.7").unwrap()
        ))
    );
    assert_eq!(
        a_.cpe.as_deref(),
        Some("cpe:2.3:h:siemens:s7-1500:*:*:*:*:*:*:*:*")
    );
    assert_eq!(a_.model_numbers, ["6ES7510"]);
    assert_eq!(a_.serial_numbers, ["S1"]);
    assert_eq!(a_.skus, ["K"]);
    // CISA's `vers:all/*` as a product_version is read as the range it is.
    assert_eq!(
        p.get("B").unwrap().version.as_ref().unwrap().constraints(),
        Some(Constraints::Any)
    );
    let c = p.get("C").unwrap();
    assert_eq!(c.architecture.as_deref(), Some("x86"));
    assert_eq!(c.name, "Siemens SIMATIC S7-1500 x86 3.0");
    let d = p.get("D").unwrap();
    assert_eq!(
        (d.name.as_str(), d.vendor.as_deref()),
        ("Standalone Pump 2", None)
    );
    assert_eq!(d.purl.as_deref(), Some("pkg:generic/pump@2"));
    assert_eq!(p.group("G"), ["A", "D", "C"]);
    assert!(p.group("nope").is_empty());
    let ids = ["D".to_owned(), "B".to_owned()];
    assert_eq!(p.expand(&ids, &["G".to_owned()]), ["D", "B", "A", "C"]);
}

fn check_constraints(text: &str, expect: Option<&str>) {
    let got = VersionSpec::Text(text.to_owned())
        .constraints()
        .map(|c| match c {
            Constraints::Any => "*".to_owned(),
            Constraints::List(list) => list
                .iter()
                .map(|c| format!("{}{}", c.comparator.as_str(), c.version))
                .collect::<Vec<_>>()
                .join("|"),
        });
    assert_eq!(got.as_deref(), expect, "{text}");
}

#[test]
fn free_text_ranges() {
    check_constraints("<V4.3.10", Some("<V4.3.10"));
    check_constraints("<= 2.3.6", Some("<=2.3.6"));
    check_constraints(">v33.011|<v33.015", Some(">v33.011|<v33.015"));
    check_constraints(">=1.00A|<1.05F", Some(">=1.00A|<1.05F"));
    check_constraints("All versions", Some("*"));
    check_constraints("all", Some("*"));
    check_constraints("< august 28", None);
    check_constraints("2nd Edition", None);
    check_constraints("<", None);
    check_constraints("", None);
    check_constraints("<= U61 |<= L81", Some("<=U61|<=L81"));
}

#[test]
fn statuses_name_only_defined_products_in_cisa_documents() {
    let Some(data) = data_dir("status references") else {
        return;
    };
    for path in json_files(&data, "icsma") {
        let a = read(&std::fs::read(&path).unwrap()).unwrap();
        let p = products(&a);
        let named: BTreeSet<&String> = a
            .vulnerabilities
            .iter()
            .filter_map(|v| v.product_status.as_ref())
            .flat_map(|s| s.lists().into_iter().flat_map(|(_, ids)| ids.iter()))
            .collect();
        for id in named {
            assert!(p.get(id).is_some(), "{}: {id}", file_name(&path));
        }
    }
}
