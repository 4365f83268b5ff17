//! Feed files: recognition, record splitting, provenance and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use super::*;

const OSV: &str = r#"{"id":"GHSA-aaaa-bbbb-cccc","modified":"2024-01-02T00:00:00Z","aliases":["CVE-2024-0001"],"affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.0"}]}]}],"_source":{"repo":"github/advisory-database","path":"advisories/x.json"}}"#;

const KEV_JSON: &str = r#"{"title":"CISA Catalog","catalogVersion":"2025.08.25","count":1,"vulnerabilities":[{"cveID":"CVE-2023-43208","vendorProject":"NextGen Healthcare","product":"Mirth Connect","vulnerabilityName":"NextGen Healthcare Mirth Connect Deserialization","dateAdded":"2024-05-20","shortDescription":"Mirth Connect, a, \"quoted\" text","requiredAction":"Apply mitigations.","dueDate":"2024-06-10","knownRansomwareCampaignUse":"Unknown","notes":"https://example.org/a ; https://example.org/b","cwes":["CWE-78"]}]}"#;

const KEV_CSV: &str = "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate,knownRansomwareCampaignUse,notes,cwes\nCVE-2023-43208,NextGen Healthcare,Mirth Connect,\"NextGen Healthcare Mirth Connect Deserialization\",2024-05-20,\"Mirth Connect, a, \"\"quoted\"\" text\",\"Apply mitigations.\",2024-06-10,Unknown,\"https://example.org/a ; https://example.org/b\",CWE-78\n";

const EPSS: &str = "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\ncve,epss,percentile\nCVE-2023-43208,0.94358,0.99957\nCVE-2024-0001,0.00043,0.08250\n";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn records(file: &FeedFile) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    read(file, Limits::default(), &mut |r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

fn only(path: &Path) -> FeedFile {
    let (files, skipped) = discover(path).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(files.len(), 1);
    files.into_iter().next().unwrap()
}

#[test]
fn a_directory_is_walked_in_name_order_and_other_files_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "b/osv-npm.jsonl.gz", &gz(format!("{OSV}\n").as_bytes()));
    write(d, "a/kev.json", KEV_JSON.as_bytes());
    write(d, "a/epss.csv", EPSS.as_bytes());
    write(d, "a/kev.csv", KEV_CSV.as_bytes());
    write(d, "c/crates/tokio/RUSTSEC-2021-0072.md", b"```toml\n[advisory]\nid = \"RUSTSEC-2021-0072\"\npackage = \"tokio\"\n\n[versions]\npatched = []\n```\n# T\n");
    write(d, "c/README.md", b"# advisory-db");
    write(d, "c/schema/osv-schema.json", b"{}");
    write(d, "d/rules.yml", b"title: x");
    write(d, "d/other.json", br#"{"type":"bundle"}"#);
    let (files, skipped) = discover(d).unwrap();
    let got: Vec<(String, Format)> = files
        .iter()
        .map(|f| {
            (
                f.path.strip_prefix(d).unwrap().display().to_string(),
                f.format,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a/epss.csv".to_owned(), Format::Csv(Kind::Epss)),
            ("a/kev.csv".to_owned(), Format::Csv(Kind::Kev)),
            ("a/kev.json".to_owned(), Format::Json(Kind::Kev)),
            (
                "b/osv-npm.jsonl.gz".to_owned(),
                Format::JsonLines(Kind::Osv)
            ),
            (
                "c/crates/tokio/RUSTSEC-2021-0072.md".to_owned(),
                Format::RustSec
            ),
        ]
    );
    let skipped: Vec<String> = skipped
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s.path.strip_prefix(d).unwrap().display(),
                s.reason
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            "c/README.md: not a feed file",
            "c/schema/osv-schema.json: a JSON schema",
            "d/other.json: JSON that is not an OSV, NVD, KEV, CSAF or ATT&CK feed",
            "d/rules.yml: not a feed file",
        ]
    );
}

