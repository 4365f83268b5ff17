//! SARIF 2.1.0 import on real files (Trivy, gitleaks, the SARIF
//! tutorials, what `medsec sbom scan --format sarif` writes) and on
//! samples written per the standard, each compared with its reviewed
//! `NAME.expected`; malformed files refused with the JSON pointer of the
//! value at fault. The reference validators (the OASIS schema through
//! Python `jsonschema`, Microsoft's SARIF multitool) must accept every
//! valid file and refuse every malformed one. `MEDSEC_BLESS=1` rewrites
//! the expectations for review.

use std::path::{Path, PathBuf};
use std::process::Command;

use medsec_assure::evidence::sarif::{self, ImportOptions, ScanReport};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif")
}

/// The `.sarif` files of `valid` or `invalid`, sorted.
fn files(kind: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir().join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sarif"))
        .collect();
    out.sort();
    assert!(!out.is_empty());
    out
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn import(path: &Path) -> Result<ScanReport, sarif::SarifError> {
    let bytes = std::fs::read(path).unwrap();
    sarif::import(
        &bytes,
        &ImportOptions {
            source: name(path),
            test: Some("TC-SAST".into()),
        },
    )
}

/// What a report holds, one line per run, finding and warning.
fn render(r: &ScanReport) -> String {
    let mut out = format!("source {} sha256 {}\n", r.source, r.sha256);
    for (n, run) in r.runs.iter().enumerate() {
        out.push_str(&format!(
            "run {n}: {} version={} rules={} extensions=[{}] results={} executionSuccessful={}\n",
            run.tool,
            run.version.as_deref().unwrap_or("-"),
            run.rules.len(),
            run.extensions.join(","),
            run.results,
            run.execution_successful
                .map_or("-".to_owned(), |b| b.to_string()),
        ));
        for rule in &run.rules {
            out.push_str(&format!(
                "  rule {} name={} level={} cwe=[{}] security-severity={}\n",
                rule.id,
                rule.name.as_deref().unwrap_or("-"),
                rule.default_level
                    .map_or("-".to_owned(), |l| format!("{l:?}")),
                rule.cwe.join(","),
                rule.security_severity
                    .map_or("-".to_owned(), |s| s.to_string()),
            ));
        }
    }
    for f in &r.findings {
        let at = f.locations.first().map_or("-".to_owned(), |l| {
            format!(
                "{}:{}:{}{}",
                l.uri.as_deref().unwrap_or("?"),
                l.start_line.map_or("-".to_owned(), |n| n.to_string()),
                l.start_column.map_or("-".to_owned(), |n| n.to_string()),
                if l.logical.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", l.logical.join(", "))
                }
            )
        });
        out.push_str(&format!(
            "finding {} {} rule={} level={:?} kind={:?} open={} suppressed={} baseline={} cwe=[{}] at {at} fingerprints={} test={}\n  {}\n",
            f.id,
            f.pointer,
            f.rule_id.as_deref().unwrap_or("-"),
            f.level,
            f.kind,
            f.is_open(),
            f.is_suppressed(),
            f.baseline_state.map_or("-".to_owned(), |b| format!("{b:?}")),
            f.cwe.join(","),
            f.fingerprints.len() + f.partial_fingerprints.len(),
            f.test.as_deref().unwrap_or("-"),
            f.message.replace('\n', "⏎"),
        ));
    }
    for w in &r.warnings {
        out.push_str(&format!("warning {}: {}\n", w.pointer, w.message));
    }
    out
}

fn check_expected(path: &Path, actual: &str) {
    let expected_path = path.with_extension("expected");
    if std::env::var_os("MEDSEC_BLESS").is_some() {
        std::fs::write(&expected_path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
    assert_eq!(
        actual,
        expected,
        "{} differs from {}",
        name(path),
        expected_path.display()
    );
}

#[test]
fn valid_files_import_as_expected() {
    for path in files("valid") {
        let report = import(&path).unwrap_or_else(|e| panic!("{}: {e}", name(&path)));
        check_expected(&path, &render(&report));
        // Ids are unique and stable.
        let again = import(&path).unwrap();
        assert_eq!(again, report);
        let mut ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), report.findings.len(), "{}", name(&path));
        // The report is stored as JSON with the release and read back.
        let json = serde_json::to_string(&report).unwrap();
        let back: ScanReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back.findings.len(), report.findings.len());
    }
}

