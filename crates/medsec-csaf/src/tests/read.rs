//! Reading: every real document, the integrity of the CISA files, a
//! lossless round trip, error locations, and hostile nesting.

use std::collections::BTreeMap;

use sha2::{Digest, Sha512};

use super::*;
use crate::{CsafError, read};

/// The files of `oasis-examples` that are not CSAF documents at all, and
/// what they are instead; each must fail to read for lack of `/document`.
const NOT_CSAF: &[(&str, &str)] = &[
    (
        "ROLIE_example-01-category.json",
        "a ROLIE category document",
    ),
    ("ROLIE_example-01-feed-tlp-white.json", "a ROLIE feed"),
    ("ROLIE_example-01-service.json", "a ROLIE service document"),
    ("ROLIE_example-02-service.json", "a ROLIE service document"),
    (
        "aggregator_example-01-aggregator.json",
        "a CSAF aggregator document",
    ),
    (
        "aggregator_example-02-aggregator.json",
        "a CSAF aggregator document",
    ),
    (
        "aggregator_example-03-aggregator.json",
        "a CSAF aggregator document",
    ),
    (
        "provider-metadata_example-01-provider-metadata.json",
        "CSAF provider metadata",
    ),
];

#[test]
fn every_real_document_reads() {
    let Some(data) = data_dir("reading the CSAF documents") else {
        return;
    };
    let mut counts = BTreeMap::new();
    let mut failed = BTreeMap::new();
    for sub in ["icsma", "icsa-2024", "oasis-examples"] {
        for path in json_files(&data, sub) {
            let bytes = std::fs::read(&path).unwrap();
            match read(&bytes) {
                Ok(_) => *counts.entry(sub).or_insert(0) += 1,
                Err(e) => {
                    failed.insert(file_name(&path), e);
                }
            }
        }
    }
    eprintln!("read: {counts:?}; not CSAF: {}", failed.len());
    assert_eq!(counts.get("icsma"), Some(&114), "{failed:#?}");
    assert_eq!(counts.get("icsa-2024"), Some(&150), "{failed:#?}");
    assert_eq!(counts.get("oasis-examples"), Some(&19), "{failed:#?}");
    let expected: Vec<&str> = NOT_CSAF.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        failed.keys().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
    for (name, e) in &failed {
        let CsafError::Json { path, message, .. } = e else {
            panic!("{name}: {e}");
        };
        assert_eq!(path, "", "{name}: {e}");
        assert!(message.contains("missing field `document`"), "{name}: {e}");
    }
}

#[test]
fn icsma_files_match_their_sha512() {
    let Some(data) = data_dir("SHA-512 of the ICSMA files") else {
        return;
    };
    let mut checked = 0;
    for path in json_files(&data, "icsma") {
        let name = file_name(&path);
        let listed = std::fs::read_to_string(path.with_file_name(format!("{name}.sha512")))
            .unwrap_or_else(|e| panic!("{name}.sha512: {e}"));
        let (hash, listed_name) = listed.trim().split_once("  ").unwrap();
        assert_eq!(listed_name, name);
        let digest = Sha512::digest(std::fs::read(&path).unwrap());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, hash.to_ascii_lowercase(), "{name}");
        checked += 1;
    }
    assert_eq!(checked, 114);
}

/// Numbers compare by value: `10` and `10.0` are the same JSON number.
fn normalize(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64() {
                *v = serde_json::json!(f);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(normalize),
        serde_json::Value::Object(o) => o.values_mut().for_each(normalize),
        _ => {}
    }
}

/// The model covers every member of every real document: writing what was
/// read gives the same JSON value.
#[test]
fn real_documents_survive_a_round_trip() {
    let Some(data) = data_dir("round trip of the CSAF documents") else {
        return;
    };
    let mut n = 0;
    for sub in ["icsma", "icsa-2024", "oasis-examples"] {
        for path in json_files(&data, sub) {
            let bytes = std::fs::read(&path).unwrap();
            let Ok(advisory) = read(&bytes) else { continue };
            let mut original: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let mut written = serde_json::to_value(&advisory).unwrap();
            normalize(&mut original);
            normalize(&mut written);
            assert!(
                original == written,
                "{} changed in the round trip",
                file_name(&path)
            );
            n += 1;
        }
    }
    assert_eq!(n, 283);
}

fn check_error(json: &str, expect: &str) {
    let e = read(json.as_bytes()).unwrap_err().to_string();
    assert!(e.contains(expect), "expected `{expect}` in: {e}");
}

