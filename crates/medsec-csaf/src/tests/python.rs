//! Reference tools from PyPI: `jsonschema` validates written VEX against
//! the CSAF 2.0 schema, the `cvss` package scores random vectors. Opt-in
//! through `MEDSEC_TEST_PYTHON` (a Python with the packages of
//! `scripts/test-requirements.txt`), required when
//! `MEDSEC_REQUIRE_PYTHON=1`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use super::*;
use crate::write_vex;

fn python(what: &str) -> Option<std::ffi::OsString> {
    let found = std::env::var_os("MEDSEC_TEST_PYTHON");
    if found.is_none() {
        assert!(
            std::env::var("MEDSEC_REQUIRE_PYTHON").as_deref() != Ok("1"),
            "MEDSEC_REQUIRE_PYTHON=1 but MEDSEC_TEST_PYTHON is not set"
        );
        eprintln!("skipped: {what} (set MEDSEC_TEST_PYTHON)");
    }
    found
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

/// Runs the schema check on files; (success, stdout + stderr).
fn schema_check(python: &std::ffi::OsStr, data: &Path, files: &[&Path]) -> (bool, String) {
    let output = Command::new(python)
        .arg(script("check_csaf_schema.py"))
        .arg(data.join("csaf/schema/csaf_2.0"))
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run check_csaf_schema.py: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn written_vex_is_valid_by_the_schema() {
    let Some(python) = python("JSON schema check of written VEX") else {
        return;
    };
    let Some(data) = data_dir("JSON schema check of written VEX") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let full = vex::monitor_vex();
    // The smallest document: no optional parts.
    let mut minimal = full.clone();
    minimal.lang = None;
    minimal.summary = None;
    minimal.tlp = None;
    minimal.publisher.contact_details = None;
    minimal.revisions.truncate(1);
    minimal.product.purl = None;
    minimal.product.cpe = None;
    minimal.product.model_numbers.clear();
    minimal.vulnerabilities.truncate(1);
    minimal.vulnerabilities[0].actions.truncate(1);
    minimal.vulnerabilities[0].actions[0].url = None;
    let mut files = Vec::new();
    for (name, doc) in [("full.json", &full), ("minimal.json", &minimal)] {
        let path = dir.path().join(name);
        std::fs::write(&path, write_vex(doc).unwrap()).unwrap();
        files.push(path);
    }
    let paths: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let (ok, out) = schema_check(&python, &data, &paths);
    assert!(ok, "{out}");
    assert!(out.contains("ok 2"), "{out}");

    // The check can fail: a document with a broken date and a CVSS object
    // without its severity is refused, with the paths.
    let mut broken: serde_json::Value = serde_json::from_str(&write_vex(&full).unwrap()).unwrap();
    broken["document"]["tracking"]["current_release_date"] = "2024-06-11 10:30".into();
    broken["vulnerabilities"][0]["scores"] = serde_json::json!([{
        "products": [crate::VEX_PRODUCT_ID],
        "cvss_v3": {"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "baseScore": 9.8}
    }]);
    let path = dir.path().join("broken.json");
    std::fs::write(&path, broken.to_string()).unwrap();
    let (ok, out) = schema_check(&python, &data, &[&path]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("$.document.tracking.current_release_date"),
        "{out}"
    );
    assert!(
        out.contains("$.vulnerabilities[0].scores[0].cvss_v3"),
        "{out}"
    );
}

/// A deterministic stream of random vectors (xorshift), with every
/// metric of v2, v3.0 and v3.1 including the temporal and environmental
/// ones, each present or absent.
fn random_vectors(n: usize) -> Vec<String> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |k: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % k as u64) as usize
    };
    let v3: &[(&str, &[&str], bool)] = &[
        ("AV", &["N", "A", "L", "P"], true),
        ("AC", &["L", "H"], true),
        ("PR", &["N", "L", "H"], true),
        ("UI", &["N", "R"], true),
        ("S", &["U", "C"], true),
        ("C", &["H", "L", "N"], true),
        ("I", &["H", "L", "N"], true),
        ("A", &["H", "L", "N"], true),
        ("E", &["X", "H", "F", "P", "U"], false),
        ("RL", &["X", "U", "W", "T", "O"], false),
        ("RC", &["X", "C", "R", "U"], false),
        ("CR", &["X", "H", "M", "L"], false),
        ("IR", &["X", "H", "M", "L"], false),
        ("AR", &["X", "H", "M", "L"], false),
        ("MAV", &["X", "N", "A", "L", "P"], false),
        ("MAC", &["X", "L", "H"], false),
        ("MPR", &["X", "N", "L", "H"], false),
        ("MUI", &["X", "N", "R"], false),
        ("MS", &["X", "U", "C"], false),
        ("MC", &["X", "H", "L", "N"], false),
        ("MI", &["X", "H", "L", "N"], false),
        ("MA", &["X", "H", "L", "N"], false),
    ];
    let v2: &[(&str, &[&str], bool)] = &[
        ("AV", &["L", "A", "N"], true),
        ("AC", &["H", "M", "L"], true),
        ("Au", &["M", "S", "N"], true),
        ("C", &["N", "P", "C"], true),
        ("I", &["N", "P", "C"], true),
        ("A", &["N", "P", "C"], true),
        ("E", &["U", "POC", "F", "H", "ND"], false),
        ("RL", &["OF", "TF", "W", "U", "ND"], false),
        ("RC", &["UC", "UR", "C", "ND"], false),
        ("CDP", &["N", "L", "LM", "MH", "H", "ND"], false),
        ("TD", &["N", "L", "M", "H", "ND"], false),
        ("CR", &["L", "M", "H", "ND"], false),
        ("IR", &["L", "M", "H", "ND"], false),
        ("AR", &["L", "M", "H", "ND"], false),
    ];
    (0..n)
        .map(|i| {
            let (prefix, table) = match i % 3 {
                0 => ("CVSS:3.1/", v3),
                1 => ("CVSS:3.0/", v3),
                _ => ("", v2),
            };
            // Every other vector has only base metrics, the others each
            // optional metric with probability 1/2.
            let extra = i % 2 == 0;
            let mut parts = Vec::new();
            for (k, values, base) in table {
                if *base || (extra && next(2) == 0) {
                    parts.push(format!("{k}:{}", values[next(values.len())]));
                }
            }
            format!("{prefix}{}", parts.join("/"))
        })
        .collect()
}

#[test]
fn cvss_scores_agree_with_the_cvss_package() {
    let Some(python) = python("CVSS scores against the cvss package") else {
        return;
    };
    let vectors = random_vectors(6000);
    let mut child = Command::new(python)
        .arg(script("cvss_scores.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(vectors.join("\n").as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), vectors.len());
    let mut disagree = Vec::new();
    for (vector, line) in vectors.iter().zip(lines) {
        let ours = crate::check::cvss::scores_of(vector).unwrap();
        let theirs: Vec<Option<f64>> = line.split(' ').map(|s| s.parse().ok()).collect();
        let pairs = [
            ("base", ours.base, theirs[0]),
            ("temporal", ours.temporal, theirs[1]),
            ("environmental", ours.environmental, theirs[2]),
        ];
        for (what, o, t) in pairs {
            if let Some(t) = t
                && (o - t).abs() > 1e-9
            {
                disagree.push(format!("{vector}: {what} ours {o}, cvss {t}"));
            }
        }
    }
    assert!(
        disagree.is_empty(),
        "{} of {} vectors:\n{}",
        disagree.len(),
        vectors.len(),
        disagree.join("\n")
    );
}