#[test]
fn malformed_files_are_refused_naming_the_pointer() {
    for path in files("invalid") {
        let err = import(&path)
            .map(|r| panic!("{} was accepted: {}", name(&path), render(&r)))
            .unwrap_err();
        check_expected(&path, &format!("{err}\n"));
    }
}

/// Real-world quirks: what the standard discourages but tools write.
#[test]
fn tolerated_quirks_of_real_tools() {
    // gitleaks: no level (the standard's default applies), a ruleId no
    // rule describes, duplicate rule ids.
    let g = import(&dir().join("valid/gitleaks-simple.sarif")).unwrap();
    assert_eq!(g.findings.len(), 1);
    let f = &g.findings[0];
    assert_eq!(f.level, sarif::Level::Warning);
    assert!(f.is_open());
    assert!(g.warnings.iter().any(|w| {
        w.message
            .contains("no rule of the run describes `test-rule`")
    }));
    // A BOM before the JSON, as Windows tools write it.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(dir().join("valid/gitleaks-simple.sarif")).unwrap());
    let with_bom = sarif::import(&bytes, &ImportOptions::default()).unwrap();
    assert_eq!(with_bom.findings[0].id, f.id);
    // The file's hash is the evidence's: the bytes as given.
    assert_ne!(with_bom.sha256, g.sha256);
}

const OSV_LODASH: &str = r#"{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2019-10744"],"summary":"Prototype Pollution in lodash","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"}],"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.17.12"}]}]}],"database_specific":{"severity":"CRITICAL"}}"#;

const OSV_MINIMIST: &str = r#"{"id":"GHSA-xvch-5gv4-984h","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2021-44906"],"summary":"Prototype Pollution in minimist","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"npm","name":"minimist"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2.6"}]}]}]}"#;

/// The gateway's companion web UI, as a CycloneDX SBOM.
const SBOM: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"timestamp":"2026-01-01T00:00:00Z","component":{"type":"device","name":"유헬스케어 게이트웨이","version":"1.0.0"}},"components":[
{"type":"library","bom-ref":"a","name":"lodash","version":"4.17.11","purl":"pkg:npm/lodash@4.17.11"},
{"type":"library","bom-ref":"b","name":"minimist","version":"1.2.5","purl":"pkg:npm/minimist@1.2.5"},
{"type":"library","bom-ref":"c","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0"}]}"#;

/// What `medsec sbom scan --format sarif` writes for [`SBOM`]: the same
/// functions the command calls (medsec-sbom reads the SBOM, medsec-vulndb
/// matches and writes SARIF).
pub(crate) fn sbom_scan() -> (Vec<u8>, Vec<medsec_assure::evidence::SbomFinding>) {
    use medsec_vulndb::{Database, Kind, Record};
    let sbom = medsec_sbom::read(SBOM.as_bytes()).unwrap();
    let components: Vec<medsec_vulndb::Component> = sbom
        .components
        .iter()
        .map(medsec_vulndb::Component::from_sbom)
        .collect();
    let mut db = Database::new();
    for (id, body) in [
        ("GHSA-jf85-cpcp-j695", OSV_LODASH),
        ("GHSA-xvch-5gv4-984h", OSV_MINIMIST),
    ] {
        db.add_record(&Record {
            kind: Kind::Osv,
            id: id.into(),
            modified: String::new(),
            body: body.into(),
            origin: format!("test {id}"),
        })
        .unwrap();
    }
    db.build();
    let findings = db.matches_built(&components);
    assert_eq!(findings.len(), 2);
    let sarif = medsec_vulndb::report::sarif("sbom/gateway-web.cdx.json", &components, &findings);
    // The findings as the sustain part hands them to assure.
    let handed = findings
        .iter()
        .map(|f| {
            let c = &components[f.component];
            medsec_assure::evidence::SbomFinding {
                component: medsec_assure::evidence::sbom::SbomComponent {
                    name: c.name.clone(),
                    version: c.version.clone(),
                    purl: c.purl.as_ref().map(medsec_vulndb::report::purl_text),
                },
                vulnerability: f.id.clone(),
                aliases: f.aliases.clone(),
                summary: f.summary.clone(),
                cvss: f.cvss.as_ref().map(|s| s.vector.clone()),
                cwe: Vec::new(),
                kev: f.kev.is_some(),
                vex: None,
            }
        })
        .collect();
    (serde_json::to_vec_pretty(&sarif).unwrap(), handed)
}