#[test]
fn osv_records_keep_their_upstream_as_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "osv.jsonl.gz",
        &gz(format!("{OSV}\n\n{OSV}\n").as_bytes()),
    );
    let list = records(&only(&path)).unwrap();
    assert_eq!(list.len(), 2);
    let r = &list[0];
    assert_eq!(
        (r.kind, r.id.as_str(), r.modified.as_str()),
        (Kind::Osv, "GHSA-aaaa-bbbb-cccc", "2024-01-02T00:00:00Z")
    );
    assert!(!r.body.contains("_source"), "{}", r.body);
    assert!(
        r.origin
            .ends_with("osv.jsonl.gz:1 (github/advisory-database/advisories/x.json)"),
        "{}",
        r.origin
    );
    assert!(list[1].origin.contains(".gz:3 "), "{}", list[1].origin);
    assert_eq!(r.digest(), list[1].digest());
}

#[test]
fn kev_reads_the_same_from_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let json = records(&only(&write(dir.path(), "kev.json", KEV_JSON.as_bytes()))).unwrap();
    let csv = records(&only(&write(dir.path(), "kev.csv", KEV_CSV.as_bytes()))).unwrap();
    assert_eq!(json.len(), 1);
    assert_eq!(json[0].body, csv[0].body);
    assert_eq!(json[0].id, "CVE-2023-43208");
    let entry = crate::kev::Entry::parse(&json[0].body).unwrap();
    assert_eq!(entry.short_description, "Mirth Connect, a, \"quoted\" text");
    assert_eq!(entry.cwes, ["CWE-78"]);
}

#[test]
fn epss_rows_become_scores_dated_by_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let list = records(&only(&write(
        dir.path(),
        "epss.csv.gz",
        &gz(EPSS.as_bytes()),
    )))
    .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, "CVE-2023-43208");
    assert_eq!(list[0].modified, "2025-08-25T12:55:00Z");
    let s = crate::epss::Score::parse(&list[0].body).unwrap();
    assert_eq!((s.probability, s.percentile), (0.94358, 0.99957));
}

#[test]
fn bad_input_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let check = |name: &str, bytes: &[u8], expect: &str| {
        let path = write(d, name, bytes);
        let err = records(&only(&path)).unwrap_err().to_string();
        assert!(err.contains(expect), "{name}: {err}");
        assert!(err.contains(name), "{name}: {err}");
    };
    check(
        "o1.jsonl",
        format!("{OSV}\n{{\"id\": 3, \"modified\": \"x\", \"affected\": []}}\n").as_bytes(),
        "o1.jsonl:2: an OSV record needs an `id`",
    );
    check(
        "o2.jsonl",
        format!("{OSV}\n{{\"modified\":\"x\",\"affected\":[\n").as_bytes(),
        "o2.jsonl:2: invalid JSON at line 1 column",
    );
    check(
        "e1.csv",
        b"cve,epss,percentile\nXYZ-1,0.1,0.2\n",
        "e1.csv:2: `XYZ-1` is not a CVE id",
    );
    check(
        "e2.csv",
        b"cve,epss,percentile\nCVE-2024-1,2.5,0.2\n",
        "e2.csv:2: `2.5` and `0.2` must be numbers from 0 to 1",
    );
    check(
        "k.csv",
        b"cveID,vendorProject,product,x\nCVE-2024-1,a,b\n",
        "k.csv:2: 3 fields, the header has 4",
    );
    // A truncated gzip stream is an error, not a shorter file.
    let full = gz(format!("{OSV}\n{OSV}\n{OSV}\n").as_bytes());
    check("t.jsonl.gz", &full[..full.len() - 12], "t.jsonl.gz");
}

