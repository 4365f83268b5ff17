//! `medsec feeds import` and `medsec feeds status` end to end: idempotent
//! imports, deltas, a bad file that is not kept while the others are.

use super::*;

const OSV: &str = r#"{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2019-10744"],"summary":"Prototype Pollution in lodash","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.17.12"}]}]}]}"#;

const KEV: &str = r#"{"title":"KEV","catalogVersion":"2025.08.25","count":1,"vulnerabilities":[{"cveID":"CVE-2019-10744","vendorProject":"lodash","product":"lodash","dateAdded":"2024-01-01"}]}"#;

fn import(data: &Path, path: &Path) -> Output {
    run(&[
        "feeds",
        "import",
        "--data-dir",
        data.to_str().unwrap(),
        path.to_str().unwrap(),
    ])
}

#[test]
fn feeds_import_is_idempotent_and_keeps_good_files_when_one_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(feeds.join("osv")).unwrap();
    std::fs::write(feeds.join("osv/npm.jsonl"), format!("{OSV}\n")).unwrap();
    std::fs::write(feeds.join("kev.json"), KEV).unwrap();
    std::fs::write(feeds.join("notes.txt"), "not a feed").unwrap();

    let out = import(&data, &feeds);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("kev          1 files        1 records: 1 new, 0 changed, 0 unchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("osv          1 files        1 records: 1 new, 0 changed, 0 unchanged"),
        "{stdout}"
    );
    assert!(stdout.contains("1 other files skipped"), "{stdout}");

    // The same again: nothing changes.
    let out = import(&data, &feeds);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(": 0 new, 0 changed, 2 unchanged records"),
        "{stdout}"
    );

    // A delta with a broken second file: the good one is imported, the
    // broken one not at all, and the exit status says so.
    let changed = OSV.replace("4.17.12", "4.17.13");
    std::fs::write(feeds.join("osv/npm.jsonl"), format!("{changed}\n")).unwrap();
    std::fs::write(feeds.join("osv/pypi.jsonl"), format!("{OSV}\n{{\"id\":\"X\",\"modified\":\"\",\"affected\":[{{\"package\":{{\"ecosystem\":\"PyPI\",\"name\":\"a\"}},\"ranges\":[{{\"type\":\"ECOSYSTEM\",\"events\":[{{\"introduced\":\"not a version!\"}}]}}]}}]}}\n{{broken\n")).unwrap();
    let out = import(&data, &feeds);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("osv/pypi.jsonl: not imported:"), "{stdout}");
    assert!(
        stdout.contains("pypi.jsonl:3: invalid JSON at line 1 column 2"),
        "{stdout}"
    );
    assert!(
        stdout.contains(": 0 new, 1 changed, 1 unchanged records; 1 files failed"),
        "{stdout}"
    );

    let out = run(&["feeds", "status", "--data-dir", data.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("kev             1 records"), "{stdout}");
    assert!(stdout.contains("osv             1 records"), "{stdout}");
    assert!(stdout.contains("index: 1 advisories, 1 vulnerabilities, 1 packages, 0 CPE configurations, 1 KEV, 0 EPSS"), "{stdout}");
    assert_eq!(
        stdout.matches("\nimport ").count() + usize::from(stdout.starts_with("import ")),
        3,
        "{stdout}"
    );

    let out = run(&[
        "feeds",
        "import",
        "--data-dir",
        data.to_str().unwrap(),
        "/nonexistent/feeds",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("/nonexistent/feeds"),
        "{}",
        text(&out.stderr)
    );
}

const SBOM: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"timestamp":"2026-01-01T00:00:00Z","component":{"type":"device","name":"infusion pump","version":"2.1"}},"components":[
{"type":"library","bom-ref":"a","name":"lodash","version":"4.17.11","purl":"pkg:npm/lodash@4.17.11"},
{"type":"library","bom-ref":"b","name":"lodash","version":"4.17.21","purl":"pkg:npm/lodash@4.17.21"},
{"type":"library","bom-ref":"c","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0"}]}"#;

