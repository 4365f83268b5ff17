//! Tests of the crate: real advisories from `../shared/data/csaf` (CISA
//! ICSMA and ICSA, the OASIS examples and validator test documents),
//! hand-written documents for the corner cases, the JSON schema check of
//! written VEX by Python `jsonschema`, and property tests for robustness.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod check;
mod cvss;
mod fuzz;
mod products;
mod python;
mod read;
mod statements;
mod vex;

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The shared data directory (`MEDSEC_DATA`, by default
/// `../shared/data` next to the workspace), or `None` after saying
/// "skipped" when it is missing, unless `MEDSEC_REQUIRE_DATA=1`.
fn data_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("MEDSEC_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    if dir.join("csaf").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("MEDSEC_REQUIRE_DATA").as_deref() != Ok("1"),
        "MEDSEC_REQUIRE_DATA=1 but {} has no csaf/ directory",
        dir.display()
    );
    eprintln!(
        "skipped: {what} ({} has no csaf/ directory; set MEDSEC_DATA)",
        dir.display()
    );
    None
}

/// The `.json` files of a directory under `csaf/`, sorted by name.
fn json_files(data: &Path, sub: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data.join("csaf").join(sub))
        .unwrap_or_else(|e| panic!("csaf/{sub}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// One OASIS validator test document.
struct TestCase {
    name: String,
    test_id: String,
    expected_valid: bool,
    document: serde_json::Value,
}

fn test_cases(data: &Path) -> Vec<TestCase> {
    let file = std::fs::File::open(data.join("csaf/oasis-validator-testcases.jsonl.gz")).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            TestCase {
                name: v["name"].as_str().unwrap().to_owned(),
                test_id: v["test_id"].as_str().unwrap().to_owned(),
                expected_valid: v["expected_valid"].as_bool().unwrap(),
                document: v["document"].take(),
            }
        })
        .collect()
}

/// A minimal valid `csaf_base` document to build cases on.
fn base_document() -> serde_json::Value {
    serde_json::json!({
        "document": {
            "category": "csaf_base",
            "csaf_version": "2.0",
            "publisher": {
                "category": "vendor",
                "name": "Example Medical",
                "namespace": "https://psirt.example.com"
            },
            "title": "Test document",
            "tracking": {
                "current_release_date": "2024-05-01T10:00:00.000Z",
                "id": "EXAMPLE-2024-0001",
                "initial_release_date": "2024-05-01T10:00:00.000Z",
                "revision_history": [
                    {"date": "2024-05-01T10:00:00.000Z", "number": "1", "summary": "Initial version."}
                ],
                "status": "final",
                "version": "1"
            }
        }
    })
}

fn advisory(value: &serde_json::Value) -> crate::Advisory {
    crate::read(&serde_json::to_vec(value).unwrap()).unwrap_or_else(|e| panic!("{e}"))
}