#[test]
fn limits_bound_lines_and_documents() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!(
        "{OSV}\n{{\"id\":\"X\",\"modified\":\"\",\"affected\":[],\"details\":\"{}\"}}\n",
        "a".repeat(5000)
    );
    let path = write(dir.path(), "long.jsonl", long.as_bytes());
    let limits = Limits {
        document_bytes: 4096,
        line_bytes: 1024,
    };
    let mut n = 0;
    let err = read(&only(&path), limits, &mut |_| {
        n += 1;
        Ok(())
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("long.jsonl:2: the line is longer than"),
        "{err}"
    );
    let path = write(
        dir.path(),
        "kev.json",
        format!("{}{}", KEV_JSON, " ".repeat(5000)).as_bytes(),
    );
    let err = read(&only(&path), limits, &mut |_| Ok(()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("larger than"), "{err}");
}

const ATTACK: &str = r#"{"type": "bundle", "id": "bundle--1", "spec_version": "2.0", "objects": [
 {"type": "x-mitre-tactic", "id": "x-mitre-tactic--1", "name": "Defense Evasion", "description": "Long text.", "x_mitre_shortname": "defense-evasion",
  "x_mitre_domains": ["enterprise-attack"], "modified": "2025-04-25T14:45:32.408Z",
  "external_references": [{"source_name": "mitre-attack", "external_id": "TA0005", "url": "https://attack.mitre.org/tactics/TA0005"}]},
 {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Hidden Window", "revoked": true, "modified": "2020-02-05T00:00:00.000Z",
  "description": "Adversaries may hide windows.", "x_mitre_domains": ["enterprise-attack"],
  "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "defense-evasion"}],
  "external_references": [{"source_name": "mitre-attack", "external_id": "T1143", "url": "https://attack.mitre.org/techniques/T1143"},
                          {"source_name": "Example", "description": "A citation.", "url": "https://example.org"}]},
 {"type": "attack-pattern", "id": "attack-pattern--2", "name": "Hidden Window", "modified": "2025-10-24T17:48:19.059Z",
  "x_mitre_domains": ["enterprise-attack"], "x_mitre_is_subtechnique": true,
  "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "defense-evasion"}],
  "external_references": [{"source_name": "mitre-attack", "external_id": "T1564.003"}]},
 {"type": "attack-pattern", "id": "attack-pattern--3", "name": "CAPEC-66", "external_references": [{"source_name": "capec", "external_id": "CAPEC-66"}]},
 {"type": "malware", "id": "malware--1", "name": "EKANS", "x_mitre_domains": ["enterprise-attack"], "modified": "2025-04-18T18:00:55.859Z",
  "external_references": [{"source_name": "mitre-attack", "external_id": "S0605"}]},
 {"type": "relationship", "id": "relationship--1", "relationship_type": "revoked-by", "source_ref": "attack-pattern--1", "target_ref": "attack-pattern--2"},
 {"type": "relationship", "id": "relationship--2", "relationship_type": "uses", "source_ref": "malware--1", "target_ref": "attack-pattern--2"}
]}"#;

#[test]
fn an_attack_bundle_is_one_record_per_object_with_an_attack_id() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "attack/enterprise-attack.json.gz",
        &gz(ATTACK.as_bytes()),
    );
    // ATT&CK's collection index is not a bundle.
    write(d, "attack/index.json", br#"{"id": "1", "name": "MITRE ATT&CK", "collections": [{"versions": [{"modified": "2025-11-13"}]}]}"#);
    let (files, skipped) = discover(d).unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].format, Format::Json(Kind::Attack));
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    let records = records(&files[0]).unwrap();
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["S0605@enterprise-attack", "T1143", "T1564.003", "TA0005"]
    );
    let revoked = &records[1];
    assert_eq!(revoked.kind, Kind::Attack);
    assert_eq!(revoked.modified, "2020-02-05T00:00:00.000Z");
    assert!(
        revoked
            .origin
            .ends_with("enterprise-attack.json.gz objects[1] (attack-pattern--1)"),
        "{}",
        revoked.origin
    );
    let body: serde_json::Value = serde_json::from_str(&revoked.body).unwrap();
    assert_eq!(body["x_medsec_revoked_by"], "T1564.003");
    assert_eq!(body["external_references"].as_array().unwrap().len(), 1);
    assert!(body.get("description").is_none(), "{body}");
    assert_eq!(
        body["kill_chain_phases"][0]["phase_name"],
        "defense-evasion"
    );
    // Not advisories: the index takes them and ignores them.
    assert!(crate::Advisory::parse(revoked).unwrap().is_empty());
    let mut db = crate::Database::new();
    db.add_record(revoked).unwrap();
    // A bundle that is not ATT&CK's is passed over.
    assert_eq!(Kind::parse("attack"), Some(Kind::Attack));
}

#[test]
fn a_broken_attack_bundle_fails_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "ics-attack.json",
        br#"{"type": "bundle", "objects": [{"type": "x-mitre-tactic", "x_mitre_shortname": "execution", "external_references": 5}]}"#,
    );
    let file = only(&path);
    let e = records(&file).unwrap_err().to_string();
    assert!(e.contains("ics-attack.json") && e.contains("line 1"), "{e}");
}