#[test]
fn sbom_scan_explains_findings_and_sets_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let bom = dir.path().join("bom.json");
    std::fs::write(&bom, SBOM).unwrap();
    let b = bom.to_str().unwrap();

    // Without feeds the scan refuses to say "no findings".
    let out = run(&["sbom", "scan", "--data-dir", d, b]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("the vulnerability database is empty"),
        "{}",
        text(&out.stderr)
    );

    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    std::fs::write(feeds.join("npm.jsonl"), format!("{OSV}\n")).unwrap();
    std::fs::write(feeds.join("kev.json"), KEV).unwrap();
    assert!(import(&data, &feeds).status.success());

    let out = run(&["sbom", "scan", "--data-dir", d, b]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("CVE-2019-10744        lodash@4.17.11"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "GHSA-jf85-cpcp-j695: npm lodash 4.17.11: in the ECOSYSTEM range >= 0, < 4.17.12"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("4 components, 1 findings (1 known exploited)"),
        "{stdout}"
    );

    let out = run(&["sbom", "scan", "--data-dir", d, b, "--fail-on", "kev"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["sbom", "scan", "--data-dir", d, b, "--fail-on", "critical"]);
    // No CVSS in the fixture: the finding counts as medium.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = run(&["sbom", "scan", "--data-dir", d, b, "--fail-on", "medium"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["sbom", "scan", "--data-dir", d, b, "--fail-on", "severe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--fail-on severe: expected"),
        "{}",
        text(&out.stderr)
    );

    let out = run(&["sbom", "scan", "--data-dir", d, b, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The device itself (metadata.component) counts as a component.
    assert_eq!(json["components"], 4);
    assert_eq!(json["findings"][0]["id"], "CVE-2019-10744");
    assert_eq!(
        json["findings"][0]["component"]["purl"],
        "pkg:npm/lodash@4.17.11"
    );
    assert_eq!(
        json["findings"][0]["reasons"][0]["advisory"],
        "GHSA-jf85-cpcp-j695"
    );

    let out = run(&["sbom", "scan", "--data-dir", d, b, "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "CVE-2019-10744");
    check_sarif(dir.path(), &out.stdout);

    // A broken SBOM: the error names the place.
    std::fs::write(
        &bom,
        SBOM.replace("\"version\":\"4.17.21\"", "\"version\":4"),
    )
    .unwrap();
    let out = run(&["sbom", "scan", "--data-dir", d, b]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("components[1].version"), "{err}");
}

/// Validates SARIF with Microsoft's SARIF multitool (npm
/// `@microsoft/sarif-multitool`, see scripts/test): no error-level result.
fn check_sarif(dir: &Path, sarif: &[u8]) {
    let Some(tool) = std::env::var_os("MEDSEC_TEST_SARIF_MULTITOOL") else {
        if std::env::var("MEDSEC_REQUIRE_NODE").as_deref() == Ok("1") {
            panic!("MEDSEC_REQUIRE_NODE=1 but MEDSEC_TEST_SARIF_MULTITOOL is not set");
        }
        eprintln!("skipped: SARIF multitool validation (set MEDSEC_TEST_SARIF_MULTITOOL)");
        return;
    };
    let input = dir.join("scan.sarif");
    let output = dir.join("validation.sarif");
    std::fs::write(&input, sarif).unwrap();
    let out = Command::new(tool)
        .arg("validate")
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    let errors: Vec<&serde_json::Value> = report["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{stdout}");
}

#[test]
fn releases_are_matched_when_added_and_after_each_import() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let bom = dir.path().join("bom.json");
    std::fs::write(&bom, SBOM).unwrap();
    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    std::fs::write(feeds.join("kev.json"), KEV).unwrap();
    assert!(import(&data, &feeds).status.success());
    assert!(
        run(&[
            "org",
            "create",
            "--data-dir",
            d,
            "--name",
            "메드시큐",
            "--kind",
            "manufacturer"
        ])
        .status
        .success()
    );
    let org = ["--data-dir", d, "--org", "메드시큐"];
    let add = |version: &str, extra: &[&str]| {
        let mut args = vec!["release", "add"];
        args.extend(org);
        args.extend([
            "--product",
            "주입 펌프",
            "--version",
            version,
            "--sbom",
            bom.to_str().unwrap(),
        ]);
        args.extend(extra);
        run(&args)
    };
    // Before the advisory is known: no findings.
    let out = add(
        "2.1",
        &[
            "--released-on",
            "2026-01-15",
            "--support-until",
            "2031-12-31",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("4 components, 0 open findings"),
        "{}",
        text(&out.stdout)
    );
    let out = add("2.1", &[]);
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    let out = add("2.2", &["--released-on", "2026-13-01"]);
    assert!(
        text(&out.stderr).contains("released_on: Enter a date as YYYY-MM-DD."),
        "{}",
        text(&out.stderr)
    );

    // The advisory arrives with the next import: the release is matched again.
    std::fs::write(feeds.join("npm.jsonl"), format!("{OSV}\n")).unwrap();
    let out = import(&data, &feeds);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("re-matched 1 releases: 1 new findings, 0 fixed, 1 open"),
        "{stdout}"
    );
    let mut args = vec!["release", "list"];
    args.extend(org);
    let stdout = text(&run(&args).stdout);
    assert!(
        stdout.contains("주입 펌프 2.1\t1 open (1 KEV)\tsupport until 2031-12-31"),
        "{stdout}"
    );
    let mut args = vec!["release", "findings"];
    args.extend(org);
    args.extend(["--sort", "kev"]);
    let stdout = text(&run(&args).stdout);
    assert!(
        stdout.contains("CVE-2019-10744\tunknown\trelease"),
        "{stdout}"
    );
    assert!(stdout.contains("component 1\tKEV"), "{stdout}");
    let mut args = vec!["release", "used"];
    args.extend(org);
    args.push("pkg:npm/lodash");
    let stdout = text(&run(&args).stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");

    // The advisory is corrected (4.17.11 no longer affected): fixed.
    std::fs::write(
        feeds.join("npm.jsonl"),
        format!("{}\n", OSV.replace("4.17.12", "4.17.10")),
    )
    .unwrap();
    let stdout = text(&import(&data, &feeds).stdout);
    assert!(
        stdout.contains("re-matched 1 releases: 0 new findings, 1 fixed, 0 open"),
        "{stdout}"
    );
}

#[test]
fn sbom_check_diff_and_convert() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    std::fs::write(&old, SBOM).unwrap();
    std::fs::write(&new, SBOM.replace("4.17.11", "4.17.12").replace(",\n{\"type\":\"library\",\"bom-ref\":\"c\",\"name\":\"left-pad\",\"version\":\"1.3.0\",\"purl\":\"pkg:npm/left-pad@1.3.0\"}", "")).unwrap();

    // The fixture names no suppliers: the NTIA gate fails and says where.
    let out = run(&["sbom", "check", old.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL Supplier Name"), "{stdout}");
    assert!(
        stdout.contains("NTIA minimum elements: NOT met"),
        "{stdout}"
    );

    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    std::fs::write(feeds.join("npm.jsonl"), format!("{OSV}\n")).unwrap();
    assert!(import(&data, &feeds).status.success());
    let out = run(&[
        "sbom",
        "diff",
        "--data-dir",
        d,
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("- left-pad 1.3.0"), "{stdout}");
    assert!(stdout.contains("↑ lodash 4.17.11 → 4.17.12"), "{stdout}");
    assert!(
        stdout.contains("gone: CVE-2019-10744 in lodash"),
        "{stdout}"
    );
    assert!(
        stdout.contains("findings: 0 new, 1 gone, 0 remain"),
        "{stdout}"
    );

    for (to, marker) in [
        ("cyclonedx-json", "\"specVersion\": \"1.6\""),
        ("cyclonedx-xml", "http://cyclonedx.org/schema/bom/1.6"),
        ("spdx-json", "\"spdxVersion\": \"SPDX-2.3\""),
    ] {
        let out = run(&["sbom", "convert", old.to_str().unwrap(), "--to", to]);
        let stdout = text(&out.stdout);
        assert!(
            out.status.success() && stdout.contains(marker),
            "{to}: {stdout}"
        );
        assert!(stdout.contains("lodash"), "{stdout}");
    }
}