#[test]
fn medsec_sbom_scan_output_imports() {
    let (bytes, handed) = sbom_scan();
    let report = sarif::import(
        &bytes,
        &ImportOptions {
            source: "gateway-web.sarif".into(),
            test: Some("TC-SCA".into()),
        },
    )
    .unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.runs.len(), 1);
    assert_eq!(report.runs[0].tool, "medsec");
    // Findings come by priority: minimist (9.8) before lodash (9.1).
    let rules: Vec<&str> = report.runs[0].rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(rules, ["CVE-2021-44906", "CVE-2019-10744"]);
    // security-severity is the score medsec-vulndb shows.
    assert_eq!(report.runs[0].rules[0].security_severity, Some(9.8));
    assert_eq!(report.runs[0].rules[1].security_severity, Some(9.1));
    let f: Vec<_> = report.findings.iter().rev().collect();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].rule_id.as_deref(), Some("CVE-2019-10744"));
    assert_eq!(f[0].level, sarif::Level::Error);
    assert!(
        f.iter()
            .all(|x| x.is_open() && x.test.as_deref() == Some("TC-SCA"))
    );
    assert_eq!(
        f[0].locations[0].uri.as_deref(),
        Some("sbom/gateway-web.cdx.json")
    );
    assert_eq!(f[0].locations[0].logical, ["pkg:npm/lodash@4.17.11"]);
    assert!(
        f[0].message
            .starts_with("lodash@4.17.11 is affected by CVE-2019-10744")
    );
    assert_eq!(
        handed[0].cvss.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    );
    assert_eq!(
        handed[1].component.purl.as_deref(),
        Some("pkg:npm/lodash@4.17.11")
    );
}

/// Every valid file and the sbom-scan output, and every malformed file,
/// copied into one directory for the reference validators.
fn corpus() -> (tempfile::TempDir, Vec<PathBuf>, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let mut valid = Vec::new();
    for p in files("valid") {
        let to = tmp.path().join(format!("valid-{}", name(&p)));
        std::fs::copy(&p, &to).unwrap();
        valid.push(to);
    }
    let scan = tmp.path().join("valid-medsec-sbom-scan.sarif");
    std::fs::write(&scan, sbom_scan().0).unwrap();
    valid.push(scan);
    let mut invalid = Vec::new();
    for p in files("invalid") {
        let to = tmp.path().join(format!("invalid-{}", name(&p)));
        std::fs::copy(&p, &to).unwrap();
        invalid.push(to);
    }
    (tmp, valid, invalid)
}

/// The OASIS SARIF 2.1.0 schema (`tests/sarif/sarif-schema-2.1.0.json`)
/// through Python `jsonschema`: per file, the error lines.
fn schema_errors(
    python: &std::ffi::OsStr,
    paths: &[PathBuf],
) -> std::collections::BTreeMap<String, Vec<String>> {
    let out = Command::new(python)
        .arg(dir().join("check_schema.py"))
        .arg(dir().join("sarif-schema-2.1.0.json"))
        .args(paths)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut errors: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for line in stdout.lines() {
        let mut parts = line.splitn(3, ' ');
        let (status, file, rest) = (parts.next(), parts.next(), parts.next());
        if let (Some("error"), Some(file)) = (status, file) {
            errors
                .entry(file.to_owned())
                .or_default()
                .push(rest.unwrap_or("").to_owned());
        }
    }
    errors
}