#[test]
fn errors_name_the_path_and_position() {
    let mut doc = base_document();
    doc["document"]["tracking"]["status"] = "published".into();
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let e = read(text.as_bytes()).unwrap_err();
    let CsafError::Json {
        path, line, column, ..
    } = &e
    else {
        panic!("{e}");
    };
    assert_eq!(path, "/document/tracking/status");
    let expected_line = text.lines().position(|l| l.contains("published")).unwrap() + 1;
    assert_eq!(*line, expected_line, "{e}");
    assert!(*column > 10, "{e}");
    assert!(e.to_string().contains("unknown variant `published`"), "{e}");

    let mut doc = base_document();
    doc["product_tree"] = serde_json::json!({"branches": [{"category": "vendor", "name": "V",
        "branches": [{"category": "product_name", "name": "P", "product": {"name": "V P"}}]}]});
    check_error(
        &doc.to_string(),
        "at `/product_tree/branches/0/branches/0/product`",
    );
    check_error(&doc.to_string(), "missing field `product_id`");

    let mut doc = base_document();
    doc["vulnerabilities"] =
        serde_json::json!([{"scores": [{"products": ["A"], "cvss_v3": {"baseScore": "high"}}]}]);
    check_error(&doc.to_string(), "at `/vulnerabilities/0/scores/0/cvss_v3");

    let mut doc = base_document();
    doc["document"]["csaf_version"] = "2.1".into();
    check_error(&doc.to_string(), "unsupported CSAF version `2.1`");

    check_error("", "line 1, column 0");
    check_error("{\"document\": ", "EOF while parsing");
    check_error("[]", "expected struct Advisory");
    check_error("\"csaf\"", "expected struct Advisory");
    check_error(
        &format!("{} trailing", base_document()),
        "trailing characters",
    );
    check_error("{\"document\": {\"category\": 1}}", "/document/category");
}

/// serde reads a struct from an array and an enumeration value from a
/// one-member object; CSAF has neither.
#[test]
fn members_of_another_json_type_are_refused() {
    let mut doc = base_document();
    doc["vulnerabilities"] = serde_json::json!([{"cwe": ["CWE-79", "Cross-site Scripting"]}]);
    let e = read(doc.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        e,
        CsafError::Shape {
            path: "/vulnerabilities/0/cwe".to_owned(),
            expected: "an object",
            found: "an array"
        }
    );
    assert!(
        e.to_string()
            .contains("an array where the schema has an object"),
        "{e}"
    );

    let mut doc = base_document();
    doc["document"]["tracking"]["status"] = serde_json::json!({"final": null});
    check_error(
        &doc.to_string(),
        "at `/document/tracking/status`: an object where the schema has a string",
    );
    // Unknown members are not read, and not compared.
    let mut doc = base_document();
    doc["$schema"] = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json".into();
    doc["document"]["x_vendor"] = serde_json::json!([1, 2]);
    assert!(read(doc.to_string().as_bytes()).is_ok());
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(serde_json::to_vec(&base_document()).unwrap());
    assert!(read(&bytes).is_ok());
}

/// A branch tree nested `depth` levels deep, as JSON text.
fn nested_branches(depth: usize) -> String {
    let mut doc = base_document().to_string();
    assert_eq!(doc.pop(), Some('}'));
    doc.push_str(",\"product_tree\":{\"branches\":");
    for _ in 0..depth {
        doc.push_str("[{\"category\":\"product_family\",\"name\":\"x\",\"branches\":");
    }
    doc.push_str("[{\"category\":\"product_version\",\"name\":\"1\",\"product\":{\"name\":\"x\",\"product_id\":\"P\"}}]");
    for _ in 0..depth {
        doc.push_str("}]");
    }
    doc.push_str("}}");
    doc
}

#[test]
fn deep_branch_trees_are_refused_without_overflowing_the_stack() {
    // Ten thousand levels: serde_json's nesting limit stops it.
    let e = read(nested_branches(10_000).as_bytes()).unwrap_err();
    assert!(e.to_string().contains("recursion limit exceeded"), "{e}");
    // Within serde_json's limit but beyond ours.
    let e = read(nested_branches(40).as_bytes()).unwrap_err();
    let CsafError::TooDeep { path, limit } = &e else {
        panic!("{e}");
    };
    assert_eq!(*limit, crate::MAX_BRANCH_DEPTH);
    assert_eq!(
        path.matches("/branches/").count(),
        crate::MAX_BRANCH_DEPTH + 1,
        "{path}"
    );
    // At the limit it reads, and the product is found.
    let a = read(nested_branches(crate::MAX_BRANCH_DEPTH - 1).as_bytes()).unwrap();
    let products = crate::products(&a);
    assert_eq!(products.len(), 1);
    assert_eq!(products.get("P").unwrap().name, "x 1");
}