#[test]
fn the_oasis_schema_agrees() {
    let Some(python) = super::python("SARIF schema check") else {
        return;
    };
    let (_tmp, valid, invalid) = corpus();
    let all: Vec<PathBuf> = valid.iter().chain(&invalid).cloned().collect();
    let errors = schema_errors(&python, &all);
    for v in &valid {
        assert!(
            !errors.contains_key(&name(v)),
            "{}: {:?}",
            name(v),
            errors.get(&name(v))
        );
    }
    // Malformed files the schema alone cannot see: rule and artifact
    // indexes beyond their arrays and message ids with no message string
    // (the multitool refuses those, see below).
    let beyond_the_schema = [
        "invalid-artifact-index-out-of-range.sarif",
        "invalid-message-id-unknown.sarif",
        "invalid-rule-index-out-of-range.sarif",
    ];
    for i in &invalid {
        let n = name(i);
        assert_eq!(
            errors.contains_key(&n),
            !beyond_the_schema.contains(&n.as_str()),
            "{n}: {:?}",
            errors.get(&n)
        );
    }
}

/// Microsoft's SARIF multitool (npm `@microsoft/sarif-multitool`, see
/// scripts/test), as `crates/medsec/tests/it/feeds.rs` runs it: per file,
/// the error-level rules it reports.
#[test]
fn the_sarif_multitool_agrees() {
    let Some(tool) = std::env::var_os("MEDSEC_TEST_SARIF_MULTITOOL") else {
        assert!(
            std::env::var("MEDSEC_REQUIRE_NODE").as_deref() != Ok("1"),
            "MEDSEC_REQUIRE_NODE=1 but MEDSEC_TEST_SARIF_MULTITOOL is not set"
        );
        eprintln!("skipped: SARIF multitool validation (set MEDSEC_TEST_SARIF_MULTITOOL)");
        return;
    };
    let (tmp, valid, invalid) = corpus();
    // Multitool 5.7.0 silently stops at a result whose `kind` or `level`
    // is outside its enumeration, and skips every file after it in the
    // same run: those two are validated on their own.
    let beyond_the_multitool = ["invalid-kind-unknown.sarif", "invalid-level-unknown.sarif"];
    let (alone, together): (Vec<&PathBuf>, Vec<&PathBuf>) = valid
        .iter()
        .chain(&invalid)
        .partition(|p| beyond_the_multitool.contains(&name(p).as_str()));
    let mut errors: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut validate = |paths: &[&PathBuf], output: &Path| {
        let out = Command::new(&tool)
            .arg("validate")
            .args(paths)
            .arg("--output")
            .arg(output)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("Done. {} files scanned.", paths.len())),
            "{stdout}"
        );
        let bytes = std::fs::read(output).unwrap();
        let report: serde_json::Value =
            serde_json::from_slice(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).unwrap();
        for r in report["runs"][0]["results"].as_array().unwrap() {
            if r["level"] != "error" {
                continue;
            }
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or("");
            let file = uri.rsplit('/').next().unwrap_or(uri).to_owned();
            errors
                .entry(file)
                .or_default()
                .push(r["ruleId"].as_str().unwrap_or("?").to_owned());
        }
    };
    validate(&together, &tmp.path().join("validation.json"));
    for (n, p) in alone.iter().enumerate() {
        validate(&[p], &tmp.path().join(format!("validation-{n}.json")));
    }
    // The OASIS schema allows `runs: null` (a producer that failed);
    // multitool 5.7.0 refuses it (JSON1001).
    let multitool_stricter = ["valid-runs-null.sarif"];
    for v in &valid {
        let n = name(v);
        if multitool_stricter.contains(&n.as_str()) {
            assert_eq!(
                errors.get(&n).map(Vec::as_slice),
                Some(&["JSON1001".to_owned()][..]),
                "{n}"
            );
        } else {
            assert!(!errors.contains_key(&n), "{n}: {:?}", errors.get(&n));
        }
    }
    // Enumerations the multitool does not check (the schema does, above).
    for i in &invalid {
        let n = name(i);
        assert_eq!(
            errors.contains_key(&n),
            !beyond_the_multitool.contains(&n.as_str()),
            "{n}: {:?}",
            errors.get(&n)
        );
    }
}
